package azurekeyvault_test

import (
	"strings"
	"testing"

	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
)

// TestKit runs the remote backends' shared tables (registration, the
// kit's kwargs, lookups that make no request, the timeout) against the fake.
func TestKit(t *testing.T) {
	f := newFake(t)
	prefixes := map[resolver.Kind]string{
		resolver.KindConnection: azurekeyvault.DefaultConnectionsPrefix,
		resolver.KindVariable:   azurekeyvault.DefaultVariablesPrefix,
		resolver.KindConfig:     azurekeyvault.DefaultConfigPrefix,
	}
	mapName := strings.NewReplacer("_", azurekeyvault.DefaultSep, ".", azurekeyvault.DefaultSep)
	kittest.Run(t, kittest.Backend{
		Name: azurekeyvault.Name,
		Aliases: []string{
			"airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend",
			"airflow.contrib.secrets.azure_key_vault.AzureKeyVaultBackend",
		},
		Type: (*azurekeyvault.Backend)(nil),
		Open: func(t *testing.T, name string, kw map[string]any) (resolver.Backend, error) {
			return testutil.OpenKwargs(t, name, fakeKwargs(t, f, kw))
		},
		Requests: func() int { return f.Count("") },
		Put: func(_ *testing.T, kind resolver.Kind, id, value string) {
			f.SetSecret(prefixes[kind]+azurekeyvault.DefaultSep+mapName.Replace(id), value)
		},
		Hang:               func(*testing.T) { f.AddFault(azurefake.Fault{Hang: true}) },
		LocationSuffix:     "_prefix",
		Timeout:            "timeout_seconds",
		TimeoutMax:         86400,
		Verify:             "connection_verify",
		VerifyRefusesEmpty: true,
		Secrets:            []string{azurefake.ClientSecret},
	})
}
