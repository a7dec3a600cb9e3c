package vaultfake_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/vaultfake"
)

func client(t *testing.T, f *vaultfake.Server, token string) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = f.URL
	c, err := api.NewClient(cfg)
	require.NoError(t, err)
	c.SetToken(token)
	return c
}

// TestShapes: the official client reads the fake's answers as it reads a
// real Vault's (shared/notes/test-doubles.md §1c).
func TestShapes(t *testing.T) {
	vaultfake.Isolate(t)
	f := vaultfake.New(t)
	f.Mount("kv1", 1)
	f.Mount("kv2", 2)
	f.Put("kv1", "conn/db", map[string]any{"conn_uri": "postgres://u:p@h/db"})
	f.Put("kv2", "conn/db", map[string]any{"conn_uri": "postgres://u:p@h/db"})
	f.Put("kv2", "conn/gone", map[string]any{"conn_uri": "x"})
	f.SoftDelete("kv2", "conn/gone")
	c := client(t, f, f.CreateToken(vaultfake.TokenOptions{}))
	ctx := t.Context()

	s1, err := c.KVv1("kv1").Get(ctx, "conn/db")
	require.NoError(t, err)
	assert.Equal(t, "postgres://u:p@h/db", s1.Data["conn_uri"])
	s2, err := c.KVv2("kv2").Get(ctx, "conn/db")
	require.NoError(t, err)
	assert.Equal(t, "postgres://u:p@h/db", s2.Data["conn_uri"])
	assert.Equal(t, 1, s2.VersionMetadata.Version)

	_, err = c.KVv1("kv1").Get(ctx, "conn/missing")
	assert.ErrorIs(t, err, api.ErrSecretNotFound)
	_, err = c.KVv2("kv2").Get(ctx, "conn/missing")
	assert.ErrorIs(t, err, api.ErrSecretNotFound)
	s, err := c.Logical().ReadWithContext(ctx, "kv2/data/conn/missing")
	assert.NoError(t, err)
	assert.Nil(t, s, "Read of a missing secret: nil, nil")
	s, err = c.Logical().ReadWithContext(ctx, "kv2/data/conn/gone")
	require.NoError(t, err)
	require.NotNil(t, s, "a soft-deleted version answers 404 with its metadata")
	assert.Nil(t, s.Data["data"])
	assert.NotEmpty(t, s.Data["metadata"].(map[string]any)["deletion_time"])

	bad := client(t, f, "hvs.bad")
	_, err = bad.Logical().ReadWithContext(ctx, "kv2/data/conn/db")
	var re *api.ResponseError
	require.True(t, errors.As(err, &re))
	assert.Equal(t, 403, re.StatusCode)
	assert.Equal(t, []string{"permission denied"}, re.Errors)

	f.Fail(vaultfake.Fault{Path: "kv1/*", Status: 503, Errors: []string{"Vault is sealed"}, Times: 1})
	c.SetMaxRetries(0)
	_, err = c.Logical().ReadWithContext(ctx, "kv1/conn/db")
	require.True(t, errors.As(err, &re))
	assert.Equal(t, 503, re.StatusCode)
	assert.Equal(t, []string{"Vault is sealed"}, re.Errors)
	_, err = c.Logical().ReadWithContext(ctx, "kv1/conn/db")
	assert.NoError(t, err, "the fault answered once")

	f.Fail(vaultfake.Fault{Path: "kv1/echo", Status: 400, Errors: []string{"refused: "}, QuoteBody: true, Times: 1})
	_, err = c.Logical().WriteWithContext(ctx, "kv1/echo", map[string]any{"k": "v"})
	require.True(t, errors.As(err, &re))
	assert.Equal(t, 400, re.StatusCode)
	assert.Equal(t, []string{`refused: {"k":"v"}`}, re.Errors, "QuoteBody: the errors end with the request's body")
}

