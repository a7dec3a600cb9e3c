package wasmhost_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/wasmhost"
)

// Programs for fuzz_guest whose result is a status word (the i32 an import
// returned, little-endian) followed by up to 64 bytes the import wrote.

func envProg(name string) string {
	p := prog().op(opFill, reg(rScratch), 0, 68)
	p.op(opEnvGet, p.lit(name), len(name), guestScratch+4, 64)
	return p.op(opStore, reg(rScratch), reg(rLast)).op(opResultSet, reg(rScratch), 68).ret(0).String()
}

func httpProg(url string) string {
	p := prog().op(opFill, reg(rScratch), 0, 68)
	p.op(opHTTPRequest, reg(rGET), reg(rGETLen), p.lit(url), len(url), reg(rHeaders), reg(rHdrLen), 0, 0)
	p.op(opStore, reg(rScratch), reg(rLast))
	return p.op(opHTTPBody, guestScratch+4, 64).op(opResultSet, reg(rScratch), 68).ret(0).String()
}

// statusWord splits such a result.
func statusWord(t *testing.T, v string) (int32, string) {
	t.Helper()
	require.Len(t, v, 68)
	return int32(binary.LittleEndian.Uint32([]byte(v))), strings.TrimRight(v[4:], "\x00")
}

var (
	kwargsProg  = prog().op(opKwargsRead, reg(rScratch), 16384).op(opResultSet, reg(rScratch), reg(rLast)).ret(0).String()
	memDumpProg = prog().op(opResultSet, 0, reg(rMemSize)).ret(0).String()
)

// isoTenant is one of two tenants made from the same module, each with its
// own kwargs, env allow-list and HTTP allow-list.
type isoTenant struct {
	name, secret, envVar, envValue string
	srv                            *httptest.Server
	kwargs                         []byte
	tn                             *wasmhost.Tenant
}

func newIsoTenants(t *testing.T, h *wasmhost.Host, m *wasmhost.Module) [2]*isoTenant {
	var out [2]*isoTenant
	for i, name := range []string{"tenant-a", "tenant-b"} {
		it := &isoTenant{
			name: name, secret: fmt.Sprintf("kwargs-S3cret-of-%s", name),
			envVar: fmt.Sprintf("SECRETPATH_ISO_%d", i), envValue: fmt.Sprintf("env-S3cret-of-%s", name),
		}
		t.Setenv(it.envVar, it.envValue)
		it.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("served " + name))
		}))
		t.Cleanup(it.srv.Close)
		// The secret rides in the kwargs after the init program's return.
		it.kwargs = guestKwargsFor(guestDefBuf, guestDefBufN, it.srv.URL, append(prog().ret(0).bytes(), it.secret...))
		var err error
		it.tn, err = h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
			Name: name, Kwargs: it.kwargs,
			Limits: wasmhost.Limits{MaxOutputBytes: 1 << 20},
			Capabilities: wasmhost.Capabilities{
				Env: []string{it.envVar}, Clock: true,
				HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{it.srv.Listener.Addr().String()}},
			},
		})
		require.NoError(t, err)
		out[i] = it
	}
	return out
}

