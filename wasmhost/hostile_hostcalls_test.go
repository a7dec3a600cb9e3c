package wasmhost_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// Hostile guests that spend their time in host functions rather than in
// their own code (testdata/host_loop.wat, host_loop_caps.wat): the host's
// work for them must count against the call's fuel, and the call's time
// limit, its caller's cancellation and its fuel budget must stop them.

// hostLoopWall bounds how long a test waits for a looping call. The limits
// under test are 1 s or less; this only keeps a host that fails to stop
// the guest from hanging the suite (the guest then keeps running until the
// test binary exits).
const hostLoopWall = 30 * time.Second

// hostCallTarget is one host function a guest loops on.
type hostCallTarget struct {
	name   string
	module string // host_loop or host_loop_caps
	id     string // the target letter (see the .wat)
	caps   wasmhost.Capabilities
	kwargs []byte
}

// loopCaps grants what host_loop_caps.wasm imports; 127.0.0.1:9 (discard)
// is never dialled: every request the fixtures make is refused first.
func loopCaps() wasmhost.Capabilities {
	return wasmhost.Capabilities{Env: []string{"SECRETPATH_TEST_UNSET"},
		HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1:9"}}}
}

// bigKwargs is 4 MiB of kwargs, which kwargs_read copies on every call.
var bigKwargs = []byte(`{"pad": "` + strings.Repeat("k", 4<<20) + `"}`)

var hostCallTargets = []hostCallTarget{
	{name: "random_get", module: "host_loop", id: "r"},
	{name: "fd_write", module: "host_loop", id: "w"},
	{name: "fd_write logged", module: "host_loop", id: "w", caps: wasmhost.Capabilities{Log: true}},
	{name: "log", module: "host_loop", id: "l"},
	{name: "log granted", module: "host_loop", id: "l", caps: wasmhost.Capabilities{Log: true}},
	{name: "kwargs_read", module: "host_loop", id: "k", kwargs: bigKwargs},
	{name: "env_get", module: "host_loop_caps", id: "e", caps: loopCaps()},
	{name: "http_request huge", module: "host_loop_caps", id: "h", caps: loopCaps()},
	{name: "http_request refused", module: "host_loop_caps", id: "u", caps: loopCaps()},
}

// callWithin runs a lookup in a goroutine and fails the test if it has not
// returned within hostLoopWall.
func callWithin(t *testing.T, ctx context.Context, tn *wasmhost.Tenant, id string) (time.Duration, error) {
	t.Helper()
	type result struct {
		err  error
		took time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		_, err := tn.Lookup(ctx, connReq(id))
		done <- result{err, time.Since(start)}
	}()
	select {
	case r := <-done:
		return r.took, r.err
	case <-time.After(hostLoopWall):
		t.Fatalf("the call still runs after %v: its limits do not stop a guest looping on a host function", hostLoopWall)
		return 0, nil
	}
}

// TestHostCallsBoundedByCallLimits: a guest with nothing but host calls in
// its loop (random_get, fd_write, log, kwargs_read, env_get, http_request,
// each with arguments as large as its 16 MiB memory) is stopped by a 1 s
// call timeout, by its caller's cancellation after 200 ms and, metered, by
// a small fuel budget, each reported as such. Both modes: fuel-metered
// (the untrusted default) and deadline-only (wazero's context checks).
// Nothing is timed but the generous hostLoopWall.
func TestHostCallsBoundedByCallLimits(t *testing.T) {
	h := newHost(t)
	mods := map[string]*wasmhost.Module{
		"host_loop":      loadFixture(t, h, "host_loop.wasm"),
		"host_loop_caps": loadFixture(t, h, "host_loop_caps.wasm"),
	}
	type limit struct {
		name    string
		metered bool // only for metered tenants
		limits  wasmhost.Limits
		cancel  time.Duration // the caller cancels after this
		check   func(t *testing.T, err error)
	}
	limits := []limit{
		{name: "timeout", limits: wasmhost.Limits{CallTimeout: time.Second}, check: func(t *testing.T, err error) {
			require.Error(t, err)
			assert.Contains(t, err.Error(), "RESOURCE_EXHAUSTED: exceeded the 1s time limit")
		}},
		{name: "cancelled", limits: wasmhost.Limits{CallTimeout: time.Minute}, cancel: 200 * time.Millisecond, check: func(t *testing.T, err error) {
			assert.ErrorIs(t, err, context.Canceled)
		}},
		{name: "fuel", metered: true, limits: wasmhost.Limits{CallTimeout: time.Minute, FuelPerCall: 20_000_000}, check: func(t *testing.T, err error) {
			require.Error(t, err)
			assert.Contains(t, err.Error(), "RESOURCE_EXHAUSTED: CPU limit exceeded")
		}},
	}
	for _, deadline := range []bool{false, true} {
		t.Run(map[bool]string{false: "metered", true: "deadline"}[deadline], func(t *testing.T) {
			for _, tg := range hostCallTargets {
				for _, l := range limits {
					if l.metered && deadline {
						continue
					}
					t.Run(tg.name+"/"+l.name, func(t *testing.T) {
						t.Parallel() // each case waits for a limit: run them side by side
						tn, err := h.NewTenant(t.Context(), mods[tg.module], wasmhost.TenantConfig{
							Name: "looper", DeadlineOnly: deadline, Limits: l.limits, Capabilities: tg.caps, Kwargs: tg.kwargs,
						})
						require.NoError(t, err)
						defer tn.Close()
						require.Equal(t, !deadline, tn.Metered())
						ctx := t.Context()
						if l.cancel > 0 {
							var cancel context.CancelFunc
							ctx, cancel = context.WithCancel(ctx)
							defer cancel()
							time.AfterFunc(l.cancel, cancel)
						}
						took, err := callWithin(t, ctx, tn, tg.id)
						t.Logf("stopped after %v: %v", took.Round(time.Millisecond), err)
						l.check(t, err)
						_, err = tn.Lookup(t.Context(), varReq("x"))
						assert.ErrorIs(t, err, resolver.ErrNotFound, "the tenant serves the next call")
					})
				}
			}
		})
	}
}

// fuelUsed reads the fuel a call used from its CPU-limit error.
func fuelUsed(t *testing.T, err error) int64 {
	t.Helper()
	require.Error(t, err)
	m := regexp.MustCompile(`CPU limit exceeded: the call used (\d+) units of fuel`).FindStringSubmatch(err.Error())
	require.NotNil(t, m, "a CPU-limit error reporting the fuel used: %v", err)
	n, err := strconv.ParseInt(m[1], 10, 64)
	require.NoError(t, err)
	return n
}

// TestHostCallsChargeFuel: a host call costs fuel by the bytes it handles,
// so that FuelPerCall bounds the host's work too. A single call with 16
// MiB arguments (or writing 4 MiB of kwargs) overdraws a budget of 1M
// units, which a call costing one unit whatever it does never would; the
// use reported is the budget plus at most one charge, made before the work
// it pays for. The same lookup
// within a generous budget succeeds: the charges are what the work is.
func TestHostCallsChargeFuel(t *testing.T) {
	h := newHost(t)
	const budget = 1_000_000
	for _, tg := range []hostCallTarget{
		hostCallTargets[0], // random_get: 16 MiB generated
		hostCallTargets[1], // fd_write: 2M iovecs and 16 MiB written
		hostCallTargets[3], // log: 16 MiB passed
		hostCallTargets[5], // kwargs_read: 4 MiB copied
		hostCallTargets[6], // env_get: a 16 MiB name
	} {
		t.Run(tg.name, func(t *testing.T) {
			m := loadFixture(t, h, tg.module+".wasm")
			tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
				Name: "charged", Limits: wasmhost.Limits{CallTimeout: time.Minute, FuelPerCall: budget}, Capabilities: tg.caps, Kwargs: tg.kwargs,
			})
			require.NoError(t, err)
			defer tn.Close()
			_, err = callWithin(t, t.Context(), tn, tg.id+"1")
			used := fuelUsed(t, err)
			assert.Greater(t, used, int64(budget))
			// Stopped at the first charge over the budget, before the work it
			// pays for; the largest is fd_write's 2M iovecs, 33M units.
			assert.LessOrEqual(t, used, int64(budget)+40_000_000)

			rich, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
				Name: "rich", Limits: wasmhost.Limits{CallTimeout: time.Minute, FuelPerCall: 1 << 30}, Capabilities: tg.caps, Kwargs: tg.kwargs,
			})
			require.NoError(t, err)
			defer rich.Close()
			_, err = callWithin(t, t.Context(), rich, tg.id+"1")
			assert.ErrorIs(t, err, resolver.ErrNotFound, "one call within a budget of 2^30")
		})
	}
}