// TestTokens: login, lookup-self, renew-self and revoke-self as the client
// parses them.
func TestTokens(t *testing.T) {
	vaultfake.Isolate(t)
	f := vaultfake.New(t)
	f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{TTL: time.Hour, Renewable: true, Policies: []string{"default", "app"}})
	f.AddCredential("approle", "role", "secret")
	c := client(t, f, "")
	ctx := t.Context()

	_, err := c.Logical().WriteWithContext(ctx, "auth/approle/login", map[string]any{"role_id": "role", "secret_id": "wrong"})
	var re *api.ResponseError
	require.True(t, errors.As(err, &re))
	assert.Equal(t, 400, re.StatusCode)
	assert.Equal(t, []string{"invalid secret id"}, re.Errors)

	s, err := c.Logical().WriteWithContext(ctx, "auth/approle/login", map[string]any{"role_id": "role", "secret_id": "secret"})
	require.NoError(t, err)
	require.NotNil(t, s.Auth)
	assert.Equal(t, 3600, s.Auth.LeaseDuration)
	assert.True(t, s.Auth.Renewable)
	assert.Equal(t, []string{"default", "app"}, s.Auth.Policies)
	tok := s.Auth.ClientToken
	assert.Equal(t, []string{tok}, f.LoginTokens())

	c.SetToken(tok)
	self, err := c.Auth().Token().LookupSelfWithContext(ctx)
	require.NoError(t, err)
	ttl, err := self.TokenTTL()
	require.NoError(t, err)
	assert.InDelta(t, time.Hour.Seconds(), ttl.Seconds(), 5)
	renewable, err := self.TokenIsRenewable()
	require.NoError(t, err)
	assert.True(t, renewable)

	r, err := c.Auth().Token().RenewTokenAsSelfWithContext(ctx, tok, 0)
	require.NoError(t, err)
	assert.Equal(t, tok, r.Auth.ClientToken)
	assert.Equal(t, 1, f.Renewals(tok))

	require.NoError(t, c.Auth().Token().RevokeSelfWithContext(ctx, ""))
	assert.True(t, f.Revoked(tok))
	_, err = c.Auth().Token().LookupSelfWithContext(ctx)
	require.True(t, errors.As(err, &re))
	assert.Equal(t, 403, re.StatusCode)
}

// TestNamespaceAndPolicies: the namespace header prefixes the path; a
// token's path prefixes stand in for a policy.
func TestNamespaceAndPolicies(t *testing.T) {
	vaultfake.Isolate(t)
	f := vaultfake.New(t)
	f.Mount("ns1/secret", 2)
	f.Put("ns1/secret", "a", map[string]any{"value": "in ns1"})
	f.Mount("secret", 2)
	f.Put("secret", "a", map[string]any{"value": "root"})
	f.Put("secret", "b", map[string]any{"value": "denied"})
	c := client(t, f, f.CreateToken(vaultfake.TokenOptions{Paths: []string{"secret/data/a", "ns1/"}}))
	ctx := t.Context()

	s, err := c.KVv2("secret").Get(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "root", s.Data["value"])
	s, err = c.WithNamespace("ns1").KVv2("secret").Get(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "in ns1", s.Data["value"])
	reqs := f.Requests()
	assert.Equal(t, "ns1", reqs[len(reqs)-1].Namespace)

	_, err = c.KVv2("secret").Get(ctx, "b")
	var re *api.ResponseError
	require.True(t, errors.As(err, &re))
	assert.Equal(t, 403, re.StatusCode)
	_, err = c.KVv2("nosuch").Get(ctx, "a")
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, 403, re.StatusCode, "outside the token's paths")
}

