package abitest_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/abitest"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
	"github.com/secretpath/secretpath/wasmhost"
)

// smallGuestLimits are the default limits (16 MiB of memory: C, Rust and
// AssemblyScript guests need no more) with a deadline generous enough for
// a loaded CI machine under -race.
var smallGuestLimits = wasmhost.Limits{CallTimeout: 30 * time.Second}

// guestJSONDocHarness serves the backendtest suite from any language's
// jsondoc example, with the given limits.
type guestJSONDocHarness struct {
	h      *wasmhost.Host
	m      *wasmhost.Module
	limits wasmhost.Limits
}

func (guestJSONDocHarness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true}
}

func (j guestJSONDocHarness) Backend(ctx context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	kw, err := json.Marshal(map[string]any{"connections": seed.Connections, "variables": seed.Variables, "configs": seed.Configs})
	require.NoError(t, err)
	tn, err := j.h.NewTenant(ctx, j.m, wasmhost.TenantConfig{Name: t.Name(), Kwargs: kw, Limits: j.limits})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tn.Close() })
	return tn
}

// runGuestSuite runs everything the kit has for one language: both
// examples' vectors, the backendtest suite and the ABI edge cases.
func runGuestSuite(t *testing.T, build func(testing.TB, string) string, limits wasmhost.Limits) {
	t.Run("JSONDocVectors", func(t *testing.T) {
		h := newHost(t)
		m := loadFile(t, h, build(t, "jsondoc"))
		abitest.RunVectors(t, h, m, abitest.LoadVectors(t, "jsondoc.json"), wasmhost.TenantConfig{Limits: limits})
	})
	t.Run("HTTPSecretsVectors", func(t *testing.T) {
		h := newHost(t)
		m := loadFile(t, h, build(t, "httpsecrets"))
		abitest.RunVectors(t, h, m, abitest.LoadVectors(t, "httpsecrets.json"), wasmhost.TenantConfig{Limits: limits})
	})
	t.Run("JSONDocConformance", func(t *testing.T) {
		h := newHost(t)
		backendtest.Run(t, guestJSONDocHarness{h: h, m: loadFile(t, h, build(t, "jsondoc")), limits: limits})
	})
	t.Run("JSONDocEdgeCases", func(t *testing.T) {
		h := newHost(t)
		abitest.RunJSONDocEdgeCases(t, h, loadFile(t, h, build(t, "jsondoc")), wasmhost.TenantConfig{Limits: limits})
	})
}
