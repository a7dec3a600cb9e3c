package vault_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/secretpath/secretpath/resolver/connection"
)

// TestConnectionShapes: a connection secret is a conn_uri or Airflow's
// Connection fields, in KV v1 and v2 alike.
func TestConnectionShapes(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string]any
		check   func(t *testing.T, c connection.Connection)
		wantErr string // "" = no error; errors wrap ErrInvalidConnection
		secret  string // must not appear in an error
	}{
		{name: "conn_uri", data: map[string]any{"conn_uri": "postgresql://u:p%40ss@db.example.com:5432/prod?sslmode=require"},
			check: func(t *testing.T, c connection.Connection) {
				assert.Equal(t, "postgres", c.ConnType, "a URI's scheme is normalised")
				assert.Equal(t, "p@ss", c.Password.Reveal())
				sslmode, _ := c.ExtraString("sslmode")
				assert.Equal(t, "require", sslmode)
			}},
		{name: "fields", data: map[string]any{
			"conn_type": "postgresql", "host": "db.example.com", "login": "u", "password": "pw",
			"port": "5432", "schema": "prod", "extra": map[string]any{"sslmode": "require", "n": 1}, "description": "the db",
		}, check: func(t *testing.T, c connection.Connection) {
			assert.Equal(t, "postgresql", c.ConnType, "fields are not normalised (Airflow)")
			assert.Equal(t, 5432, c.Port, "port as a string")
			assert.Equal(t, "pw", c.Password.Reveal())
			assert.Equal(t, "the db", c.Description)
			assert.JSONEq(t, `{"n": 1, "sslmode": "require"}`, c.Extra)
			assert.Equal(t, `{"n": 1, "sslmode": "require"}`, c.Extra, "integers stay integers")
		}},
		{name: "fields, port a number, extra a string", data: map[string]any{"conn_type": "http", "host": "h", "port": 8080, "extra": `{"a": "b"}`},
			check: func(t *testing.T, c connection.Connection) {
				assert.Equal(t, 8080, c.Port)
				assert.JSONEq(t, `{"a": "b"}`, c.Extra)
			}},
		{name: "fields without conn_type", data: map[string]any{"host": "h"},
			check: func(t *testing.T, c connection.Connection) { assert.Equal(t, "h", c.Host) }},
		{name: "empty conn_uri is a field", data: map[string]any{"conn_uri": "", "host": "h"}, wantErr: "conn_uri"},
		{name: "conn_uri not a string", data: map[string]any{"conn_uri": 5}, wantErr: "conn_uri is not a string"},
		{name: "unknown field", data: map[string]any{"conn_type": "http", "user": "u", "password": "pw-SECRET"}, wantErr: "user", secret: "pw-SECRET"},
		{name: "bad port", data: map[string]any{"conn_type": "http", "port": "eighty", "password": "pw-SECRET"}, wantErr: "port", secret: "pw-SECRET"},
		{name: "bad URI", data: map[string]any{"conn_uri": "postgres://u:uri-SECRET@h:notaport/db"}, wantErr: "port", secret: "uri-SECRET"},
		{name: "extra not an object", data: map[string]any{"conn_type": "http", "extra": "[1, 2]"}, wantErr: "extra"},
	}
	for _, kv := range []int{1, 2} {
		for _, tt := range tests {
			t.Run(tt.name+"/kv"+string(rune('0'+kv)), func(t *testing.T) {
				f := newFake(t)
				mount := map[int]string{1: "kv1", 2: "secret"}[kv]
				f.Put(mount, "connections/c", tt.data)
				b := mustOpen(t, f.kwargs(map[string]any{"mount_point": mount, "kv_engine_version": kv}))
				c, err := b.Connection(t.Context(), connReq("c"))
				raw, rawErr := b.Lookup(t.Context(), connReq("c"))
				if tt.wantErr != "" {
					require.Error(t, err)
					assert.ErrorIs(t, err, connection.ErrInvalid)
					assert.NotErrorIs(t, err, resolver.ErrNotFound)
					assert.Contains(t, err.Error(), tt.wantErr)
					assert.Contains(t, err.Error(), "connections/c", "the error names the secret")
					if tt.secret != "" {
						assert.NotContains(t, err.Error(), tt.secret)
						if rawErr != nil {
							assert.NotContains(t, rawErr.Error(), tt.secret)
						}
					}
					return
				}
				require.NoError(t, err)
				assert.Equal(t, "c", c.ConnID)
				tt.check(t, c)
				require.NoError(t, rawErr)
				viaRaw, err := connection.Parse("c", raw)
				require.NoError(t, err, "ConnectionValue parses")
				assert.Equal(t, c.Host, viaRaw.Host)
				assert.Equal(t, c.Password.Reveal(), viaRaw.Password.Reveal())
			})
		}
	}
}

