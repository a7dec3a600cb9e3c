package wasmhost_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// Hostile lifecycles: a Host closed while guests run in its host functions
// (testdata/close_loop.wat), and WASI calls whose size the guest chooses.

// closeChildEnv names the test a child process runs (see inChild).
const closeChildEnv = "SECRETPATH_WASMHOST_CLOSE_CHILD"

// inChild runs the calling test in a child process (the test binary again,
// with closeChildEnv set to the test's name) and checks that it passed; it
// returns true in the child, which then runs the test's scenario. The
// scenarios of closing a Host under running calls used to crash the
// process (SIGSEGV in a host function reading guest memory that the close
// had unmapped): that must fail the test, not end the suite.
func inChild(t *testing.T) bool {
	t.Helper()
	if os.Getenv(closeChildEnv) == t.Name() {
		return true
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1", "-test.timeout=3m")
	cmd.Env = append(os.Environ(), closeChildEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	passed := strings.Contains(string(out), "--- PASS: "+t.Name())
	if err != nil || !passed {
		if len(out) > 8<<10 {
			out = append(out[:8<<10], "\n[cut]"...) // a crash's reason comes first
		}
		t.Errorf("the child process failed (%v):\n%s", err, out)
	}
	return false
}

// started reports, per name, that a call is under way: a tenant's guest
// logged "close_loop: running", or a request for /<name> reached
// gatedServer.
type started struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

func newStarted(names ...string) *started {
	s := &started{ch: map[string]chan struct{}{}}
	for _, name := range names {
		s.ch[name] = make(chan struct{})
	}
	return s
}

func (s *started) mark(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.ch[name]; ok {
		select {
		case <-c:
		default:
			close(c)
		}
	}
}

// wait fails the test unless name's call starts within hostLoopWall.
func (s *started) wait(t *testing.T, name string) {
	t.Helper()
	select {
	case <-s.ch[name]:
	case <-time.After(hostLoopWall):
		t.Fatalf("the call of %s did not start", name)
	}
}

func (s *started) Enabled(context.Context, slog.Level) bool { return true }
func (s *started) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *started) WithGroup(string) slog.Handler            { return s }
func (s *started) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message == "close_loop: running" {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "tenant" {
				s.mark(a.Value.String())
			}
			return true
		})
	}
	return nil
}

// gatedServer answers a request for /<name> (marking name started) only
// once its gate opens, or when the client gives up.
func gatedServer(t *testing.T, s *started) (srv *httptest.Server, open func()) {
	gate := make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mark(strings.TrimPrefix(r.URL.Path, "/"))
		select {
		case <-gate:
		case <-r.Context().Done():
		}
	}))
	var once sync.Once
	open = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(func() { open(); srv.Close() })
	return srv, open
}

// httpCall is a tenant of fuzz_guest.wasm whose lookup makes one request
// to srv's /<name> and returns NOT_FOUND.
func httpCall(srv *httptest.Server, name string) (wasmhost.TenantConfig, string) {
	return wasmhost.TenantConfig{
		Name: name, Kwargs: guestKwargsFor(guestDefBuf, guestDefBufN, srv.URL+"/"+name, nil),
		Limits: wasmhost.Limits{CallTimeout: time.Hour, PoolSize: 1},
		Capabilities: wasmhost.Capabilities{Env: []string{"UNUSED"}, Clock: true,
			HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{srv.Listener.Addr().String()}, Timeout: time.Hour}},
	}, prog().op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), 0, 0, 0, 0).ret(1).String()
}

