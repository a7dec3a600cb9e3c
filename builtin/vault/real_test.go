package vault_test

// Tests against a real Vault 1.14.1 (internal/testinfra/vaultdev, started by
// .ci/vault.sh). They run when SECRETPATH_VAULT_REAL names the server's info
// file, and otherwise skip (or fail under SECRETPATH_REQUIRE_ALL=1).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

// RealEnv names the info file .ci/vault.sh start writes.
const RealEnv = "SECRETPATH_VAULT_REAL"

// realInfo is what internal/testinfra/vaultdev prints.
type realInfo struct {
	Addr          string `json:"addr"`
	RootToken     string `json:"root_token"`
	KV1Mount      string `json:"kv1_mount"`
	KV2Mount      string `json:"kv2_mount"`
	Policy        string `json:"policy"`
	AppRoleMount  string `json:"approle_mount"`
	AppRoleRole   string `json:"approle_role"`
	RoleID        string `json:"role_id"`
	SecretID      string `json:"secret_id"`
	UserpassMount string `json:"userpass_mount"`
	Username      string `json:"username"`
	Password      string `json:"password"`

	root *api.Client
}

// realVault returns the real server, in an environment without VAULT_*
// variables, or skips.
func realVault(t testing.TB) *realInfo {
	t.Helper()
	path := os.Getenv(RealEnv)
	if path == "" {
		testutil.Missing(t, "a real Vault dev server (run .ci/vault.sh build && .ci/vault.sh start, then export %s=.ci/out/vault.json)", RealEnv)
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err, "%s", RealEnv)
	var info realInfo
	require.NoError(t, json.Unmarshal(raw, &info), "%s", RealEnv)
	require.NotEmpty(t, info.Addr)
	vaultfake.Isolate(t)
	cfg := api.DefaultConfig()
	cfg.Address = info.Addr
	info.root, err = api.NewClient(cfg)
	require.NoError(t, err)
	info.root.SetToken(info.RootToken)
	_, err = info.root.Auth().Token().LookupSelfWithContext(t.Context())
	require.NoError(t, err, "the dev server at %s answers", info.Addr)
	return &info
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// put writes data at path of the KV mount of version kv.
func (v *realInfo) put(t testing.TB, kv int, path string, data map[string]any) {
	t.Helper()
	var err error
	if kv == 1 {
		err = v.root.KVv1(v.KV1Mount).Put(t.Context(), path, data)
	} else {
		_, err = v.root.KVv2(v.KV2Mount).Put(t.Context(), path, data)
	}
	require.NoError(t, err, "writing %s", path)
}

func (v *realInfo) mount(kv int) string {
	if kv == 1 {
		return v.KV1Mount
	}
	return v.KV2Mount
}

// authKwargs are the kwargs of an auth type against the dev server: token
// is a policy-limited token (not the root token), approle and userpass use
// the role and user the server made.
func (v *realInfo) authKwargs(t testing.TB, auth string) map[string]any {
	t.Helper()
	switch auth {
	case "token":
		s, err := v.root.Auth().Token().CreateWithContext(t.Context(), &api.TokenCreateRequest{Policies: []string{v.Policy}, TTL: "1h"})
		require.NoError(t, err)
		return map[string]any{"token": s.Auth.ClientToken}
	case "approle":
		return map[string]any{"auth_type": "approle", "role_id": v.RoleID, "secret_id": v.SecretID, "auth_mount_point": v.AppRoleMount}
	case "userpass":
		return map[string]any{"auth_type": "userpass", "username": v.Username, "password": v.Password, "auth_mount_point": v.UserpassMount}
	}
	t.Fatalf("auth %q", auth)
	return nil
}

type realHarness struct {
	v    *realInfo
	kv   int
	auth string
}

func (realHarness) Capabilities() backendtest.Capabilities { return caps }

func (h realHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	ns := randomName("conformance-")
	for id, v := range seed.Connections {
		h.v.put(t, h.kv, ns+"/connections/"+id, secretFor(t, id, v))
	}
	for id, v := range seed.Variables {
		h.v.put(t, h.kv, ns+"/variables/"+id, map[string]any{"value": v})
	}
	for id, v := range seed.Configs {
		h.v.put(t, h.kv, ns+"/config/"+id, map[string]any{"value": v})
	}
	kw := map[string]any{
		"url":               h.v.Addr,
		"mount_point":       h.v.mount(h.kv),
		"kv_engine_version": h.kv,
		"connections_path":  ns + "/connections",
		"variables_path":    ns + "/variables/",
		"config_path":       ns + "/config",
	}
	for k, val := range h.v.authKwargs(t, h.auth) {
		kw[k] = val
	}
	return mustOpen(t, kw)
}

// TestConformanceReal: the conformance suite against a real Vault, KV v1
// and v2, with token, AppRole and userpass authentication.
func TestConformanceReal(t *testing.T) {
	v := realVault(t)
	for _, kv := range []int{2, 1} {
		for _, auth := range []string{"token", "approle", "userpass"} {
			t.Run(map[int]string{1: "kv1", 2: "kv2"}[kv]+"/"+auth, func(t *testing.T) {
				backendtest.Run(t, realHarness{v: v, kv: kv, auth: auth})
			})
		}
	}
}

// TestRealShapes: what the real server answers maps as the fake's does:
// fields, 404 (missing, soft-deleted), 403 for a path the policy denies,
// and the mount taken from the id.
func TestRealShapes(t *testing.T) {
	v := realVault(t)
	ns := randomName("shapes-")
	v.put(t, 2, ns+"/connections/fields", map[string]any{"conn_type": "postgresql", "host": "db", "port": "5432", "extra": map[string]any{"n": 1}})
	v.put(t, 2, ns+"/variables/deleted", map[string]any{"value": "x"})
	require.NoError(t, v.root.KVv2(v.KV2Mount).Delete(t.Context(), ns+"/variables/deleted"))
	v.put(t, 1, ns+"/variables/number", map[string]any{"value": 42})

	kw := v.authKwargs(t, "approle")
	kw["url"] = v.Addr
	kw["connections_path"] = ns + "/connections"
	kw["variables_path"] = ns + "/variables"
	b := mustOpen(t, kw)
	c, err := b.Connection(t.Context(), connReq("fields"))
	require.NoError(t, err)
	assert.Equal(t, "postgresql", c.ConnType)
	assert.Equal(t, 5432, c.Port)
	assert.Equal(t, `{"n": 1}`, c.Extra)
	_, err = b.Lookup(t.Context(), varReq("deleted"))
	assert.ErrorIs(t, err, resolver.ErrNotFound, "soft-deleted")
	_, err = b.Lookup(t.Context(), varReq("absent"))
	assert.ErrorIs(t, err, resolver.ErrNotFound)

	// mount_point null: the id's first segment is the mount.
	kw["mount_point"] = nil
	kw["kv_engine_version"] = 1
	b = mustOpen(t, kw)
	got, err := b.Lookup(t.Context(), varReq(v.KV1Mount+"/number"))
	require.NoError(t, err)
	assert.Equal(t, "42", got)

	// A mount the policy does not cover: 403 after a re-login.
	kw["mount_point"] = "not-in-the-policy"
	kw["kv_engine_version"] = 1
	b = mustOpen(t, kw)
	_, err = b.Lookup(t.Context(), varReq("x"))
	require.ErrorIs(t, err, resolver.ErrPermissionDenied)
	assert.Contains(t, err.Error(), "permission denied")
}

// TestRealReauthentication: the tokens of an AppRole login are revoked
// with the root token behind the backend's back; the next lookup logs in
// again and succeeds. Then a role whose tokens live 2 s (not renewable
// past that): lookups keep working across expiries.
func TestRealReauthentication(t *testing.T) {
	v := realVault(t)
	ctx := t.Context()
	mount := randomName("approle-reauth-")
	require.NoError(t, v.root.Sys().EnableAuthWithOptionsWithContext(ctx, mount, &api.EnableAuthOptions{Type: "approle"}))
	t.Cleanup(func() { _ = v.root.Sys().DisableAuthWithContext(context.Background(), mount) })
	role := func(name string, params map[string]any) (string, string) {
		params["token_policies"] = []string{v.Policy}
		_, err := v.root.Logical().WriteWithContext(ctx, "auth/"+mount+"/role/"+name, params)
		require.NoError(t, err)
		s, err := v.root.Logical().ReadWithContext(ctx, "auth/"+mount+"/role/"+name+"/role-id")
		require.NoError(t, err)
		sid, err := v.root.Logical().WriteWithContext(ctx, "auth/"+mount+"/role/"+name+"/secret-id", nil)
		require.NoError(t, err)
		return s.Data["role_id"].(string), sid.Data["secret_id"].(string)
	}
	ns := randomName("reauth-")
	v.put(t, 2, ns+"/variables/hello", map[string]any{"value": "world"})

	t.Run("revoked", func(t *testing.T) {
		roleID, secretID := role("long", map[string]any{"token_ttl": "1h"})
		b := mustOpen(t, map[string]any{"url": v.Addr, "auth_type": "approle", "auth_mount_point": mount,
			"role_id": roleID, "secret_id": secretID, "variables_path": ns + "/variables"})
		got, err := b.Lookup(ctx, varReq("hello"))
		require.NoError(t, err)
		require.Equal(t, "world", got)

		_, err = v.root.Logical().WriteWithContext(ctx, "sys/leases/revoke-prefix/auth/"+mount, nil)
		require.NoError(t, err, "revoke every token of the mount")

		got, err = b.Lookup(ctx, varReq("hello"))
		require.NoError(t, err, "the backend logs in again")
		assert.Equal(t, "world", got)
	})
	t.Run("expiring", func(t *testing.T) {
		roleID, secretID := role("short", map[string]any{"token_ttl": "2s", "token_max_ttl": "2s"})
		b := mustOpen(t, map[string]any{"url": v.Addr, "auth_type": "approle", "auth_mount_point": mount,
			"role_id": roleID, "secret_id": secretID, "variables_path": ns + "/variables"})
		deadline := time.Now().Add(6 * time.Second) // three token lifetimes
		n := 0
		for time.Now().Before(deadline) {
			got, err := b.Lookup(ctx, varReq("hello"))
			require.NoError(t, err, "lookup %d", n)
			require.Equal(t, "world", got)
			n++
			time.Sleep(100 * time.Millisecond)
		}
	})
}
