package vault_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// errFailed stands for any error that is not "not found".
var errFailed = errors.New("a failure, not a miss")

// TestPathLists: connections_path, variables_path and config_path given as
// lists (Airflow PR #70006) are read in order on the wire; the first
// secret found wins, a miss (404, no data) goes on, any other failure
// ends the lookup. Each row reads id x (airflow/x with the mount from
// the id); the fake holds the secrets in put (KV v2 "secret" and
// "airflow" mounts, KV v1 "kv1").
func TestPathLists(t *testing.T) {
	type secret struct {
		mount, path string
		data        map[string]any
	}
	tests := []struct {
		name      string
		kw        map[string]any
		kind      string // "conn", "var", "cfg"
		id        string
		put       []secret
		fault     *vaultfake.Fault
		wantReads []string
		want      string // the value; "" with wantErr unset: not found
		wantErr   error  // errFailed: any error but not found
		wantMsg   string // in the error; set without wantErr: not found
	}{
		{name: "second path holds it", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "x",
			put:       []secret{{"secret", "b/x", map[string]any{"value": "from b"}}},
			wantReads: []string{"secret/data/a/x", "secret/data/b/x"}, want: "from b"},
		{name: "first hit wins", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "x",
			put:       []secret{{"secret", "a/x", map[string]any{"value": "from a"}}, {"secret", "b/x", map[string]any{"value": "from b"}}},
			wantReads: []string{"secret/data/a/x"}, want: "from a"},
		{name: "three paths, the last holds it", kw: map[string]any{"config_path": []string{"c1", "c2", "c3"}}, kind: "cfg", id: "x",
			put:       []secret{{"secret", "c3/x", map[string]any{"value": "sqlite://"}}},
			wantReads: []string{"secret/data/c1/x", "secret/data/c2/x", "secret/data/c3/x"}, want: "sqlite://"},
		{name: "connection in the second path", kw: map[string]any{"connections_path": []string{"team/conns", "connections"}}, kind: "conn", id: "x",
			put:       []secret{{"secret", "connections/x", map[string]any{"conn_uri": "smtp://relay:25"}}},
			wantReads: []string{"secret/data/team/conns/x", "secret/data/connections/x"}, want: "smtp://relay:25"},
		{name: "none holds it: every path named", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "x",
			wantReads: []string{"secret/data/a/x", "secret/data/b/x"},
			wantMsg:   `no secret at "secret/data/a/x", "secret/data/b/x"`},
		{name: "one element is a path", kw: map[string]any{"variables_path": []string{"a"}}, kind: "var", id: "x",
			put:       []secret{{"secret", "a/x", map[string]any{"value": "v"}}},
			wantReads: []string{"secret/data/a/x"}, want: "v"},
		{name: `"" element: the id alone, trailing "/" dropped`, kw: map[string]any{"variables_path": []string{"team//", ""}}, kind: "var", id: "x",
			put:       []secret{{"secret", "x", map[string]any{"value": "bare"}}},
			wantReads: []string{"secret/data/team/x", "secret/data/x"}, want: "bare"},
		{name: "a soft-deleted version is a miss", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "x",
			put:       []secret{{"secret", "a/x", map[string]any{"value": "deleted"}}, {"secret", "b/x", map[string]any{"value": "from b"}}},
			wantReads: []string{"secret/data/a/x", "secret/data/b/x"}, want: "from b"},
		// As before, per secret: value null or absent is not found, "" is
		// a value; the secret found first decides, later paths are not read.
		{name: "first hit without value: not found, b not read", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "x",
			put:       []secret{{"secret", "a/x", map[string]any{"other": "y"}}, {"secret", "b/x", map[string]any{"value": "from b"}}},
			wantReads: []string{"secret/data/a/x"}, wantMsg: "has no key value"},
		{name: "first hit with value null: not found, b not read", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "x",
			put:       []secret{{"secret", "a/x", map[string]any{"value": nil}}, {"secret", "b/x", map[string]any{"value": "from b"}}},
			wantReads: []string{"secret/data/a/x"}, wantMsg: "has no key value"},
		{name: `first hit with value "": the value`, kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "x",
			put:       []secret{{"secret", "a/x", map[string]any{"value": ""}}, {"secret", "b/x", map[string]any{"value": "from b"}}},
			wantReads: []string{"secret/data/a/x"}, want: ""},
		{name: "403 on the first path ends the lookup", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "x",
			put:       []secret{{"secret", "b/x", map[string]any{"value": "from b"}}},
			fault:     &vaultfake.Fault{Path: "secret/data/a/x", Status: http.StatusForbidden, Errors: []string{"permission denied"}},
			wantReads: []string{"secret/data/a/x"}, wantErr: resolver.ErrPermissionDenied, wantMsg: `"secret/data/a/x"`},
		{name: "500 on the first path ends the lookup", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "x",
			put:       []secret{{"secret", "b/x", map[string]any{"value": "from b"}}},
			fault:     &vaultfake.Fault{Path: "secret/data/a/x", Status: http.StatusInternalServerError, Errors: []string{"boom"}},
			wantReads: []string{"secret/data/a/x"}, wantErr: errFailed, wantMsg: `"secret/data/a/x"`},
		{name: "kv1", kw: map[string]any{"mount_point": "kv1", "kv_engine_version": 1, "variables_path": []string{"a", "b"}}, kind: "var", id: "x",
			put:       []secret{{"kv1", "b/x", map[string]any{"value": "kv1 b"}}},
			wantReads: []string{"kv1/a/x", "kv1/b/x"}, want: "kv1 b"},
		{name: "mount from the id", kw: map[string]any{"mount_point": nil, "variables_path": []string{"a", "b"}}, kind: "var", id: "airflow/x",
			put:       []secret{{"airflow", "b/x", map[string]any{"value": "airflow b"}}},
			wantReads: []string{"airflow/data/a/x", "airflow/data/b/x"}, want: "airflow b"},
		{name: "mount from the id, no slash: no request", kw: map[string]any{"mount_point": nil, "variables_path": []string{"a", "b"}}, kind: "var", id: "x"},
		{name: "dot-dot id: no request", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "../x"},
		{name: "other kinds keep their path", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "cfg", id: "x",
			put:       []secret{{"secret", "config/x", map[string]any{"value": "cfg"}}},
			wantReads: []string{"secret/data/config/x"}, want: "cfg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.Mount("airflow", 2)
			for _, s := range tt.put {
				f.Put(s.mount, s.path, s.data)
			}
			if tt.name == "a soft-deleted version is a miss" {
				f.SoftDelete("secret", "a/x")
			}
			if tt.fault != nil {
				f.Fail(*tt.fault)
			}
			b := mustOpen(t, f.kwargs(tt.kw))
			got, err := lookup(t.Context(), b, tt.kind, tt.id)
			switch {
			case tt.wantErr == errFailed:
				require.Error(t, err)
				assert.NotErrorIs(t, err, resolver.ErrNotFound)
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
			case tt.wantMsg != "" || len(tt.wantReads) == 0:
				require.ErrorIs(t, err, resolver.ErrNotFound)
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
			if tt.wantMsg != "" {
				assert.Contains(t, err.Error(), tt.wantMsg)
			}
			if len(tt.wantReads) == 0 {
				assert.Empty(t, f.Requests(), "no request at all (not even authentication)")
				return
			}
			assert.Equal(t, tt.wantReads, f.reads())
		})
	}
}

