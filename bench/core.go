package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secretpath/secretpath/builtin/env"
	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// The core rows: the resolver's cache, the localfs and env backends, each
// against the least Go can do for the same answer.
var coreCases = inGroup(GroupCore, []Case{
	{Name: "Floor/map", What: "the floor of a cached lookup: a plain Go map[string]connection.Connection lookup of the id, the Connection copied out",
		Setup: setup(connMap), F: mapFloorBench(false)},
	{Name: "Floor/map-rlock", What: "the same map read under sync.RWMutex.RLock: the least a cache that is safe for concurrent use does",
		Baseline: "Floor/map",
		Setup:    setup(connMap), F: mapFloorBench(true)},
	{Name: "Cache/hit-connection", What: "resolver.Resolver WithCache(1h), Connection(ctx, id) answered from the cache (the backend was asked once, before timing)",
		Baseline: "Floor/map", Targets: []Target{timeAtMost(60), zeroAllocs()},
		Setup: setup(cachedResolver), F: connectionBench(cachedResolver, ID)},
	{Name: "Cache/hit-variable", What: "the same for Variable(ctx, key) (a Secret)",
		Baseline: "Floor/map", Targets: []Target{timeAtMost(60), zeroAllocs()},
		Setup: setup(cachedResolver), F: variableBench(cachedResolver, benchVarKey, benchVarValue)},
	{Name: "Cache/miss", What: fmt.Sprintf("a cache miss: Variable(ctx, key) on a WithCache resolver (ctx = context.Background()) whose entry was invalidated (untimed) before each call, over a backend that does ~0.5 µs of ALU work and allocates nothing; each call timed with the clock, alternating in blocks of %d with the backend's Lookup called directly (Cache/miss/backend); allocations counted around one pair of blocks in 16", missBlock),
		Paired: "Cache/miss/backend", Baseline: "Cache/miss/backend", Targets: missTargets(),
		Setup: setup(missResolver), F: missBench(missResolver, missBackend, false)},
	{Name: "Cache/miss-cancellable", What: "the same with a ctx that can be cancelled (context.WithCancel); the backend returns ctx.Err() once ctx is done and declares it (HonoursContext), so the search runs in the caller's goroutine with its ctx",
		Paired: "Cache/miss-cancellable/backend", Baseline: "Cache/miss-cancellable/backend", Targets: missTargets(),
		Setup: setup(missResolver), F: missBench(missResolver, missBackend, true)},
	{Name: "Cache/miss-cancellable-worker", What: "the same over a backend that does not declare HonoursContext: the search runs in a worker goroutine (detached from the ctx) so that the caller can return when its ctx ends",
		Paired: "Cache/miss-cancellable-worker/backend", Baseline: "Cache/miss-cancellable-worker/backend",
		Setup: setup(missWorkerResolver), F: missBench(missWorkerResolver, missWorkerBackend, true)},
	{Name: "Cache/invalidate", What: "Invalidate(req) then Variable(ctx, key): the invalidation and the miss it causes (the mem backend: no work)",
		Baseline: "Cache/hit-variable",
		Setup:    setup(cachedResolver), F: invalidateBench},
	{Name: "LocalFS/connection", What: "resolver.Resolver (no cache) over localfs: a 1,000-connection YAML file, after the first parse (default reload interval: no stat per lookup)",
		Baseline: "Floor/map", Targets: []Target{timeAtMost(1000)},
		Setup: setup(localfsResolver), F: connectionBench(localfsResolver, localfsConnID)},
	{Name: "LocalFS/variable", What: "the same for a variable of a 1,000-line .env file",
		Baseline: "Floor/map", Targets: []Target{timeAtMost(1000)},
		Setup: setup(localfsResolver), F: variableBench(localfsResolver, "var_500", "value number 500")},
	{Name: "Floor/getenv", What: "the floor of an env lookup: os.LookupEnv of AIRFLOW_VAR_<KEY>",
		Setup: setup(envVars), F: getenvBench},
	{Name: "Env/variable", What: "resolver.Resolver (no cache) over the env backend: Variable reads AIRFLOW_VAR_<KEY upper-cased>",
		Baseline: "Floor/getenv",
		Setup:    setup(envResolver), F: variableBench(envResolver, benchVarKey, benchVarValue)},
	{Name: "Floor/parse-uri", What: "the floor of any lookup that returns a parsed connection from a string: connection.ParseURI of the 60-byte URI",
		F: parseURIBench},
	{Name: "Env/connection", What: "the same for Connection: AIRFLOW_CONN_<ID upper-cased> read and parsed as an Airflow URI",
		Baseline: "Floor/parse-uri",
		Setup:    setup(envResolver), F: connectionBench(envResolver, ID)},
})

