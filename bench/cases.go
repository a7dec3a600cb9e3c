// Package bench holds the per-lookup WebAssembly benchmarks of secretpath:
// a lookup through ABI v1 (wasmhost) against the bare wazero floor and
// against Extism's go-sdk, with and without deadlines, plus tenant
// instantiation time and bytes per idle tenant. The same functions run
// under `go test -bench .` (bench_test.go) and in one process under
// cmd/wasmbench, which prints the ratios and checks the targets. See
// README.md.
//
// It is a module of its own so that Extism never enters secretpath's
// go.mod.
package bench

import (
	"fmt"
	"strings"
	"testing"

	extism "github.com/extism/go-sdk"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// Case is one benchmark.
type Case struct {
	// Name is the row's name, also the Go benchmark's name without
	// "Benchmark" (with "/" for sub-benchmarks).
	Name string
	// What says what the row measures.
	What string
	// Once marks a measurement that runs once whatever -benchtime says
	// (idle memory): cmd/wasmbench runs it with -benchtime=1x.
	Once bool
	// Setup makes what F needs (building and compiling guests) so that
	// errors are reported before timing, with their message.
	Setup func() error
	// F is the benchmark.
	F func(b *testing.B)
}

// Cases are every benchmark, in table order.
var Cases = []Case{
	{Name: "Floor", What: "bare wazero call of floor.wasm lookup(ptr,len)->i64: cached api.Function, CallWithStack, id written to its buffer, 60-byte result copied to a string; no deadline",
		Setup: setup(floorPlain), F: lookupBench(floorPlain, (*floorCaller).lookup)},
	{Name: "FloorDeadline", What: "the floor on a runtime WithCloseOnContextDone(true), each call under its own context.WithTimeout(1s)",
		Setup: setup(floorDeadline), F: lookupBench(floorDeadline, (*floorCaller).lookup)},
	{Name: "ABIFloor", What: "diagnostic: bench_guest.wat (ABI v1) on bare wazero with a minimal result_set host function (no pool, no context lookup, no status handling); no deadline",
		Setup: setup(abiFloorPlain), F: lookupBench(abiFloorPlain, (*abiFloorCaller).lookup)},
	{Name: "ABIFloorDeadline", What: "diagnostic: the same on a WithCloseOnContextDone runtime with a per-call context.WithTimeout(1s)",
		Setup: setup(abiFloorDeadline), F: lookupBench(abiFloorDeadline, (*abiFloorCaller).lookup)},
	{Name: "Ours/untrusted", What: "Tenant.ConnectionValue on bench_guest.wat through ABI v1, default tenant (untrusted: fuel-metered module, 1 s deadline and fuel budget checked at refills, runtime without context checks)",
		Setup: setup(benchUntrusted), F: tenantBench(benchUntrusted)},
	{Name: "Ours/trusted", What: "the same, tenant marked Trusted (no deadline, runtime without context checks)",
		Setup: setup(benchTrusted), F: tenantBench(benchTrusted)},
	{Name: "Ours/deadline", What: "the same, untrusted with DeadlineOnly: WithCloseOnContextDone and a per-instance deadline context instead of metering",
		Setup: setup(benchDeadline), F: tenantBench(benchDeadline)},
	{Name: "OursBuf/deadline", What: "OK_IN_BUFFER guest, DeadlineOnly",
		Setup: setup(bufDeadline), F: tenantBench(bufDeadline)},
	{Name: "OursBuf/untrusted", What: "as Ours/untrusted, with bench_guest_buf.wat answering OK_IN_BUFFER (ABI v1.1: the result in the exchange buffer, no result_set host call; the Go SDK does this for results that fit)",
		Setup: setup(bufUntrusted), F: tenantBench(bufUntrusted)},
	{Name: "OursBuf/trusted", What: "the same, trusted",
		Setup: setup(bufTrusted), F: tenantBench(bufTrusted)},
	{Name: "Resolver/untrusted", What: "resolver.Resolver.Connection (no cache) over the untrusted bench_guest tenant: the ABI lookup + the resolver's search path + Airflow URI parsing",
		Setup: setup(resolverUntrusted), F: resolverBench(resolverUntrusted)},
	{Name: "Resolver/trusted", What: "the same over the trusted tenant",
		Setup: setup(resolverTrusted), F: resolverBench(resolverTrusted)},
	{Name: "OursGo/untrusted", What: "Tenant.ConnectionValue on the std-Go example jsondoc (guest SDK; map lookup in the guest), untrusted. Not the same guest work: for reference",
		Setup: setup(jsondocUntrusted), F: tenantBench(jsondocUntrusted)},
	{Name: "OursGo/trusted", What: "the same, trusted",
		Setup: setup(jsondocTrusted), F: tenantBench(jsondocTrusted)},
	{Name: "Extism", What: "Extism go-sdk v1.7.1 Plugin.Call(\"lookup\", id) on a std-Go Go-PDK guest (same work), instance from CompiledPlugin.Instance, no timeout",
		Setup: setup(extismPlugin), F: extismBench(extismPlugin)},
	{Name: "ExtismTimeout", What: "the same with Manifest.Timeout = 1000 ms (Extism then sets WithCloseOnContextDone and a per-call context.WithTimeout)",
		Setup: setup(extismPluginTimeout), F: extismBench(extismPluginTimeout)},
	{Name: "InstantiateTenant/bench_guest", What: "Host.NewTenant from a loaded module (bench_guest.wat): instantiate, secretpath_buffer(+_size), secretpath_init; default (untrusted) tenant. Close not timed",
		Setup: setup(benchGuestModule), F: instantiateBench(benchGuest, 256)},
	{Name: "InstantiateTenant/jsondoc", What: "the same for the std-Go jsondoc guest (runs Go's _initialize and parses its kwargs)",
		Setup: setup(jsondocModule), F: instantiateBench(jsondocGuest, 16)},
	{Name: "InstantiateExtism", What: "Extism CompiledPlugin.Instance + first Call (Extism runs the guest's _initialize lazily) for the Go-PDK guest. Close not timed",
		Setup: setup(extismCompiled), F: instantiateExtismBench},
	{Name: "IdleTenant/bench_guest", What: "bytes per idle tenant: create 1000 bench_guest tenants (one initialised instance each), GC, (Go heap delta)/N and (RSS delta)/N; then after Tenant.Evict",
		Once: true, Setup: setup(benchGuestModule), F: idleBench(benchGuest, 1000)},
	{Name: "IdleTenant/jsondoc", What: "the same with 50 jsondoc tenants",
		Once: true, Setup: setup(jsondocModule), F: idleBench(jsondocGuest, 50)},
}

// CaseByName returns the case named name.
func CaseByName(name string) (Case, bool) {
	for _, c := range Cases {
		if c.Name == name {
			return c, true
		}
	}
	return Case{}, false
}

func setup[T any](l *lazy[T]) func() error {
	return func() error { _, err := l.get(); return err }
}

func must[T any](b *testing.B, l *lazy[T]) T {
	b.Helper()
	v, err := l.get()
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func check(b *testing.B, got string, err error) {
	if err != nil || got != URI {
		b.Fatalf("lookup returned %q, %v; want %q", got, err, URI)
	}
}

func lookupBench[T any](l *lazy[T], lookup func(T, string) (string, error)) func(b *testing.B) {
	return func(b *testing.B) {
		v := must(b, l)
		b.ReportAllocs()
		var got string
		var err error
		for b.Loop() {
			got, err = lookup(v, ID)
		}
		check(b, got, err)
	}
}

func tenantBench(l *lazy[*wasmhost.Tenant]) func(b *testing.B) {
	return func(b *testing.B) {
		t := must(b, l)
		b.ReportAllocs()
		var got string
		var err error
		for b.Loop() {
			got, err = t.ConnectionValue(ctx, ID)
		}
		check(b, got, err)
	}
}

func resolverBench(l *lazy[*resolver.Resolver]) func(b *testing.B) {
	return func(b *testing.B) {
		r := must(b, l)
		b.ReportAllocs()
		var host string
		var err error
		for b.Loop() {
			c, e := r.Connection(ctx, ID)
			host, err = c.Host, e
		}
		if err != nil || host != "db.example.com" {
			b.Fatalf("resolver lookup returned host %q, %v", host, err)
		}
	}
}

func extismBench(l *lazy[*extism.Plugin]) func(b *testing.B) {
	return func(b *testing.B) {
		p := must(b, l)
		id := []byte(ID)
		b.ReportAllocs()
		var got string
		var err error
		for b.Loop() {
			got, err = extismLookup(p, id)
		}
		check(b, got, err)
	}
}

// instantiateBench times Host.NewTenant; tenants are closed in batches of
// batch with the timer stopped.
func instantiateBench(g guest, batch int) func(b *testing.B) {
	return func(b *testing.B) {
		h := must(b, host)
		m := must(b, g.module)
		cfg := g.cfg
		cfg.Name = g.name
		warm, err := h.NewTenant(ctx, m, cfg) // compiles for the runtime once
		if err != nil {
			b.Fatal(err)
		}
		_ = warm.Close()
		live := make([]*wasmhost.Tenant, 0, batch)
		flush := func() {
			b.StopTimer()
			for _, t := range live {
				_ = t.Close()
			}
			live = live[:0]
			b.StartTimer()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t, err := h.NewTenant(ctx, m, cfg)
			if err != nil {
				b.Fatal(err)
			}
			live = append(live, t)
			if len(live) == batch {
				flush()
			}
		}
		flush()
	}
}

func instantiateExtismBench(b *testing.B) {
	cp := must(b, extismCompiled)
	id := []byte(ID)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
		if err != nil {
			b.Fatal(err)
		}
		got, err := extismLookup(p, id)
		b.StopTimer()
		check(b, got, err)
		_ = p.Close(ctx)
		b.StartTimer()
	}
}

// idleBench measures bytes per idle tenant; each iteration is a full
// measurement of n tenants, the metrics are the last iteration's.
func idleBench(g guest, n int) func(b *testing.B) {
	return func(b *testing.B) {
		h := must(b, host)
		m := must(b, g.module)
		var r IdleResult
		for i := 0; i < b.N; i++ {
			var err error
			if r, err = MeasureIdle(h, m, g.name, g.cfg, n); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(r.HeapPerTenant, "heapB/tenant")
		b.ReportMetric(r.RSSPerTenant, "rssB/tenant")
		b.ReportMetric(r.LinearPerTenant, "linearB/tenant")
		b.ReportMetric(r.EvictedHeapPerTenant, "evictedHeapB/tenant")
		b.ReportMetric(float64(r.CreateTime.Nanoseconds())/float64(n), "createNs/tenant")
	}
}

// Describe returns a one-line summary of the cases, for -list.
func Describe() string {
	var sb strings.Builder
	for _, c := range Cases {
		fmt.Fprintf(&sb, "%-30s %s\n", c.Name, c.What)
	}
	return sb.String()
}
