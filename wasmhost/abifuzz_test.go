package wasmhost_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// The ABI fuzz targets run fuzz_guest.wat, whose lookups call the host's
// imports with whatever raw values their id says (see the .wat): every
// import of secretpath_v1, arbitrary pointers, lengths, levels, statuses,
// memory sizes and OK_IN_BUFFER lengths. Each input must leave the host
// standing, fail cleanly when it fails, stay within the tenant's limits and
// leave a bystander tenant on the same host answering.

// Limits of the fuzzed tenants: small, so that inputs reach them cheaply.
const (
	fuzzMemPages  = 32
	fuzzMaxOutput = 4096
	fuzzMaxLog    = 512
	fuzzMaxResp   = 4096
	fuzzMaxReqs   = 4
	fuzzPoolSize  = 2

	// Values no fuzzed tenant may ever see.
	bystanderSecret = "bystander-S3cret-5d1e"
	hiddenEnvValue  = "hidden-S3cret-9b07"
	bystanderURI    = "postgres://by:" + bystanderSecret + "@db:5432/x"
)

// logCounter is a slog.Handler that counts, per tenant, the bytes of the
// guest messages it receives (the host's own "wasm ..." messages aside).
type logCounter struct{ bytes sync.Map } // tenant name -> *atomic.Int64

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCounter) WithGroup(string) slog.Handler            { return l }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "wasm ") {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "tenant" {
			l.counter(a.Value.String()).Add(int64(len(r.Message)))
			return false
		}
		return true
	})
	return nil
}

func (l *logCounter) counter(tenant string) *atomic.Int64 {
	c, _ := l.bytes.LoadOrStore(tenant, new(atomic.Int64))
	return c.(*atomic.Int64)
}

// abiFuzzEnv is a host with a bystander tenant, an HTTP server the fuzzed
// tenants may call, and the environment variables they may (and may not)
// read.
type abiFuzzEnv struct {
	h         *wasmhost.Host
	m         *wasmhost.Module
	logs      *logCounter
	url       string
	hits      atomic.Int64 // requests served
	followed  atomic.Int64 // redirects followed: must stay 0
	bystander *wasmhost.Tenant
}

