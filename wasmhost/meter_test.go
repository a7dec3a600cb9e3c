package wasmhost_test

import (
	"context"
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
