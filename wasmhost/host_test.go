package wasmhost_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
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

// connReq, varReq and cfgReq are the requests for a connection, a variable
// and a config.
func connReq(id string) resolver.Request {
	return resolver.Request{Kind: resolver.KindConnection, ID: id}
}

func varReq(id string) resolver.Request { return resolver.Request{Kind: resolver.KindVariable, ID: id} }

func cfgReq(id string) resolver.Request { return resolver.Request{Kind: resolver.KindConfig, ID: id} }

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
		v, err := tn.Lookup(context.Background(), varReq("k"))
		require.NoError(t, err)
		require.Equal(t, "v", v)
		require.NoError(t, h.Close(context.Background()))
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "compiled code is kept on disk")
}

// TestLookupKinds: Lookup calls the export of the request's kind; a config
// lookup of a module without secretpath_get_config, and a kind ABI v1 does
// not know, make no call and are not found. Describe says where each goes.
func TestLookupKinds(t *testing.T) {
	h := newHost(t)
	ref, err := h.NewTenant(t.Context(), loadFixture(t, h, "reference.wasm"), wasmhost.TenantConfig{
		Name: "ref", Kwargs: []byte(`{"c:x": "mysql://h", "v:x": "var", "g:x": "cfg"}`),
	})
	require.NoError(t, err)
	defer ref.Close()
	for _, tc := range []struct {
		kind resolver.Kind
		want string
	}{{resolver.KindConnection, "mysql://h"}, {resolver.KindVariable, "var"}, {resolver.KindConfig, "cfg"}} {
		v, err := ref.Lookup(t.Context(), resolver.Request{Kind: tc.kind, ID: "x"})
		require.NoError(t, err, tc.kind)
		assert.Equal(t, tc.want, v, tc.kind)
		v, err = ref.Lookup(t.Context(), resolver.Request{Kind: tc.kind, ID: "x", Team: "team_a"})
		require.NoError(t, err, "a team is not passed to the guest: %s", tc.kind)
		assert.Equal(t, tc.want, v, tc.kind)
	}
	for _, k := range []resolver.Kind{0, resolver.KindConfig + 1, 255} {
		_, err := ref.Lookup(t.Context(), resolver.Request{Kind: k, ID: "x"})
		assert.ErrorIs(t, err, resolver.ErrNotFound, k)
		assert.Contains(t, ref.Describe(resolver.Request{Kind: k, ID: "x"}), "no call", k)
	}
	assert.Regexp(t, `^module sha256:[0-9a-f]{12}, tenant "ref", connection "x"$`, ref.Describe(connReq("x")))
	assert.Regexp(t, `^module sha256:[0-9a-f]{12}, tenant "ref", config "x"$`, ref.Describe(cfgReq("x")))

	clock, err := h.NewTenant(t.Context(), loadFixture(t, h, "cap_clock.wasm"), wasmhost.TenantConfig{
		Name: "clock", Capabilities: wasmhost.Capabilities{Clock: true},
	})
	require.NoError(t, err)
	defer clock.Close()
	_, err = clock.Lookup(t.Context(), cfgReq("x"))
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, clock.Describe(cfgReq("x")), "exports no secretpath_get_config: no call")
}