func newABIFuzzEnv(tb testing.TB) *abiFuzzEnv {
	e := &abiFuzzEnv{logs: &logCounter{}}
	var err error
	e.h, err = wasmhost.New(context.Background(), wasmhost.Options{Logger: slog.New(e.logs)})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = e.h.Close(context.Background()) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		switch {
		case r.URL.Path == "/followed":
			e.followed.Add(1)
		case r.Method == "GET":
			w.Header().Set("X-Secret", "fuzz-header")
			_, _ = w.Write([]byte("fuzz-body"))
		case r.Method == "GE": // over the tenants' response cap
			_, _ = w.Write([]byte(strings.Repeat("b", 2*fuzzMaxResp)))
		case r.Method == "G":
			http.Redirect(w, r, "/followed", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	tb.Cleanup(srv.Close)
	e.url = srv.URL + "/"
	tb.Setenv("SECRETPATH_FUZZ_ENV", "fuzz-env-value")
	tb.Setenv("SECRETPATH_FUZZ_HIDDEN", hiddenEnvValue)

	ref := loadFixture(tb, e.h, "reference.wasm")
	e.bystander, err = e.h.NewTenant(context.Background(), ref, wasmhost.TenantConfig{
		Name: "bystander", Kwargs: []byte(`{"c:pg": "` + bystanderURI + `"}`),
	})
	require.NoError(tb, err)
	e.m = loadFixture(tb, e.h, "fuzz_guest.wasm")
	return e
}

// Modes of the fuzzed tenants: how their calls are bounded.
const (
	modeMetered = iota
	modeDeadline
	modeTrusted
	numModes
)

// config grants a fuzzed tenant everything fuzz_guest imports, with small
// limits. Its HTTP allow-list is the test server; the resolver answers only
// for names the tests use and never goes to DNS.
func (e *abiFuzzEnv) config(name string, mode int, kwargs []byte) wasmhost.TenantConfig {
	addr := strings.TrimSuffix(strings.TrimPrefix(e.url, "http://"), "/")
	return wasmhost.TenantConfig{
		Name: name, Kwargs: kwargs, DeadlineOnly: mode == modeDeadline, Trusted: mode == modeTrusted,
		Limits: wasmhost.Limits{
			MemoryPages: fuzzMemPages, MaxOutputBytes: fuzzMaxOutput, MaxLogBytes: fuzzMaxLog, PoolSize: fuzzPoolSize,
			CallTimeout: 10 * time.Second, // programs cannot loop: a slow machine must not fail an input
		},
		Capabilities: wasmhost.Capabilities{
			Log: true, Clock: true, Env: []string{"SECRETPATH_FUZZ_ENV"},
			HTTP: &wasmhost.HTTPCapability{
				AllowHosts: []string{addr}, MaxResponseBytes: fuzzMaxResp, MaxRequestsPerCall: fuzzMaxReqs,
				LookupIP: func(_ context.Context, host string) ([]netip.Addr, error) {
					if ip, err := netip.ParseAddr(host); err == nil {
						return []netip.Addr{ip}, nil
					}
					return nil, errors.New("no DNS in the fuzz tests")
				},
			},
		},
	}
}

// run makes one fuzzed lookup and checks every property the host promises,
// then that the tenant and the bystander still answer. calls is how many
// guest calls (lookups and inits) the fuzzed input may cause, for the
// per-call budgets.
func (e *abiFuzzEnv) run(t *testing.T, tn *wasmhost.Tenant, name string, kind resolver.Kind, id []byte, calls int64) {
	t.Helper()
	ctx := context.Background()
	logs := e.logs.counter(name)
	logs0, hits0 := logs.Load(), e.hits.Load()

	v, err := lookup(ctx, tn, kind, string(id))
	e.checkOutcome(t, tn, name, v, err)

	if n := logs.Load() - logs0; n > calls*fuzzMaxLog {
		t.Fatalf("the guest logged %d bytes in %d calls; the budget is %d per call", n, calls, fuzzMaxLog)
	}
	if n := e.hits.Load() - hits0; n > calls*fuzzMaxReqs {
		t.Fatalf("the guest made %d HTTP requests in %d calls; the cap is %d per call", n, calls, fuzzMaxReqs)
	}
	if e.followed.Load() != 0 {
		t.Fatal("the host followed a redirect")
	}
	if n := tn.MemoryBytes(); n > fuzzPoolSize*fuzzMemPages*guestPageSize {
		t.Fatalf("the tenant holds %d bytes of linear memory, over %d instances of %d pages", n, fuzzPoolSize, fuzzMemPages)
	}
	// A tenant whose instance failed gets a fresh one.
	if v, err := tn.Lookup(ctx, connReq(pingProg)); err != nil || v != "pong" {
		t.Fatalf("the fuzzed tenant no longer answers: %q, %v", v, err)
	}
	if v, err := e.bystander.Lookup(ctx, connReq("pg")); err != nil || v != bystanderURI {
		t.Fatalf("the bystander no longer answers: %v", err)
	}
}

// checkOutcome: a value within the output limit, not found, or a
// *GuestError naming the tenant, with a short printable message that is not
// a recovered Go panic; never another tenant's data or an env var the
// tenant was not granted.
func (e *abiFuzzEnv) checkOutcome(t *testing.T, tn *wasmhost.Tenant, name, v string, err error) {
	t.Helper()
	for _, leak := range []string{bystanderSecret, hiddenEnvValue} {
		if strings.Contains(v, leak) || (err != nil && strings.Contains(err.Error(), leak)) {
			t.Fatalf("the fuzzed tenant saw %q", leak)
		}
	}
	var ge *wasmhost.GuestError
	switch {
	case err == nil:
		if len(v) > fuzzMaxOutput {
			t.Fatalf("a result of %d bytes passed the %d-byte output limit", len(v), fuzzMaxOutput)
		}
	case errors.Is(err, resolver.ErrNotFound):
		if v != "" {
			t.Fatalf("not found with a value %q", v)
		}
	case errors.As(err, &ge):
		switch {
		case v != "":
			t.Fatalf("an error with a value: %v", err)
		case ge.Tenant != name || ge.Module != tn.Module().ID() || !strings.HasPrefix(ge.Call, "secretpath_"):
			t.Fatalf("the error does not name the tenant, module and export: %+v", ge)
		case ge.Status == wasmhost.StatusOK || ge.Status == wasmhost.StatusNotFound ||
			ge.Status == wasmhost.StatusUnimplemented || ge.Status > wasmhost.StatusResourceExhausted:
			t.Fatalf("an error with status %v: %v", ge.Status, err)
		case len(ge.Msg) > 1024 || !utf8.ValidString(ge.Msg) || strings.ContainsFunc(ge.Msg, func(r rune) bool { return r < 0x20 }):
			t.Fatalf("the message is not short printable text: %q", ge.Msg)
		case strings.Contains(ge.Msg, "recovered by wazero") || strings.Contains(ge.Msg, "runtime error"):
			t.Fatalf("a host function panicked: %v", err)
		}
	default:
		t.Fatalf("not a clean error: %T %v", err, err)
	}
}

var lookupKinds = [...]resolver.Kind{resolver.KindConnection, resolver.KindVariable, resolver.KindConfig}

// abiSeeds are programs that reach each import with valid arguments, and
// each with bad ones; the fuzzer mutates from there.
func abiSeeds() [][]byte {
	rs := func(p *gprog) *gprog { return p.op(opResultSet, reg(rScratch), reg(rLast)).ret(0) }
	get := func(p *gprog, method garg, n any) *gprog {
		return p.op(opHTTPRequest, method, n, reg(rURL), reg(rURLLen), reg(rHeaders), reg(rHdrLen), 0, 0)
	}
	redirect := get(prog(), reg(rGET), 1)
	noColon := prog()
	noColon.op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), noColon.lit("X-Fuzz 1"), 8, 0, 0)
	euros := prog()
	euros.op(opErrorSet, euros.lit(strings.Repeat("€", 400)), 1200)
	tooMany := prog()
	for range fuzzMaxReqs + 1 {
		get(tooMany, reg(rGET), reg(rGETLen))
	}
	seeds := []*gprog{
		tooMany.ret(0),
		prog().set("pong").ret(0),
		prog().ret(1),
		prog().op(opErrorSet, reg(rGET), reg(rGETLen)).ret(2),
		prog().ret(7),
		prog().ret(99),
		prog().op(opTrap),
		rs(prog().op(opKwargsRead, reg(rScratch), reg(rScratchN))),
		prog().op(opKwargsRead, reg(rMemSize), 1).ret(0),
		prog().op(opKwargsRead, 0xFFFFFFF0, 32).ret(0),
		prog().op(opResultSet, 0, -1).ret(0),
		prog().op(opResultSet, reg(rMemSize), 0).ret(0),
		prog().op(opResultSet, 0, fuzzMaxOutput+1).ret(0),
		prog().op(opResultSet, 0, fuzzMaxOutput+1).op(opResultSet, 0, 8).ret(0),
		prog().op(opErrorSet, 0, 5000).ret(5),
		prog().op(opFill, reg(rScratch), 'L', 4000).op(opLog, 1, reg(rScratch), 4000).op(opLog, 7, reg(rScratch), 4000).ret(1),
		prog().op(opLog, -5, reg(rMemSize), 1).ret(1),
		prog().op(opLogEnabled, -1).ret(1),
		rs(prog().op(opEnvGet, reg(rEnv), reg(rEnvLen), reg(rScratch), 64)),
		rs(prog().op(opEnvGet, guestHidden, guestHiddenN, reg(rScratch), 64)),
		prog().op(opEnvGet, reg(rEnv), reg(rEnvLen), reg(rScratch), 0).ret(1),
		prog().op(opEnvGet, 0xFFFFFF00, 0x200, 0, 0).ret(1),
		prog().op(opClockNow).ret(1),
		rs(get(prog(), reg(rGET), reg(rGETLen)).op(opHTTPBody, reg(rScratch), 64)),
		rs(get(prog(), reg(rGET), reg(rGETLen)).op(opHTTPHeader, reg(rXSecret), reg(rXSecretN), reg(rScratch), 64)),
		rs(redirect.op(opHTTPHeader, redirect.lit("Location"), 8, reg(rScratch), 64)),
		rs(get(prog(), reg(rGET), 2).op(opHTTPBody, reg(rScratch), 64)),
		get(prog(), reg(rGET), reg(rGETLen)).op(opHTTPBody, reg(rMemSize), 1).ret(0),
		prog().op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), 0, -1, 0, 0).ret(1),
		prog().op(opHTTPBody, 0, 0).op(opHTTPHeader, 0, 0, 0, 0).ret(1),
		prog().op(opGrow, 1000).op(opGrow, fuzzMemPages).op(opResultSet, 0, reg(rMemSize)).ret(0),
		prog().op(opStore, reg(rBuf), 5).ret(8),
		prog().op(opStore, reg(rBuf), 0x7FFFFFFF).ret(8),
		prog().op(opStore, reg(rBuf), -4).ret(8),
		prog().op(opStore, 0xFFFFFFFE, 0).ret(0),
		// Host paths that only the fuzzer's generated corpus reached:
		// a trap after a refused memory.grow is reported as the memory limit;
		prog().op(opGrow, 1000).op(opStore, 0xFFFFFFF0, 0).ret(0),
		// memory.grow by 0, and by -1 (wazero refuses it before the host's
		// allocator sees it);
		prog().op(opGrow, 0).op(opGrow, -1).ret(1),
		// a method, a URL and headers over their caps are refused (-2) unparsed;
		prog().op(opGrow, 20).
			op(opHTTPRequest, 0, 65, reg(rURL), reg(rURLLen), 0, 0, 0, 0).
			op(opHTTPRequest, reg(rGET), reg(rGETLen), 0, 64<<10+1, 0, 0, 0, 0).
			op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), 0, 1<<20+1, 0, 0).ret(1),
		// a header line without ':' is refused (-2).
		noColon.ret(1),
		// Regression (1fe36de): a message of 400 "€" (3 bytes each). The host
		// keeps its first 1 KiB, which ends in a partial "€" that becomes
		// U+FFFD, and cuts that to 1 KiB again: the cut falls inside the
		// U+FFFD and must move back to the character's start. Fails when the
		// cut is by bytes.
		euros.ret(5),
	}
	out := make([][]byte, len(seeds))
	for i, s := range seeds {
		out[i] = s.bytes()
	}
	return out
}