// TestTenantIsolation: two tenants of one module, on one host, each granted
// its own env variable and HTTP server, see their own kwargs, env, HTTP
// allow-list, results and memory and nothing of the other's, including
// while both are hammered concurrently.
func TestTenantIsolation(t *testing.T) {
	h := newHost(t)
	m := loadFixture(t, h, "fuzz_guest.wasm")
	ts := newIsoTenants(t, h, m)
	ctx := t.Context()

	for i, self := range ts {
		other := ts[1-i]
		t.Run(self.name, func(t *testing.T) {
			v, err := self.tn.Lookup(ctx, connReq(kwargsProg))
			require.NoError(t, err)
			assert.Equal(t, string(self.kwargs), v, "kwargs_read gives the tenant's own kwargs, verbatim")

			v, err = self.tn.Lookup(ctx, connReq(envProg(self.envVar)))
			require.NoError(t, err)
			n, val := statusWord(t, v)
			assert.Equal(t, int32(len(self.envValue)), n)
			assert.Equal(t, self.envValue, val)
			v, err = self.tn.Lookup(ctx, connReq(envProg(other.envVar)))
			require.NoError(t, err)
			n, val = statusWord(t, v)
			assert.Equal(t, int32(-1), n, "another tenant's env variable is unset for this one")
			assert.Empty(t, val)

			v, err = self.tn.Lookup(ctx, connReq(httpProg(self.srv.URL+"/")))
			require.NoError(t, err)
			n, val = statusWord(t, v)
			assert.Equal(t, int32(200), n)
			assert.Equal(t, "served "+self.name, val)
			v, err = self.tn.Lookup(ctx, connReq(httpProg(other.srv.URL+"/")))
			require.NoError(t, err)
			n, val = statusWord(t, v)
			assert.Equal(t, int32(-4), n, "another tenant's allow-list does not apply")
			assert.Empty(t, val)
		})
	}

	// Results and memory, under load: each tenant writes its secrets into
	// its memory and returns them, while the other dumps its own memory and
	// asks for a result it never set.
	var wg sync.WaitGroup
	var bad atomic.Value
	fail := func(format string, args ...any) { bad.CompareAndSwap(nil, fmt.Sprintf(format, args...)) }
	for i, self := range ts {
		other := ts[1-i]
		write := prog()
		write.op(opEnvGet, write.lit(self.envVar), len(self.envVar), reg(rScratch), 64)
		write.op(opKwargsRead, guestScratch+1024, 16384)
		secretResult := "result-S3cret-of-" + self.name
		write = write.set(secretResult).ret(0)
		noResult := prog().ret(0).String()
		wg.Go(func() {
			for range 200 {
				v, err := self.tn.Lookup(ctx, connReq(write.String()))
				if err != nil || v != secretResult {
					fail("%s: %q %v", self.name, v, err)
					return
				}
				dump, err := self.tn.Lookup(ctx, varReq(memDumpProg))
				if err != nil || len(dump) != guestPageSize {
					fail("%s: dump of %d bytes, %v", self.name, len(dump), err)
					return
				}
				for _, leak := range []string{other.secret, other.envValue, "result-S3cret-of-" + other.name} {
					if strings.Contains(dump, leak) {
						fail("%s's memory holds %q", self.name, leak)
						return
					}
				}
				_, err = self.tn.Lookup(ctx, cfgReq(noResult))
				if err == nil || strings.Contains(err.Error(), "S3cret") {
					fail("%s: OK without result_set answered %v", self.name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	assert.Nil(t, bad.Load())
}

// TestNoDataCarriedAcrossTenants: a tenant's memory, filled with a marker
// and then freed (evicted, closed), never shows up in the memory of a tenant
// created afterwards from the same module, whatever it grows to. Pools are
// per tenant: instances are never handed from one tenant to another.
func TestNoDataCarriedAcrossTenants(t *testing.T) {
	const pages = 16
	h := newHost(t)
	m := loadFixture(t, h, "fuzz_guest.wasm")
	cfg := func(name string) wasmhost.TenantConfig {
		return wasmhost.TenantConfig{
			Name: name, Kwargs: guestKwargsFor(guestDefBuf, guestDefBufN, "", nil),
			Limits: wasmhost.Limits{MemoryPages: pages, MaxOutputBytes: pages * guestPageSize, PoolSize: 2},
			Capabilities: wasmhost.Capabilities{Env: []string{"UNUSED"}, Clock: true,
				HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1:9"}}},
		}
	}
	// Fill everything but the running program (8192..16383).
	fill := prog().op(opGrow, pages-1).op(opFill, 0, 0xA5, guestProgBase).
		op(opFill, guestKwargs, 0xA5, pages*guestPageSize-guestKwargs).set("filled").ret(0).String()
	dump := prog().op(opGrow, pages-1).op(opResultSet, 0, reg(rMemSize)).ret(0).String()
	marker := strings.Repeat("\xa5", 64)

	for round := range 3 {
		a, err := h.NewTenant(t.Context(), m, cfg("filler"))
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 2 { // both pooled instances
			wg.Go(func() {
				v, err := a.Lookup(t.Context(), connReq(fill))
				assert.NoError(t, err)
				assert.Equal(t, "filled", v)
			})
		}
		wg.Wait()
		assert.Positive(t, a.Evict(t.Context()))
		require.NoError(t, a.Close())

		b, err := h.NewTenant(t.Context(), m, cfg("reader"))
		require.NoError(t, err)
		for range 2 {
			v, err := b.Lookup(t.Context(), connReq(dump))
			require.NoError(t, err)
			require.Len(t, v, pages*guestPageSize)
			assert.False(t, strings.Contains(v, marker), "round %d: the new tenant's memory holds the previous tenant's bytes", round)
		}
		require.NoError(t, b.Close())
	}
}

// TestCapabilitiesDenyByDefault: a module that imports a capability's
// functions is refused when its tenant lacks that one grant, whatever else
// it is granted, before any of its code runs (the init program would make
// an HTTP request).
func TestCapabilitiesDenyByDefault(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	h := newHost(t)
	m := loadFixture(t, h, "fuzz_guest.wasm")
	assert.Equal(t, []string{wasmhost.CapClock, wasmhost.CapEnv, wasmhost.CapHTTP}, m.Info().Capabilities)
	initReq := prog().op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), 0, 0, 0, 0).ret(0).bytes()
	kwargs := guestKwargsFor(guestDefBuf, guestDefBufN, srv.URL+"/", initReq)
	all := func() wasmhost.Capabilities {
		return wasmhost.Capabilities{
			Log: true, Random: true, Clock: true, Env: []string{"HOME"},
			HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{srv.Listener.Addr().String()}},
		}
	}
	tests := []struct {
		missing string
		caps    func(c *wasmhost.Capabilities)
	}{
		{wasmhost.CapEnv, func(c *wasmhost.Capabilities) { c.Env = nil }},
		{wasmhost.CapEnv, func(c *wasmhost.Capabilities) { c.Env = []string{} }},
		{wasmhost.CapClock, func(c *wasmhost.Capabilities) { c.Clock = false }},
		{wasmhost.CapHTTP, func(c *wasmhost.Capabilities) { c.HTTP = nil }},
		{wasmhost.CapClock, func(c *wasmhost.Capabilities) { *c = wasmhost.Capabilities{} }},
	}
	for _, tt := range tests {
		t.Run(tt.missing, func(t *testing.T) {
			caps := all()
			tt.caps(&caps)
			tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "denied", Kwargs: kwargs, Capabilities: caps})
			require.Error(t, err)
			assert.Nil(t, tn)
			assert.Contains(t, err.Error(), fmt.Sprintf(`wasm tenant "denied" (module %s): module imports %s functions but the tenant is not granted %q`, m.ID(), tt.missing, tt.missing))
		})
	}
	assert.Zero(t, hits.Load(), "a refused tenant's code never ran")

	tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "granted", Kwargs: kwargs, Capabilities: all()})
	require.NoError(t, err)
	assert.Equal(t, int64(1), hits.Load(), "with every grant, init ran and made its request")
	v, err := tn.Lookup(t.Context(), connReq(pingProg))
	require.NoError(t, err)
	assert.Equal(t, "pong", v)
}

