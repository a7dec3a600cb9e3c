package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// tenancy holds the multi-tenancy row's size (Options.Tenants).
var tenancy = struct{ n int }{n: 10_000}

var tenancyCases = inGroup(GroupTenancy, []Case{
	{Name: "Tenancy", Once: true,
		What: "N tenants (Options.Tenants, default 10,000) from 3 modules in one Host, round-robin, each with its own kwargs holding its own connection; default tenants (untrusted, fuel-metered), pool of 1. time/op = NewTenant per tenant; rssB/tenant = growth of VmRSS (/proc/self/status, after runtime.GC and debug.FreeOSMemory) ÷ N; rssMiB = the process's VmRSS with every tenant live; then every tenant is asked for its own id (must answer its own URI) and its neighbour's (must be not found)",
		Targets: []Target{
			metricAtMost("rssMiB", 2048, 1, "MiB", "process ≤ 2 GiB"),
			metricEquals("wrong-answers", 0, "each answers its own"),
		},
		Setup: setup(tenancyModules), F: tenancyBench,
		Note: func() string {
			ms, err := tenancyModules.get()
			if err != nil {
				return ""
			}
			names := make([]string, len(ms))
			for i, m := range ms {
				names[i] = m.name
			}
			return fmt.Sprintf("%d tenants from %s", tenancy.n, strings.Join(names, ", "))
		}},
})

// tenancyModule is one of the tenancy row's modules and how to give a
// tenant of it one connection.
type tenancyModule struct {
	name   string
	module *wasmhost.Module
	kwargs func(id, uri string) ([]byte, error)
}

// tenancyHost is the tenancy row's own host, so that its tenants are all
// that it holds.
var tenancyHost = newLazy(func() (*wasmhost.Host, error) {
	h, err := wasmhost.New(ctx, wasmhost.Options{})
	if err != nil {
		return nil, err
	}
	onClose(func() { _ = h.Close(ctx) })
	return h, nil
})

// tenancyModules chooses the 3 modules: the reference WAT guest (its
// kwargs hold "c:<id>" entries, so each tenant can hold a connection of
// its own; bench_guest answers the same URI for every id and could not
// show that a tenant answers its own), then the first two of the C, Rust
// and AssemblyScript jsondoc examples whose toolchain is installed.
var tenancyModules = newLazy(func() ([]tenancyModule, error) {
	h, err := tenancyHost.get()
	if err != nil {
		return nil, err
	}
	ref, err := testdataPath("reference.wasm")
	if err != nil {
		return nil, err
	}
	m, err := h.LoadFile(ctx, ref, "")
	if err != nil {
		return nil, err
	}
	mods := []tenancyModule{{name: "reference.wat", module: m, kwargs: func(id, uri string) ([]byte, error) {
		return json.Marshal(map[string]string{"c:" + id: uri})
	}}}
	var failed []error
	for _, g := range langGuests {
		if len(mods) == 3 {
			break
		}
		path, err := buildLangGuest(g)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		m, err := h.LoadFile(ctx, path, "")
		if err != nil {
			return nil, err
		}
		mods = append(mods, tenancyModule{name: "jsondoc " + g.lang, module: m, kwargs: func(id, uri string) ([]byte, error) {
			return json.Marshal(map[string]any{"connections": map[string]string{id: uri}})
		}})
	}
	if len(mods) < 3 {
		return nil, fmt.Errorf("bench: tenancy needs 3 modules, built %d: %w", len(mods), errors.Join(failed...))
	}
	// Each module's code is compiled for its runtime class by its first
	// tenant: do that before any measurement.
	for _, m := range mods {
		kw, err := m.kwargs("warm", URI)
		if err != nil {
			return nil, err
		}
		t, err := h.NewTenant(ctx, m.module, wasmhost.TenantConfig{Name: "warm-" + m.name, Kwargs: kw, Limits: wasmhost.Limits{PoolSize: 1}})
		if err != nil {
			return nil, fmt.Errorf("bench: tenancy module %s: %w", m.name, err)
		}
		if got, err := t.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "warm"}); err != nil || got != URI {
			return nil, fmt.Errorf("bench: tenancy module %s answered %q, %v", m.name, got, err)
		}
		_ = t.Close()
	}
	return mods, nil
})

// TenancyResult is what N live tenants cost.
type TenancyResult struct {
	Tenants int
	// CreateNs is NewTenant's time per tenant, overall and by module.
	CreateNs         float64
	CreateNsByModule map[string]float64
	// AllocsPerTenant and BytesPerTenant are the Go allocations of
	// NewTenant, per tenant.
	AllocsPerTenant, BytesPerTenant float64
	// RSSPerTenant and HeapPerTenant are the growth of VmRSS and of the
	// live Go heap (after a GC) divided by N.
	RSSPerTenant, HeapPerTenant float64
	// RSSLive is the process's VmRSS with every tenant live.
	RSSLive int64
	// LookupNs is the time of a tenant's lookup of its own id (first
	// lookup after NewTenant, serial over all tenants).
	LookupNs float64
	// Wrong counts tenants that did not answer their own URI, or answered
	// their neighbour's id.
	Wrong int
}