// FuzzHostFunctions drives every secretpath_v1 import with arbitrary
// values from a guest, under each way of bounding calls (mode) and for each
// lookup export (kind).
func FuzzHostFunctions(f *testing.F) {
	e := newABIFuzzEnv(f)
	kw := guestKwargsFor(guestDefBuf, guestDefBufN, e.url, nil)
	var tenants [numModes]*wasmhost.Tenant
	for mode := range tenants {
		tn, err := e.h.NewTenant(context.Background(), e.m, e.config("fuzz", mode, kw))
		require.NoError(f, err)
		tenants[mode] = tn
	}
	for i, s := range abiSeeds() {
		f.Add(uint8(i%numModes), uint8(i/numModes%len(lookupKinds)), s)
	}
	f.Fuzz(func(t *testing.T, mode, kind uint8, id []byte) {
		// An id over the buffer is refused before the guest runs (see
		// TestOversizedInputs); the fuzzer explores what reaches it.
		if len(id) > guestDefBufN {
			id = id[:guestDefBufN]
		}
		tn := tenants[int(mode)%numModes]
		e.run(t, tn, "fuzz", lookupKinds[int(kind)%len(lookupKinds)], id, 1)
	})
}

// FuzzGuestSetup fuzzes what a guest tells the host when an instance is set
// up: the exchange buffer's address and size (secretpath_buffer grows memory
// to fit them when it can) and an init program (its host calls and the
// status it returns), then one lookup.
func FuzzGuestSetup(f *testing.F) {
	e := newABIFuzzEnv(f)
	f.Add(uint32(guestDefBuf), uint32(guestDefBufN), false, []byte(nil), []byte(pingProg))
	f.Add(uint32(0), uint32(256), true, prog().ret(0).bytes(), []byte(pingProg))
	f.Add(uint32(guestScratch), uint32(fuzzMemPages*guestPageSize-guestScratch), false,
		prog().op(opKwargsRead, reg(rScratch), 0).ret(0).bytes(), prog().op(opStore, reg(rBuf), 5).ret(8).bytes())
	f.Add(uint32(guestDefBuf), uint32(255), false, []byte(nil), []byte(pingProg))
	f.Add(uint32(0xFFFFFF00), uint32(512), false, []byte(nil), []byte(pingProg))
	f.Add(uint32(guestDefBuf), uint32(0xFFFFFFFF), true, []byte(nil), []byte(pingProg))
	f.Add(uint32(fuzzMemPages*guestPageSize-256), uint32(256), false, []byte(nil), []byte(pingProg))
	f.Add(uint32(guestDefBuf), uint32(guestDefBufN), false, prog().op(opErrorSet, reg(rGET), 3).ret(2).bytes(), []byte(pingProg))
	f.Add(uint32(guestDefBuf), uint32(guestDefBufN), false, prog().op(opTrap).bytes(), []byte(pingProg))
	f.Add(uint32(guestDefBuf), uint32(guestDefBufN), true, prog().op(opResultSet, 0, -1).ret(0).bytes(), []byte(pingProg))
	f.Add(uint32(guestDefBuf), uint32(guestDefBufN), false,
		prog().op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), 0, 0, 0, 0).ret(0).bytes(), []byte(pingProg))
	// Setups that only the fuzzer's generated corpus reached.
	// An init that calls every import: a log line over the budget at a level
	// below debug, of control bytes and invalid UTF-8 that make it longer
	// still, log_enabled, env_get of a granted and a hidden name, clock_now,
	// a request, its body, a header and an absent one ("GET"); then a lookup
	// with an unknown status.
	everyImport := prog()
	f.Add(uint32(guestDefBuf), uint32(guestDefBufN), false, everyImport.
		op(opLog, -5, everyImport.lit(strings.Repeat("\x1b\xff", 300)), 600).
		op(opLogEnabled, 7).
		op(opEnvGet, reg(rEnv), reg(rEnvLen), reg(rScratch), 64).op(opEnvGet, guestHidden, guestHiddenN, reg(rScratch), 64).
		op(opClockNow).
		op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), reg(rHeaders), reg(rHdrLen), 0, 0).
		op(opHTTPBody, reg(rScratch), 64).
		op(opHTTPHeader, reg(rXSecret), reg(rXSecretN), reg(rScratch), 64).op(opHTTPHeader, reg(rGET), reg(rGETLen), reg(rScratch), 64).
		ret(0).bytes(), prog().ret(99).bytes())
	// Requests in init that are refused: a method over its cap and an
	// invalid one ("Accept:", -2), a header line without ':' ("GET", -2), a
	// header name the client refuses ("A B:", -3); then a lookup that traps,
	// so that init runs again on a fresh instance.
	f.Add(uint32(guestDefBuf), uint32(guestDefBufN), false, prog().
		op(opHTTPRequest, 0, 65, reg(rURL), reg(rURLLen), 0, 0, 0, 0).
		op(opHTTPRequest, 16, 7, reg(rURL), reg(rURLLen), 0, 0, 0, 0).
		op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), 0, 3, 0, 0).
		op(opStore, reg(rScratch), 0x3a422041).
		op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), reg(rScratch), 4, 0, 0).
		ret(0).bytes(), prog().op(opTrap).bytes())
	// A buffer as large as memory allows, and an OK_IN_BUFFER result that
	// fits it but not the output limit (RESOURCE_EXHAUSTED).
	f.Add(uint32(guestScratch), uint32(fuzzMemPages*guestPageSize-guestScratch), false,
		[]byte(nil), prog().op(opStore, reg(rBuf), fuzzMaxOutput+1).ret(8).bytes())
	// An init whose result_set is over the output limit, then OK; a lookup
	// not found.
	f.Add(uint32(guestDefBuf), uint32(guestDefBufN), true, prog().op(opResultSet, 0, fuzzMaxOutput+1).ret(0).bytes(), []byte(nil))
	// An init failing with an unknown status and 400 "€" as its message (cut
	// to 1 KiB between characters, as in FuzzHostFunctions).
	initEuros := prog()
	f.Add(uint32(guestDefBuf), uint32(guestDefBufN), false,
		initEuros.op(opErrorSet, initEuros.lit(strings.Repeat("€", 400)), 1200).ret(99).bytes(), []byte(pingProg))
	// A metered init that grows memory by 0 and by -1, then traps after a
	// refused memory.grow (the memory limit; growing also makes it ask for
	// more fuel).
	f.Add(uint32(guestDefBuf), uint32(guestDefBufN), false,
		prog().op(opGrow, 0).op(opGrow, -1).op(opGrow, 1000).op(opStore, 0xFFFFFFF0, 0).bytes(), []byte(pingProg))
	f.Fuzz(func(t *testing.T, bufPtr, bufSize uint32, deadline bool, initProg, id []byte) {
		const name = "setup"
		mode := modeMetered
		if deadline {
			mode = modeDeadline
		}
		ctx := context.Background()
		logs := e.logs.counter(name)
		logs0 := logs.Load()
		tn, err := e.h.NewTenant(ctx, e.m, e.config(name, mode, guestKwargsFor(bufPtr, bufSize, e.url, initProg)))
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, `wasm tenant "setup" (module `+e.m.ID()+`): `) ||
				strings.Contains(msg, "recovered by wazero") || strings.Contains(msg, "runtime error") {
				t.Fatalf("not a clean error: %v", err)
			}
			if n := logs.Load() - logs0; n > fuzzMaxLog {
				t.Fatalf("init logged %d bytes; the budget is %d", n, fuzzMaxLog)
			}
			if v, err := e.bystander.Lookup(ctx, connReq("pg")); err != nil || v != bystanderURI {
				t.Fatalf("the bystander no longer answers: %v", err)
			}
			return
		}
		defer func() {
			_ = tn.Close()
			if n := tn.MemoryBytes(); n != 0 {
				t.Fatalf("a closed tenant still holds %d bytes of linear memory", n)
			}
		}()
		if len(id) > int(bufSize) {
			id = id[:bufSize]
		}
		// init, the lookup, and an init again when the lookup broke the
		// instance.
		e.run(t, tn, name, resolver.KindConnection, id, 2)
	})
}