// TestHTTPAllowListAfterDNS: an allow-listed name whose resolution points at
// the host's own network is refused, whatever form the address takes, and
// the server is never reached; IP literals and "localhost" are allowed only
// for what they name. The addresses are chosen so that even a host that
// failed to check would not send a packet off this machine (fe80::1 without
// a zone cannot be dialled).
func TestHTTPAllowListAfterDNS(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("reached"))
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	h := newHost(t)
	m := loadFixture(t, h, "cap_http.wasm")
	tenant := func(answers []string, allow ...string) *wasmhost.Tenant {
		lookupIP := func(_ context.Context, host string) ([]netip.Addr, error) {
			if ip, err := netip.ParseAddr(host); err == nil {
				return []netip.Addr{ip}, nil
			}
			if answers == nil {
				return nil, errors.New("no such host")
			}
			var ips []netip.Addr
			for _, a := range answers {
				ips = append(ips, netip.MustParseAddr(a))
			}
			return ips, nil
		}
		tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
			Name: "dns", Capabilities: wasmhost.Capabilities{HTTP: &wasmhost.HTTPCapability{AllowHosts: allow, LookupIP: lookupIP}},
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = tn.Close() })
		return tn
	}
	url := func(host string) string { return fmt.Sprintf("http://%s:%d/", host, port) }
	denied := []string{"host not allowed (-4)"}
	tests := []struct {
		name    string
		answers []string // what the resolver says for any name
		allow   string
		url     string
		want    string // the body, or "" for denied
		errHas  []string
	}{
		{"name to loopback", []string{"127.0.0.1"}, "svc.test", url("svc.test"), "", denied},
		{"name to other loopback", []string{"127.0.0.2"}, "svc.test", url("svc.test"), "", denied},
		{"name to unspecified", []string{"0.0.0.0"}, "svc.test", url("svc.test"), "", denied},
		{"name to IPv6 loopback", []string{"::1"}, "svc.test", url("svc.test"), "", denied},
		{"name to IPv4-mapped loopback", []string{"::ffff:127.0.0.1"}, "svc.test", url("svc.test"), "", denied},
		{"name to IPv6 unspecified", []string{"::"}, "svc.test", url("svc.test"), "", denied},
		{"name to link-local", []string{"fe80::1"}, "svc.test", url("svc.test"), "", denied},
		{"name, every answer special", []string{"0.0.0.0", "fe80::1", "127.0.0.1"}, "svc.test", url("svc.test"), "", denied},
		{"name resolving to nothing", []string{}, "svc.test", url("svc.test"), "", denied},
		{"name not resolving", nil, "svc.test", url("svc.test"), "", []string{"network failure or timeout (-3)"}},
		{"case and trailing dot do not skip the check", []string{"127.0.0.1"}, "svc.test", url("SVC.test."), "", denied},
		{"localhost to unspecified", []string{"0.0.0.0"}, "localhost", url("localhost"), "", denied},
		{"localhost to link-local", []string{"fe80::1"}, "localhost", url("localhost"), "", denied},
		{"localhost to loopback", []string{"0.0.0.0", "127.0.0.1"}, "localhost", url("localhost"), "reached", nil},
		{"literal allows itself", nil, fmt.Sprintf("127.0.0.1:%d", port), url("127.0.0.1"), "reached", nil},
		{"literal does not allow another loopback", nil, "127.0.0.1", url("127.0.0.2"), "", denied},
		{"literal does not allow a mapped form", nil, "127.0.0.1", fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", port), "", denied},
		{"literal does not allow a decimal form", nil, "127.0.0.1", fmt.Sprintf("http://2130706433:%d/", port), "", denied},
		{"port must match", nil, "127.0.0.1:1", url("127.0.0.1"), "", denied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hits.Load()
			tn := tenant(tt.answers, tt.allow)
			v, err := tn.Lookup(t.Context(), connReq(tt.url))
			if tt.want != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, v)
				return
			}
			require.Error(t, err)
			for _, s := range tt.errHas {
				assert.Contains(t, err.Error(), s)
			}
			assert.Equal(t, before, hits.Load(), "the server was not reached")
		})
	}
}