// TestHostCloseDuringCalls: Host.Close while lookups run in the guest
// (looping on random_get, which writes all of guest memory, on fd_write,
// which reads it, or on nothing; or waiting for an HTTP response) must not
// free their memory under them. It stops the metered and deadline-only
// calls, each failing with an error that says the host closed (not a
// crash, not a hang, not a wait for the response); it waits for a trusted
// call, which nothing can stop, to finish; lookups waiting for an instance,
// and lookups and tenants started afterwards, are refused as "host is
// closed". A Tenant.Close and an EvictIdle made while the calls run change
// nothing for them. No goroutine is left behind. The scenario runs in a
// child process, since the failure it guards against killed the process.
func TestHostCloseDuringCalls(t *testing.T) {
	if !inChild(t) {
		return
	}
	for round := range 3 {
		t.Run(fmt.Sprintf("round%d", round), closeDuringCalls)
	}
	goleak.VerifyNone(t)
}

// closeDuringCalls is one round of TestHostCloseDuringCalls.
func closeDuringCalls(t *testing.T) {
	type call struct {
		tenant  string
		fixture string
		cfg     wasmhost.TenantConfig
		id      string
		stopped bool // stopped by the close (else it runs to its end)
	}
	long := wasmhost.Limits{CallTimeout: time.Hour, PoolSize: 1}
	logCap := wasmhost.Capabilities{Log: true}
	var calls []call
	var names []string
	for _, mode := range []string{"metered", "deadline", "trusted"} {
		for _, target := range []string{"r", "w", "p", "http"} {
			names = append(names, mode+"-"+target)
		}
	}
	s := newStarted(names...)
	srv, openGate := gatedServer(t, s)
	for _, mode := range []string{"metered", "deadline"} {
		for _, target := range []string{"r", "w", "p"} {
			name := mode + "-" + target
			calls = append(calls, call{tenant: name, fixture: "close_loop.wasm", id: target, stopped: true, cfg: wasmhost.TenantConfig{
				Name: name, Limits: long, Capabilities: logCap, DeadlineOnly: mode == "deadline",
			}})
		}
		cfg, id := httpCall(srv, mode+"-http")
		cfg.DeadlineOnly = mode == "deadline"
		calls = append(calls, call{tenant: cfg.Name, fixture: "fuzz_guest.wasm", id: id, stopped: true, cfg: cfg})
	}
	// A trusted call cannot be stopped: Close waits for it, and it waits
	// for the gate.
	cfg, id := httpCall(srv, "trusted-http")
	cfg.Trusted = true
	calls = append(calls, call{tenant: cfg.Name, fixture: "fuzz_guest.wasm", id: id, cfg: cfg})

	h, err := wasmhost.New(t.Context(), wasmhost.Options{Logger: slog.New(s)})
	require.NoError(t, err)
	mods := map[string]*wasmhost.Module{}
	tenants := make([]*wasmhost.Tenant, len(calls))
	for i, c := range calls {
		if mods[c.fixture] == nil {
			mods[c.fixture] = loadFixture(t, h, c.fixture)
		}
		tenants[i], err = h.NewTenant(t.Context(), mods[c.fixture], c.cfg)
		require.NoError(t, err, c.tenant)
		assert.Equal(t, !c.cfg.DeadlineOnly && !c.cfg.Trusted, tenants[i].Metered(), c.tenant)
	}

	type result struct {
		err  error
		done chan struct{} // closed when the lookup has returned
	}
	results := make([]*result, len(calls))
	waiting := make([]*result, len(calls)) // a second lookup each, waiting for the pool's one instance
	lookup := func(tn *wasmhost.Tenant, id string) *result {
		r := &result{done: make(chan struct{})}
		go func() {
			defer close(r.done)
			_, r.err = tn.Lookup(context.Background(), connReq(id))
		}()
		return r
	}
	await := func(r *result, what string) {
		t.Helper()
		select {
		case <-r.done:
		case <-time.After(hostLoopWall):
			t.Fatalf("%s did not return", what)
		}
	}
	for i, c := range calls {
		results[i] = lookup(tenants[i], c.id)
	}
	for i, c := range calls {
		s.wait(t, c.tenant)
		if c.stopped {
			waiting[i] = lookup(tenants[i], c.id)
		}
	}

	// Closing a tenant and evicting idle instances leave running calls be.
	require.NoError(t, tenants[2].Close())
	h.EvictIdle(t.Context(), 0)

	closeCtx, cancel := context.WithTimeout(t.Context(), hostLoopWall)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- h.Close(closeCtx) }()
	// The untrusted calls end without the gate: the close stops them.
	for i, c := range calls {
		if c.stopped {
			await(results[i], c.tenant)
			await(waiting[i], c.tenant+"'s waiting lookup")
		}
	}
	// Close waits for the trusted call, which waits for the gate (had it
	// closed the runtimes, the call would fail, or crash, below).
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a trusted call ran", err)
	case <-time.After(100 * time.Millisecond):
	}
	openGate()
	select {
	case err := <-closed:
		assert.NoError(t, err, "Close")
	case <-time.After(hostLoopWall + 5*time.Second):
		t.Fatal("Close did not return")
	}
	for i, c := range calls {
		await(results[i], c.tenant)
		err := results[i].err
		if !c.stopped {
			assert.ErrorIs(t, err, resolver.ErrNotFound, "%s ran to its end, on its runtime", c.tenant)
			continue
		}
		require.Error(t, err, c.tenant)
		assert.ErrorIs(t, err, wasmhost.ErrHostClosed, c.tenant)
		assert.Contains(t, err.Error(), "host closed during the call", c.tenant)
		assert.Contains(t, err.Error(), strconv.Quote(c.tenant), "the error names the tenant")
		w := waiting[i].err
		require.Error(t, w, "%s: a lookup waiting for an instance", c.tenant)
		assert.ErrorIs(t, w, wasmhost.ErrHostClosed, "%s: a lookup waiting for an instance", c.tenant)
	}
	for i, c := range calls {
		_, err := tenants[i].Lookup(t.Context(), varReq("1"))
		require.Error(t, err, "%s after Close", c.tenant)
		if i == 2 {
			continue // closed before: "tenant is closed"
		}
		assert.ErrorIs(t, err, wasmhost.ErrHostClosed, "%s after Close", c.tenant)
	}
	_, err = h.NewTenant(t.Context(), mods["close_loop.wasm"], calls[0].cfg)
	assert.Error(t, err, "a tenant after Close")
	for _, tn := range tenants {
		_ = tn.Close()
	}
	for _, m := range mods {
		_ = m.Close()
	}
	assert.NoError(t, h.Close(t.Context()), "a second Close")
}

