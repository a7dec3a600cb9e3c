package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	wapc "github.com/wapc/wapc-go"
	wapcwazero "github.com/wapc/wapc-go/engines/wazero"
)

// The waPC rows: wapc-go's wazero engine (its DefaultRuntime: wazero's
// compiler, no context checks, WASI and AssemblyScript's abort) on
// guests/wapc/lookup.wat.
var wapcCases = inGroup(GroupWASM, []Case{
	{Name: "WaPC", What: "waPC (wapc-go, wazero engine) Instance.Invoke(ctx, \"lookup\", id) on guests/wapc/lookup.wat (same guest work as bench_guest.wat), the result copied to a string (wapc-go returns a view into guest memory); no deadline",
		Baseline: "Ours/trusted", Targets: []Target{slowerThanBaseline(1)},
		Setup: setup(wapcInstance), F: wapcBench},
	{Name: "InstantiateWaPC", What: "waPC Module.Instantiate + first Invoke for lookup.wat: the waPC counterpart of InstantiateTenant/bench_guest. Close not timed",
		Baseline: "InstantiateTenant/bench_guest",
		Setup:    setup(wapcModule), F: instantiateWaPCBench},
})

// wapcGuestPath builds guests/wapc/lookup.wat with wabt's wat2wasm.
func wapcGuestPath() (string, error) {
	return buildWat("wapc-lookup", "bench/guests/wapc/lookup.wat")
}

// buildWat builds the .wat file src (relative to the repository root) with
// wat2wasm, once per process, and returns the .wasm path.
func buildWat(name, src string) (string, error) {
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.done[name]; ok {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	tool, err := exec.LookPath("wat2wasm")
	if err != nil {
		return "", fmt.Errorf("bench: building the %s guest needs wat2wasm (wabt) on PATH: %w", name, ErrToolchainMissing)
	}
	if builds.dir == "" {
		d, err := os.MkdirTemp("", "secretpath-bench-guests-")
		if err != nil {
			return "", err
		}
		builds.dir = d
	}
	out := filepath.Join(builds.dir, name+".wasm")
	cmd := exec.Command(tool, filepath.Join(root, filepath.FromSlash(src)), "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: building the %s guest (wat2wasm %s): %v\n%s", name, src, err, b)
	}
	builds.done[name] = out
	return out, nil
}

var wapcModule = newLazy(func() (wapc.Module, error) {
	path, err := wapcGuestPath()
	if err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := wapcwazero.Engine().New(ctx, wapc.NoOpHostCallHandler, wasm, &wapc.ModuleConfig{})
	if err != nil {
		return nil, fmt.Errorf("bench: waPC: %w", err)
	}
	onClose(func() { _ = m.Close(ctx) })
	return m, nil
})

var wapcInstance = newLazy(func() (wapc.Instance, error) {
	m, err := wapcModule.get()
	if err != nil {
		return nil, err
	}
	inst, err := m.Instantiate(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: waPC instance: %w", err)
	}
	onClose(func() { _ = inst.Close(ctx) })
	if got, err := wapcLookup(inst, []byte(ID)); err != nil || got != URI {
		return nil, fmt.Errorf("bench: waPC lookup returned %q, %v", got, err)
	}
	if _, err := inst.Invoke(ctx, "lookup", []byte{0}); err == nil {
		return nil, errors.New("bench: the waPC guest answered an id starting with NUL")
	}
	return inst, nil
})

// wapcLookup invokes "lookup" and copies the answer out of guest memory
// (our host copies too).
func wapcLookup(inst wapc.Instance, id []byte) (string, error) {
	out, err := inst.Invoke(ctx, "lookup", id)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

func wapcBench(b *testing.B) {
	inst := must(b, wapcInstance)
	id := []byte(ID)
	var got string
	var err error
	b.ReportAllocs()
	for b.Loop() {
		got, err = wapcLookup(inst, id)
	}
	check(b, got, err)
}

func instantiateWaPCBench(b *testing.B) {
	m := must(b, wapcModule)
	id := []byte(ID)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		inst, err := m.Instantiate(ctx)
		if err != nil {
			b.Fatal(err)
		}
		got, err := wapcLookup(inst, id)
		b.StopTimer()
		check(b, got, err)
		_ = inst.Close(ctx)
		b.StartTimer()
	}
}