// TestMetadata: the official client's KVv2.GetMetadata decodes the fake's
// metadata answers; each Put is a new version, a soft delete sets the
// current version's deletion_time, DeleteMetadata makes both reads 404;
// Count tells metadata reads from data reads.
func TestMetadata(t *testing.T) {
	vaultfake.Isolate(t)
	f := vaultfake.New(t)
	f.Mount("kv2", 2)
	c := client(t, f, f.CreateToken(vaultfake.TokenOptions{}))
	ctx := t.Context()

	_, err := c.KVv2("kv2").GetMetadata(ctx, "conn/db")
	require.ErrorIs(t, err, api.ErrSecretNotFound, "no secret, no metadata")

	f.Put("kv2", "conn/db", map[string]any{"conn_uri": "a"})
	f.Put("kv2", "conn/db", map[string]any{"conn_uri": "b"})
	m, err := c.KVv2("kv2").GetMetadata(ctx, "conn/db")
	require.NoError(t, err)
	assert.Equal(t, 2, m.CurrentVersion)
	require.Contains(t, m.Versions, "2")
	assert.True(t, m.Versions["2"].DeletionTime.IsZero())
	assert.False(t, m.Versions["2"].Destroyed)
	s, err := c.KVv2("kv2").Get(ctx, "conn/db")
	require.NoError(t, err)
	assert.Equal(t, 2, s.VersionMetadata.Version, "the data read names the current version")

	f.SoftDelete("kv2", "conn/db")
	m, err = c.KVv2("kv2").GetMetadata(ctx, "conn/db")
	require.NoError(t, err)
	assert.Equal(t, 2, m.CurrentVersion)
	assert.False(t, m.Versions["2"].DeletionTime.IsZero(), "soft-deleted")
	assert.True(t, m.Versions["1"].DeletionTime.IsZero())

	f.DeleteMetadata("kv2", "conn/db")
	_, err = c.KVv2("kv2").GetMetadata(ctx, "conn/db")
	require.ErrorIs(t, err, api.ErrSecretNotFound)
	_, err = c.KVv2("kv2").Get(ctx, "conn/db")
	require.ErrorIs(t, err, api.ErrSecretNotFound)

	assert.Equal(t, 4, f.Count("kv2/metadata/*"))
	assert.Equal(t, 2, f.Count("kv2/data/*"))
}

// TestKV1Lease: a KV v1 read answers the lease_duration the secret's ttl
// key sets, as the real dev server answered these ttls (Vault 1.14.1);
// KV v2 reads answer 0 whatever the data holds.
func TestKV1Lease(t *testing.T) {
	vaultfake.Isolate(t)
	f := vaultfake.New(t)
	f.Mount("kv1", 1)
	f.Mount("kv2", 2)
	c := client(t, f, f.CreateToken(vaultfake.TokenOptions{}))
	tests := []struct {
		name string
		ttl  any // nil: no ttl key
		want int
	}{
		{"no ttl", nil, vaultfake.DefaultLease},
		{"duration string", "1s", 1},
		{"minutes", "2m", 120},
		{"days", "1d", 86400},
		{"rounded down", "1500ms", 1},
		{"digits", "3", 3},
		{"JSON integer", 2, 2},
		{"zero", "0", 0},
		{"negative, echoed", "-5", -5},
		{"negative integer, echoed", -3, -3},
		{"not capped", "1000000h", 3600000000},
		{"fraction: the default", 1.5, vaultfake.DefaultLease},
		{"boolean: the default", true, vaultfake.DefaultLease},
		{"unparsable: the default", "bogus", vaultfake.DefaultLease},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := map[string]any{"value": "v"}
			if tt.ttl != nil {
				data["ttl"] = tt.ttl
			}
			f.Put("kv1", "lease", data)
			f.Put("kv2", "lease", data)
			s, err := c.Logical().ReadWithContext(t.Context(), "kv1/lease")
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.LeaseDuration)
			s, err = c.Logical().ReadWithContext(t.Context(), "kv2/data/lease")
			require.NoError(t, err)
			assert.Zero(t, s.LeaseDuration, "KV v2")
		})
	}
}
