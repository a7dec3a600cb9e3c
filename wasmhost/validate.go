package wasmhost

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
	"github.com/secretpath/secretpath/wasmhost/internal/wasmbin"
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
// not the guest's. tc is the toolchain the module says built it (see
// toolchainOf), for hints about mistakes a toolchain makes likely.
func validate(cm wazero.CompiledModule, wasi map[string]api.FunctionDefinition, info *ModuleInfo, metered bool, tc string) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	exports := cm.ExportedFunctions()

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

	if _, ok := exports[exportMarker]; !ok {
		add("%s", markerHint(exports, tc))
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
			if want.required && name != exportMarker { // said above
				add("missing export %s %s%s", name, sigString(want.params, want.results), missingHint(name, tc))
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
	gojs := false // said once: a GOOS=js module imports dozens
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
		case goJSModule:
			if !gojs {
				gojs = true
				add("it imports %s.%s: built for GOOS=js; rebuild with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared", mod, name)
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

// Toolchains toolchainOf recognises.
const (
	toolchainGo   = "Go"
	toolchainC    = "C"
	toolchainRust = "Rust"
)

// goJSModule is the import module of Go's GOOS=js port.
const goJSModule = "gojs"

// commandHint says that a module is a WASI command, and how its toolchain
// builds a reactor instead. For Go the wording is fixed (issue 15): "built
// as a command: rebuild with -buildmode=c-shared".
func commandHint(tc string) string {
	const why = "it exports _start and no _initialize; the host never calls _start, so the guest's runtime is never initialised and its first call traps"
	switch tc {
	case toolchainGo:
		return "built as a command: rebuild with -buildmode=c-shared (" + why + ")"
	case toolchainC:
		return "built as a command: rebuild as a reactor (-mexec-model=reactor) or freestanding (wasm-ld --no-entry, as guest-sdk/c builds) (" + why + ")"
	case toolchainRust:
		return "built as a command: rebuild as a library (crate-type = [\"cdylib\"], as guest-sdk/rust builds) (" + why + ")"
	}
	return "built as a command: rebuild as a reactor or library (Go: -buildmode=c-shared; C: -mexec-model=reactor or wasm-ld --no-entry; Rust: crate-type cdylib; AssemblyScript: --exportStart _initialize) (" + why + ")"
}

// markerHint says that the marker export is missing and, when the module
// exports none of ABI v1's functions either, that it is no secretpath
// guest at all; with how the module's toolchain gets the marker.
func markerHint(exports map[string]api.FunctionDefinition, tc string) string {
	abi := false
	for name := range guestExports {
		if _, ok := exports[name]; ok && name != exportReactor {
			abi = true
		}
	}
	msg := fmt.Sprintf("it lacks the marker export %s: not a secretpath ABI v1 module", exportMarker)
	if !abi {
		msg += " (it exports none of ABI v1's functions"
	} else {
		msg += " (it exports some of ABI v1's functions but not the marker, () -> (), that says it speaks ABI v1"
	}
	switch tc {
	case toolchainGo:
		return msg + "; a Go guest imports github.com/secretpath/secretpath/guest-sdk/go and calls secretpath.Register from an init function)"
	case toolchainRust:
		return msg + "; a Rust guest calls guest-sdk/rust's export_backend! macro once, which defines it)"
	case toolchainC:
		return msg + "; a C guest compiles and links guest-sdk/c/secretpath.c, which defines it, with its own code)"
	}
	return msg + "; every guest SDK defines it: a C guest compiles and links guest-sdk/c/secretpath.c with its own code, a guest without an SDK exports an empty function of that name)"
}

// missingHint adds to a missing export's problem what a guest that lacks
// it should do.
func missingHint(name, tc string) string {
	switch name {
	case exportConn, exportVar:
		hint := ": every guest exports both lookups; one that serves no such values returns UNIMPLEMENTED (6) or NOT_FOUND (1)"
		if tc == toolchainC {
			hint += " (guest-sdk/c/secretpath.c defines it, over a weak default: link it)"
		}
		return hint
	}
	return ""
}

// toolchainOf returns the toolchain a module says built it: Go (its
// section named "go:buildid", or the producers section's language), Rust
// or C (the producers section's language or processed-by); "" when the
// module does not say (a stripped module: wasm-ld --strip-all drops the
// producers section; Go keeps both).
func toolchainOf(wasm []byte) string {
	if len(wasm) < 8 {
		return ""
	}
	r := wasmbin.Reader{B: wasm, Off: 8}
	for !r.Done() {
		id := r.Byte()
		payload := r.Bytes(uint64(r.U32()))
		if r.Err != nil || id != 0 {
			continue
		}
		pr := wasmbin.Reader{B: payload}
		switch pr.Name() {
		case "go:buildid":
			return toolchainGo
		case "producers":
			if tc := producersToolchain(&pr); tc != "" {
				return tc
			}
		}
	}
	return ""
}

// isCommand reports whether a module is a WASI command: it exports a
// function _start and no function _initialize. Its exports cannot run
// before _start, which the host never calls (ABI.md §2): prescan refuses
// it before compiling anything.
func isCommand(wasm []byte) bool {
	r := wasmbin.Reader{B: wasm, Off: 8}
	for !r.Done() {
		id := r.Byte()
		payload := r.Bytes(uint64(r.U32()))
		if r.Err != nil || id != 7 {
			continue
		}
		start, reactor := false, false
		pr := wasmbin.Reader{B: payload}
		for n := pr.U32(); n > 0 && pr.Err == nil; n-- {
			name, kind := pr.Name(), pr.Byte()
			pr.U32()
			if kind == 0 {
				start = start || name == exportStart
				reactor = reactor || name == exportReactor
			}
		}
		return pr.Err == nil && start && !reactor
	}
	return false
}

// producersToolchain reads a producers section's fields (tool-conventions'
// ProducersSection.md): language and processed-by name the toolchain.
func producersToolchain(r *wasmbin.Reader) string {
	tc := ""
	for n := r.U32(); n > 0 && r.Err == nil; n-- {
		field := r.Name()
		for m := r.U32(); m > 0 && r.Err == nil; m-- {
			name, _ := r.Name(), r.Name()
			if r.Err != nil {
				return ""
			}
			switch {
			case field == "language" && name == "Go", field == "processed-by" && strings.HasPrefix(name, "Go "):
				return toolchainGo
			case field == "language" && name == "Rust", field == "processed-by" && name == "rustc":
				tc = toolchainRust
			case tc == "" && (field == "language" && strings.HasPrefix(name, "C") ||
				field == "processed-by" && strings.Contains(name, "clang")): // "clang", "Debian clang", C11, C_plus_plus_14
				tc = toolchainC
			}
		}
	}
	return tc
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