// TestPathListErrors: a paths list that cannot be read is a configuration
// error naming the key (and the element), before any request.
func TestPathListErrors(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name string
		kw   map[string]any
		want string
	}{
		{name: "empty list", kw: map[string]any{"connections_path": []string{}}, want: "connections_path is an empty list"},
		{name: "null element", kw: map[string]any{"variables_path": []any{"a", nil}}, want: "variables_path[1] must be a string"},
		{name: "number element", kw: map[string]any{"config_path": []any{3}}, want: "config_path[0] must be a string"},
		{name: "nested list", kw: map[string]any{"config_path": []any{[]string{"a"}}}, want: "config_path[0] must be a string"},
		{name: "dot-dot element", kw: map[string]any{"connections_path": []string{"a", "../b"}}, want: `connections_path[1] has a "." or ".." path segment`},
		{name: "an object", kw: map[string]any{"variables_path": map[string]any{"a": 1}}, want: "variables_path must be a string, a list of strings or null"},
		{name: "a number", kw: map[string]any{"variables_path": 3}, want: "variables_path must be a string, a list of strings or null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openKwargs(t, f.kwargs(tt.kw))
			require.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	assert.Empty(t, f.Requests())
}

// TestPathListsDescribe: Describe lists every path a lookup reads, in
// order, without a request.
func TestPathListsDescribe(t *testing.T) {
	f := newFake(t)
	b := mustOpen(t, f.kwargs(map[string]any{"connections_path": []string{"a", "", "b/"}, "variables_path": nil}))
	assert.Equal(t, "GET /v1/secret/data/a/x, then GET /v1/secret/data/x, then GET /v1/secret/data/b/x", b.Describe(connReq("x")))
	assert.Equal(t, "no request (this kind's path is null)", b.Describe(varReq("x")))
	assert.Equal(t, `no request ("../x" cannot name a secret here)`, b.Describe(connReq("../x")))
	assert.Equal(t, "GET /v1/secret/data/config/x", b.Describe(cfgReq("x")))
	assert.Empty(t, f.Requests())
}

// TestPathListsOptions: the Go form of the lists, and its refusals.
func TestPathListsOptions(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "b/x", map[string]any{"value": "from b"})
	newB := func(o vault.Options) (*vault.Backend, error) {
		cfg := api.DefaultConfig()
		cfg.Address = f.URL
		o.Config = cfg
		o.Auth = vault.Auth{Type: vault.AuthToken, Token: f.root}
		return vault.New(o)
	}
	b, err := newB(vault.Options{VariablesPaths: []location.Location{{Prefix: "a"}, {Prefix: "b"}}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	v, err := b.Lookup(t.Context(), varReq("x"))
	require.NoError(t, err)
	assert.Equal(t, "from b", v)
	assert.Equal(t, []string{"secret/data/a/x", "secret/data/b/x"}, f.reads())

	for _, tt := range []struct {
		name string
		o    vault.Options
		want string
	}{
		{name: "both", o: vault.Options{Configs: location.Location{Prefix: "c"}, ConfigsPaths: []location.Location{{Prefix: "d"}}}, want: "Options.ConfigsPaths and Configs are both set"},
		{name: "off element", o: vault.Options{ConnectionsPaths: []location.Location{{Prefix: "a"}, {Off: true}}}, want: "Options.ConnectionsPaths[1] is Off"},
		{name: "pattern element", o: vault.Options{VariablesPaths: []location.Location{{LookupPattern: "x"}}}, want: "VariablesPaths[0]"},
	} {
		_, err := newB(tt.o)
		require.ErrorIs(t, err, config.ErrInvalid, tt.name)
		assert.Contains(t, err.Error(), tt.want, tt.name)
	}
}

// TestPathListsTimeout: timeout bounds the whole lookup, every path of
// the list included, not each path: two reads that each take 60% of it
// end in the deadline.
func TestPathListsTimeout(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "c/x", map[string]any{"value": "too late"})
	target, err := url.Parse(f.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/secret/data/") {
			select {
			case <-time.After(600 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)
	b := mustOpen(t, f.kwargs(map[string]any{"url": slow.URL, "timeout": 1, "variables_path": []string{"a", "b", "c"}}))
	start := time.Now()
	_, err = b.Lookup(t.Context(), varReq("x"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Less(t, time.Since(start), 1500*time.Millisecond, "one timeout for the lookup, not one per path")
}