// missTargets: a miss costs at most 1 µs and 3 allocations more than the
// backend call it makes (bench/README.md, "Targets").
func missTargets() []Target {
	return []Target{overheadAtMost(1000), allocOverheadAtMost(3)}
}

// missBlock is how many calls of each side the miss rows time in a row.
const missBlock = 8

// allocsEvery: the miss rows count allocations around one pair of blocks
// in allocsEvery (the first included, so that every run counts some).
const allocsEvery = 16

// missWork is the work of the miss rows' backend: rounds of hashing the
// key, ~0.5 µs.
const missWork = 32

// workBackend answers every variable with a constant after missWork
// rounds of FNV-1a over the key: work the compiler cannot remove, and no
// allocation. It returns ctx.Err() when ctx is done on entry, and
// otherwise within ~0.5 µs: it keeps the HonoursContext promise.
type workBackend struct{ sink atomic.Uint32 }

// HonoursContext: a lookup checks ctx and then runs ~0.5 µs of work.
func (w *workBackend) HonoursContext() bool { return true }

func (w *workBackend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return w.work(req)
}

func (w *workBackend) work(req resolver.Request) (string, error) {
	h := uint32(2166136261)
	for range missWork {
		for i := 0; i < len(req.ID); i++ {
			h = (h ^ uint32(req.ID[i])) * 16777619
		}
	}
	w.sink.Store(h)
	return benchVarValue, nil
}

// workerBackend is workBackend without the HonoursContext promise (and
// without its ctx check): the resolver runs its searches in a worker.
type workerBackend struct{ w workBackend }

func (w *workerBackend) Lookup(_ context.Context, req resolver.Request) (string, error) {
	return w.w.work(req)
}

var (
	missBackend       = &workBackend{}
	missWorkerBackend = &workerBackend{}
)

var (
	missResolver       = newLazy(func() (*resolver.Resolver, error) { return newMissResolver(missBackend) })
	missWorkerResolver = newLazy(func() (*resolver.Resolver, error) { return newMissResolver(missWorkerBackend) })
)

func newMissResolver(b resolver.Backend) (*resolver.Resolver, error) {
	r := resolver.New(resolver.WithBackend("work", b), resolver.WithCache(time.Hour, 0))
	v, err := r.Variable(ctx, benchVarKey)
	if err != nil || v.Reveal() != benchVarValue {
		return nil, fmt.Errorf("bench: miss resolver: %v", err)
	}
	return r, nil
}

// missBench alternates, in blocks of missBlock, misses on l's resolver
// (its entry invalidated before each, untimed) and backend's Lookup
// called directly, timing each call with the clock and counting
// allocations around each block; it reports ns/op, allocs/op and B/op for
// the misses and base-* for the backend.
func missBench(l *lazy[*resolver.Resolver], backend resolver.Backend, cancellable bool) func(b *testing.B) {
	return func(b *testing.B) {
		r := must(b, l)
		c := ctx
		if cancellable {
			var cancel context.CancelFunc
			c, cancel = context.WithCancel(ctx)
			defer cancel()
		}
		req := resolver.Request{Kind: resolver.KindVariable, ID: benchVarKey}
		type tally struct {
			d             time.Duration
			allocs, bytes uint64
		}
		var ms runtime.MemStats
		var miss, direct tally
		// Allocations are counted apart from the timed blocks (every
		// allocsEvery-th pair of blocks), since ReadMemStats stops the
		// world: around every block it woke the idle P and left the
		// caches cold, which the next timed calls paid for.
		counting := false
		block := func(k int, t *tally, viaCache bool) {
			var m0, b0 uint64
			if counting {
				runtime.ReadMemStats(&ms)
				m0, b0 = ms.Mallocs, ms.TotalAlloc
			}
			for range k {
				var got string
				var err error
				if viaCache {
					r.Invalidate(req)
					t0 := time.Now()
					var v connection.Secret
					v, err = r.LookupValue(c, req)
					t.d += time.Since(t0)
					got = v.Reveal()
				} else {
					t0 := time.Now()
					got, err = backend.Lookup(c, req)
					t.d += time.Since(t0)
				}
				if err != nil || got != benchVarValue {
					b.Fatalf("miss row: %v (value differs: %t)", err, err == nil)
				}
			}
			if counting {
				runtime.ReadMemStats(&ms)
				t.allocs += ms.Mallocs - m0
				t.bytes += ms.TotalAlloc - b0
			}
		}
		n, counted := 0, 0
		for i := 0; n < b.N; i++ {
			k := min(missBlock, b.N-n)
			if counting = i%allocsEvery == 0; counting {
				counted += k
			}
			if i%2 == 0 {
				block(k, &miss, true)
				block(k, &direct, false)
			} else {
				block(k, &direct, false)
				block(k, &miss, true)
			}
			n += k
		}
		per := func(v uint64) float64 { return float64(v) / float64(counted) }
		b.ReportMetric(float64(miss.d.Nanoseconds())/float64(n), MetricNs)
		b.ReportMetric(per(miss.allocs), MetricAllocs)
		b.ReportMetric(per(miss.bytes), MetricBytes)
		b.ReportMetric(float64(direct.d.Nanoseconds())/float64(n), MetricBaseNs)
		b.ReportMetric(per(direct.allocs), MetricBaseAllocs)
		b.ReportMetric(per(direct.bytes), MetricBaseBytes)
	}
}

