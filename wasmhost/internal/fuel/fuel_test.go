package fuel_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/secretpath/secretpath/internal/abitest"
	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

func mustInstrument(t testing.TB, wasm []byte) []byte {
	t.Helper()
	out, err := fuel.Instrument(wasm, fuel.Config{})
	if err != nil {
		t.Fatalf("Instrument: %v", err)
	}
	return out
}

// compiles reports whether wazero compiles wasm (with the features
// NewRuntime enables: 2.0 plus what its defaults turn on).
func compiles(t testing.TB, wasm []byte) error {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCoreFeatures(features))
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, wasm)
	if err == nil {
		cm.Close(ctx)
	}
	return err
}

// declined lists the fixtures the rewriter refuses, and why.
var declined = map[string]error{
	"memory64": fuel.ErrUnsupported,
}

func TestFixturesInstrumentAndCompile(t *testing.T) {
	for _, name := range sortedKeys(fixtures(t)) {
		wasm := fixtures(t)[name]
		t.Run(name, func(t *testing.T) {
			out, err := fuel.Instrument(wasm, fuel.Config{})
			if want, ok := declined[name]; ok && err != nil {
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Instrument: %v", err)
			}
			origErr := compiles(t, wasm)
			if err := compiles(t, out); (err == nil) != (origErr == nil) {
				t.Fatalf("original compiles: %v; instrumented: %v", origErr, err)
			}
			info, err := fuel.Inspect(out, fuel.Config{})
			if err != nil || !info.Instrumented || !info.HasRefill || !info.HasGlobal {
				t.Fatalf("Inspect(instrumented) = %+v, %v", info, err)
			}
			if info, _ := fuel.Inspect(wasm, fuel.Config{}); info.Instrumented {
				t.Fatalf("Inspect(original) = %+v", info)
			}
			if _, err := fuel.Instrument(out, fuel.Config{}); !errors.Is(err, fuel.ErrInstrumented) {
				t.Fatalf("instrumenting twice: err = %v, want ErrInstrumented", err)
			}
		})
	}
}

// TestFixturesDifferential runs every fixture original (with
// WithCloseOnContextDone) and instrumented (refill that always refills
// until the call's deadline) through the same ABI call script.
func TestFixturesDifferential(t *testing.T) {
	all := fixtures(t)
	for _, name := range sortedKeys(all) {
		if _, ok := declined[name]; ok {
			// An expected decline is a result, not a skip: CI fails on skips.
			_, err := fuel.Instrument(all[name], fuel.Config{})
			if !errors.Is(err, fuel.ErrUnsupported) {
				t.Errorf("%s: want ErrUnsupported, got %v", name, err)
			}
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := fuel.Instrument(all[name], fuel.Config{})
			if err != nil {
				t.Fatal(err)
			}
			differential(t, all[name], out)
		})
	}
}

// differentialDeadline bounds each call of the original module (the
// metered one stops on fuel first). It is generous so that a slow call on
// a loaded machine under -race is not mistaken for a guest that loops: a
// looping fixture costs this much once.
const differentialDeadline = 10 * time.Second

func differential(t *testing.T, orig, metered []byte) {
	t.Helper()
	a, ok := script(t, orig, false, differentialDeadline)
	b, _ := script(t, metered, true, differentialDeadline)
	if !ok {
		if b != "compile error" {
			t.Fatalf("original does not compile, instrumented does")
		}
		return
	}
	if a != b {
		t.Fatalf("transcripts differ\n--- original:\n%s\n--- metered:\n%s", a, b)
	}
	if testing.Verbose() {
		t.Logf("transcript:\n%s", a)
	}
}

func TestGoExampleDifferential(t *testing.T) {
	path := abitest.BuildGoExample(t, "jsondoc")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// With the call-depth counter the host adds, which nothing resets
	// between the script's calls here: a frame not given back on some exit
	// path would accumulate and trap (std Go needs under 100 units),
	// changing the transcript.
	out, err := fuel.Instrument(orig, fuel.Config{MaxCallDepth: 2_000})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("jsondoc: %d bytes -> %d instrumented (+%.1f%%)", len(orig), len(out), 100*float64(len(out)-len(orig))/float64(len(orig)))
	differential(t, orig, out)
}

