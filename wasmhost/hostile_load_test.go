package wasmhost_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// slowModule is within every structural limit but takes wazero seconds to
// compile (a large nesting depth sum: ~190M of the 256M allowed).
func slowModule() []byte { return wasmhost.Funcs(15, wasmhost.NopsAt(2_400, 3_000)) }

// TestFailedTenantModuleNotRetained: a module whose tenant cannot be
// created is freed once its Load reference is closed, while Load keeps
// returning the same *Module for as long as it is held.
func TestFailedTenantModuleNotRetained(t *testing.T) {
	h := newHost(t)
	wasm := readFixture(t, "memory_over_limit") // 257 pages: over the default tenant limit
	m, err := h.Load(t.Context(), wasm)
	require.NoError(t, err)
	again, err := h.Load(t.Context(), wasm)
	require.NoError(t, err)
	assert.Same(t, m, again, "Load returns the held module")
	require.NoError(t, again.Close())

	_, err = h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "over"})
	require.Error(t, err)
	assert.Equal(t, 1, h.HeldModules(), "still held by its first Load")
	require.NoError(t, m.Close())
	assert.Zero(t, h.HeldModules(), "a module whose tenant creation failed is not retained")
	_, err = h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "late"})
	assert.ErrorContains(t, err, "is closed")

	// A module held by a tenant outlives its Load reference.
	ref := loadFixture(t, h, "reference.wasm")
	tn, err := h.NewTenant(t.Context(), ref, wasmhost.TenantConfig{Name: "ok", Kwargs: []byte(`{"v:a": "b"}`)})
	require.NoError(t, err)
	require.NoError(t, ref.Close())
	assert.Equal(t, 1, h.HeldModules())
	v, err := tn.Lookup(t.Context(), varReq("a"))
	require.NoError(t, err)
	assert.Equal(t, "b", v)
	require.NoError(t, tn.Close())
	assert.Zero(t, h.HeldModules(), "freed with its last tenant")
}

// TestLoadCompilesOnce: a module loaded for the default (metered) tenants
// is compiled once, for the metered runtime, not once to validate and once
// more for the tenant.
func TestLoadCompilesOnce(t *testing.T) {
	h := newHost(t)
	m := loadFixture(t, h, "reference.wasm")
	assert.Equal(t, 1, m.CompiledClasses(), "Load compiled the module once")
	tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "metered"})
	require.NoError(t, err)
	defer tn.Close()
	require.True(t, tn.Metered())
	assert.Equal(t, 1, m.CompiledClasses(), "the metered tenant reused Load's compilation")
}

// TestLoadOutsideHostLock: while one module compiles for seconds, another
// module loads and a tenant is created; the old host compiled under its
// lock and stalled them until the slow compile ended.
func TestLoadOutsideHostLock(t *testing.T) {
	h := newHost(t)
	ref := loadFixture(t, h, "reference.wasm")
	var slowDone atomic.Bool
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		close(started)
		_, err := h.Load(context.Background(), slowModule())
		slowDone.Store(true)
		done <- err
	}()
	<-started
	time.Sleep(100 * time.Millisecond) // let the slow compile take the lock, if there is one
	_, err := h.Load(t.Context(), readFixture(t, "statuses"))
	require.NoError(t, err)
	tn, err := h.NewTenant(t.Context(), ref, wasmhost.TenantConfig{Name: "bystander"})
	require.NoError(t, err)
	defer tn.Close()
	assert.False(t, slowDone.Load(), "the other Load and tenant waited for the slow compile")
	require.NoError(t, <-done)
}

// TestLoadHonoursContext: a Load whose context ends returns its error at
// once instead of after the compile, and the abandoned compile is not
// kept.
func TestLoadHonoursContext(t *testing.T) {
	h := newHost(t)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := h.Load(ctx, slowModule())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Eventually(t, func() bool { return h.HeldModules() == 0 }, 60*time.Second, 10*time.Millisecond,
		"the abandoned module is forgotten once its compile stops")
	// The same bytes load fine afterwards.
	m, err := h.Load(t.Context(), slowModule())
	require.NoError(t, err)
	assert.Equal(t, 1, h.HeldModules())
	require.NoError(t, m.Close())
}

// TestDeepRecursionReturns: a lookup that recurses 1.5M frames deep and
// returns normally left ~82 MB of wazero stack with each pooled instance.
// A metered tenant stops it at the call-depth counter; deadline-only and
// trusted tenants recycle the instance after a call that ran past the
// slow-call threshold (Limits.SlowCallRecycle, 200 ms by default; lowered
// to 0 here, the mechanism, not the clock).
func TestDeepRecursionReturns(t *testing.T) {
	h := newHost(t)
	m, err := h.Load(t.Context(), wasmhost.DeepRecursion(1_500_000))
	require.NoError(t, err)
	limits := wasmhost.Limits{PoolSize: 1, CallTimeout: 30 * time.Second}

	metered, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "metered", Limits: limits})
	require.NoError(t, err)
	defer metered.Close()
	_, err = metered.Lookup(t.Context(), connReq("x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exceeded the call depth limit")
	assert.Contains(t, err.Error(), `wasm tenant "metered"`)
	_, err = metered.Lookup(t.Context(), varReq("x"))
	assert.ErrorIs(t, err, resolver.ErrNotFound, "the failed instance was replaced")

	for _, tc := range []struct {
		name string
		cfg  wasmhost.TenantConfig
	}{
		{"deadline", wasmhost.TenantConfig{DeadlineOnly: true}},
		{"trusted", wasmhost.TenantConfig{Trusted: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Name, tc.cfg.Limits = tc.name, limits
			tc.cfg.Limits.SlowCallRecycle = time.Hour
			tn, err := h.NewTenant(t.Context(), m, tc.cfg)
			require.NoError(t, err)
			defer tn.Close()
			// Past the threshold: the instance that ran the call is closed.
			restore := wasmhost.SetSlowCallRecycle(tn, 0)
			_, err = tn.Lookup(t.Context(), connReq("x"))
			restore()
			require.ErrorIs(t, err, resolver.ErrNotFound, "the recursion returns normally")
			_, err = tn.Lookup(t.Context(), varReq("x"))
			assert.ErrorIs(t, err, resolver.ErrNotFound, "a fresh instance answered, not the one holding the deep stack")
			// Under the threshold (an hour, the tenant's Limits): the instance
			// is reused (what the test above tells apart).
			_, err = tn.Lookup(t.Context(), connReq("x"))
			require.ErrorIs(t, err, resolver.ErrNotFound)
			_, err = tn.Lookup(t.Context(), varReq("x"))
			assert.ErrorContains(t, err, "INVALID_ARGUMENT", "the same instance answered")
		})
	}
}