// invalidateBench: Invalidate then the lookup that misses because of it.
func invalidateBench(b *testing.B) {
	r := must(b, cachedResolver)
	req := resolver.Request{Kind: resolver.KindVariable, ID: benchVarKey}
	var v connection.Secret
	var err error
	b.ReportAllocs()
	for b.Loop() {
		r.Invalidate(req)
		v, err = r.LookupValue(ctx, req)
	}
	if err != nil || v.Reveal() != benchVarValue {
		b.Fatalf("variable %q: %v (value differs: %t)", benchVarKey, err, err == nil)
	}
}

// The variable every variable row reads.
const (
	benchVarKey   = "bench_var_01"
	benchVarValue = "a 24-byte variable value"
)

// localfsConnID is a URI-form connection of the localfs file.
const localfsConnID = "conn_500"

// memBackend answers ID and benchVarKey from memory (the cached rows'
// backend: asked once, before timing).
type memBackend struct{}

func (memBackend) ConnectionValue(_ context.Context, id string) (string, error) {
	if id == ID {
		return URI, nil
	}
	return "", fmt.Errorf("bench: connection %q: %w", id, resolver.ErrNotFound)
}

func (memBackend) Variable(_ context.Context, key string) (string, error) {
	if key == benchVarKey {
		return benchVarValue, nil
	}
	return "", fmt.Errorf("bench: variable %q: %w", key, resolver.ErrNotFound)
}

// connMap is the map floors' map: 1,000 parsed connections keyed by id,
// ID among them.
var connMap = newLazy(func() (map[string]connection.Connection, error) {
	m := make(map[string]connection.Connection, 1000)
	for i := range 999 {
		id := fmt.Sprintf("conn_%d", i)
		c, err := connection.ParseURI(id, fmt.Sprintf("postgres://user:pw@db%d.example.com:5432/app", i))
		if err != nil {
			return nil, err
		}
		m[id] = c
	}
	c, err := connection.ParseURI(ID, URI)
	if err != nil {
		return nil, err
	}
	m[ID] = c
	return m, nil
})

func mapFloorBench(locked bool) func(b *testing.B) {
	return func(b *testing.B) {
		m := must(b, connMap)
		var mu sync.RWMutex
		var c connection.Connection
		var ok bool
		b.ReportAllocs()
		for b.Loop() {
			if locked {
				mu.RLock()
				c, ok = m[ID]
				mu.RUnlock()
			} else {
				c, ok = m[ID]
			}
		}
		if !ok || c.Host != "db.example.com" {
			b.Fatalf("map floor: %v %q", ok, c.Host)
		}
	}
}

var cachedResolver = newLazy(func() (*resolver.Resolver, error) {
	r := resolver.New(resolver.WithBackend("mem", memBackend{}), resolver.WithCache(time.Hour, 0))
	if err := checkResolver(r, ID, "db.example.com", benchVarKey, benchVarValue); err != nil {
		return nil, err
	}
	return r, nil
})

// checkResolver looks id and key up once and checks the answers.
func checkResolver(r *resolver.Resolver, id, host, key, value string) error {
	c, err := r.Connection(ctx, id)
	if err != nil || c.Host != host {
		return fmt.Errorf("bench: connection %q: host %q, %v; want %q", id, c.Host, err, host)
	}
	v, err := r.Variable(ctx, key)
	if err != nil || v.Reveal() != value {
		return fmt.Errorf("bench: variable %q: %v (value differs: %t)", key, err, err == nil)
	}
	return nil
}

