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
// client-secret credential (challenge, token and vault over TLS).
type harness struct{}

func (harness) Capabilities() backendtest.Capabilities {
	// Key Vault compares names ignoring case and accepts an empty value.
	return backendtest.Capabilities{Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true, CaseInsensitiveIDs: true}
}

func (harness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := newFake(t)
	b := mustOpen(t, fakeKwargs(t, f, nil))
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
	backendtest.Run(t, harness{})
}
