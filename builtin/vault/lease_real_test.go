package vault_test

import (
	"testing"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
)

// TestLeaseCachingReal: checkLeaseCaching against the real dev server (a
// KV v1 ttl of 1 s, which Vault allows).
func TestLeaseCachingReal(t *testing.T) {
	v := realVault(t)
	checkLeaseCaching(t, leaseStore{
		put: func(t *testing.T, kv int, path string, data map[string]any) { v.put(t, kv, path, data) },
		open: func(t *testing.T, kv int, ns string) *vault.Backend {
			kw := v.authKwargs(t, "token")
			kw["url"] = v.Addr
			kw["mount_point"] = v.mount(kv)
			kw["kv_engine_version"] = kv
			kw["connections_path"] = ns + "/connections"
			kw["variables_path"] = ns + "/variables"
			return mustOpen(t, kw)
		},
	})
}

// TestRealLeaseShapes: the real server and the fake answer the same
// lease_duration for each form of a KV v1 ttl key, and 0 for KV v2.
func TestRealLeaseShapes(t *testing.T) {
	v := realVault(t)
	f := newFake(t)
	ns := randomName("leaseshapes-")
	ttls := []any{nil, "1s", "2m", "1d", "1500ms", "3", 2, "0", "-5", -3, "1000000h", 1.5, true, "bogus"}
	for i, ttl := range ttls {
		data := map[string]any{"value": "v"}
		if ttl != nil {
			data["ttl"] = ttl
		}
		path := ns + "/" + string(rune('a'+i))
		for _, kv := range []int{1, 2} {
			v.put(t, kv, path, data)
			f.Put(map[int]string{1: "kv1", 2: "secret"}[kv], path, data)
		}
		realV1, err := v.root.Logical().ReadWithContext(t.Context(), v.KV1Mount+"/"+path)
		require.NoError(t, err)
		realV2, err := v.root.Logical().ReadWithContext(t.Context(), v.KV2Mount+"/data/"+path)
		require.NoError(t, err)
		fakeV1 := readLease(t, f, "kv1/"+path)
		fakeV2 := readLease(t, f, "secret/data/"+path)
		assert.Equal(t, realV1.LeaseDuration, fakeV1, "KV v1, ttl %#v", ttl)
		assert.Zero(t, realV2.LeaseDuration, "KV v2, ttl %#v", ttl)
		assert.Zero(t, fakeV2, "KV v2, ttl %#v", ttl)
	}
}

// readLease reads path from the fake with the API client and returns the
// lease_duration it answered.
func readLease(t *testing.T, f *fake, path string) int {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = f.URL
	c, err := api.NewClient(cfg)
	require.NoError(t, err)
	c.SetToken(f.root)
	s, err := c.Logical().ReadWithContext(t.Context(), path)
	require.NoError(t, err)
	require.NotNil(t, s, "%s", path)
	return s.LeaseDuration
}
