package awsssm_test

import (
	"testing"

	"github.com/secretpath/secretpath/builtin/awsssm"
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
		resolver.KindConnection: awsssm.DefaultConnectionsPrefix,
		resolver.KindVariable:   awsssm.DefaultVariablesPrefix,
		resolver.KindConfig:     awsssm.DefaultConfigPrefix,
	}
	kittest.Run(t, kittest.Backend{
		Name: awsssm.Name,
		Aliases: []string{
			"airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
			"airflow.contrib.secrets.aws_systems_manager.SystemsManagerParameterStoreBackend",
		},
		Type: (*awsssm.Backend)(nil),
		Open: func(t *testing.T, name string, kw map[string]any) (resolver.Backend, error) {
			return testutil.OpenKwargs(t, name, fakeKwargs(f, kw))
		},
		Requests: func() int { return f.Count("") },
		Put: func(_ *testing.T, kind resolver.Kind, id, value string) {
			f.PutParameter(prefixes[kind]+"/"+id, value, awsfake.SecureString)
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
