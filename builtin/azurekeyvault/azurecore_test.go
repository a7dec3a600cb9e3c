package azurekeyvault_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
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

// noDelay makes retries immediate.
var noDelay = map[string]any{"retry_backoff_factor": 0, "retry_backoff_max": 0}

func merge(kws ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, kw := range kws {
		for k, v := range kw {
			out[k] = v
		}
	}
	return out
}

// TestRetryStatuses: answers are retried as azure-core's RetryPolicy
// retries them: its statuses (506 to 998 included), any 4xx carrying
// Retry-After, retry_on_status_codes besides, and at most retry_status
// times (default 3) however large retry_total is.
func TestRetryStatuses(t *testing.T) {
	tests := []struct {
		name     string
		fault    azurefake.Fault
		kw       map[string]any
		attempts int
	}{
		{name: "500, defaults: retry_status 3", fault: azurefake.Fault{Status: 500}, attempts: 4},
		{name: "500, retry_total 10, retry_status 1", fault: azurefake.Fault{Status: 500}, kw: map[string]any{"retry_total": 10, "retry_status": 1}, attempts: 2},
		{name: "500, retry_status 0", fault: azurefake.Fault{Status: 500}, kw: map[string]any{"retry_status": 0}, attempts: 1},
		{name: "500, retry_total 1 caps retry_status 5", fault: azurefake.Fault{Status: 500}, kw: map[string]any{"retry_total": 1, "retry_status": 5}, attempts: 2},
		{name: "500, retry_status 5 over the default total", fault: azurefake.Fault{Status: 500}, kw: map[string]any{"retry_status": 5}, attempts: 6},
		{name: "520 is one of azure-core's retried statuses", fault: azurefake.Fault{Status: 520}, attempts: 4},
		{name: "418 is not retried", fault: azurefake.Fault{Status: 418}, attempts: 1},
		{name: "418 in retry_on_status_codes", fault: azurefake.Fault{Status: 418}, kw: map[string]any{"retry_on_status_codes": []int{418}}, attempts: 4},
		{name: "retry_on_status_codes as a string", fault: azurefake.Fault{Status: 418}, kw: map[string]any{"retry_on_status_codes": "[418, 419]"}, attempts: 4},
		{name: "409 with Retry-After", fault: azurefake.Fault{Status: 409, Header: map[string]string{"Retry-After": "0"}}, attempts: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			f.AddFault(tt.fault)
			b := mustOpen(t, fakeKwargs(t, f, merge(noDelay, tt.kw)))
			_, err := lookupVar(t, b, "k")
			require.Error(t, err)
			assert.Len(t, authorizedGets(f), tt.attempts)
		})
	}
}

// TestRetryConnect: a vault whose TLS handshake always fails (no
// connection: azure-core's connect errors) is tried 1 + retry_connect
// times (default 3), and no more than 1 + retry_total.
func TestRetryConnect(t *testing.T) {
	tests := []struct {
		name     string
		kw       map[string]any
		attempts int32
	}{
		{name: "defaults", attempts: 4},
		{name: "retry_connect 1", kw: map[string]any{"retry_connect": 1}, attempts: 2},
		{name: "retry_connect 0", kw: map[string]any{"retry_connect": "0"}, attempts: 1},
		{name: "retry_connect 6", kw: map[string]any{"retry_connect": 6}, attempts: 7},
		{name: "retry_total 2 caps retry_connect 6", kw: map[string]any{"retry_connect": 6, "retry_total": 2}, attempts: 3},
		{name: "retry_read does not count connects", kw: map[string]any{"retry_read": 0}, attempts: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			t.Cleanup(func() { _ = ln.Close() })
			var accepted atomic.Int32
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					accepted.Add(1)
					_ = c.Close() // before the TLS handshake
				}
			}()
			b := mustOpen(t, fakeKwargs(t, f, merge(noDelay, tt.kw, map[string]any{"vault_url": "https://" + ln.Addr().String() + "/"})))
			_, err = lookupVar(t, b, "k")
			require.Error(t, err)
			assert.Equal(t, tt.attempts, accepted.Load())
		})
	}
}

