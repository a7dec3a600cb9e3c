package wasmhost_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/wasmhost"
)

// A noisy neighbour is a tenant that misbehaves on every call: it traps,
// runs until its CPU or time limit stops it, or grows its memory to the
// limit and traps.
type noisyKind struct {
	name   string
	module string
	cfg    wasmhost.TenantConfig
	want   string // every call fails with this in its error
}

var noisyKinds = []noisyKind{
	{"trapping", "trap_lookup", wasmhost.TenantConfig{}, "trapped: wasm error: unreachable"},
	{"timeout-fuel", "loop_lookup", wasmhost.TenantConfig{Limits: wasmhost.Limits{FuelPerCall: 20_000_000, CallTimeout: 10 * time.Second}},
		"CPU limit exceeded"},
	{"timeout-deadline", "loop_lookup", wasmhost.TenantConfig{DeadlineOnly: true, Limits: wasmhost.Limits{CallTimeout: 20 * time.Millisecond}},
		"exceeded the 20ms time limit"},
	{"memory-bomb", "grow_bomb", wasmhost.TenantConfig{Limits: wasmhost.Limits{CallTimeout: 10 * time.Second}},
		"trapped after reaching its memory limit of 256 pages"},
}

// neighbours runs noisy tenants, one goroutine each, until stop. While
// paused (gate held for writing) they make no call and none is in flight.
type neighbours struct {
	gate  sync.RWMutex
	stop  atomic.Bool
	wg    sync.WaitGroup
	calls atomic.Int64
	bad   atomic.Value // the first unexpected outcome
}

func startNeighbours(tb testing.TB, h *wasmhost.Host, k noisyKind, n, callsEach int) *neighbours {
	tb.Helper()
	nb := &neighbours{}
	m := loadFixture(tb, h, k.module+".wasm")
	for i := range n {
		cfg := k.cfg
		cfg.Name = fmt.Sprintf("%s-%d", k.name, i)
		tn, err := h.NewTenant(context.Background(), m, cfg)
		require.NoError(tb, err)
		nb.wg.Go(func() {
			for c := 0; callsEach == 0 || c < callsEach; c++ {
				nb.gate.RLock()
				if nb.stop.Load() {
					nb.gate.RUnlock()
					return
				}
				_, err := tn.Lookup(context.Background(), connReq("x"))
				nb.gate.RUnlock()
				nb.calls.Add(1)
				if err == nil || !strings.Contains(err.Error(), k.want) || !strings.Contains(err.Error(), cfg.Name) {
					nb.bad.CompareAndSwap(nil, fmt.Sprintf("%s: %v", cfg.Name, err))
				}
				if max := int64(wasmhost.DefaultPoolSize) * wasmhost.DefaultMemoryPages * guestPageSize; tn.MemoryBytes() > max {
					nb.bad.CompareAndSwap(nil, fmt.Sprintf("%s holds %d bytes of linear memory", cfg.Name, tn.MemoryBytes()))
				}
			}
		})
	}
	return nb
}

func (nb *neighbours) finish(tb testing.TB) {
	tb.Helper()
	nb.stop.Store(true)
	nb.wg.Wait()
	if bad := nb.bad.Load(); bad != nil {
		tb.Errorf("a noisy neighbour's call did not fail as expected: %v", bad)
	}
}

// TestBystanderUnaffectedByNoisyNeighbours: while tenants on the same host
// trap, hit their fuel and time limits and grow their memory to the limit,
// concurrently and repeatedly, each of those calls fails cleanly naming its
// tenant and the reason, and two bystanders (one of another module, one of
// the same module as a neighbour that traps) answer every lookup correctly.
// Nothing here is timed.
func TestBystanderUnaffectedByNoisyNeighbours(t *testing.T) {
	h := newHost(t)
	by := startBystander(t, h)

	m := loadFixture(t, h, "fuzz_guest.wasm")
	cfg := func(name string) wasmhost.TenantConfig {
		return wasmhost.TenantConfig{Name: name, Kwargs: guestKwargsFor(guestDefBuf, guestDefBufN, "", nil),
			Capabilities: wasmhost.Capabilities{Env: []string{"UNUSED"}, Clock: true, HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1:9"}}}}
	}
	sibling, err := h.NewTenant(t.Context(), m, cfg("sibling"))
	require.NoError(t, err)
	trapper, err := h.NewTenant(t.Context(), m, cfg("trapper"))
	require.NoError(t, err)
	trapProg := prog().set("never returned").op(opTrap).String()

	var all []*neighbours
	for _, k := range noisyKinds {
		all = append(all, startNeighbours(t, h, k, 2, 8))
	}
	var wg sync.WaitGroup
	var siblingOK, trapperFailed atomic.Int64
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := trapper.Lookup(context.Background(), connReq(trapProg))
			if assert.Error(t, err) && assert.Contains(t, err.Error(), `wasm tenant "trapper"`) {
				trapperFailed.Add(1)
			}
			v, err := sibling.Lookup(context.Background(), connReq(pingProg))
			if assert.NoError(t, err) && assert.Equal(t, "pong", v) {
				siblingOK.Add(1)
			}
		}
	})
	for i, nb := range all {
		nb.wg.Wait() // each neighbour makes its calls
		nb.finish(t)
		assert.Equal(t, int64(2*8), nb.calls.Load(), noisyKinds[i].name)
	}
	close(stop)
	wg.Wait()
	by.check(t)
	assert.Positive(t, siblingOK.Load())
	assert.Positive(t, trapperFailed.Load())
}