// TestValueShapes: variables and configs are the secret's key value.
func TestValueShapes(t *testing.T) {
	tests := []struct {
		name  string
		data  map[string]any
		want  string
		found bool
	}{
		{name: "string", data: map[string]any{"value": "world"}, want: "world", found: true},
		{name: "empty string", data: map[string]any{"value": ""}, want: "", found: true},
		{name: "other keys ignored", data: map[string]any{"value": "v", "note": "x"}, want: "v", found: true},
		{name: "number", data: map[string]any{"value": 42}, want: "42", found: true},
		{name: "object as compact JSON", data: map[string]any{"value": map[string]any{"a": []any{1, 2}}}, want: `{"a":[1,2]}`, found: true},
		{name: "bool", data: map[string]any{"value": true}, want: "true", found: true},
		{name: "null", data: map[string]any{"value": nil}},
		{name: "no value key", data: map[string]any{"val": "x"}},
		{name: "empty secret", data: map[string]any{}},
	}
	for _, kv := range []int{1, 2} {
		for _, tt := range tests {
			t.Run(tt.name+"/kv"+string(rune('0'+kv)), func(t *testing.T) {
				f := newFake(t)
				mount := map[int]string{1: "kv1", 2: "secret"}[kv]
				f.Put(mount, "variables/v", tt.data)
				f.Put(mount, "config/v", tt.data)
				b := mustOpen(t, f.kwargs(map[string]any{"mount_point": mount, "kv_engine_version": kv}))
				for _, get := range []func() (string, error){
					func() (string, error) { return b.Lookup(t.Context(), varReq("v")) },
					func() (string, error) { return b.Lookup(t.Context(), cfgReq("v")) },
				} {
					v, err := get()
					if !tt.found {
						assert.ErrorIs(t, err, resolver.ErrNotFound)
						continue
					}
					require.NoError(t, err)
					assert.Equal(t, tt.want, v)
				}
			})
		}
	}
}

// TestResponses: how Vault's answers other than a plain 200 map onto
// not found, permission denied, unavailable (the Vault table) and errors.
func TestResponses(t *testing.T) {
	const path = "secret/data/variables/v"
	tests := []struct {
		name     string
		setup    func(f *fake)
		notFound bool
		denied   bool
		class    codes.Code // resolver.Code: 404 and 403 first, then the Vault table
		wantErr  string
		leak     string // must not appear in the error
	}{
		{name: "missing", setup: func(*fake) {}, notFound: true, class: codes.NotFound},
		{name: "soft-deleted KV v2 version", setup: func(f *fake) {
			f.Put("secret", "variables/v", map[string]any{"value": "gone"})
			f.SoftDelete("secret", "variables/v")
		}, notFound: true, class: codes.NotFound},
		{name: "data null", setup: func(f *fake) {
			f.Fail(vaultfake.Fault{Path: path, Status: 200, Body: `{"data":{"data":null,"metadata":{}}}`})
		}, notFound: true, class: codes.NotFound},
		{name: "sealed", setup: func(f *fake) {
			f.Fail(vaultfake.Fault{Path: path, Status: http.StatusServiceUnavailable, Errors: []string{"Vault is sealed"}})
		}, class: codes.Unavailable, wantErr: "Vault is sealed"},
		{name: "internal error", setup: func(f *fake) {
			f.Fail(vaultfake.Fault{Path: path, Status: 500, Errors: []string{"internal error"}})
		}, class: codes.Unavailable, wantErr: "Code: 500"},
		{name: "rate limit quota", setup: func(f *fake) {
			f.Fail(vaultfake.Fault{Path: path, Status: http.StatusTooManyRequests, Errors: []string{"request path \"secret/data/variables/v\": rate limit quota exceeded"}})
		}, class: codes.Unavailable, wantErr: "rate limit quota exceeded"},
		{name: "standby not yet consistent", setup: func(f *fake) {
			f.Fail(vaultfake.Fault{Path: path, Status: http.StatusPreconditionFailed, Errors: []string{"required index state not present"}})
		}, class: codes.Unavailable, wantErr: "required index state not present"},
		{name: "bad request", setup: func(f *fake) {
			f.Fail(vaultfake.Fault{Path: path, Status: 400, Errors: []string{"invalid path"}})
		}, class: codes.Internal, wantErr: "invalid path"},
		{name: "403 twice with token auth", setup: func(f *fake) {
			f.Fail(vaultfake.Fault{Path: path, Status: 403, Errors: []string{"permission denied"}})
		}, denied: true, class: codes.PermissionDenied, wantErr: "permission denied"},
		{name: "malformed body", setup: func(f *fake) {
			f.Fail(vaultfake.Fault{Path: path, Status: 200, Body: `{"data":{"data":{"value":"LEAKED-VALUE"`})
		}, class: codes.Internal, wantErr: "malformed response", leak: "LEAKED-VALUE"},
		{name: "data not an object", setup: func(f *fake) {
			f.Fail(vaultfake.Fault{Path: path, Status: 200, Body: `{"data":{"data":"LEAKED-VALUE"}}`})
		}, class: codes.Internal, wantErr: "data is not an object", leak: "LEAKED-VALUE"},
		{name: "not JSON", setup: func(f *fake) {
			f.Fail(vaultfake.Fault{Path: path, Status: 200, Body: `LEAKED-VALUE`})
		}, class: codes.Internal, wantErr: "malformed response", leak: "LEAKED-VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			tt.setup(f)
			b := mustOpen(t, f.kwargs(nil))
			_, err := b.Lookup(t.Context(), varReq("v"))
			require.Error(t, err)
			assert.Equal(t, tt.notFound, errorsIs(err, resolver.ErrNotFound), "not found: %v", err)
			assert.Equal(t, tt.denied, errorsIs(err, resolver.ErrPermissionDenied), "denied: %v", err)
			assert.Equal(t, tt.class, resolver.Code(err), "%v", err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), f.root, "never the token")
			if tt.leak != "" {
				assert.NotContains(t, err.Error(), tt.leak)
			}
			if !tt.notFound {
				assert.Contains(t, err.Error(), path, "the error names the path")
			}
		})
	}
}