// localfsResolver serves localfs files of 1,000 connections (YAML: URIs
// and field maps alternating) and 1,000 variables (.env), already parsed.
var localfsResolver = newLazy(func() (*resolver.Resolver, error) {
	dir, err := os.MkdirTemp("", "secretpath-bench-localfs-")
	if err != nil {
		return nil, err
	}
	onClose(func() { _ = os.RemoveAll(dir) })
	var c, v strings.Builder
	for i := range 1000 {
		if i%2 == 0 {
			fmt.Fprintf(&c, "conn_%d: postgres://user:p%%40ss@db%d.example.com:5432/app?sslmode=require\n", i, i)
		} else {
			fmt.Fprintf(&c, "conn_%d:\n  conn_type: postgres\n  host: db%d.example.com\n  login: user\n  password: secret\n  port: 5432\n  extra_dejson: {sslmode: require}\n", i, i)
		}
		fmt.Fprintf(&v, "var_%d=value number %d\n", i, i)
	}
	conns, vars := filepath.Join(dir, "conns.yaml"), filepath.Join(dir, "vars.env")
	if err := os.WriteFile(conns, []byte(c.String()), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(vars, []byte(v.String()), 0o600); err != nil {
		return nil, err
	}
	be, err := localfs.New(localfs.Options{ConnectionsFile: conns, VariablesFile: vars, ReloadInterval: localfs.DefaultReloadInterval})
	if err != nil {
		return nil, err
	}
	r := resolver.New(resolver.WithBackend("localfs", be))
	if err := checkResolver(r, localfsConnID, "db500.example.com", "var_500", "value number 500"); err != nil { // the first parse
		return nil, err
	}
	return r, nil
})

// envVars sets the env rows' variables for the process (removed at Close).
var envVars = newLazy(func() (bool, error) {
	vars := map[string]string{
		env.DefaultVariablesPrefix + strings.ToUpper(benchVarKey): benchVarValue,
		env.DefaultConnectionsPrefix + strings.ToUpper(ID):        URI,
	}
	for k, v := range vars {
		if old, ok := os.LookupEnv(k); ok {
			onClose(func() { _ = os.Setenv(k, old) })
		} else {
			onClose(func() { _ = os.Unsetenv(k) })
		}
		if err := os.Setenv(k, v); err != nil {
			return false, err
		}
	}
	return true, nil
})

var envResolver = newLazy(func() (*resolver.Resolver, error) {
	if _, err := envVars.get(); err != nil {
		return nil, err
	}
	r := resolver.New(resolver.WithBackend("env", env.New(env.Options{})))
	if err := checkResolver(r, ID, "db.example.com", benchVarKey, benchVarValue); err != nil {
		return nil, err
	}
	return r, nil
})

func getenvBench(b *testing.B) {
	must(b, envVars)
	name := env.DefaultVariablesPrefix + strings.ToUpper(benchVarKey)
	var v string
	var ok bool
	b.ReportAllocs()
	for b.Loop() {
		v, ok = os.LookupEnv(name)
	}
	if !ok || v != benchVarValue {
		b.Fatalf("%s not set", name)
	}
}

func parseURIBench(b *testing.B) {
	var c connection.Connection
	var err error
	b.ReportAllocs()
	for b.Loop() {
		c, err = connection.ParseURI(ID, URI)
	}
	if err != nil || c.Host != "db.example.com" {
		b.Fatal(c.Host, err)
	}
}

func connectionBench(l *lazy[*resolver.Resolver], id string) func(b *testing.B) {
	return func(b *testing.B) {
		r := must(b, l)
		var c connection.Connection
		var err error
		b.ReportAllocs()
		for b.Loop() {
			c, err = r.Connection(ctx, id)
		}
		if err != nil || c.Host == "" {
			b.Fatalf("connection %q: host %q, %v", id, c.Host, err)
		}
	}
}

func variableBench(l *lazy[*resolver.Resolver], key, want string) func(b *testing.B) {
	return func(b *testing.B) {
		r := must(b, l)
		var v connection.Secret
		var err error
		b.ReportAllocs()
		for b.Loop() {
			v, err = r.Variable(ctx, key)
		}
		if err != nil || v.Reveal() != want {
			b.Fatalf("variable %q: %v (value differs: %t)", key, err, err == nil)
		}
	}
}

func (m memBackend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	switch req.Kind {
	case resolver.KindConnection:
		return m.ConnectionValue(ctx, req.ID)
	case resolver.KindVariable:
		return m.Variable(ctx, req.ID)
	}
	return "", resolver.ErrNotFound
}