// TestHTTPRequestBodyChargedBeforeSent: an http_request whose 16 MiB body
// overdraws the call's fuel is stopped before the body is copied or the
// request sent; a refused request (more than the per-call cap) copies
// nothing, so a loop of them costs only the calls.
func TestHTTPRequestBodyChargedBeforeSent(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	h := newHost(t)
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "fuzz_guest.wasm"), wasmhost.TenantConfig{
		Name: "body", Kwargs: guestKwargsFor(guestDefBuf, guestDefBufN, srv.URL+"/", nil),
		Limits: wasmhost.Limits{CallTimeout: time.Minute, FuelPerCall: 1_000_000},
		Capabilities: wasmhost.Capabilities{Env: []string{"UNUSED"}, Clock: true,
			HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{srv.Listener.Addr().String()}}},
	})
	require.NoError(t, err)
	big := prog().op(opGrow, wasmhost.DefaultMemoryPages-1).
		op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), 0, 0, 0, reg(rMemSize)).ret(1).String()
	_, err = callWithin(t, t.Context(), tn, big)
	used := fuelUsed(t, err)
	assert.Greater(t, used, int64(1_000_000))
	assert.Zero(t, hits.Load(), "the request was not sent")

	small := prog().op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), 0, 0, 0, 16).ret(1).String()
	_, err = tn.Lookup(t.Context(), connReq(small))
	assert.ErrorIs(t, err, resolver.ErrNotFound, "a small body fits the budget")
	assert.Equal(t, int64(1), hits.Load())
}

