package awssecretsmanager_test

import (
	"context"
	"testing"

	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/internal/kumotest"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

// kumoHarness seeds the emulator under a namespace of its own per backend
// (kumo's storage is shared by the whole test binary) and opens the backend
// through the registry with prefixes pointing there.
type kumoHarness struct{ srv *kumotest.Server }

func (kumoHarness) Capabilities() backendtest.Capabilities {
	// kumo answers an empty SecretString with "can't find the specified
	// secret version"; the fake covers empty variables.
	return backendtest.Capabilities{Configs: true, JSONConnections: true, MultilineValues: true}
}

func (h kumoHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	ns := kumotest.Namespace("conformance")
	kw := h.srv.Kwargs()
	for kind, values := range map[string]map[string]string{
		"connections": seed.Connections,
		"variables":   seed.Variables,
		"config":      seed.Configs,
	} {
		prefix := ns + "/" + kind
		kw[kind+"_prefix"] = prefix + "/" // the trailing sep is stripped
		for id, v := range values {
			h.srv.CreateSecret(t, prefix+"/"+id, v)
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
	t.Run("kumo", func(t *testing.T) { backendtest.Run(t, kumoHarness{kumotest.Start(t)}) })
	t.Run("fake", func(t *testing.T) { backendtest.Run(t, fakeHarness{}) })
}
