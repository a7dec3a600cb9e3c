package wasmhost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// TestFuelBudget: a metered tenant's call stops when it has used its fuel,
// long before its wall deadline, and the next call gets a fresh budget.
func TestFuelBudget(t *testing.T) {
	h := newHost(t)
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "loop_lookup.wasm"), wasmhost.TenantConfig{
		Name: "budget", Limits: wasmhost.Limits{CallTimeout: time.Minute, FuelPerCall: 50_000_000},
	})
	require.NoError(t, err)
	require.True(t, tn.Metered())
	_, err = tn.Lookup(t.Context(), connReq("x"))
	require.Error(t, err)
	// Stopped by fuel, not by the 1-minute deadline: the error says which.
	assert.Contains(t, err.Error(), "RESOURCE_EXHAUSTED: CPU limit exceeded: the call used 5000")
	assert.Contains(t, err.Error(), "units of fuel, over its budget of 50000000")
	_, err = tn.Lookup(t.Context(), varReq("x"))
	assert.ErrorIs(t, err, resolver.ErrNotFound, "a fresh instance and budget")

	// A lookup well within the budget is untouched by it.
	ref, err := h.NewTenant(t.Context(), loadFixture(t, h, "reference.wasm"), wasmhost.TenantConfig{
		Name: "within", Kwargs: []byte(`{"c:a": "mysql://h"}`), Limits: wasmhost.Limits{FuelPerCall: 1_000_000},
	})
	require.NoError(t, err)
	for range 100 {
		v, err := ref.Lookup(t.Context(), connReq("a"))
		require.NoError(t, err)
		require.Equal(t, "mysql://h", v)
	}
}

// TestMeteringModes: trusted tenants are not metered; deadline-only ones
// are not; untrusted ones are, and a metered loop honours its caller.
func TestMeteringModes(t *testing.T) {
	h := newHost(t)
	m := loadFixture(t, h, "bench_guest.wasm")
	for _, tc := range []struct {
		cfg     wasmhost.TenantConfig
		metered bool
	}{
		{wasmhost.TenantConfig{}, true},
		{wasmhost.TenantConfig{DeadlineOnly: true}, false},
		{wasmhost.TenantConfig{Trusted: true}, false},
	} {
		tn, err := h.NewTenant(t.Context(), m, tc.cfg)
		require.NoError(t, err)
		assert.Equal(t, tc.metered, tn.Metered(), "%+v", tc.cfg)
		v, err := tn.Lookup(t.Context(), connReq("some-id"))
		require.NoError(t, err)
		assert.Equal(t, "postgres://user:password@db.example.com:5432/analytics?x=123", v)
	}

	loop, err := h.NewTenant(t.Context(), loadFixture(t, h, "loop_lookup.wasm"), wasmhost.TenantConfig{
		Name: "looper", Limits: wasmhost.Limits{CallTimeout: time.Minute},
	})
	require.NoError(t, err)
	require.True(t, loop.Metered())
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = loop.Lookup(ctx, connReq("x"))
	assert.ErrorIs(t, err, context.Canceled, "refill notices the caller gave up")
}

// TestFuelBudgetInInit: a guest looping in init, _initialize or its start
// section is stopped by its fuel budget before the tenant exists.
func TestFuelBudgetInInit(t *testing.T) {
	h := newHost(t)
	for _, module := range []string{"loop_init", "loop_initialize", "start_loop", "loop_buffer"} {
		_, err := h.NewTenant(t.Context(), loadFixture(t, h, module+".wasm"), wasmhost.TenantConfig{
			Name: module, Limits: wasmhost.Limits{CallTimeout: time.Minute, FuelPerCall: 20_000_000},
		})
		require.Error(t, err, module)
		assert.Contains(t, err.Error(), "CPU limit exceeded", module)
	}
}

// TestMeteredDeadlineWithLaggingCoarseClock: a metered call's deadline is
// measured on the real clock, however far the host's coarse clock lags
// when the call starts (a ticker starved or a process suspended for a
// while): a call that takes several fuel chunks of work well within its
// CallTimeout is not cut short, and a call that loops still ends at its
// CallTimeout, with the coarse clock lagging or stopped.
func TestMeteredDeadlineWithLaggingCoarseClock(t *testing.T) {
	h := newHost(t)
	// The reference guest scans every entry for an id it does not hold:
	// 50,000 entries take several fuel chunks.
	kw := map[string]string{}
	for i := range 50_000 {
		kw[fmt.Sprintf("c:conn_%05d", i)] = "mysql://h"
	}
	kwargs, err := json.Marshal(kw)
	require.NoError(t, err)
	scan, err := h.NewTenant(t.Context(), loadFixture(t, h, "reference.wasm"), wasmhost.TenantConfig{
		Name: "scan", Kwargs: kwargs, Limits: wasmhost.Limits{CallTimeout: time.Minute, PoolSize: 1},
	})
	require.NoError(t, err)
	require.True(t, scan.Metered())
	const timeout = 300 * time.Millisecond
	loop, err := h.NewTenant(t.Context(), loadFixture(t, h, "loop_lookup.wasm"), wasmhost.TenantConfig{
		Name: "loop", Limits: wasmhost.Limits{CallTimeout: timeout},
	})
	require.NoError(t, err)

	for _, lag := range []time.Duration{0, time.Second, time.Hour} {
		t.Run(fmt.Sprintf("lag %v", lag), func(t *testing.T) {
			restore := wasmhost.FreezeCoarseClock(lag)
			defer restore()

			_, err := scan.Lookup(t.Context(), connReq("absent"))
			require.ErrorIs(t, err, resolver.ErrNotFound, "the scan ran to its end, not cut short")
			assert.Greater(t, wasmhost.FuelOfLastCall(scan), 2*int64(wasmhost.FuelChunk), "the scan refilled: its deadline was checked")

			// The caller's context only keeps a broken deadline from hanging
			// the test: it must be the tenant's time limit that stops it.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			start := time.Now()
			_, err = loop.Lookup(ctx, connReq("x"))
			elapsed := time.Since(start)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "RESOURCE_EXHAUSTED: exceeded the 300ms time limit")
			assert.GreaterOrEqual(t, elapsed, timeout, "not stopped before its time limit")
			assert.NoError(t, ctx.Err())

			assert.GreaterOrEqual(t, wasmhost.CoarseClockLag(), lag, "the coarse clock lagged throughout")
		})
	}
}