// TestHostCloseGivesUpWithItsContext: a Host.Close whose context ends
// while a trusted call (which nothing stops) still runs returns the
// context's error and says so; lookups are refused meanwhile; the call
// ends normally and closes the runtimes, so that a later Close returns at
// once. It runs in a child process (inChild).
func TestHostCloseGivesUpWithItsContext(t *testing.T) {
	if !inChild(t) {
		return
	}
	s := newStarted("trusted")
	srv, openGate := gatedServer(t, s)
	h, err := wasmhost.New(t.Context(), wasmhost.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	cfg, id := httpCall(srv, "trusted")
	cfg.Trusted = true
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "fuzz_guest.wasm"), cfg)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := tn.Lookup(context.Background(), connReq(id))
		done <- err
	}()
	s.wait(t, "trusted")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = h.Close(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "1 call still running")
	_, err = tn.Lookup(t.Context(), varReq(""))
	assert.ErrorIs(t, err, wasmhost.ErrHostClosed, "refused while the close waits")
	openGate()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, resolver.ErrNotFound, "the trusted call ran to its end")
	case <-time.After(hostLoopWall):
		t.Fatal("the trusted lookup did not end")
	}
	// The call closed the runtimes as it ended: Close has nothing to wait for.
	ctx, cancel = context.WithTimeout(t.Context(), hostLoopWall)
	defer cancel()
	assert.NoError(t, h.Close(ctx))
}
