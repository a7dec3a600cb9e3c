package vault_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/resolver"
)

// TestHonoursContext: the backend promises to return once ctx is done
// when its Vault client sends through a net/http Transport, not through a
// RoundTripper of the caller's own.
func TestHonoursContext(t *testing.T) {
	withTransport := func(rt http.RoundTripper) func() *api.Config {
		return func() *api.Config {
			cfg := api.DefaultConfig()
			cfg.HttpClient.Transport = rt
			return cfg
		}
	}
	for _, tc := range []struct {
		name string
		cfg  func() *api.Config
		want bool
	}{
		{"own configuration", func() *api.Config { return nil }, true},
		{"caller's DefaultConfig", api.DefaultConfig, true},
		{"caller's *http.Transport", withTransport(&http.Transport{}), true},
		{"caller's nil Transport", withTransport(nil), true},
		{"caller's RoundTripper", withTransport(kittest.StallingTransport{}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := vault.New(vault.Options{Address: "http://127.0.0.1:1", Config: tc.cfg(), Auth: vault.Auth{Type: vault.AuthToken, Token: "s.token"}})
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })
			assert.Equal(t, tc.want, b.HonoursContext())
		})
	}
}

// vaultServer answers a token's lookup-self and gives every other request
// to read.
func vaultServer(t *testing.T, read http.HandlerFunc) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/auth/token/lookup-self") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"data":{"renewable":false,"ttl":0}}`))
			return
		}
		select {
		case <-release:
		default:
			read(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // before Close, which waits for the handlers
	return srv.URL
}

// TestLookupEndsWithContext: Lookup and Connection of a backend that
// declares the promise end with the caller's cancellation while a login
// never answers, while a read never answers, and while the Vault client
// waits to retry a 503. The bound is a hang detector, not a timing
// assertion.
func TestLookupEndsWithContext(t *testing.T) {
	stalled := vaultServer(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	unavailable := vaultServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	slowRetries := func() *api.Config {
		cfg := api.DefaultConfig()
		cfg.MinRetryWait, cfg.MaxRetryWait, cfg.MaxRetries = time.Minute, time.Minute, 3
		return cfg
	}
	for _, tc := range []struct {
		name string
		o    vault.Options
	}{
		{"approle login never answers", vault.Options{Address: kittest.SilentServer(t), Auth: vault.Auth{Type: vault.AuthAppRole, RoleID: "r", SecretID: "s"}}},
		{"token lookup-self never answers", vault.Options{Address: kittest.SilentServer(t), Auth: vault.Auth{Type: vault.AuthToken, Token: "s.token"}}},
		{"read never answers", vault.Options{Address: stalled, Auth: vault.Auth{Type: vault.AuthToken, Token: "s.token"}}},
		{"waiting to retry", vault.Options{Address: unavailable, Config: slowRetries(), Auth: vault.Auth{Type: vault.AuthToken, Token: "s.token"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Timeout = time.Hour
			b, err := vault.New(tc.o)
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })
			require.True(t, b.HonoursContext())
			calls := map[string]func(context.Context) error{
				"Lookup connection": func(ctx context.Context) error { _, err := b.Lookup(ctx, connReq("c")); return err },
				"Lookup variable":   func(ctx context.Context) error { _, err := b.Lookup(ctx, varReq("v")); return err },
				"Connection":        func(ctx context.Context) error { _, err := b.Connection(ctx, connReq("c")); return err },
			}
			for name, call := range calls {
				kittest.EndsWithContext(t, name, call)
			}
		})
	}
}

var _ resolver.ConnectionBackend = (*vault.Backend)(nil)
