package wasmhost_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/secretpath/secretpath/wasmhost"
)

// TestMetrics: traps, timeouts, fuel exhaustion and memory-limit traps are
// counted per tenant with their reason, as are instances created and
// recycled; a tenant that answers normally adds no failure.
func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	h, err := wasmhost.New(context.Background(), wasmhost.Options{
		Logger:        slog.New(slog.DiscardHandler),
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	ctx := t.Context()
	tenant := func(name, fixture string, cfg wasmhost.TenantConfig) *wasmhost.Tenant {
		cfg.Name = name
		tn, err := h.NewTenant(ctx, loadFixture(t, h, fixture), cfg)
		require.NoError(t, err)
		return tn
	}
	trapper := tenant("trapper", "trap_lookup.wasm", wasmhost.TenantConfig{})
	looperFuel := tenant("looper-fuel", "loop_lookup.wasm", wasmhost.TenantConfig{Limits: wasmhost.Limits{FuelPerCall: 1_000_000, CallTimeout: time.Minute}})
	looperTime := tenant("looper-time", "loop_lookup.wasm", wasmhost.TenantConfig{DeadlineOnly: true, Limits: wasmhost.Limits{CallTimeout: 50 * time.Millisecond}})
	bomber := tenant("bomber", "grow_bomb.wasm", wasmhost.TenantConfig{Limits: wasmhost.Limits{MemoryPages: 16, CallTimeout: 20 * time.Second}})
	good := tenant("good", "bench_guest.wasm", wasmhost.TenantConfig{Limits: wasmhost.Limits{MaxCallsPerInstance: 2}})

	for range 2 {
		_, err = trapper.Lookup(ctx, connReq("x"))
		require.Error(t, err)
		_, err = looperFuel.Lookup(ctx, connReq("x"))
		require.ErrorContains(t, err, "fuel")
		_, err = looperTime.Lookup(ctx, connReq("x"))
		require.ErrorContains(t, err, "time limit")
		_, err = bomber.Lookup(ctx, connReq("x"))
		require.ErrorContains(t, err, "memory limit")
	}
	for range 5 {
		_, _ = good.Lookup(ctx, connReq("c1"))
	}

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			require.True(t, ok, m.Name)
			for _, p := range sum.DataPoints {
				tn, _ := p.Attributes.Value("secretpath.tenant")
				reason, _ := p.Attributes.Value("secretpath.reason")
				got[m.Name+"/"+tn.AsString()+"/"+reason.AsString()] += p.Value
			}
		}
	}
	for key, want := range map[string]int64{
		"secretpath.wasm.failures/trapper/trap":             2,
		"secretpath.wasm.failures/looper-fuel/fuel":         2,
		"secretpath.wasm.failures/looper-time/timeout":      2,
		"secretpath.wasm.failures/bomber/memory_limit":      2,
		"secretpath.wasm.instances.recycled/trapper/failed": 2,
		"secretpath.wasm.instances.recycled/good/max_calls": 2, // after calls 2 and 4
		"secretpath.wasm.instances.created/good/":           3, // the first, then after each recycle
		"secretpath.wasm.instances.created/trapper/":        2, // the first, then one after the first trap
	} {
		assert.Equal(t, want, got[key], key)
	}
	for key := range got {
		assert.NotContains(t, key, "failures/good/", "a healthy tenant has no failures")
	}
}