// TestRetryRead: a vault that takes the request and never answers
// (azure-core's read errors: here read_timeout) is tried 1 + retry_read
// times (default 3).
func TestRetryRead(t *testing.T) {
	tests := []struct {
		name     string
		kw       map[string]any
		attempts int
	}{
		{name: "defaults", attempts: 4},
		{name: "retry_read 1", kw: map[string]any{"retry_read": 1}, attempts: 2},
		{name: "retry_read 0", kw: map[string]any{"retry_read": 0}, attempts: 1},
		{name: "retry_connect does not count reads", kw: map[string]any{"retry_connect": 0}, attempts: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			f.AddFault(azurefake.Fault{Hang: true})
			b := mustOpen(t, fakeKwargs(t, f, merge(noDelay, tt.kw, map[string]any{"read_timeout": 0.05, "timeout_seconds": 30})))
			_, err := lookupVar(t, b, "k")
			require.Error(t, err)
			assert.Len(t, authorizedGets(f), tt.attempts)
		})
	}
}

// TestRetryTimeout: timeout, azure-core's total time for one operation's
// tries, ends the retries well before retry_total and says so.
func TestRetryTimeout(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-variables-k", "v")
	f.AddFault(azurefake.Fault{Status: 503})
	b := mustOpen(t, fakeKwargs(t, f, map[string]any{
		"retry_total": 100, "retry_status": 100, "retry_mode": "fixed", "retry_backoff_factor": 0.05,
		"timeout": 0.3, "timeout_seconds": 60,
	}))
	_, err := lookupVar(t, b, "k")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `backend_kwargs key "timeout"`)
	// 0.3 s of 0.05 s waits: a handful of tries, never the 101 retry_total allows.
	assert.Less(t, len(authorizedGets(f)), 50)
}

// TestTimeoutWarning: a timeout longer than the lookup's bound is
// accepted with a warning that the lookup's bound ends it first.
func TestTimeoutWarning(t *testing.T) {
	tests := []struct {
		name string
		kw   map[string]any
		warn bool
	}{
		{name: "longer than the default 10 s", kw: map[string]any{"timeout": 60}, warn: true},
		{name: "longer than timeout_seconds", kw: map[string]any{"timeout": 5, "timeout_seconds": 2}, warn: true},
		{name: "shorter", kw: map[string]any{"timeout": 5}},
		{name: "no lookup bound", kw: map[string]any{"timeout": 60, "timeout_seconds": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			logs := openLogged(t, fakeKwargs(t, f, tt.kw))
			if tt.warn {
				assert.Contains(t, logs, "key timeout is longer than the lookup's bound")
			} else {
				assert.Empty(t, logs)
			}
		})
	}
}

