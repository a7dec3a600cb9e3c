package awsssm_test

import (
	"context"
	"testing"

	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

// typedHarness stores each kind under a prefix of its own given with a
// trailing "/" (which the backend strips), with the parameter types a
// deployment uses: connections are SecureString parameters (the fake hands
// their value out only to a request WithDecryption), variables and configs
// String ones.
type typedHarness struct{}

func (typedHarness) Capabilities() backendtest.Capabilities {
	// SSM refuses an empty parameter value.
	return backendtest.Capabilities{Configs: true, JSONConnections: true, MultilineValues: true}
}

func (typedHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	kw := fakeKwargs(f, nil)
	for _, k := range []struct {
		kind   string
		values map[string]string
		typ    string
	}{
		{"connections", seed.Connections, awsfake.SecureString},
		{"variables", seed.Variables, awsfake.String},
		{"config", seed.Configs, awsfake.String},
	} {
		prefix := "/conformance/" + k.kind
		kw[k.kind+"_prefix"] = prefix + "/" // the trailing "/" is stripped
		for id, v := range k.values {
			f.PutParameter(prefix+"/"+id, v, k.typ)
		}
	}
	return mustOpen(t, kw)
}

// fakeHarness serves the seed from our own fake, which checks every
// request's signature, under the default prefixes.
type fakeHarness struct{}

func (fakeHarness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{Configs: true, JSONConnections: true, MultilineValues: true}
}

func (fakeHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	for prefix, values := range map[string]map[string]string{
		"/airflow/connections/": seed.Connections,
		"/airflow/variables/":   seed.Variables,
		"/airflow/config/":      seed.Configs,
	} {
		for id, v := range values {
			f.PutParameter(prefix+id, v, awsfake.SecureString)
		}
	}
	return mustOpen(t, fakeKwargs(f, nil))
}

func TestConformance(t *testing.T) {
	awsfake.Isolate(t)
	t.Run("typed", func(t *testing.T) { backendtest.Run(t, typedHarness{}) })
	t.Run("fake", func(t *testing.T) { backendtest.Run(t, fakeHarness{}) })
}
