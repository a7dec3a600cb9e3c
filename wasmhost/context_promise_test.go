package wasmhost_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// TestHonoursContext: untrusted tenants (metered, and deadline-only)
// promise to return once ctx is done; a trusted tenant, whose guest no
// context can stop, does not.
func TestHonoursContext(t *testing.T) {
	h := newHost(t)
	m := loadFixture(t, h, "loop_lookup.wasm")
	for _, tc := range []struct {
		name string
		cfg  wasmhost.TenantConfig
		want bool
	}{
		{"metered (the default)", wasmhost.TenantConfig{}, true},
		{"deadline-only", wasmhost.TenantConfig{DeadlineOnly: true}, true},
		{"trusted", wasmhost.TenantConfig{Trusted: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Name = "promise"
			tn, err := h.NewTenant(t.Context(), m, tc.cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = tn.Close() })
			assert.Equal(t, tc.want, tn.HonoursContext())
		})
	}
}

// silentAddr accepts connections and never answers; it returns host:port.
func silentAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return ln.Addr().String()
}

// TestLookupEndsWithContext: in every mode that declares the promise, a
// lookup ends with its caller's cancellation while the guest spins, spins
// in host calls, or waits for an HTTP server that never answers, long
// before the tenant's time limit. The bound is a hang detector, not a
// timing assertion.
func TestLookupEndsWithContext(t *testing.T) {
	h := newHost(t)
	addr := silentAddr(t)
	httpCaps := wasmhost.Capabilities{HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{addr}, Timeout: time.Hour}}
	for _, mode := range []struct {
		name string
		cfg  wasmhost.TenantConfig
	}{
		{"metered", wasmhost.TenantConfig{}},
		{"deadline-only", wasmhost.TenantConfig{DeadlineOnly: true}},
	} {
		for _, tc := range []struct {
			name, fixture string
			caps          wasmhost.Capabilities
			req           resolver.Request
		}{
			{"guest spins", "loop_lookup.wasm", wasmhost.Capabilities{}, connReq("x")},
			{"guest spins in host calls", "host_loop.wasm", wasmhost.Capabilities{}, connReq("k")},
			{"HTTP server never answers", "cap_http.wasm", httpCaps, connReq("http://" + addr + "/" + url.PathEscape("secret"))},
		} {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				cfg := mode.cfg
				cfg.Name, cfg.Capabilities = "promise", tc.caps
				cfg.Limits = wasmhost.Limits{CallTimeout: time.Hour}
				tn, err := h.NewTenant(t.Context(), loadFixture(t, h, tc.fixture), cfg)
				require.NoError(t, err)
				t.Cleanup(func() { _ = tn.Close() })
				require.True(t, tn.HonoursContext())
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				time.AfterFunc(50*time.Millisecond, cancel)
				done := make(chan error, 1)
				go func() {
					_, err := tn.Lookup(ctx, tc.req)
					done <- err
				}()
				select {
				case err := <-done:
					assert.True(t, errors.Is(err, context.Canceled), "%v", err)
				case <-time.After(10 * time.Second):
					t.Fatal("Lookup did not return 10 s after its context was cancelled")
				}
			})
		}
	}
}
