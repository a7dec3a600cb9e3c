package awssecretsmanager_test

import (
	"context"
	"testing"

	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

// prefixedHarness stores each kind under a prefix of its own given with a
// trailing "/" (which the backend strips), with the default separator.
type prefixedHarness struct{}

func (prefixedHarness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true}
}

func (prefixedHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	kw := fakeKwargs(f, nil)
	for kind, values := range map[string]map[string]string{
		"connections": seed.Connections,
		"variables":   seed.Variables,
		"config":      seed.Configs,
	} {
		prefix := "conformance/" + kind
		kw[kind+"_prefix"] = prefix + "/" // the trailing sep is stripped
		for id, v := range values {
			f.PutSecret(prefix+"/"+id, v)
		}
	}
	return mustOpen(t, kw)
}

// fakeHarness serves the seed from our own fake, which checks every
// request's signature, with a separator of its own.
type fakeHarness struct{}

func (fakeHarness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true}
}

func (fakeHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	for prefix, values := range map[string]map[string]string{
		"airflow-connections:": seed.Connections,
		"airflow-variables:":   seed.Variables,
		"airflow-config:":      seed.Configs,
	} {
		for id, v := range values {
			f.PutSecret(prefix+id, v)
		}
	}
	return mustOpen(t, fakeKwargs(f, map[string]any{
		"sep":                ":",
		"connections_prefix": "airflow-connections",
		"variables_prefix":   "airflow-variables::",
		"config_prefix":      "airflow-config",
	}))
}

func TestConformance(t *testing.T) {
	awsfake.Isolate(t)
	t.Run("prefixed", func(t *testing.T) { backendtest.Run(t, prefixedHarness{}) })
	t.Run("fake", func(t *testing.T) { backendtest.Run(t, fakeHarness{}) })
}
