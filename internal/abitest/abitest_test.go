package abitest_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/abitest"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
	"github.com/secretpath/secretpath/wasmhost"
)

func TestMain(m *testing.M) {
	code := m.Run()
	abitest.Cleanup()
	os.Exit(code)
}

// goGuestLimits are what a standard-Go guest needs (ABI.md §6), with a
// deadline generous enough for a loaded CI machine under -race: these tests
// are about behaviour, the hostile-module tests are about time limits.
var goGuestLimits = wasmhost.Limits{MemoryPages: 1024, CallTimeout: 30 * time.Second}

func newHost(t *testing.T) *wasmhost.Host {
	h, err := wasmhost.New(context.Background(), wasmhost.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

func loadFile(t *testing.T, h *wasmhost.Host, path string) *wasmhost.Module {
	m, err := h.LoadFile(context.Background(), path, "")
	require.NoError(t, err)
	return m
}

func TestGoJSONDocVectors(t *testing.T) {
	h := newHost(t)
	m := loadFile(t, h, abitest.BuildGoExample(t, "jsondoc"))
	abitest.RunVectors(t, h, m, abitest.LoadVectors(t, "jsondoc.json"), wasmhost.TenantConfig{Limits: goGuestLimits})
}

func TestGoHTTPSecretsVectors(t *testing.T) {
	h := newHost(t)
	m := loadFile(t, h, abitest.BuildGoExample(t, "httpsecrets"))
	abitest.RunVectors(t, h, m, abitest.LoadVectors(t, "httpsecrets.json"), wasmhost.TenantConfig{Limits: goGuestLimits})
}

// jsondocHarness serves the backendtest suite from the jsondoc example:
// the seed becomes its kwargs document.
type jsondocHarness struct {
	h *wasmhost.Host
	m *wasmhost.Module
}

func (jsondocHarness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true}
}

func (j jsondocHarness) Backend(ctx context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	kw, err := json.Marshal(map[string]any{"connections": seed.Connections, "variables": seed.Variables, "configs": seed.Configs})
	require.NoError(t, err)
	tn, err := j.h.NewTenant(ctx, j.m, wasmhost.TenantConfig{Name: t.Name(), Kwargs: kw, Limits: goGuestLimits})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tn.Close() })
	return tn
}

func TestGoJSONDocConformance(t *testing.T) {
	h := newHost(t)
	backendtest.Run(t, jsondocHarness{h: h, m: loadFile(t, h, abitest.BuildGoExample(t, "jsondoc"))})
}
