package wasmhost_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestCapabilityEnv(t *testing.T) {
	t.Setenv("SECRETPATH_TEST_ALLOWED", "allowed-value")
	t.Setenv("SECRETPATH_TEST_HIDDEN", "hidden-value")
	t.Setenv("SECRETPATH_TEST_BIG", strings.Repeat("x", 200_000))
	h := newHost(t)
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "cap_env.wasm"), wasmhost.TenantConfig{
		Name:         "env",
		Capabilities: wasmhost.Capabilities{Env: []string{"SECRETPATH_TEST_ALLOWED", "SECRETPATH_TEST_BIG", "SECRETPATH_TEST_UNSET"}},
	})
	require.NoError(t, err)
	runLookups(t, tn, []lookupCase{
		{kind: conn, id: "SECRETPATH_TEST_ALLOWED", wantOK: true, want: "allowed-value"},
		{kind: conn, id: "SECRETPATH_TEST_HIDDEN", isNF: true}, // set, but not on the tenant's list
		{kind: conn, id: "SECRETPATH_TEST_UNSET", isNF: true},
		{kind: conn, id: "SECRETPATH_TEST_BIG", errHas: []string{"RESOURCE_EXHAUSTED"}},
	})
}

func TestCapabilityHTTP(t *testing.T) {
	var hits sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Store(r.URL.Path, true)
		switch r.URL.Path {
		case "/ok":
			assert.Equal(t, "text/plain", r.Header.Get("Accept"))
			w.Header().Set("X-Secret", "from-header")
			_, _ = w.Write([]byte("from-body"))
		case "/redirect":
			http.Redirect(w, r, "/redirect-target", http.StatusFound)
		case "/redirect-target":
			_, _ = w.Write([]byte("followed"))
		case "/big":
			_, _ = w.Write(bytes.Repeat([]byte("b"), 2<<20))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	port := addr[strings.LastIndexByte(addr, ':')+1:]

	var logs syncBuffer
	h, err := wasmhost.New(t.Context(), wasmhost.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer h.Close(context.Background())
	m := loadFixture(t, h, "cap_http.wasm")
	// rebind.test resolves to loopback: a name an attacker re-points.
	fakeDNS := func(ctx context.Context, host string) ([]netip.Addr, error) {
		if host == "rebind.test" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}
	tenant := func(allow ...string) *wasmhost.Tenant {
		tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
			Name: "http", Capabilities: wasmhost.Capabilities{HTTP: &wasmhost.HTTPCapability{AllowHosts: allow, LookupIP: fakeDNS}},
		})
		require.NoError(t, err)
		return tn
	}

	tn := tenant(addr)
	runLookups(t, tn, []lookupCase{
		{kind: conn, id: srv.URL + "/ok", wantOK: true, want: "from-body"},
		{kind: vari, id: srv.URL + "/ok", wantOK: true, want: "from-header"},
		{kind: conn, id: srv.URL + "/missing", isNF: true},
		{kind: conn, id: srv.URL + "/redirect", errHas: []string{"UNAVAILABLE", "upstream returned a status other than 200 or 404"}},
		{kind: conn, id: srv.URL + "/big", errHas: []string{"UNAVAILABLE", "network failure or timeout (-3)"}},
		{kind: conn, id: "http://127.0.0.2:" + port + "/ok", errHas: []string{"host not allowed (-4)"}},
		{kind: conn, id: "ftp://" + addr + "/ok", errHas: []string{"bad request (-2)"}},
		{kind: conn, id: "http://user:pw@" + addr + "/ok", errHas: []string{"bad request (-2)"}},
	})
	_, reached := hits.Load("/redirect")
	require.True(t, reached, "the redirect was requested")
	_, followed := hits.Load("/redirect-target")
	assert.False(t, followed, "the host does not follow redirects")
	assert.Contains(t, logs.String(), "is not on the allow-list")

	// A name that resolves to loopback is refused unless the entry is the
	// loopback literal itself (or "localhost"): no rebinding into the host.
	byName := tenant("rebind.test:" + port)
	runLookups(t, byName, []lookupCase{
		{kind: conn, id: "http://rebind.test:" + port + "/ok", errHas: []string{"host not allowed (-4)"}},
	})
	assert.Contains(t, logs.String(), "resolves to an address that is not allowed")
	localhost := tenant("localhost:" + port)
	runLookups(t, localhost, []lookupCase{
		{kind: conn, id: "http://localhost:" + port + "/ok", wantOK: true, want: "from-body"},
	})
}