// TestUnboundedLoopsStop: with a bounded budget and no deadline, guests
// that never stop (in a lookup, in init, in a start function, in
// _initialize) fail with the refill's error.
func TestUnboundedLoopsStop(t *testing.T) {
	all := fixtures(t)
	cases := []struct {
		fixture, fn string
		args        []uint64
	}{
		{"loop", "spin", []uint64{0xFFFFFFFF}},
		{"loop_lookup", "secretpath_get_connection", []uint64{1}},
		{"loop_init", "secretpath_init", nil},
		{"start_loop", "", nil},
		{"loop_initialize", "", nil},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			ctx := context.Background() // no deadline
			rt := newRuntime(t, ctx, false)
			defer rt.Close(ctx)
			cm, err := rt.CompileModule(ctx, mustInstrument(t, all[c.fixture]))
			if err != nil {
				t.Fatal(err)
			}
			var log []string
			stubImports(t, ctx, rt, cm, &log)
			b := &budget{Chunk: 1 << 20, Chunks: 50} // ~50M instructions
			cctx := withBudget(ctx, b)
			start := time.Now()
			cfg := wazero.NewModuleConfig().WithName("")
			if c.fixture == "loop_initialize" {
				cfg = cfg.WithStartFunctions("_initialize")
			}
			mod, err := rt.InstantiateModule(cctx, cm, cfg)
			if c.fn != "" {
				if err != nil {
					t.Fatal(err)
				}
				_, err = mod.ExportedFunction(c.fn).Call(cctx, c.args...)
			}
			if err == nil || !strings.Contains(err.Error(), errCPU.Error()) {
				t.Fatalf("err = %v, want %q", err, errCPU)
			}
			t.Logf("stopped after %v, %d refills: %v", time.Since(start), b.refills.Load(), firstLine(err.Error()))
		})
	}
}

func firstLine(s string) string { before, _, _ := strings.Cut(s, "\n"); return before }

// TestFuelAccounting checks the cost model on a small function: the fuel
// charged per call is deterministic and equals the static count.
func TestFuelAccounting(t *testing.T) {
	wasm := wat(t, `(module
	  (func (export "spin") (param $n i32) (result i32)
	    (local $i i32) (local $acc i32)
	    (block $done
	      (loop $next
	        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
	        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $i)))
	        (local.set $i (i32.add (local.get $i) (i32.const 1)))
	        (br $next)))
	    (local.get $acc)))`)
	ctx := context.Background()
	rt := newRuntime(t, ctx, false)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, mustInstrument(t, wasm))
	if err != nil {
		t.Fatal(err)
	}
	g := mod.ExportedGlobal(fuel.DefaultGlobalExport).(api.MutableGlobal)
	used := func(n uint64) int64 {
		g.Set(1 << 40)
		if _, err := mod.ExportedFunction("spin").Call(ctx, n); err != nil {
			t.Fatal(err)
		}
		return 1<<40 - int64(g.Get())
	}
	// entry region: block, loop, end(block), local.get, end = 5;
	// loop region per iteration: 4 (br_if) + 6 (acc) + 4 (i) + br + end = 16.
	for _, n := range []uint64{0, 1, 10, 1000} {
		if got, want := used(n), int64(5+16*(n+1)); got != want {
			t.Errorf("spin(%d) used %d fuel, want %d", n, got, want)
		}
	}
}

// TestDynamicCosts: memory.fill and memory.grow are charged by their size
// operand.
func TestDynamicCosts(t *testing.T) {
	wasm := wat(t, `(module (memory 1)
	  (func (export "fill") (param $n i32)
	    (memory.fill (i32.const 0) (i32.const 7) (local.get $n)))
	  (func (export "grow") (param $n i32) (result i32)
	    (memory.grow (local.get $n))))`)
	ctx := context.Background()
	rt := newRuntime(t, ctx, false)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, mustInstrument(t, wasm))
	if err != nil {
		t.Fatal(err)
	}
	g := mod.ExportedGlobal(fuel.DefaultGlobalExport).(api.MutableGlobal)
	used := func(fn string, n uint64) int64 {
		g.Set(1 << 40)
		if _, err := mod.ExportedFunction(fn).Call(ctx, n); err != nil {
			t.Fatal(err)
		}
		return 1<<40 - int64(g.Get())
	}
	if got, want := used("fill", 0), int64(5); got != want {
		t.Errorf("fill(0) used %d, want %d", got, want)
	}
	if got, want := used("fill", 65536), int64(5+65536/32); got != want {
		t.Errorf("fill(65536) used %d, want %d", got, want)
	}
	if got, want := used("grow", 2), int64(3+2*65536/32); got != want {
		t.Errorf("grow(2) used %d, want %d", got, want)
	}
	if got, want := used("grow", 0xFFFFFFFF), int64(3+65536*65536/32); got != want {
		t.Errorf("grow(-1) used %d, want %d (clamped)", got, want)
	}
}
