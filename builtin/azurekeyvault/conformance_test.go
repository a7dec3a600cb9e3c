package azurekeyvault_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

// harness serves the seed from a fake vault, under the names the backend
// itself gives each id, through a backend built from kwargs with a
// client-secret credential (challenge, token and vault over TLS). With
// multiTeam, [core] multi_team is on: the suite's team lookups ask for the
// team's secret (absent) and then the global one.
type harness struct{ multiTeam bool }

func (harness) Capabilities() backendtest.Capabilities {
	// Key Vault compares names ignoring case and accepts an empty value.
	return backendtest.Capabilities{Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true, CaseInsensitiveIDs: true}
}

func (h harness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := newFake(t)
	cfg := ""
	if h.multiTeam {
		cfg = "[core]\nmulti_team = True\n"
	}
	b := mustOpenConfig(t, fakeKwargs(t, f, nil), cfg, nil)
	for k, values := range map[resolver.Kind]map[string]string{
		resolver.KindConnection: seed.Connections,
		resolver.KindVariable:   seed.Variables,
		resolver.KindConfig:     seed.Configs,
	} {
		for id, v := range values {
			name, err := b.SecretName(resolver.Request{Kind: k, ID: id})
			require.NoError(t, err, id)
			f.SetSecret(name, v)
		}
	}
	return b
}

func TestConformance(t *testing.T) {
	t.Run("multi_team off", func(t *testing.T) { backendtest.Run(t, harness{}) })
	t.Run("multi_team on", func(t *testing.T) { backendtest.Run(t, harness{multiTeam: true}) })
}