// TestHTTPRequestBoundedByCall: an HTTP request never outlives the call that
// made it: a request to a server that does not answer ends at the tenant's
// call deadline (not at the longer HTTP timeout), and at once when the
// caller gives up, whether the tenant is fuel-metered or deadline-bound.
// The server holds each request until the request is abandoned (or 30 s).
func TestHTTPRequestBoundedByCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
			_, _ = w.Write([]byte("too late"))
		}
	}))
	defer srv.Close()
	h := newHost(t)
	m := loadFixture(t, h, "cap_http.wasm")
	for _, deadline := range []bool{false, true} {
		t.Run(map[bool]string{false: "metered", true: "deadline"}[deadline], func(t *testing.T) {
			tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
				Name: "hanging", DeadlineOnly: deadline, Limits: wasmhost.Limits{CallTimeout: hostileTimeout},
				Capabilities: wasmhost.Capabilities{HTTP: &wasmhost.HTTPCapability{
					AllowHosts: []string{srv.Listener.Addr().String()}, Timeout: 25 * time.Second,
				}},
			})
			require.NoError(t, err)
			assert.Equal(t, !deadline, tn.Metered())
			_, err = tn.Lookup(t.Context(), connReq(srv.URL+"/hang"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "RESOURCE_EXHAUSTED: exceeded the 300ms time limit")

			slow, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
				Name: "abandoned", DeadlineOnly: deadline, Limits: wasmhost.Limits{CallTimeout: time.Minute},
				Capabilities: wasmhost.Capabilities{HTTP: &wasmhost.HTTPCapability{
					AllowHosts: []string{srv.Listener.Addr().String()}, Timeout: 25 * time.Second,
				}},
			})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(50*time.Millisecond, cancel)
			_, err = slow.Lookup(ctx, connReq(srv.URL+"/hang"))
			assert.ErrorIs(t, err, context.Canceled)
			_, err = slow.Lookup(t.Context(), varReq("ftp://x"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "bad request (-2)", "the tenant serves the next call")
		})
	}
}
