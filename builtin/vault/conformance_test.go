package vault_test

import (
	"context"
	"testing"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

var caps = backendtest.Capabilities{Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true}

// fakeHarness serves the seed from a fresh fake per backend, under paths of
// its own, with KV version kv.
type fakeHarness struct{ kv int }

func (fakeHarness) Capabilities() backendtest.Capabilities { return caps }

func (h fakeHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := newFake(t)
	mount := "secret"
	if h.kv == 1 {
		mount = "kv1"
	}
	for id, v := range seed.Connections {
		f.Put(mount, "airflow/connections/"+id, secretFor(t, id, v))
	}
	for id, v := range seed.Variables {
		f.Put(mount, "airflow/variables/"+id, map[string]any{"value": v})
	}
	for id, v := range seed.Configs {
		f.Put(mount, "airflow/config/"+id, map[string]any{"value": v})
	}
	return mustOpen(t, f.kwargs(map[string]any{
		"mount_point":       mount,
		"kv_engine_version": h.kv,
		"connections_path":  "airflow/connections/", // the trailing "/" is dropped
		"variables_path":    "airflow/variables",
		"config_path":       "airflow/config",
	}))
}

func TestConformanceFake(t *testing.T) {
	t.Run("kv2", func(t *testing.T) { backendtest.Run(t, fakeHarness{kv: 2}) })
	t.Run("kv1", func(t *testing.T) { backendtest.Run(t, fakeHarness{kv: 1}) })
}