// openLogged opens the backend through the registry and returns what it
// logged.
func openLogged(t *testing.T, kw map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(kw)
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	var logs bytes.Buffer
	_, err = resolver.OpenBackend(t.Context(), azurekeyvault.Name, resolver.Env{
		Kwargs: kwargs, Config: &config.File{}, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	require.NoError(t, err)
	return logs.String()
}

// TestRedirects: the vault's redirects are followed as azure-core's
// RedirectPolicy follows them: 300 too, redirect_on_status_codes besides,
// none with permit_redirects false, at most redirect_max, and
// redirect_remove_headers dropped from the redirected request.
func TestRedirects(t *testing.T) {
	const target = "/secrets/airflow-variables-target?api-version=7.6"
	tests := []struct {
		name    string
		status  int
		kw      map[string]any
		want    string   // the value, or "" for an error
		errHas  []string // in the error
		dropped []string // headers the redirected request lacks
	}{
		{name: "302 by default", status: 302, want: "moved"},
		{name: "300, as azure-core", status: 300, want: "moved"},
		{name: "399 not by default", status: 399, errHas: []string{"399"}},
		{name: "399 in redirect_on_status_codes", status: 399, kw: map[string]any{"redirect_on_status_codes": []int{399}}, want: "moved"},
		{name: "permit_redirects false", status: 302, kw: map[string]any{"permit_redirects": false}, errHas: []string{"302"}},
		{name: "redirect_max 0", status: 302, kw: map[string]any{"redirect_max": 0}, errHas: []string{"redirect_max"}},
		{name: "redirect_max 1", status: 307, kw: map[string]any{"redirect_max": 1}, want: "moved"},
		{name: "redirect_remove_headers", status: 308, kw: map[string]any{"headers": map[string]any{"X-Team": "a", "X-Keep": "b"}, "redirect_remove_headers": []string{"x-team"}},
			want: "moved", dropped: []string{"X-Team"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			f.SetSecret("airflow-variables-target", "moved")
			f.AddFault(azurefake.Fault{Name: "airflow-variables-k", Status: tt.status, Header: map[string]string{"Location": target}})
			b := mustOpen(t, fakeKwargs(t, f, merge(map[string]any{"retry_total": 0}, tt.kw)))
			v, err := lookupVar(t, b, "k")
			if tt.want == "" {
				require.Error(t, err)
				for _, s := range tt.errHas {
					assert.Contains(t, err.Error(), s)
				}
				assert.NotContains(t, f.Names(azurefake.KindGetSecret), "airflow-variables-target")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
			var seen bool
			for _, r := range authorizedGets(f) {
				if r.Name != "airflow-variables-target" {
					continue
				}
				seen = true
				for _, h := range tt.dropped {
					assert.Empty(t, r.Header.Get(h), h)
				}
				if tt.dropped != nil {
					assert.Equal(t, "b", r.Header.Get("X-Keep"))
				}
			}
			assert.True(t, seen, "the redirect was followed")
		})
	}
}

// TestConnectionCert: connection_cert (one PEM file, or a pair of files)
// is the vault connection's TLS client certificate; the credential's
// connections present none.
func TestConnectionCert(t *testing.T) {
	files := azurefake.WriteClientCert(t, "af-worker")
	tests := []struct {
		name string
		cert any
		want string
	}{
		{name: "none", want: ""},
		{name: "one file", cert: files.Both, want: "af-worker"},
		{name: "a pair", cert: []string{files.Cert, files.Key}, want: "af-worker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			kw := map[string]any{}
			if tt.cert != nil {
				kw["connection_cert"] = tt.cert
			}
			b := mustOpen(t, fakeKwargs(t, f, kw))
			v, err := lookupVar(t, b, "k")
			require.NoError(t, err)
			assert.Equal(t, "v", v)
			var vault, token int
			for _, r := range f.Requests() {
				switch r.Kind {
				case azurefake.KindGetSecret:
					vault++
					assert.Equal(t, tt.want, r.ClientCert)
				case azurefake.KindToken:
					token++
					assert.Empty(t, r.ClientCert, "the credential got the client certificate")
				}
			}
			assert.Positive(t, vault)
			assert.Positive(t, token)
		})
	}
}

// anyHostProxy is a loopback HTTP CONNECT proxy that tunnels every
// CONNECT to upstream, whatever host it names, counting its tunnels.
func anyHostProxy(t *testing.T, upstream string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", upstream)
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

// TestUseEnvSettings: the vault's requests go through the proxy the
// environment names (HTTPS_PROXY), unless use_env_settings is false, as
// requests' trust_env. The vault is named example.com (the fake's
// certificate holds it): Go never proxies a loopback address.
func TestUseEnvSettings(t *testing.T) {
	tests := []struct {
		name    string
		kw      map[string]any
		proxied bool
	}{
		{name: "default", proxied: true},
		{name: "true", kw: map[string]any{"use_env_settings": true}, proxied: true},
		{name: "false", kw: map[string]any{"use_env_settings": "false"}},
		{name: "false, proxies still used", kw: map[string]any{"use_env_settings": false, "proxies": "PROXY"}, proxied: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			u, err := url.Parse(f.URL)
			require.NoError(t, err)
			p, tunnels := anyHostProxy(t, u.Host)
			for _, k := range []string{"HTTP_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
				t.Setenv(k, "")
				_ = os.Unsetenv(k)
			}
			t.Setenv("HTTPS_PROXY", p.URL)
			kw := merge(noDelay, tt.kw, map[string]any{"vault_url": "https://example.com:" + u.Port() + "/"})
			if kw["proxies"] == "PROXY" {
				kw["proxies"] = map[string]any{"https": p.URL}
			}
			b := mustOpen(t, fakeKwargs(t, f, kw))
			v, err := lookupVar(t, b, "k")
			if tt.proxied {
				require.NoError(t, err)
				assert.Equal(t, "v", v)
				assert.Positive(t, tunnels.Load())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "refusing to dial example.com") // went direct
			assert.Zero(t, tunnels.Load())
		})
	}
}

var uuidShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestUserAgentAndRequestID: User-Agent as azure-core's UserAgentPolicy
// writes it after HeadersPolicy (a User-Agent in headers wins unless
// user_agent_overwrite; AZURE_HTTP_USER_AGENT appended unless
// user_agent_use_env is false), and x-ms-client-request-id as its
// RequestIdPolicy: a new UUID per operation by default, request_id on
// every request, none with request_id null or auto_request_id false.
func TestUserAgentAndRequestID(t *testing.T) {
	const sdk = "azsdk-go-azsecrets/"
	envUA := "airflow-env/2"
	tests := []struct {
		name     string
		kw       map[string]any
		env      *string // AZURE_HTTP_USER_AGENT
		uaPre    string
		uaSuffix string
		uaExact  string
		notInUA  string
		id       string // "uuid", "" (none) or the exact value
	}{
		{name: "defaults", uaPre: sdk, id: "uuid"},
		{name: "headers' User-Agent wins over user_agent", kw: map[string]any{"headers": map[string]any{"User-Agent": "mine/1"}, "user_agent": "af"}, uaExact: "mine/1", id: "uuid"},
		{name: "user_agent_overwrite", kw: map[string]any{"headers": map[string]any{"user-agent": "mine/1"}, "user_agent": "af", "user_agent_overwrite": true},
			uaPre: "af " + sdk, notInUA: "mine", id: "uuid"},
		{name: "AZURE_HTTP_USER_AGENT appended", env: &envUA, uaPre: sdk, uaSuffix: " " + envUA, id: "uuid"},
		{name: "with user_agent", kw: map[string]any{"user_agent": "af"}, env: &envUA, uaPre: "af " + sdk, uaSuffix: " " + envUA, id: "uuid"},
		{name: "user_agent_use_env false", kw: map[string]any{"user_agent_use_env": false}, env: &envUA, uaPre: sdk, notInUA: envUA, id: "uuid"},
		{name: "request_id", kw: map[string]any{"request_id": "af-run-7"}, uaPre: sdk, id: "af-run-7"},
		{name: "request_id null", kw: map[string]any{"request_id": nil}, uaPre: sdk, id: ""},
		{name: "auto_request_id false", kw: map[string]any{"auto_request_id": "false"}, uaPre: sdk, id: ""},
		{name: "headers' request id wins", kw: map[string]any{"request_id": "af-run-7", "headers": map[string]any{"x-ms-client-request-id": "from-headers"}}, uaPre: sdk, id: "from-headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AZURE_HTTP_USER_AGENT", "")
			if tt.env == nil {
				_ = os.Unsetenv("AZURE_HTTP_USER_AGENT")
			} else {
				t.Setenv("AZURE_HTTP_USER_AGENT", *tt.env)
			}
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			b := mustOpen(t, fakeKwargs(t, f, tt.kw))
			ids := map[string]bool{}
			for range 2 {
				v, err := lookupVar(t, b, "k")
				require.NoError(t, err)
				assert.Equal(t, "v", v)
			}
			var vault []azurefake.Request
			for _, r := range f.Requests() {
				if r.Kind == azurefake.KindGetSecret {
					vault = append(vault, r)
				}
			}
			require.Len(t, vault, 3, "the challenge, then one authorized request per lookup")
			for _, r := range vault {
				ua := r.Header.Get("User-Agent")
				if tt.uaExact != "" {
					assert.Equal(t, tt.uaExact, ua)
				}
				assert.True(t, strings.HasPrefix(ua, tt.uaPre), ua)
				assert.True(t, strings.HasSuffix(ua, tt.uaSuffix), ua)
				if tt.notInUA != "" {
					assert.NotContains(t, ua, tt.notInUA)
				}
				id := r.Header.Get("x-ms-client-request-id")
				switch tt.id {
				case "uuid":
					assert.Regexp(t, uuidShape, id)
				default:
					assert.Equal(t, tt.id, id)
				}
				ids[id] = true
			}
			if tt.id == "uuid" {
				assert.Len(t, ids, 2, "one id per operation: the challenge's is its lookup's")
			}
		})
	}
}

// TestIgnoredKeys: azure-core keys that mean nothing for a Go lookup are
// accepted, whatever their value, and ignored with a warning naming them.
func TestIgnoredKeys(t *testing.T) {
	for _, k := range []string{"connection_data_block_size", "response_encoding", "network_span_namer", "tracing_attributes", "session_owner", "disable_cleanup"} {
		t.Run(k, func(t *testing.T) {
			for _, v := range []any{4096, "utf-8", map[string]any{"a": 1}, true} {
				f := newFake(t)
				logs := openLogged(t, fakeKwargs(t, f, map[string]any{k: v}))
				assert.Contains(t, logs, "level=WARN")
				assert.Contains(t, logs, "key="+k)
				assert.Contains(t, logs, "ignored")
			}
		})
	}
}
