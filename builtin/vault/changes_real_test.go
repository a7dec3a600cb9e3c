package vault_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/resolver"
)

// TestChangesReal: the metadata poll against a real Vault's KV v2: a
// rotation, a soft delete, an undelete, a destroy and a metadata delete
// followed by a new secret (current_version 1 again) each reach a Watcher.
func TestChangesReal(t *testing.T) {
	v := realVault(t)
	ns := randomName("changes-")
	path := ns + "/variables/v"
	v.put(t, 2, path, map[string]any{"value": "one"})
	kw := withKw(fastPoll, map[string]any{
		"url": v.Addr, "mount_point": v.KV2Mount, "variables_path": ns + "/variables",
	})
	b := mustOpen(t, withKw(kw, v.authKwargs(t, "token")))
	r := resolver.New(resolver.WithBackend(vault.Name, b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	t.Cleanup(func() { _ = w.Close() })
	require.Equal(t, "one", watch(t, w).Value.Reveal())

	kv := v.root.KVv2(v.KV2Mount)
	ctx := t.Context()
	steps := []struct {
		name   string
		change func() error
		want   string // "" = not found
	}{
		{"rotated", func() error { _, err := kv.Put(ctx, path, map[string]any{"value": "two"}); return err }, "two"},
		{"soft-deleted", func() error { return kv.Delete(ctx, path) }, ""},
		{"undeleted", func() error { return kv.Undelete(ctx, path, []int{2}) }, "two"},
		{"destroyed", func() error { return kv.Destroy(ctx, path, []int{2}) }, ""},
		{"rotated after a destroy", func() error { _, err := kv.Put(ctx, path, map[string]any{"value": "three"}); return err }, "three"},
		{"metadata deleted", func() error { return kv.DeleteMetadata(ctx, path) }, ""},
		{"written again (version 1 again)", func() error { _, err := kv.Put(ctx, path, map[string]any{"value": "four"}); return err }, "four"},
	}
	for _, s := range steps {
		require.NoError(t, s.change(), s.name)
		res := watch(t, w)
		if s.want == "" {
			assert.ErrorIs(t, res.Err, resolver.ErrNotFound, s.name)
			continue
		}
		require.NoError(t, res.Err, s.name)
		assert.Equal(t, s.want, res.Value.Reveal(), s.name)
		got, err := r.Variable(ctx, "v")
		require.NoError(t, err, s.name)
		assert.Equal(t, s.want, got.Reveal(), "%s: the cached lookup", s.name)
	}
}

// TestChangesRealDenied: with a policy granting read on data/ but not on
// metadata/, Vault answers the metadata read 403: that id's version is
// "denied" and the others' changes are still seen, without a broken
// stream.
func TestChangesRealDenied(t *testing.T) {
	v := realVault(t)
	ns := randomName("changes-denied-")
	policy := ns
	rules := fmt.Sprintf("path %q { capabilities = [\"read\"] }\npath %q { capabilities = [\"read\"] }\n",
		v.KV2Mount+"/data/"+ns+"/*", v.KV2Mount+"/metadata/"+ns+"/variables/open")
	require.NoError(t, v.root.Sys().PutPolicyWithContext(t.Context(), policy, rules))
	tok, err := v.root.Auth().Token().CreateWithContext(t.Context(), &api.TokenCreateRequest{Policies: []string{policy}, TTL: "1h"})
	require.NoError(t, err)
	for _, id := range []string{"open", "closed"} {
		v.put(t, 2, ns+"/variables/"+id, map[string]any{"value": "one"})
	}
	b := mustOpen(t, withKw(fastPoll, map[string]any{
		"url": v.Addr, "mount_point": v.KV2Mount, "variables_path": ns + "/variables", "token": tok.Auth.ClientToken,
	}))
	open := resolver.Request{Kind: resolver.KindVariable, ID: "open"}
	c := runChanges(t, b, resolver.Request{Kind: resolver.KindVariable, ID: "closed"}, open)
	require.Equal(t, resolver.Event{All: true}, c.next(t))
	v.put(t, 2, ns+"/variables/closed", map[string]any{"value": "two"})
	v.put(t, 2, ns+"/variables/open", map[string]any{"value": "two"})
	assert.Equal(t, ev(open), c.next(t))
}
