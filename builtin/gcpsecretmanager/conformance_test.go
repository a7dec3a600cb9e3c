package gcpsecretmanager_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"

	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
	"github.com/secretpath/secretpath/resolver/config"
)

var capabilities = backendtest.Capabilities{
	Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true,
	// Secret ids are letters, digits, '-' and '_'.
	RestrictedIDs: true,
}

// adcHarness: Airflow's defaults, Application Default Credentials from the
// fake metadata server, which also names the project.
type adcHarness struct{}

func (adcHarness) Capabilities() backendtest.Capabilities { return capabilities }

func (adcHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := newFake(t)
	for prefix, values := range map[string]map[string]string{
		"airflow-connections-": seed.Connections,
		"airflow-variables-":   seed.Variables,
		"airflow-config-":      seed.Configs,
	} {
		for id, v := range values {
			f.PutSecret(prefix+id, v)
		}
	}
	return mustOpen(t, fakeKwargs(f, nil))
}

// keyHarness: a service-account key (its token from the fake token
// endpoint), another project, sep "_" and an empty variables prefix.
type keyHarness struct{}

func (keyHarness) Capabilities() backendtest.Capabilities { return capabilities }

func (keyHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := newFake(t)
	f.AddProject("conformance", "777")
	for prefix, values := range map[string]map[string]string{
		"team-conns_": seed.Connections,
		"_":           seed.Variables,
		"cfg_":        seed.Configs,
	} {
		for id, v := range values {
			f.PutSecretVersion("conformance", prefix+id, []byte(v))
		}
	}
	return mustOpen(t, fakeKwargs(f, map[string]any{
		"sep":                "_",
		"connections_prefix": "team-conns",
		"variables_prefix":   "",
		"config_prefix":      "cfg",
		"project_id":         "conformance",
		"gcp_keyfile_dict":   rawJSON(f.ServiceAccountKey(saEmail)),
	}))
}

// teamHarness: [core] multi_team on: the suite's team lookups ask for the
// team's secret (absent) and then the global one.
type teamHarness struct{}

func (teamHarness) Capabilities() backendtest.Capabilities { return capabilities }

func (teamHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := newFake(t)
	for prefix, values := range map[string]map[string]string{
		"airflow-connections-": seed.Connections,
		"airflow-variables-":   seed.Variables,
		"airflow-config-":      seed.Configs,
	} {
		for id, v := range values {
			f.PutSecret(prefix+id, v)
		}
	}
	raw, err := json.Marshal(fakeKwargs(f, nil))
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	file, err := config.Parse("airflow.cfg", []byte("[core]\nmulti_team = True\n"), nil)
	require.NoError(t, err)
	b, err := resolver.OpenBackend(t.Context(), gcpsecretmanager.Name, resolver.Env{Kwargs: kwargs, Config: file})
	require.NoError(t, err)
	return b
}

func TestConformance(t *testing.T) {
	gcpfake.Isolate(t, nil)
	t.Run("adc", func(t *testing.T) { backendtest.Run(t, adcHarness{}) })
	t.Run("key", func(t *testing.T) { backendtest.Run(t, keyHarness{}) })
	t.Run("multi_team", func(t *testing.T) { backendtest.Run(t, teamHarness{}) })
}