// FuzzResultInBuffer: an OK_IN_BUFFER answer (ABI v1.1) of n bytes of b,
// under each mode, in a 4 KiB buffer and a 32 KiB one (over the 4 KiB
// output limit). The host copies guest memory straight into the string it
// returns: it must be exactly the guest's bytes, a result that does not
// fit the buffer an ABI violation, one over the output limit
// RESOURCE_EXHAUSTED, and the next answer must not show the previous one.
func FuzzResultInBuffer(f *testing.F) {
	e := newABIFuzzEnv(f)
	const bigBuf, bigBufN = guestScratch, 32 << 10
	var tenants [2][numModes]*wasmhost.Tenant
	for big, kw := range [][]byte{
		guestKwargsFor(guestDefBuf, guestDefBufN, e.url, nil),
		guestKwargsFor(bigBuf, bigBufN, e.url, nil),
	} {
		for mode := range numModes {
			tn, err := e.h.NewTenant(context.Background(), e.m, e.config("fuzz", mode, kw))
			require.NoError(f, err)
			tenants[big][mode] = tn
		}
	}
	for _, s := range []struct {
		big  bool
		mode uint8
		n    uint32
	}{
		{false, modeMetered, 60}, {false, modeTrusted, 0}, {false, modeDeadline, guestDefBufN - 4},
		{false, modeMetered, guestDefBufN - 3}, {true, modeTrusted, fuzzMaxOutput}, {true, modeMetered, fuzzMaxOutput + 1},
		{true, modeDeadline, bigBufN - 4}, {true, modeTrusted, 0xFFFFFFFF},
	} {
		f.Add(s.big, s.mode, s.n, byte('p'))
	}
	f.Fuzz(func(t *testing.T, big bool, mode uint8, n uint32, b byte) {
		buf, bufN := uint32(guestDefBuf), uint32(guestDefBufN)
		if big {
			buf, bufN = bigBuf, bigBufN
		}
		if n>>24 == 0xFE {
			n &^= 0x01000000 // a program argument of 0xFEnnnnnn is a register: keep it a length
		}
		tn := tenants[map[bool]int{false: 0, true: 1}[big]][int(mode)%numModes]
		fill := min(n, bufN-4)
		p := prog().op(opFill, buf+4, int(b), fill).op(opStore, buf, n).ret(int(wasmhost.StatusOKInBuffer))
		v, err := tn.Lookup(context.Background(), connReq(p.String()))
		e.checkOutcome(t, tn, "fuzz", v, err)
		var ge *wasmhost.GuestError
		switch {
		case n > bufN-4:
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, wasmhost.StatusInternal, ge.Status)
			assert.Contains(t, ge.Msg, "does not fit")
		case n > fuzzMaxOutput:
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, wasmhost.StatusResourceExhausted, ge.Status)
			assert.Contains(t, ge.Msg, "exceeds the 4096-byte output limit")
		default:
			require.NoError(t, err)
			assert.Equal(t, strings.Repeat(string([]byte{b}), int(n)), v)
		}
		// The next answer is its own (a one-byte answer of another byte).
		next := prog().op(opStore, buf+4, int(b^0xFF)).op(opStore, buf, 1).ret(int(wasmhost.StatusOKInBuffer))
		v, err = tn.Lookup(context.Background(), connReq(next.String()))
		require.NoError(t, err)
		assert.Equal(t, string([]byte{b ^ 0xFF}), v)
	})
}
