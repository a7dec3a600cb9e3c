package azurekeyvault_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// authorizedGets returns the vault requests that carried a token (the
// challenge's first, unauthenticated request left out).
func authorizedGets(f *azurefake.Server) []azurefake.Request {
	var out []azurefake.Request
	for _, r := range f.Requests() {
		if r.Kind == azurefake.KindGetSecret && r.Authorized {
			out = append(out, r)
		}
	}
	return out
}

func lookupVar(t *testing.T, b resolver.Backend, id string) (string, error) {
	t.Helper()
	return b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: id})
}

// TestClientOptionsRetries: retry_total, retry_backoff_factor and
// retry_mode reach azcore's retry policy: the vault sees 1 + retry_total
// attempts on a 500 (the delays themselves: TestRetryDelays).
func TestClientOptionsRetries(t *testing.T) {
	tests := []struct {
		name     string
		kw       map[string]any
		attempts int
	}{
		{name: "retry_total 0: one attempt", kw: map[string]any{"retry_total": 0}, attempts: 1},
		{name: "retry_total 2", kw: map[string]any{"retry_total": 2, "retry_backoff_factor": 0.001}, attempts: 3},
		{name: "retry_total as a string", kw: map[string]any{"retry_total": "1", "retry_backoff_factor": "0.001"}, attempts: 2},
		// retry_total 4, but azure-core's retry_status (default 3) caps the retries of an answer.
		{name: "backoff factor 0", kw: map[string]any{"retry_total": 4, "retry_backoff_factor": 0}, attempts: 4},
		{name: "fixed mode", kw: map[string]any{"retry_total": 3, "retry_backoff_factor": 0.01, "retry_mode": "Fixed"}, attempts: 4},
		{name: "retry_backoff_max 0", kw: map[string]any{"retry_total": 3, "retry_backoff_factor": 5, "retry_backoff_max": 0}, attempts: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			f.AddFault(azurefake.Fault{Status: http.StatusInternalServerError, Code: "InternalError"})
			b := mustOpen(t, fakeKwargs(t, f, tt.kw))
			_, err := lookupVar(t, b, "k")
			require.Error(t, err)
			assert.Len(t, authorizedGets(f), tt.attempts)
		})
	}
}

// TestClientOptionsHeaders: headers and user_agent are seen by the vault
// (user_agent before the SDK's own, as azure-core puts it), and not by
// the token endpoint (Airflow gives the credential none of them).
func TestClientOptionsHeaders(t *testing.T) {
	tests := []struct {
		name   string
		kw     map[string]any
		header map[string]string // exact values on the vault's requests
		uaPre  string            // User-Agent prefix
	}{
		{name: "none", kw: nil, uaPre: "azsdk-go-azsecrets/"},
		{name: "headers", kw: map[string]any{"headers": map[string]any{"X-Team": "data", "x-ms-client-request-tag": "af"}},
			header: map[string]string{"X-Team": "data", "X-Ms-Client-Request-Tag": "af"}, uaPre: "azsdk-go-azsecrets/"},
		{name: "user_agent longer than azcore's 24-character application id", kw: map[string]any{"user_agent": "airflow-secrets-backend/3.1.0 (team a)"},
			uaPre: "airflow-secrets-backend/3.1.0 (team a) azsdk-go-azsecrets/"},
		{name: "both", kw: map[string]any{"user_agent": "af", "headers": map[string]any{"X-A": "1"}},
			header: map[string]string{"X-A": "1"}, uaPre: "af azsdk-go-azsecrets/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			b := mustOpen(t, fakeKwargs(t, f, tt.kw))
			v, err := lookupVar(t, b, "k")
			require.NoError(t, err)
			assert.Equal(t, "v", v)
			var vault int
			for _, r := range f.Requests() {
				switch r.Kind {
				case azurefake.KindGetSecret:
					vault++
					for k, want := range tt.header {
						assert.Equal(t, want, r.Header.Get(k), k)
					}
					assert.True(t, strings.HasPrefix(r.Header.Get("User-Agent"), tt.uaPre), r.Header.Get("User-Agent"))
				case azurefake.KindToken:
					for k := range tt.header {
						assert.Empty(t, r.Header.Get(k), "token request got %s", k)
					}
				}
			}
			assert.Equal(t, 2, vault, "the challenge and the authorized request")
		})
	}
}

