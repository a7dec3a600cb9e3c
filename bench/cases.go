// Package bench holds secretpath's side-by-side benchmarks, each row
// measured in the same process and run as its baseline: the resolver's
// cache, localfs and env lookups against Go floors; a WebAssembly lookup
// through ABI v1 (wasmhost) against the bare wazero floor, Extism's go-sdk
// and waPC, with and without deadlines, tenant instantiation and idle
// bytes; the metastore against its raw SELECT; the remote backends against
// the raw SDK call on the same loopback double; concurrency, singleflight
// and 10,000 tenants. The same functions run under `go test -bench .`
// (bench_test.go) and in one process under cmd/bench (Run), which prints
// the ratios, checks the targets of bench/README.md and writes JSON. See
// README.md.
//
// It is a module of its own so that Extism and waPC never enter
// secretpath's go.mod.
package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	extism "github.com/extism/go-sdk"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// The groups of rows, in the order they run.
const (
	GroupCore         = "core"
	GroupWASM         = "wasm"
	GroupMetastore    = "metastore"
	GroupRemote       = "remote"
	GroupConcurrency  = "concurrency"
	GroupSingleflight = "singleflight"
	GroupTenancy      = "tenancy"
)

// Groups lists the groups in run order.
var Groups = []string{GroupCore, GroupWASM, GroupMetastore, GroupRemote, GroupConcurrency, GroupSingleflight, GroupTenancy, GroupCLI}

// ErrNotBuilt is wrapped by the Setup error of a planned row whose backend
// is not in this tree yet.
var ErrNotBuilt = errors.New("not built in this tree")

// Case is one benchmark.
type Case struct {
	// Name is the row's name, also the Go benchmark's name without
	// "Benchmark" (with "/" for sub-benchmarks).
	Name string
	// Group is one of the Group constants.
	Group string
	// What says what the row measures.
	What string
	// Once marks a measurement that runs once whatever -benchtime says
	// (idle memory, tenancy, singleflight): Run gives it -benchtime=1x.
	Once bool
	// Baseline is the row this row's time is divided by, round by round
	// (the ratio column); "" for none.
	Baseline string
	// Paired names a baseline row that F measures in its own loop,
	// alternating with this row's calls: F reports MetricBaseNs (and
	// MetricBaseAllocs, MetricBaseBytes) for it. Used where the difference
	// is a few percent of a noisy figure (remote calls).
	Paired string
	// Targets are what the row is checked against (bench/README.md, "Targets").
	Targets []Target
	// Setup makes what F needs (building and compiling guests) so that
	// errors are reported before timing, with their message.
	Setup func() error
	// F is the benchmark.
	F func(b *testing.B)
	// Note, when set, returns a line printed under the row after the run
	// (what a run chose, such as the modules of the tenancy row).
	Note func() string
}

// Cases are every benchmark, in run order.
var Cases = slices.Concat(coreCases, wasmCases, langCaseList(), wapcCases, metastoreCases, remoteCases(), concurrencyCases(), singleflightCases, tenancyCases, cliCases, parseCases)

func inGroup(group string, cs []Case) []Case {
	for i := range cs {
		cs[i].Group = group
	}
	return cs
}

