package wasmhost_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/wasmhost"
)

// TestPoolHandOff: many lookups share a small pool, through the hot
// instance and the idle channel, with instances recycled (MaxCallsPerInstance)
// and evicted meanwhile. Every lookup gets an instance of its own and its
// own answer; none waits for an instance that went back to the pool (it
// would wait until its context ends and fail); the pool never holds more
// instances than its size.
func TestPoolHandOff(t *testing.T) {
	const uri = "postgres://user:password@db.example.com:5432/analytics?x=123"
	h := newHost(t)
	for _, tc := range []struct {
		module   string
		cfg      wasmhost.TenantConfig
		evicting bool
	}{
		{"bench_guest_buf.wasm", wasmhost.TenantConfig{Limits: wasmhost.Limits{PoolSize: 1}}, false},
		{"bench_guest_buf.wasm", wasmhost.TenantConfig{Trusted: true, Limits: wasmhost.Limits{PoolSize: 1}}, false},
		{"bench_guest.wasm", wasmhost.TenantConfig{Limits: wasmhost.Limits{PoolSize: 2}}, false},
		{"bench_guest.wasm", wasmhost.TenantConfig{DeadlineOnly: true, Limits: wasmhost.Limits{PoolSize: 2}}, false},
		{"bench_guest_buf.wasm", wasmhost.TenantConfig{Limits: wasmhost.Limits{PoolSize: 2, MaxCallsPerInstance: 3}}, false},
		{"bench_guest.wasm", wasmhost.TenantConfig{Trusted: true, Limits: wasmhost.Limits{PoolSize: 1, MaxCallsPerInstance: 5}}, true},
		{"bench_guest_buf.wasm", wasmhost.TenantConfig{Limits: wasmhost.Limits{PoolSize: 3}}, true},
	} {
		name := fmt.Sprintf("%s pool %d recycle %d trusted %v deadline-only %v evicting %v", tc.module,
			tc.cfg.Limits.PoolSize, tc.cfg.Limits.MaxCallsPerInstance, tc.cfg.Trusted, tc.cfg.DeadlineOnly, tc.evicting)
		t.Run(name, func(t *testing.T) {
			tn, err := h.NewTenant(t.Context(), loadFixture(t, h, tc.module), tc.cfg)
			require.NoError(t, err)
			defer tn.Close()
			perInstance := tn.MemoryBytes()
			require.Positive(t, perInstance)
			maxBytes := int64(tc.cfg.Limits.PoolSize) * perInstance

			const workers, lookups = 8, 200
			var wg sync.WaitGroup
			var failures, overfull atomic.Int64
			stop := make(chan struct{})
			watch := func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if tn.MemoryBytes() > maxBytes {
						overfull.Add(1)
					}
					if tc.evicting {
						tn.Evict(context.Background())
					}
					time.Sleep(50 * time.Microsecond)
				}
			}
			wg.Add(1)
			go watch()
			var lookupsWG sync.WaitGroup
			for range workers {
				lookupsWG.Add(1)
				go func() {
					defer lookupsWG.Done()
					for range lookups {
						ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
						v, err := tn.Lookup(ctx, connReq("analytics_pg_01a"))
						cancel()
						if err != nil || v != uri {
							failures.Add(1)
							t.Errorf("lookup: %q, %v", v, err)
							return
						}
					}
				}()
			}
			lookupsWG.Wait()
			close(stop)
			wg.Wait()
			assert.Zero(t, failures.Load())
			assert.Zero(t, overfull.Load(), "more live instances than the pool's size")
			assert.LessOrEqual(t, tn.MemoryBytes(), maxBytes)
		})
	}
}
