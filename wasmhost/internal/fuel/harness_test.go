package fuel_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

// wat builds a module from WAT source with wabt's wat2wasm.
func wat(t testing.TB, src string, flags ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("wat2wasm")
	if err != nil {
		testutil.Missing(t, "wat2wasm (wabt) is not on PATH")
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "m.wat"), filepath.Join(dir, "m.wasm")
	if err := os.WriteFile(in, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(bin, append([]string{"--enable-tail-call", "--debug-names", in, "-o", out}, flags...)...).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtures returns the committed wasmhost/testdata modules by name.
func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "*.wasm"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in ../../testdata: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".wasm")] = b
	}
	return out
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// features is what the tests' runtimes enable: wazero's defaults plus
// tail calls.
const features = api.CoreFeaturesV2 | experimental.CoreFeaturesTailCall

// errCPU is what the test refill panics with when the budget is spent.
var errCPU = errors.New("CPU limit exceeded")

// budget is the per-call fuel policy the test refill applies, carried in
// the context: chunks of Chunk fuel, at most Chunks of them (0: unlimited),
// and never after the context's deadline.
type budget struct {
	Chunk   int64
	Chunks  int64
	refills atomic.Int64
}

type budgetKey struct{}

func withBudget(ctx context.Context, b *budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// refill is the reference host implementation of the refill import.
func refill(ctx context.Context, mod api.Module, _ []uint64) {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil {
		b = &budget{Chunk: 1 << 30}
	}
	n := b.refills.Add(1)
	if (b.Chunks > 0 && n > b.Chunks) || ctx.Err() != nil {
		panic(errCPU)
	}
	g := mod.ExportedGlobal(fuel.DefaultGlobalExport).(api.MutableGlobal)
	g.Set(uint64(int64(g.Get()) + b.Chunk))
}

// newRuntime makes a runtime with WASI and, if metered, the refill module.
func newRuntime(t testing.TB, ctx context.Context, closeOnDone bool) wazero.Runtime {
	t.Helper()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCloseOnContextDone(closeOnDone).WithMemoryLimitPages(2048).WithCoreFeatures(features))
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	_, err := rt.NewHostModuleBuilder(fuel.DefaultImportModule).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(refill), nil, nil).Export(fuel.DefaultImportName).
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// stubImports instantiates, for every imported module other than WASI and
// the refill module, host functions with the imported signatures that log
// their calls: kwargs_read serves a fixed JSON object, *_set functions
// record the bytes they are given, the rest return zeros.
func stubImports(t testing.TB, ctx context.Context, rt wazero.Runtime, cm wazero.CompiledModule, log *[]string) {
	t.Helper()
	byMod := map[string]wazero.HostModuleBuilder{}
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod == wasi_snapshot_preview1.ModuleName || mod == fuel.DefaultImportModule {
			continue
		}
		b, ok := byMod[mod]
		if !ok {
			b = rt.NewHostModuleBuilder(mod)
			byMod[mod] = b
		}
		name, results := name, f.ResultTypes()
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, s []uint64) {
			args := make([]uint64, len(f.ParamTypes()))
			for i, pt := range f.ParamTypes() {
				args[i] = s[i]
				if pt == api.ValueTypeI32 || pt == api.ValueTypeF32 {
					args[i] = uint64(uint32(s[i])) // the upper bits are undefined
				}
			}
			*log = append(*log, fmt.Sprint(name, args))
			switch {
			case name == "kwargs_read" && len(s) >= 2:
				kw := []byte(`{"connections":{"c":"postgres://u:p@h/db"},"variables":{"v":"value"}}`)
				if uint32(s[1]) >= uint32(len(kw)) {
					m.Memory().Write(uint32(s[0]), kw)
				}
				s[0] = uint64(len(kw))
				return
			case strings.HasSuffix(name, "_set") && len(s) >= 2:
				b, ok := m.Memory().Read(uint32(s[0]), uint32(s[1]))
				*log = append(*log, fmt.Sprintf("  %q %v", b, ok))
			}
			for i := range results {
				s[i] = 0
			}
		}), f.ParamTypes(), results).Export(name)
	}
	for mod, b := range byMod {
		if _, err := b.Instantiate(ctx); err != nil {
			t.Fatalf("stub module %s: %v", mod, err)
		}
	}
}

// script runs the ABI v1 call sequence (and spin for loop.wasm) on a
// module and returns a transcript: every call's results or whether it
// failed, every import call, and a hash of memory at the end. metered
// selects the instrumented binary's runtime (no WithCloseOnContextDone)
// and the refill budget; otherwise the original runs with
// WithCloseOnContextDone and the same per-call deadline.
func script(t testing.TB, wasm []byte, metered bool, perCall time.Duration) (string, bool) {
	t.Helper()
	ctx := context.Background()
	rt := newRuntime(t, ctx, !metered)
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return "compile error", false
	}
	var log []string
	stubImports(t, ctx, rt, cm, &log)
	failed := false // the host discards an instance after a failed call
	call := func(f func(ctx context.Context) (string, error)) {
		if failed {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, perCall)
		defer cancel()
		cctx = withBudget(cctx, &budget{Chunk: 1 << 16})
		s, err := f(cctx)
		if err != nil {
			failed = true
			log = append(log, "error")
			if metered && !strings.Contains(err.Error(), errCPU.Error()) && errors.Is(cctx.Err(), context.DeadlineExceeded) {
				log = append(log, "(unexpected: "+err.Error()+")")
			}
			return
		}
		log = append(log, s)
	}
	var mod api.Module
	starts := []string{}
	for _, e := range cm.ExportedFunctions() {
		if e.ExportNames()[0] == "_initialize" {
			starts = append(starts, "_initialize")
		}
	}
	call(func(ctx context.Context) (string, error) {
		mod, err = rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions(starts...))
		return "instantiated", err
	})
	if mod == nil {
		return strings.Join(log, "\n"), true
	}
	invoke := func(name string, args ...uint64) (res []uint64) {
		f := mod.ExportedFunction(name)
		if f == nil {
			return nil
		}
		call(func(ctx context.Context) (string, error) {
			var err error
			res, err = f.Call(ctx, args...)
			return fmt.Sprint(name, args, " -> ", res), err
		})
		return res
	}
	invoke("run")
	if mod.ExportedFunction("spin") != nil {
		for _, n := range []uint64{0, 1, 2, 10, 1000, 123457} {
			invoke("spin", n)
		}
	}
	buf := invoke("secretpath_buffer")
	invoke("secretpath_buffer_size")
	invoke("secretpath_init")
	for _, fn := range []string{"secretpath_get_connection", "secretpath_get_variable", "secretpath_get_config"} {
		for _, id := range []string{"c", "v", "missing"} {
			if len(buf) == 1 && !failed && hasMemory(mod) {
				mod.Memory().Write(uint32(buf[0]), []byte(id))
			}
			invoke(fn, uint64(len(id)))
		}
	}
	if !failed && hasMemory(mod) {
		b, _ := mod.Memory().Read(0, mod.Memory().Size())
		log = append(log, fmt.Sprintf("memory %x", sha256.Sum256(b)))
	}
	return strings.Join(log, "\n"), true
}

// hasMemory: wazero's Module.Memory returns a typed nil without a memory.
func hasMemory(mod api.Module) bool {
	m := mod.Memory()
	return m != nil && !reflect.ValueOf(m).IsNil()
}
