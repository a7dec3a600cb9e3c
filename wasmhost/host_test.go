package wasmhost_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
	"github.com/secretpath/secretpath/wasmhost"
)

func newHost(t testing.TB) *wasmhost.Host {
	t.Helper()
	h, err := wasmhost.New(context.Background(), wasmhost.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

func loadFixture(t testing.TB, h *wasmhost.Host, name string) *wasmhost.Module {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	m, err := h.Load(context.Background(), b)
	require.NoError(t, err, name)
	return m
}

// referenceKwargs encodes a seed in the reference guest's kwargs format
// ("c:<id>", "v:<key>", "g:<key>": see testdata/reference.wat).
func referenceKwargs(t testing.TB, seed backendtest.Seed) []byte {
	kw := map[string]string{}
	for k, v := range seed.Connections {
		kw["c:"+k] = v
	}
	for k, v := range seed.Variables {
		kw["v:"+k] = v
	}
	for k, v := range seed.Configs {
		kw["g:"+k] = v
	}
	b, err := json.Marshal(kw)
	require.NoError(t, err)
	return b
}

type referenceHarness struct {
	h *wasmhost.Host
	m *wasmhost.Module
}

func (referenceHarness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true}
}

func (rh referenceHarness) Backend(ctx context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	tn, err := rh.h.NewTenant(ctx, rh.m, wasmhost.TenantConfig{Name: t.Name(), Kwargs: referenceKwargs(t, seed)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tn.Close() })
	return tn
}

func TestConformanceReferenceGuest(t *testing.T) {
	h := newHost(t)
	backendtest.Run(t, referenceHarness{h: h, m: loadFixture(t, h, "reference.wasm")})
}

func TestCompilationCacheDir(t *testing.T) {
	dir := t.TempDir()
	wasm, err := os.ReadFile(filepath.Join("testdata", "reference.wasm"))
	require.NoError(t, err)
	for round := range 2 {
		h, err := wasmhost.New(context.Background(), wasmhost.Options{CacheDir: dir})
		require.NoError(t, err)
		m, err := h.Load(context.Background(), wasm)
		require.NoError(t, err, "round %d", round)
		again, err := h.Load(context.Background(), wasm)
		require.NoError(t, err)
		require.Same(t, m, again, "the same bytes are compiled once")
		tn, err := h.NewTenant(context.Background(), m, wasmhost.TenantConfig{Kwargs: []byte(`{"v:k": "v"}`)})
		require.NoError(t, err)
		v, err := tn.Variable(context.Background(), "k")
		require.NoError(t, err)
		require.Equal(t, "v", v)
		require.NoError(t, h.Close(context.Background()))
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "compiled code is kept on disk")
}
