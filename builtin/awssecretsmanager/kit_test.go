package awssecretsmanager_test

import (
	"testing"

	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
)

// TestKit runs the remote backends' shared tables (registration, the
// kit's kwargs, lookups that make no request, lookup patterns, the timeout) against
// the fake.
func TestKit(t *testing.T) {
	f := newFake(t)
	prefixes := map[resolver.Kind]string{
		resolver.KindConnection: awssecretsmanager.DefaultConnectionsPrefix,
		resolver.KindVariable:   awssecretsmanager.DefaultVariablesPrefix,
		resolver.KindConfig:     awssecretsmanager.DefaultConfigPrefix,
	}
	kittest.Run(t, kittest.Backend{
		Name: awssecretsmanager.Name,
		Aliases: []string{
			"airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
			"airflow.contrib.secrets.aws_secrets_manager.SecretsManagerBackend",
		},
		Type: (*awssecretsmanager.Backend)(nil),
		Open: func(t *testing.T, name string, kw map[string]any) (resolver.Backend, error) {
			return testutil.OpenKwargs(t, name, fakeKwargs(f, kw))
		},
		Requests: func() int { return f.Count("") },
		Put: func(_ *testing.T, kind resolver.Kind, id, value string) {
			f.PutSecret(prefixes[kind]+awssecretsmanager.DefaultSep+id, value)
		},
		Hang:           func(*testing.T) { f.AddFault(awsfake.Fault{Hang: true}) },
		LocationSuffix: "_prefix",
		Patterns:       true,
		Timeout:        "timeout_seconds",
		TimeoutMax:     86400,
		Verify:         "verify",
		Secrets:        []string{awsfake.Creds.SecretAccessKey},
	})
}
