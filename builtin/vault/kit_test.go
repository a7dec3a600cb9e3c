package vault_test

import (
	"testing"

	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
)

// TestKit runs the remote backends' shared tables (registration, the
// kit's kwargs, lookups that make no request) against the fake. Requests
// include authentication: a lookup that makes none does not log in.
func TestKit(t *testing.T) {
	f := newFake(t)
	paths := map[resolver.Kind]string{
		resolver.KindConnection: vault.DefaultConnectionsPath,
		resolver.KindVariable:   vault.DefaultVariablesPath,
		resolver.KindConfig:     vault.DefaultConfigPath,
	}
	kittest.Run(t, kittest.Backend{
		Name: vault.Name,
		Aliases: []string{
			"airflow.providers.hashicorp.secrets.vault.VaultBackend",
			"airflow.contrib.secrets.hashicorp_vault.VaultBackend",
		},
		Type:          (*vault.Backend)(nil),
		LocationLists: true, // PR #70006: paths tried in order (TestPathLists)
		Open: func(t *testing.T, name string, kw map[string]any) (resolver.Backend, error) {
			b, err := testutil.OpenKwargs(t, name, f.kwargs(kw))
			if err == nil {
				t.Cleanup(func() { _ = b.(*vault.Backend).Close() })
			}
			return b, err
		},
		Requests: func() int { return len(f.Requests()) },
		Put: func(_ *testing.T, kind resolver.Kind, id, value string) {
			data := map[string]any{"value": value}
			if kind == resolver.KindConnection {
				data = map[string]any{"conn_uri": value}
			}
			f.Put(vault.DefaultMountPoint, paths[kind]+"/"+id, data)
		},
		LocationSuffix: "_path",
		Timeout:        "timeout",
		TimeoutMax:     1e9,
		Verify:         "verify",
		Secrets:        []string{f.root},
	})
}
