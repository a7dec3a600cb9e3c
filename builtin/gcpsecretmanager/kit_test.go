package gcpsecretmanager_test

import (
	"testing"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
)

// TestKit runs the remote backends' shared tables (registration, the
// kit's kwargs, lookups that make no request) against the fake. Requests
// are Secret Manager's: opening asks the metadata server for the project.
func TestKit(t *testing.T) {
	f := newFake(t)
	prefixes := map[resolver.Kind]string{
		resolver.KindConnection: gcpsecretmanager.DefaultConnectionsPrefix,
		resolver.KindVariable:   gcpsecretmanager.DefaultVariablesPrefix,
		resolver.KindConfig:     gcpsecretmanager.DefaultConfigPrefix,
	}
	kittest.Run(t, kittest.Backend{
		Name: gcpsecretmanager.Name,
		Aliases: []string{
			"airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend",
			"airflow.contrib.secrets.gcp_secrets_manager.CloudSecretsManagerBackend",
		},
		Type: (*gcpsecretmanager.Backend)(nil),
		Open: func(t *testing.T, name string, kw map[string]any) (resolver.Backend, error) {
			return testutil.OpenKwargs(t, name, fakeKwargs(f, kw))
		},
		Requests: func() int { return f.Count(gcpfake.APISecretManager) },
		Put: func(_ *testing.T, kind resolver.Kind, id, value string) {
			f.PutSecret(prefixes[kind]+gcpsecretmanager.DefaultSep+id, value)
		},
		LocationSuffix: "_prefix",
		Secrets:        []string{gcpfake.MetadataToken},
	})
}