// wasmCases are the WebAssembly lookup rows, with their targets.
var wasmCases = inGroup(GroupWASM, []Case{
	{Name: "Floor", What: "bare wazero call of floor.wasm lookup(ptr,len)->i64: cached api.Function, CallWithStack, id written to its buffer, 60-byte result copied to a string; no deadline",
		Setup: setup(floorPlain), F: lookupBench(floorPlain, (*floorCaller).lookup)},
	{Name: "FloorDeadline", What: "the floor on a runtime WithCloseOnContextDone(true), each call under its own context.WithTimeout(1s)",
		Baseline: "Floor",
		Setup:    setup(floorDeadline), F: lookupBench(floorDeadline, (*floorCaller).lookup)},
	{Name: "ABIFloor", What: "diagnostic: bench_guest.wat (ABI v1) on bare wazero with a minimal result_set host function (no pool, no context lookup, no status handling); no deadline",
		Baseline: "Floor",
		Setup:    setup(abiFloorPlain), F: lookupBench(abiFloorPlain, (*abiFloorCaller).lookup)},
	{Name: "ABIFloorDeadline", What: "diagnostic: the same on a WithCloseOnContextDone runtime with a per-call context.WithTimeout(1s)",
		Baseline: "FloorDeadline",
		Setup:    setup(abiFloorDeadline), F: lookupBench(abiFloorDeadline, (*abiFloorCaller).lookup)},
	{Name: "Ours/untrusted", What: "Tenant.Lookup on bench_guest.wat through ABI v1, default tenant (untrusted: fuel-metered module, 1 s deadline and fuel budget checked at refills, runtime without context checks)",
		Baseline: "Ours/trusted", Targets: []Target{ratioAtMost(1.15)},
		Setup: setup(benchUntrusted), F: tenantBench(benchUntrusted)},
	{Name: "Ours/trusted", What: "the same, tenant marked Trusted (no deadline, runtime without context checks)",
		Baseline: "Floor", Targets: []Target{ratioAtMost(2)},
		Setup: setup(benchTrusted), F: tenantBench(benchTrusted)},
	{Name: "Ours/deadline", What: "the same, untrusted with DeadlineOnly: WithCloseOnContextDone and a per-instance deadline context instead of metering",
		Baseline: "FloorDeadline", Targets: []Target{ratioAtMost(1.5)},
		Setup: setup(benchDeadline), F: tenantBench(benchDeadline)},
	{Name: "OursBuf/deadline", What: "OK_IN_BUFFER guest, DeadlineOnly",
		Baseline: "FloorDeadline",
		Setup:    setup(bufDeadline), F: tenantBench(bufDeadline)},
	{Name: "OursBuf/untrusted", What: "as Ours/untrusted, with bench_guest_buf.wat answering OK_IN_BUFFER (ABI v1.1: the result in the exchange buffer, no result_set host call; the Go SDK does this for results that fit)",
		Baseline: "OursBuf/trusted", Targets: []Target{ratioAtMost(1.15)},
		Setup: setup(bufUntrusted), F: tenantBench(bufUntrusted)},
	{Name: "OursBuf/trusted", What: "the same, trusted",
		Baseline: "Floor", Targets: []Target{ratioAtMost(1.5)},
		Setup: setup(bufTrusted), F: tenantBench(bufTrusted)},
	{Name: "Resolver/untrusted", What: "resolver.Resolver.Connection (no cache) over the untrusted bench_guest tenant: the ABI lookup + the resolver's search path + Airflow URI parsing",
		Baseline: "Ours/untrusted",
		Setup:    setup(resolverUntrusted), F: resolverBench(resolverUntrusted)},
	{Name: "Resolver/trusted", What: "the same over the trusted tenant",
		Baseline: "Ours/trusted",
		Setup:    setup(resolverTrusted), F: resolverBench(resolverTrusted)},
	{Name: "OursGo/untrusted", What: "Tenant.Lookup on the std-Go example jsondoc (guest SDK; map lookup in the guest), untrusted. Not the same guest work: for reference",
		Baseline: "Floor",
		Setup:    setup(jsondocUntrusted), F: tenantBench(jsondocUntrusted)},
	{Name: "OursGo/trusted", What: "the same, trusted",
		Baseline: "Floor",
		Setup:    setup(jsondocTrusted), F: tenantBench(jsondocTrusted)},
	{Name: "Extism", What: "Extism go-sdk v1.7.1 Plugin.Call(\"lookup\", id) on a std-Go Go-PDK guest (same work), instance from CompiledPlugin.Instance, no timeout",
		Baseline: "Ours/trusted", Targets: []Target{slowerThanBaseline(50)},
		Setup: setup(extismPlugin), F: extismBench(extismPlugin)},
	// bench/README.md sets the Extism target on the no-deadline row; with
	// deadlines both pay wazero's per-call context watch, so this one is a
	// ratio only.
	{Name: "ExtismTimeout", What: "the same with Manifest.Timeout = 1000 ms (Extism then sets WithCloseOnContextDone and a per-call context.WithTimeout)",
		Baseline: "Ours/untrusted",
		Setup:    setup(extismPluginTimeout), F: extismBench(extismPluginTimeout)},
	{Name: "InstantiateTenant/bench_guest", What: "Host.NewTenant from a loaded module (bench_guest.wat): instantiate, secretpath_buffer(+_size), secretpath_init; default (untrusted) tenant. Close not timed",
		Targets: []Target{timeAtMost(200e3)},
		Setup:   setup(benchGuestModule), F: instantiateBench(benchGuest, 256)},
	{Name: "InstantiateTenant/jsondoc", What: "the same for the std-Go jsondoc guest (runs Go's _initialize and parses its kwargs)",
		Setup: setup(jsondocModule), F: instantiateBench(jsondocGuest, 16)},
	{Name: "InstantiateExtism", What: "Extism CompiledPlugin.Instance + first Call (Extism runs the guest's _initialize lazily) for the Go-PDK guest. Close not timed",
		Baseline: "InstantiateTenant/jsondoc",
		Setup:    setup(extismCompiled), F: instantiateExtismBench},
	{Name: "IdleTenant/bench_guest", What: "bytes per idle tenant: create 1000 bench_guest tenants (one initialised instance each), GC, (Go heap delta)/N and (RSS delta)/N; then after Tenant.Evict",
		Once: true, Targets: idleTargets(),
		Setup: setup(benchGuestModule), F: idleBench(benchGuest, 1000)},
	{Name: "IdleTenant/jsondoc", What: "the same with 50 jsondoc tenants",
		Once: true, Setup: setup(jsondocModule), F: idleBench(jsondocGuest, 50)},
})

// idleTargets: ≤ 128 KiB per idle small tenant, Go heap and RSS.
func idleTargets() []Target {
	return []Target{
		metricAtMost("heapB/tenant", 128<<10, 1<<10, "KiB", "heap ≤ 128 KiB"),
		metricAtMost("rssB/tenant", 128<<10, 1<<10, "KiB", "RSS ≤ 128 KiB"),
	}
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
			got, err = t.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: ID})
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
		fmt.Fprintf(&sb, "%-13s %-36s %s\n", c.Group, c.Name, c.What)
	}
	return sb.String()
}
