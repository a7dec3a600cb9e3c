package vault_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/resolver"
)

// TestDescribe: Describe names the request a lookup makes, or why it makes
// none, without a request; a team changes nothing.
func TestDescribe(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name string
		kw   map[string]any
		req  resolver.Request
		want string
	}{
		{name: "connection", req: connReq("smtp"), want: "GET /v1/secret/data/connections/smtp"},
		{name: "variable", req: varReq("hello"), want: "GET /v1/secret/data/variables/hello"},
		{name: "config", req: cfgReq("sql"), want: "GET /v1/secret/data/config/sql"},
		{name: "a team is ignored", req: resolver.Request{Kind: resolver.KindVariable, ID: "hello", Team: "team_a"}, want: "GET /v1/secret/data/variables/hello"},
		{name: "kv1", kw: map[string]any{"mount_point": "kv1", "kv_engine_version": 1}, req: connReq("smtp"), want: "GET /v1/kv1/connections/smtp"},
		{name: "mount from the id", kw: map[string]any{"mount_point": nil}, req: varReq("airflow/hello"), want: "GET /v1/airflow/data/variables/hello"},
		{name: "kind off", kw: map[string]any{"variables_path": nil}, req: varReq("hello"), want: "no request (this kind's path is null)"},
		{name: "dot-dot id", req: connReq("../x"), want: `no request ("../x" cannot name a secret here)`},
		{name: "another kind", req: resolver.Request{Kind: resolver.Kind(9), ID: "x"}, want: "no request (Kind(9) lookups are not served)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustOpen(t, f.kwargs(tt.kw))
			assert.Equal(t, tt.want, b.Describe(tt.req))
		})
	}
	assert.Empty(t, f.Requests(), "Describe makes no request")
}

// TestOtherKinds: Connection of a request of another kind is not found,
// without a request (a kind the backend does not serve: TestKit).
func TestOtherKinds(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	b := mustOpen(t, f.kwargs(nil))
	_, err := b.Connection(t.Context(), varReq("hello"))
	assert.ErrorIs(t, err, resolver.ErrNotFound, "Connection of a variable request")
	assert.Empty(t, f.Requests())
}

// TestRegistration: the backend's one-line description names Vault (the
// rest of the registration: TestKit).
func TestRegistration(t *testing.T) {
	for _, reg := range resolver.Registered() {
		if reg.Name == vault.Name {
			assert.Contains(t, reg.Doc, "Vault")
			return
		}
	}
	require.Fail(t, "vault is not registered")
}
