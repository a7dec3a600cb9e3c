package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/secretpath/secretpath/wasmhost"
)

// IdleResult is what N idle tenants cost.
type IdleResult struct {
	N int `json:"n"`
	// HeapPerTenant is the growth of the live Go heap (HeapAlloc after a
	// GC) divided by N: wazero's instance, our instance and pool, and the
	// guest's linear memory (the host allocates it on the Go heap).
	HeapPerTenant float64 `json:"heap_bytes_per_tenant"`
	// RSSPerTenant is the growth of the resident set (after a GC and
	// debug.FreeOSMemory) divided by N. Lower than the heap when linear
	// memory pages were never touched.
	RSSPerTenant float64 `json:"rss_bytes_per_tenant"`
	// LinearPerTenant is Tenant.MemoryBytes (the guest's linear memory)
	// divided by N.
	LinearPerTenant float64 `json:"linear_bytes_per_tenant"`
	// EvictedHeapPerTenant is the heap growth per tenant left after
	// Tenant.Evict closed every instance: what a tenant costs with no
	// instance.
	EvictedHeapPerTenant float64 `json:"evicted_heap_bytes_per_tenant"`
	// CreateTime is how long creating the N tenants took.
	CreateTime time.Duration `json:"create_ns"`
}

// MeasureIdle creates n tenants of module m (each with its one initialised
// instance, as NewTenant leaves it), measures, evicts, measures, and closes
// them.
func MeasureIdle(h *wasmhost.Host, m *wasmhost.Module, name string, cfg wasmhost.TenantConfig, n int) (IdleResult, error) {
	r := IdleResult{N: n}
	tenants := make([]*wasmhost.Tenant, 0, n)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", name, i)
	}
	defer func() {
		for _, t := range tenants {
			_ = t.Close()
		}
	}()
	heap0, rss0 := settle()
	start := time.Now()
	for i := range n {
		c := cfg
		c.Name = names[i]
		t, err := h.NewTenant(ctx, m, c)
		if err != nil {
			return r, err
		}
		tenants = append(tenants, t)
	}
	r.CreateTime = time.Since(start)
	heap1, rss1 := settle()
	var linear int64
	for _, t := range tenants {
		linear += t.MemoryBytes()
	}
	for _, t := range tenants {
		t.Evict(ctx)
	}
	heap2, _ := settle()
	r.HeapPerTenant = float64(int64(heap1)-int64(heap0)) / float64(n)
	r.RSSPerTenant = float64(rss1-rss0) / float64(n)
	r.LinearPerTenant = float64(linear) / float64(n)
	r.EvictedHeapPerTenant = float64(int64(heap2)-int64(heap0)) / float64(n)
	runtime.KeepAlive(tenants)
	return r, nil
}

// settle collects garbage, gives free pages back to the OS, and returns
// the live heap and the resident set size in bytes.
func settle() (heap uint64, rss int64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, residentBytes()
}

// residentBytes reads the process's resident set size from
// /proc/self/statm (0 where there is none).
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