// TestUnreachable: a server that does not answer is an error, not a miss,
// marked unavailable, and the resolver falls through to the next tier.
func TestUnreachable(t *testing.T) {
	f := newFake(t)
	url := f.URL
	f.Close()
	b := mustOpen(t, map[string]any{"url": url, "token": "t", "timeout": 5})
	_, err := b.Lookup(t.Context(), varReq("hello"))
	require.Error(t, err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), "connection refused")
	assert.Equal(t, codes.Unavailable, resolver.Code(err), "refused at the first authentication")

	// Down after the first lookup: the read fails the same way.
	f2 := newFake(t)
	f2.Put("secret", "variables/hello", map[string]any{"value": "world"})
	b2 := mustOpen(t, f2.kwargs(nil))
	_, err = b2.Lookup(t.Context(), varReq("hello"))
	require.NoError(t, err)
	f2.Close()
	_, err = b2.Lookup(t.Context(), varReq("hello"))
	require.Error(t, err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), `reading "secret/data/variables/hello"`)
	assert.Equal(t, codes.Unavailable, resolver.Code(err), "refused at the read")

	t.Setenv("AIRFLOW_VAR_HELLO", "from env")
	r := resolver.New(resolver.WithBackend(vault.Name, b), resolver.WithFallback("env", envBackend{}))
	v, err := r.Variable(t.Context(), "hello")
	require.NoError(t, err)
	assert.Equal(t, "from env", v.Reveal())
}

// envBackend is a minimal second tier.
type envBackend struct{}

func (envBackend) Lookup(_ context.Context, req resolver.Request) (string, error) {
	if req.Kind != resolver.KindVariable {
		return "", resolver.ErrNotFound
	}
	if v, ok := os.LookupEnv("AIRFLOW_VAR_" + strings.ToUpper(req.ID)); ok {
		return v, nil
	}
	return "", resolver.ErrNotFound
}

// TestProxies: the proxies kwarg sends requests through the proxy for the
// URL's scheme.
func TestProxies(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	var mu sync.Mutex
	var proxied []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		proxied = append(proxied, r.URL.String())
		mu.Unlock()
		r.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		maps.Copy(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	b := mustOpen(t, f.kwargs(map[string]any{"proxies": map[string]any{"http": proxy.URL}}))
	v, err := b.Lookup(t.Context(), varReq("hello"))
	require.NoError(t, err)
	assert.Equal(t, "world", v)
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, proxied, f.URL+"/v1/secret/data/variables/hello")
}