// TestClientOptionsReadTimeout: read_timeout bounds the wait for the
// vault's answer, well inside timeout_seconds.
func TestClientOptionsReadTimeout(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-variables-k", "v")
	f.AddFault(azurefake.Fault{Hang: true})
	b := mustOpen(t, fakeKwargs(t, f, map[string]any{"read_timeout": 0.2, "retry_total": 0, "timeout_seconds": 20}))
	_, err := lookupVar(t, b, "k")
	require.Error(t, err)
	// Not timeout_seconds (20 s) ending it: the transport's own timeout.
	assert.Contains(t, err.Error(), "timeout awaiting response headers")
}

// TestClientOptionsConnectionTimeout: connection_timeout bounds the TLS
// handshake with a vault that accepts and never answers.
func TestClientOptionsConnectionTimeout(t *testing.T) {
	f := newFake(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	b := mustOpen(t, fakeKwargs(t, f, map[string]any{
		"vault_url": "https://" + ln.Addr().String() + "/", "connection_timeout": 0.2, "retry_total": 0, "timeout_seconds": 20,
	}))
	_, err = lookupVar(t, b, "k")
	require.Error(t, err)
	// Not timeout_seconds (20 s) ending it: the transport's own timeout.
	assert.Contains(t, err.Error(), "TLS handshake timeout")
}

// connectProxy is a loopback HTTP CONNECT proxy counting its tunnels.
func connectProxy(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		n.Add(1)
		w.WriteHeader(http.StatusOK)
		c, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			_ = up.Close()
			return
		}
		go func() { _, _ = io.Copy(up, buf); _ = up.Close() }()
		_, _ = io.Copy(c, up)
		_ = c.Close()
	}))
	t.Cleanup(p.Close)
	return p, &n
}

// TestClientOptionsProxies: proxies route the vault's requests through the
// proxy named for their scheme (or all); another scheme's is not used.
func TestClientOptionsProxies(t *testing.T) {
	tests := []struct {
		name    string
		proxies func(proxy string) map[string]any
		tunnels bool
	}{
		{name: "https", proxies: func(p string) map[string]any { return map[string]any{"https": p} }, tunnels: true},
		{name: "all, no scheme", proxies: func(p string) map[string]any { return map[string]any{"all": strings.TrimPrefix(p, "http://")} }, tunnels: true},
		{name: "http only: not for https", proxies: func(p string) map[string]any { return map[string]any{"http": p} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			p, n := connectProxy(t)
			b := mustOpen(t, fakeKwargs(t, f, map[string]any{"proxies": tt.proxies(p.URL)}))
			v, err := lookupVar(t, b, "k")
			require.NoError(t, err)
			assert.Equal(t, "v", v)
			if tt.tunnels {
				assert.Positive(t, n.Load())
			} else {
				assert.Zero(t, n.Load())
			}
		})
	}
}

// TestClientOptionsLoggingEnable: logging_enable is accepted and ignored
// with a warning naming it; false says nothing.
func TestClientOptionsLoggingEnable(t *testing.T) {
	for _, tt := range []struct {
		val  any
		warn bool
	}{{true, true}, {"yes", true}, {false, false}} {
		f := newFake(t)
		f.SetSecret("airflow-variables-k", "v")
		raw, err := json.Marshal(fakeKwargs(t, f, map[string]any{"logging_enable": tt.val}))
		require.NoError(t, err)
		kw, err := config.ParseKwargs(raw)
		require.NoError(t, err)
		var logs bytes.Buffer
		b, err := resolver.OpenBackend(t.Context(), azurekeyvault.Name, resolver.Env{
			Kwargs: kw, Config: &config.File{}, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		})
		require.NoError(t, err)
		v, err := lookupVar(t, b, "k")
		require.NoError(t, err)
		assert.Equal(t, "v", v)
		if tt.warn {
			assert.Contains(t, logs.String(), "logging_enable")
			assert.Contains(t, logs.String(), "ignored")
			assert.Contains(t, logs.String(), "level=WARN")
		} else {
			assert.Empty(t, logs.String())
		}
		assert.NotContains(t, logs.String(), azurefake.ClientSecret)
	}
}
