package wasmhost

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

// ModuleInfo is what validation learned about a module: what it exports
// and what it needs from the host.
type ModuleInfo struct {
	SHA256       string   // hex digest of the module bytes
	Size         int      // bytes
	Exports      []string // the ABI exports present, sorted
	Imports      []string // "module.name" of every function import, sorted
	Capabilities []string // capabilities the imports need, sorted
	WASI         bool     // imports wasi_snapshot_preview1
	Reactor      bool     // exports _initialize
	Configs      bool     // exports secretpath_get_config
	MinMemory    uint32   // pages the memory starts with
	MaxMemory    *uint32  // declared maximum pages, if any
}

// ValidationError lists every way a module fails ABI v1.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "not a valid secretpath ABI v1 module: " + e.Problems[0]
	}
	return "not a valid secretpath ABI v1 module: " + strings.Join(e.Problems, "; ")
}

// validate checks a compiled module against ABI v1 (ABI.md §7). metered
// says cm is the fuel rewriter's output: its refill import is the host's,
// not the guest's.
func validate(cm wazero.CompiledModule, wasi map[string]api.FunctionDefinition, info *ModuleInfo, metered bool) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	mems := cm.ExportedMemories()
	if m, ok := mems["memory"]; !ok {
		add("it does not export a memory named \"memory\"")
	} else {
		info.MinMemory = m.Min()
		if max, ok := m.Max(); ok {
			info.MaxMemory = &max
		}
	}
	if len(cm.ImportedMemories()) > 0 {
		add("it imports a memory; a guest must define and export its own")
	}

	exports := cm.ExportedFunctions()
	if _, ok := exports[exportMarker]; !ok {
		add("it lacks the marker export %s: not a secretpath ABI v1 module", exportMarker)
	}
	names := make([]string, 0, len(guestExports))
	for name := range guestExports {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := guestExports[name]
		def, ok := exports[name]
		if !ok {
			if want.required {
				add("missing export %s %s", name, sigString(want.params, want.results))
			}
			continue
		}
		info.Exports = append(info.Exports, name)
		if !sameSig(def, want.params, want.results) {
			add("export %s: want %s, have %s", name, sigString(want.params, want.results), defSig(def))
		}
	}
	info.Reactor = slices.Contains(info.Exports, exportReactor)
	info.Configs = slices.Contains(info.Exports, exportConfig)

	caps := map[string]bool{}
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		if metered && mod == fuel.DefaultImportModule && name == fuel.DefaultImportName {
			continue
		}
		info.Imports = append(info.Imports, mod+"."+name)
		switch mod {
		case wasiModule:
			info.WASI = true
			w, ok := wasi[name]
			if !ok {
				add("it imports %s.%s, which this host does not provide", mod, name)
			} else if !typesEqual(def.ParamTypes(), apiVals(w.ParamTypes())) || !typesEqual(def.ResultTypes(), apiVals(w.ResultTypes())) {
				add("import %s.%s: want %s, have %s", mod, name, defSig(w), defSig(def))
			}
		case importModule:
			hf, ok := hostFunctionNamed(name)
			if !ok {
				add("it imports %s.%s, which this host does not provide", mod, name)
				continue
			}
			if !sameSig(def, hf.params, hf.results) {
				add("import %s.%s: want %s, have %s", mod, name, sigString(hf.params, hf.results), defSig(def))
			}
			if hf.capability != "" {
				caps[hf.capability] = true
			}
		default:
			add("it imports %s.%s: only %s and %s are provided", mod, name, importModule, wasiModule)
		}
	}
	sort.Strings(info.Imports)
	for c := range caps {
		info.Capabilities = append(info.Capabilities, c)
	}
	sort.Strings(info.Capabilities)
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

func sameSig(def api.FunctionDefinition, params, results []valType) bool {
	return typesEqual(def.ParamTypes(), params) && typesEqual(def.ResultTypes(), results)
}

func typesEqual(have []api.ValueType, want []valType) bool {
	if len(have) != len(want) {
		return false
	}
	for i := range have {
		if byte(have[i]) != byte(want[i]) {
			return false
		}
	}
	return true
}

func defSig(def api.FunctionDefinition) string {
	conv := func(ts []api.ValueType) []valType {
		out := make([]valType, len(ts))
		for i, t := range ts {
			out[i] = valType(t)
		}
		return out
	}
	return sigString(conv(def.ParamTypes()), conv(def.ResultTypes()))
}

func apiVals(ts []api.ValueType) []valType {
	out := make([]valType, len(ts))
	for i, t := range ts {
		out[i] = valType(t)
	}
	return out
}