// TestSmallFuelBudget: a budget below the host's refill chunk (2^20) is
// honoured to within one metering point, and the error reports the fuel
// actually used. A reference lookup (a few hundred units) fails under a
// budget of 50 and succeeds under one of 100,000.
func TestSmallFuelBudget(t *testing.T) {
	h := newHost(t)
	for _, budget := range []int64{10_000, 100_000, 1_000_000} {
		tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "loop_lookup.wasm"), wasmhost.TenantConfig{
			Name: "small", Limits: wasmhost.Limits{CallTimeout: time.Minute, FuelPerCall: budget},
		})
		require.NoError(t, err)
		_, err = callWithin(t, t.Context(), tn, "x")
		used := fuelUsed(t, err)
		assert.Greater(t, used, budget, "budget %d", budget)
		assert.LessOrEqual(t, used, budget+16, "budget %d: stopped at the first metering point past it", budget)
		_ = tn.Close()
	}

	m := loadFixture(t, h, "reference.wasm")
	kw := []byte(`{"c:a": "mysql://h"}`)
	poor, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "poor", Kwargs: kw, Limits: wasmhost.Limits{FuelPerCall: 50}})
	if err == nil { // init may already need more than 50 units
		_, err = poor.Lookup(t.Context(), connReq("a"))
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CPU limit exceeded")
	enough, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "enough", Kwargs: kw, Limits: wasmhost.Limits{FuelPerCall: 100_000}})
	require.NoError(t, err)
	v, err := enough.Lookup(t.Context(), connReq("a"))
	require.NoError(t, err)
	assert.Equal(t, "mysql://h", v)
}

// recordingHandler keeps every record.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (r *recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recordingHandler) WithGroup(string) slog.Handler            { return r }
func (r *recordingHandler) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.records = append(r.records, rec.Clone())
	r.mu.Unlock()
	return nil
}

func (r *recordingHandler) matching(prefix string) []slog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []slog.Record
	for _, rec := range r.records {
		if strings.HasPrefix(rec.Message, prefix) {
			out = append(out, rec)
		}
	}
	return out
}