// tenantConn is tenant i's connection id and URI.
func tenantConn(i int) (id, uri string) {
	return "conn_" + strconv.Itoa(i), fmt.Sprintf("postgres://tenant%d:pw-%d@db%d.example.com:5432/t%d", i, i, i, i)
}

// MeasureTenancy creates n tenants from mods round-robin in h, measures,
// checks every answer and closes them.
func MeasureTenancy(h *wasmhost.Host, mods []tenancyModule, n int) (TenancyResult, error) {
	r := TenancyResult{Tenants: n, CreateNsByModule: map[string]float64{}}
	tenants := make([]*wasmhost.Tenant, 0, n)
	defer func() {
		for _, t := range tenants {
			_ = t.Close()
		}
	}()
	cfgs := make([]wasmhost.TenantConfig, n)
	for i := range cfgs {
		id, uri := tenantConn(i)
		kw, err := mods[i%len(mods)].kwargs(id, uri)
		if err != nil {
			return r, err
		}
		cfgs[i] = wasmhost.TenantConfig{Name: "tenant-" + strconv.Itoa(i), Kwargs: kw, Limits: wasmhost.Limits{PoolSize: 1}}
	}
	heap0, _ := settle()
	rss0 := vmRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs0, bytes0 := ms.Mallocs, ms.TotalAlloc
	byModule := make([]time.Duration, len(mods))
	start := time.Now()
	for i := range n {
		mi := i % len(mods)
		t0 := time.Now()
		t, err := h.NewTenant(ctx, mods[mi].module, cfgs[i])
		byModule[mi] += time.Since(t0)
		if err != nil {
			return r, fmt.Errorf("bench: tenant %d (%s): %w", i, mods[mi].name, err)
		}
		tenants = append(tenants, t)
	}
	create := time.Since(start)
	runtime.ReadMemStats(&ms)
	r.AllocsPerTenant = float64(ms.Mallocs-mallocs0) / float64(n)
	r.BytesPerTenant = float64(ms.TotalAlloc-bytes0) / float64(n)
	heap1, _ := settle()
	rss1 := vmRSS()
	r.CreateNs = float64(create.Nanoseconds()) / float64(n)
	for mi, d := range byModule {
		if count := (n + len(mods) - 1 - mi) / len(mods); count > 0 {
			r.CreateNsByModule[mods[mi].name] = float64(d.Nanoseconds()) / float64(count)
		}
	}
	r.RSSPerTenant = float64(rss1-rss0) / float64(n)
	r.HeapPerTenant = float64(int64(heap1)-int64(heap0)) / float64(n)
	r.RSSLive = rss1

	var lookups time.Duration
	for i, t := range tenants {
		id, uri := tenantConn(i)
		t0 := time.Now()
		got, err := t.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: id})
		lookups += time.Since(t0)
		if err != nil || got != uri {
			r.Wrong++
			continue
		}
		other, _ := tenantConn(i + 1)
		if _, err := t.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: other}); !errors.Is(err, resolver.ErrNotFound) {
			r.Wrong++
		}
	}
	r.LookupNs = float64(lookups.Nanoseconds()) / float64(n)
	return r, nil
}

func tenancyBench(b *testing.B) {
	h := must(b, tenancyHost)
	mods := must(b, tenancyModules)
	var r TenancyResult
	for range b.N {
		var err error
		if r, err = MeasureTenancy(h, mods, tenancy.n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(r.CreateNs, MetricNs)
	b.ReportMetric(r.AllocsPerTenant, MetricAllocs)
	b.ReportMetric(r.BytesPerTenant, MetricBytes)
	b.ReportMetric(float64(r.Tenants), "tenants")
	b.ReportMetric(r.RSSPerTenant, "rssB/tenant")
	b.ReportMetric(r.HeapPerTenant, "heapB/tenant")
	b.ReportMetric(float64(r.RSSLive)/(1<<20), "rssMiB")
	b.ReportMetric(r.LookupNs, "lookupNs")
	b.ReportMetric(float64(r.Wrong), "wrong-answers")
	for name, ns := range r.CreateNsByModule {
		b.ReportMetric(ns, "createNs:"+strings.ReplaceAll(name, " ", "-"))
	}
}

// vmRSS reads VmRSS from /proc/self/status, in bytes (0 where there is
// none).
func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