// BenchmarkIsolation measures a bystander tenant's lookup latency while
// noisy neighbours on the same host (GOMAXPROCS-1 of them, one goroutine
// each, so that on 2 cores they have the other core) misbehave without
// pause, against the same bystander alone: the two are measured in
// alternating rounds of the same run (the neighbours paused, with no call
// in flight, for the alone rounds). Metrics: alone-p50-ns, alone-p99-ns,
// p50-ns and p99-ns (with the neighbours), p99-ratio (p99 / alone-p99) and
// noisy-calls/s.
//
//	go test -run '^$' -bench BenchmarkIsolation -benchtime 200000x ./wasmhost
//
// Use -cpu to change the number of neighbours (-cpu 4 on 2 cores: 3
// neighbours, oversubscribed).
func BenchmarkIsolation(b *testing.B) {
	for _, k := range noisyKinds {
		b.Run(k.name, func(b *testing.B) {
			h := newHost(b)
			m := loadFixture(b, h, "reference.wasm")
			by, err := h.NewTenant(context.Background(), m, wasmhost.TenantConfig{
				Name: "bystander", Kwargs: []byte(`{"c:pg": "postgres://u:p@db:5432/x"}`),
			})
			require.NoError(b, err)
			ctx := context.Background()
			nb := startNeighbours(b, h, k, max(1, runtime.GOMAXPROCS(0)-1), 0)
			defer nb.finish(b)

			const rounds = 20
			per := max(1, b.N/(2*rounds))
			alone := make([]time.Duration, 0, rounds*per)
			noisy := make([]time.Duration, 0, rounds*per)
			measure := func(into *[]time.Duration) {
				for range per {
					t0 := time.Now()
					v, err := by.Lookup(ctx, connReq("pg"))
					*into = append(*into, time.Since(t0))
					if err != nil || v != "postgres://u:p@db:5432/x" {
						b.Fatalf("the bystander failed: %q %v", v, err)
					}
				}
			}
			var noisyTime time.Duration
			calls0 := nb.calls.Load()
			b.ResetTimer()
			for range rounds {
				b.StopTimer()
				nb.gate.Lock() // waits for calls in flight
				runtime.GC()   // the neighbours' garbage is theirs: start clean
				b.StartTimer()
				measure(&alone)
				nb.gate.Unlock()
				t0 := time.Now()
				measure(&noisy)
				noisyTime += time.Since(t0)
			}
			b.StopTimer()
			slices.Sort(alone)
			slices.Sort(noisy)
			pct := func(s []time.Duration, p float64) float64 { return float64(s[int(p*float64(len(s)-1))].Nanoseconds()) }
			b.ReportMetric(pct(alone, 0.50), "alone-p50-ns")
			b.ReportMetric(pct(alone, 0.99), "alone-p99-ns")
			b.ReportMetric(pct(noisy, 0.50), "p50-ns")
			b.ReportMetric(pct(noisy, 0.99), "p99-ns")
			b.ReportMetric(pct(noisy, 0.99)/pct(alone, 0.99), "p99-ratio")
			b.ReportMetric(pct(alone, 0.999), "alone-p999-ns")
			b.ReportMetric(pct(noisy, 0.999), "p999-ns")
			b.ReportMetric(float64(alone[len(alone)-1].Nanoseconds()), "alone-max-ns")
			b.ReportMetric(float64(noisy[len(noisy)-1].Nanoseconds()), "max-ns")
			b.ReportMetric(float64(nb.calls.Load()-calls0)/noisyTime.Seconds(), "noisy-calls/s")
		})
	}
}
