package wasmhost

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestHostFunctionTable: every row of hostFunctions is whole (a unique
// name, a named parameter per parameter, an implementation, a known
// capability and charge class), and registration defines exactly the
// table's functions with the table's types.
func TestHostFunctionTable(t *testing.T) {
	if api.ValueType(i32) != api.ValueTypeI32 || api.ValueType(i64) != api.ValueTypeI64 {
		t.Fatal("valType is not wazero's encoding of the value types")
	}
	seen := map[string]bool{}
	for _, hf := range hostFunctions {
		switch {
		case hf.name == "" || seen[hf.name]:
			t.Errorf("%q: no name, or a name used twice", hf.name)
		case len(hf.paramNames) != len(hf.params):
			t.Errorf("%s: %d parameter names for %d parameters", hf.name, len(hf.paramNames), len(hf.params))
		case hf.impl == nil:
			t.Errorf("%s: no implementation", hf.name)
		case hf.capability != "" && !slices.Contains(capabilityNames[:], hf.capability):
			t.Errorf("%s: unknown capability %q", hf.name, hf.capability)
		case strings.HasPrefix(hf.charge.String(), "chargeClass("):
			t.Errorf("%s: unknown charge class %d", hf.name, hf.charge)
		case len(hf.results) > 1:
			t.Errorf("%s: %d results; every SDK binds one at most", hf.name, len(hf.results))
		}
		seen[hf.name] = true
		names := map[string]bool{}
		for _, n := range hf.paramNames {
			if n == "" || names[n] {
				t.Errorf("%s: parameter name %q empty or used twice", hf.name, n)
			}
			names[n] = true
		}
	}

	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if err := instantiateHostModule(ctx, rt); err != nil {
		t.Fatal(err)
	}
	defs := rt.Module(importModule).ExportedFunctionDefinitions()
	if len(defs) != len(hostFunctions) {
		t.Errorf("%s defines %d functions; the table has %d", importModule, len(defs), len(hostFunctions))
	}
	for _, hf := range hostFunctions {
		def, ok := defs[hf.name]
		if !ok {
			t.Errorf("%s is not registered", hf.name)
			continue
		}
		if !sameSig(def, hf.params, hf.results) {
			t.Errorf("%s is registered as %s; the table says %s", hf.name, defSig(def), sigString(hf.params, hf.results))
		}
	}
}

// TestHostFunctionsFuzzed: the ABI fuzz targets (abifuzz_test.go) reach
// every host function: fuzz_guest.wasm imports each, and has an opcode for
// it (the .wat's op table names the function).
func TestHostFunctionsFuzzed(t *testing.T) {
	ctx := context.Background()
	h, err := New(ctx, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz_guest.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := h.Load(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	wat, err := os.ReadFile(filepath.Join("testdata", "fuzz_guest.wat"))
	if err != nil {
		t.Fatal(err)
	}
	_, ops, _ := strings.Cut(string(wat), ";;   op  args  does")
	ops, _, _ = strings.Cut(ops, "\n;;\n")
	for _, hf := range hostFunctions {
		if !slices.Contains(m.Info().Imports, importModule+"."+hf.name) {
			t.Errorf("fuzz_guest.wasm does not import %s: the fuzz targets never call it", hf.name)
		}
		if !strings.Contains(ops, " "+hf.name+"(") {
			t.Errorf("fuzz_guest.wat has no opcode calling %s", hf.name)
		}
	}
}