func TestCapabilityClockAndWASISandbox(t *testing.T) {
	h := newHost(t)
	clock, err := h.NewTenant(t.Context(), loadFixture(t, h, "cap_clock.wasm"), wasmhost.TenantConfig{
		Name: "clock", Capabilities: wasmhost.Capabilities{Clock: true},
	})
	require.NoError(t, err)
	a, err := clock.Lookup(t.Context(), varReq("x"))
	require.NoError(t, err)
	b, err := clock.Lookup(t.Context(), varReq("x"))
	require.NoError(t, err)
	an, _ := strconv.ParseUint(a, 10, 64)
	bn, _ := strconv.ParseUint(b, 10, 64)
	assert.LessOrEqual(t, an, bn, "monotonic")

	m := loadFixture(t, h, "wasi.wasm")
	probe := func(caps wasmhost.Capabilities, id string) string {
		tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "wasi", Capabilities: caps})
		require.NoError(t, err)
		defer tn.Close()
		v, err := tn.Lookup(t.Context(), connReq(id))
		require.NoError(t, err)
		return v
	}
	fixedRandom := probe(wasmhost.Capabilities{}, "random")
	assert.Equal(t, fixedRandom, probe(wasmhost.Capabilities{}, "random"), "without the grant the random source is fixed")
	assert.NotEqual(t, probe(wasmhost.Capabilities{Random: true}, "random"), probe(wasmhost.Capabilities{Random: true}, "random"))
	assert.Equal(t, "0 1640995200000000000", probe(wasmhost.Capabilities{}, "clock"), "without the grant the wall clock is fake")
	assert.NotEqual(t, "0 1640995200000000000", probe(wasmhost.Capabilities{Clock: true}, "clock"))
}

func TestCapabilityLog(t *testing.T) {
	var logs syncBuffer
	h, err := wasmhost.New(t.Context(), wasmhost.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	defer h.Close(context.Background())
	m := loadFixture(t, h, "reference.wasm")
	long := strings.Repeat("L", 6000)
	for _, granted := range []bool{false, true} {
		tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
			Name: "logger", Kwargs: []byte(`{"log": "` + long + `"}`), Capabilities: wasmhost.Capabilities{Log: granted},
		})
		require.NoError(t, err)
		_, err = tn.Lookup(t.Context(), connReq("absent"))
		require.ErrorIs(t, err, resolver.ErrNotFound)
	}
	out := logs.String()
	assert.Equal(t, 1, strings.Count(out, "tenant=logger"), "one line, only when granted")
	assert.Contains(t, out, strings.Repeat("L", wasmhost.DefaultMaxLogBytes))
	assert.NotContains(t, out, strings.Repeat("L", wasmhost.DefaultMaxLogBytes+1), "cut at the per-call budget")

	// stdout and stderr reach the log at debug level with the grant.
	logs.mu.Lock()
	logs.b.Reset()
	logs.mu.Unlock()
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "wasi.wasm"), wasmhost.TenantConfig{Name: "stdio", Capabilities: wasmhost.Capabilities{Log: true}})
	require.NoError(t, err)
	_, err = tn.Lookup(t.Context(), connReq("write"))
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "hello from wasi stdout")
	assert.Contains(t, logs.String(), "level=DEBUG")
}
