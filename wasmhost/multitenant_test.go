package wasmhost_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/wasmhost"
)

// rssBytes reads the process's resident set size (Linux).
func rssBytes(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Logf("no /proc/self/status: %v", err)
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestThousandTenants runs 1,000 tenants from two modules in one host, each
// with its own kwargs, answering concurrently; each must see only its own
// data. The resident memory is reported, not asserted (shared machine).
func TestThousandTenants(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const n = 1000
	h := newHost(t)
	ref := loadFixture(t, h, "reference.wasm")
	bench := loadFixture(t, h, "bench_guest.wasm")

	runtime.GC()
	rss0 := rssBytes(t)
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)

	tenants := make([]*wasmhost.Tenant, n)
	for i := range tenants {
		m := ref
		kw := fmt.Sprintf(`{"c:db": "postgres://tenant%d:pw%d@db%d:5432/x", "v:who": "tenant-%d"}`, i, i, i, i)
		if i%2 == 1 {
			m, kw = bench, `{}`
		}
		tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
			Name: fmt.Sprintf("tenant-%d", i), Kwargs: []byte(kw), Limits: wasmhost.Limits{PoolSize: 1},
		})
		require.NoError(t, err)
		tenants[i] = tn
	}
	runtime.GC()
	rss1 := rssBytes(t)
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := g; i < n; i += 16 {
				tn := tenants[i]
				v, err := tn.Lookup(context.Background(), connReq("db"))
				want := "postgres://user:password@db.example.com:5432/analytics?x=123"
				if i%2 == 0 {
					want = fmt.Sprintf("postgres://tenant%d:pw%d@db%d:5432/x", i, i, i)
				}
				if err != nil || v != want {
					errs <- fmt.Errorf("tenant %d: got %q, %v", i, v, err)
					return
				}
				if i%2 == 0 {
					if v, err := tn.Lookup(context.Background(), varReq("who")); err != nil || v != fmt.Sprintf("tenant-%d", i) {
						errs <- fmt.Errorf("tenant %d variable: got %q, %v", i, v, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var linear int64
	for _, tn := range tenants {
		linear += tn.MemoryBytes()
	}
	t.Logf("%d tenants from 2 modules: RSS %+.1f MiB (%.1f KiB per tenant), Go heap %+.1f MiB, guest linear memory %.1f MiB",
		n, float64(rss1-rss0)/(1<<20), float64(rss1-rss0)/n/1024,
		float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc))/(1<<20), float64(linear)/(1<<20))
	assert.GreaterOrEqual(t, linear, int64(n)*65536, "each tenant's instance holds at least one page")

	evicted := 0
	for _, tn := range tenants {
		evicted += tn.Evict(context.Background())
	}
	assert.Equal(t, n, evicted)
	var after int64
	for _, tn := range tenants {
		after += tn.MemoryBytes()
	}
	assert.Zero(t, after, "evicting idle instances gives their memory back")
	v, err := tenants[0].Lookup(context.Background(), connReq("db"))
	require.NoError(t, err, "an evicted tenant comes back on its next lookup")
	assert.Equal(t, "postgres://tenant0:pw0@db0:5432/x", v)
}

func TestEvictIdle(t *testing.T) {
	h := newHost(t)
	m := loadFixture(t, h, "bench_guest.wasm")
	var tenants []*wasmhost.Tenant
	for i := range 3 {
		tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: fmt.Sprint("t", i)})
		require.NoError(t, err)
		tenants = append(tenants, tn)
	}
	assert.Zero(t, h.EvictIdle(t.Context(), time.Hour), "nothing has been idle an hour")
	assert.Equal(t, 3, h.EvictIdle(t.Context(), 0), "everything is idle for at least 0")
	for _, tn := range tenants {
		assert.Zero(t, tn.MemoryBytes())
	}
	require.NoError(t, tenants[0].Close())
	_, err := tenants[1].Lookup(t.Context(), connReq("x"))
	require.NoError(t, err, "an evicted tenant comes back")
	assert.Equal(t, 1, h.EvictIdle(t.Context(), 0), "closed tenants are forgotten; the used one is evicted again")
}