// TestRefusedHTTPRequestsDoNotFloodTheLog: a guest looping on requests the
// host refuses (a host not on the allow-list, then over the per-call
// request cap) makes the host log the first refusal of the call and one
// line with the count of the others, not a line per request.
func TestRefusedHTTPRequestsDoNotFloodTheLog(t *testing.T) {
	logs := &recordingHandler{}
	h, err := wasmhost.New(t.Context(), wasmhost.Options{Logger: slog.New(logs)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "host_loop_caps.wasm"), wasmhost.TenantConfig{
		Name: "flood", Capabilities: loopCaps(), Limits: wasmhost.Limits{CallTimeout: time.Minute},
	})
	require.NoError(t, err)
	for call := 1; call <= 2; call++ {
		_, err = callWithin(t, t.Context(), tn, "u10000")
		require.ErrorIs(t, err, resolver.ErrNotFound)
		recs := logs.matching("wasm guest HTTP")
		require.Equal(t, 2*call, len(recs), "two lines per call, whatever the number of refusals")
		first, last := recs[2*call-2], recs[2*call-1]
		assert.Contains(t, first.Message, "host refused.invalid is not on the allow-list")
		assert.Contains(t, last.Message, "9999 more requests refused in this call")
		for _, rec := range recs {
			assert.Equal(t, slog.LevelWarn, rec.Level)
		}
	}
	// A call with one refusal logs one line.
	_, err = callWithin(t, t.Context(), tn, "u1")
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Equal(t, 5, len(logs.matching("wasm guest HTTP")))
}

// TestGuestLogCannotForgeLines: a guest's log message with line breaks,
// control characters and a fake "tenant=other" reaches the handler as one
// record whose message has none of them, under the guest's own tenant; a
// text handler writes one line.
func TestGuestLogCannotForgeLines(t *testing.T) {
	logs := &recordingHandler{}
	var text bytes.Buffer
	var textMu sync.Mutex
	textHandler := slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		textMu.Lock()
		defer textMu.Unlock()
		return text.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug})
	for _, handler := range []slog.Handler{logs, textHandler} {
		h, err := wasmhost.New(t.Context(), wasmhost.Options{Logger: slog.New(handler)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = h.Close(context.Background()) })
		tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "fuzz_guest.wasm"), wasmhost.TenantConfig{
			Name: "mine", Kwargs: guestKwargsFor(guestDefBuf, guestDefBufN, "", nil),
			Capabilities: wasmhost.Capabilities{Log: true, Env: []string{"UNUSED"}, Clock: true,
				HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1:9"}}},
		})
		require.NoError(t, err)
		forged := "ok\ntime=2026-01-01T00:00:00Z level=ERROR msg=forged tenant=other\r\x1b[2K\x00\u2028end"
		p := prog()
		p.op(opLog, 3, p.lit(forged), len(forged))
		_, err = tn.Lookup(t.Context(), connReq(p.String()))
		require.ErrorIs(t, err, resolver.ErrNotFound)
	}
	var guest []slog.Record
	for _, rec := range logs.matching("") {
		if !strings.HasPrefix(rec.Message, "wasm ") {
			guest = append(guest, rec)
		}
	}
	require.Len(t, guest, 1, "one record")
	msg := guest[0].Message
	assert.NotContains(t, msg, "\n")
	assert.NotContains(t, msg, "\r")
	assert.NotContains(t, msg, "\x1b")
	assert.NotContains(t, msg, "\x00")
	assert.NotContains(t, msg, "\u2028")
	assert.True(t, strings.HasPrefix(msg, "ok time=2026-01-01T00:00:00Z level=ERROR msg=forged tenant=other"), "%q", msg)
	assert.True(t, strings.HasSuffix(msg, "end"), "%q", msg)
	var tenants []string
	guest[0].Attrs(func(a slog.Attr) bool {
		if a.Key == "tenant" {
			tenants = append(tenants, a.Value.String())
		}
		return true
	})
	assert.Equal(t, []string{"mine"}, tenants)

	textMu.Lock()
	out := text.String()
	textMu.Unlock()
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.Contains(l, "forged") {
			lines = append(lines, l)
		}
	}
	require.Len(t, lines, 1, "one line: %q", out)
	assert.Contains(t, lines[0], "tenant=mine")
	assert.Equal(t, 1, strings.Count(lines[0], "tenant=mine"))
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
