package wasmhost_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/wasmhost"
	"github.com/secretpath/secretpath/wasmhost/internal/wasmbin"
)

// wasmExport is one entry of a module's export section.
type wasmExport struct {
	name  string
	kind  byte
	index uint32
}

// editExports returns a copy of wasm whose export section is edit's result.
func editExports(t *testing.T, wasm []byte, edit func([]wasmExport) []wasmExport) []byte {
	t.Helper()
	r := wasmbin.Reader{B: wasm, Off: 8}
	out := append([]byte(nil), wasm[:8]...)
	for !r.Done() {
		id := r.Byte()
		payload := r.Bytes(uint64(r.U32()))
		require.NoError(t, r.Err)
		if id == 7 {
			pr := wasmbin.Reader{B: payload}
			var exps []wasmExport
			for n := pr.U32(); n > 0; n-- {
				e := wasmExport{name: pr.Name(), kind: pr.Byte()}
				e.index = pr.U32()
				exps = append(exps, e)
			}
			require.NoError(t, pr.Err)
			exps = edit(exps)
			payload = wasmbin.AppendU32(nil, uint32(len(exps)))
			for _, e := range exps {
				payload = wasmbin.AppendU32(append(wasmbin.AppendName(payload, e.name), e.kind), e.index)
			}
		}
		out = wasmbin.AppendSection(out, id, payload)
	}
	return out
}

// withCustom appends a custom section.
func withCustom(wasm []byte, name string, payload []byte) []byte {
	return wasmbin.AppendSection(append([]byte(nil), wasm...), 0, append(wasmbin.AppendName(nil, name), payload...))
}

// producers is a producers section's payload (tool-conventions'
// ProducersSection.md): one value per field.
func producers(fields ...[3]string) []byte {
	p := wasmbin.AppendU32(nil, uint32(len(fields)))
	for _, f := range fields {
		p = wasmbin.AppendU32(wasmbin.AppendName(p, f[0]), 1)
		p = wasmbin.AppendName(wasmbin.AppendName(p, f[1]), f[2])
	}
	return p
}

func renameExport(from, to string) func([]wasmExport) []wasmExport {
	return func(exps []wasmExport) []wasmExport {
		for i := range exps {
			if exps[i].name == from {
				exps[i].name = to
			}
		}
		return exps
	}
}

func dropExports(names ...string) func([]wasmExport) []wasmExport {
	return func(exps []wasmExport) []wasmExport {
		return slices.DeleteFunc(exps, func(e wasmExport) bool { return slices.Contains(names, e.name) })
	}
}

func onlyMemory(exps []wasmExport) []wasmExport {
	return slices.DeleteFunc(exps, func(e wasmExport) bool { return e.name != "memory" })
}

// goJSModule is what GOOS=js GOARCH=wasm makes of a program, as far as
// the host can tell: imports from module "gojs", a memory, _start... here
// one import and a memory.
func goJSModule() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = wasmbin.AppendSection(out, 1, []byte{1, 0x60, 1, 0x7f, 0})                                                                 // type (i32) -> ()
	out = wasmbin.AppendSection(out, 2, append(wasmbin.AppendName(wasmbin.AppendName([]byte{1}, "gojs"), "runtime.wasmExit"), 0, 0)) // import
	out = wasmbin.AppendSection(out, 5, []byte{1, 0, 1})                                                                             // memory
	out = wasmbin.AppendSection(out, 7, append(wasmbin.AppendName([]byte{1}, "memory"), 2, 0))                                       // export
	return withCustom(out, "go:buildid", []byte("\xff Go build ID: \"x\"\n \xff"))
}

// TestValidationHints: a module built the wrong way is refused with what
// to change (issue 15): a WASI command (std Go without -buildmode=c-shared
// used to pass `wasm check` and trap at its first call), a module without
// the marker, a missing lookup export, a GOOS=js build. The hint follows
// the toolchain the module names (its go:buildid or producers section);
// one that names none gets every toolchain's.
func TestValidationHints(t *testing.T) {
	ref := readFixture(t, "reference")
	goID := []byte("\xff Go build ID: \"x\"\n \xff")
	tests := []struct {
		name   string
		wasm   []byte
		want   []string
		absent []string
	}{
		{name: "go command", wasm: withCustom(editExports(t, ref, renameExport("_initialize", "_start")), "go:buildid", goID),
			want: []string{"built as a command: rebuild with -buildmode=c-shared (it exports _start and no _initialize"}, absent: []string{"Rust", "wasm-ld"}},
		{name: "go command by producers", wasm: withCustom(editExports(t, ref, renameExport("_initialize", "_start")), "producers", producers([3]string{"language", "Go", "go1.27.3"})),
			want: []string{"built as a command: rebuild with -buildmode=c-shared ("}},
		{name: "c command", wasm: withCustom(editExports(t, ref, renameExport("_initialize", "_start")), "producers", producers([3]string{"processed-by", "clang", "14.0.6"})),
			want: []string{"built as a command: rebuild as a reactor (-mexec-model=reactor) or freestanding (wasm-ld --no-entry"}, absent: []string{"buildmode"}},
		{name: "rust command", wasm: withCustom(editExports(t, ref, renameExport("_initialize", "_start")), "producers", producers([3]string{"language", "Rust", ""}, [3]string{"processed-by", "rustc", "1.63.0"})),
			want: []string{`built as a command: rebuild as a library (crate-type = ["cdylib"]`}},
		{name: "command, toolchain unknown", wasm: editExports(t, ref, renameExport("_initialize", "_start")),
			want: []string{"built as a command: rebuild as a reactor or library (Go: -buildmode=c-shared; C: -mexec-model=reactor or wasm-ld --no-entry; Rust: crate-type cdylib; AssemblyScript: --exportStart _initialize)"}},
		{name: "c without marker", wasm: withCustom(editExports(t, ref, dropExports("secretpath_abi_v1")), "producers", producers([3]string{"processed-by", "clang", "14.0.6"})),
			want: []string{"lacks the marker export secretpath_abi_v1: not a secretpath ABI v1 module (it exports some of ABI v1's functions but not the marker", "a C guest compiles and links guest-sdk/c/secretpath.c"}},
		{name: "no marker, toolchain unknown", wasm: editExports(t, ref, dropExports("secretpath_abi_v1")),
			want: []string{"lacks the marker export secretpath_abi_v1", "every guest SDK defines it: a C guest compiles and links guest-sdk/c/secretpath.c", "exports an empty function of that name"}},
		{name: "go program without the SDK", wasm: withCustom(editExports(t, ref, onlyMemory), "go:buildid", goID),
			want: []string{"it exports none of ABI v1's functions", "imports github.com/secretpath/secretpath/guest-sdk/go and calls secretpath.Register"}},
		{name: "missing connection lookup", wasm: editExports(t, ref, dropExports("secretpath_get_connection")),
			want: []string{"missing export secretpath_get_connection (i32) -> (i32): every guest exports both lookups; one that serves no such values returns UNIMPLEMENTED (6)"}, absent: []string{"secretpath.c"}},
		{name: "c missing variable lookup", wasm: withCustom(editExports(t, ref, dropExports("secretpath_get_variable")), "producers", producers([3]string{"language", "C11", ""})),
			want: []string{"missing export secretpath_get_variable (i32) -> (i32): every guest exports both lookups", "guest-sdk/c/secretpath.c defines it"}},
		{name: "GOOS=js", wasm: goJSModule(),
			want: []string{"it imports gojs.runtime.wasmExit: built for GOOS=js; rebuild with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared"}},
	}
	h := newHost(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Load(t.Context(), tt.wasm)
			require.Error(t, err)
			var ve *wasmhost.ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			for _, s := range tt.want {
				assert.Contains(t, err.Error(), s)
			}
			for _, s := range tt.absent {
				assert.NotContains(t, err.Error(), s)
			}
		})
	}
	t.Run("reactor with _start too", func(t *testing.T) {
		// _initialize is what the host calls; a _start beside it is ignored.
		wasm := editExports(t, ref, func(exps []wasmExport) []wasmExport {
			i := slices.IndexFunc(exps, func(e wasmExport) bool { return e.name == "_initialize" })
			return append(exps, wasmExport{name: "_start", kind: 0, index: exps[i].index})
		})
		m, err := h.Load(t.Context(), wasm)
		require.NoError(t, err)
		require.NoError(t, m.Close())
	})
}

// buildGoGuest builds examples/custom-backend/go/<name> for wasip1 with
// extra go build flags (abitest.BuildGoExample's pattern, which always
// builds a reactor) into a temporary directory.
func buildGoGuest(t *testing.T, name string, flags ...string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		testutil.Missing(t, "the go toolchain is not on PATH (needed to build Go guests)")
	}
	out := filepath.Join(t.TempDir(), name+".wasm")
	args := append([]string{"build"}, flags...)
	cmd := exec.Command(goBin, append(args, "-trimpath", "-ldflags=-s -w", "-o", out, "./"+name)...)
	cmd.Dir = filepath.Join(testutil.RepoRoot(), "examples", "custom-backend", "go")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, b)
	}
	return out
}

// TestGoCommandRefused: the jsondoc Go example built with a plain
// `GOOS=wasip1 GOARCH=wasm go build` is a command: Load refuses it naming
// -buildmode=c-shared (it used to load, and trap at the first call);
// built with -buildmode=c-shared it loads.
func TestGoCommandRefused(t *testing.T) {
	h := newHost(t)
	tests := []struct {
		name  string
		flags []string
		want  string // "" = loads
	}{
		{name: "go build", want: "built as a command: rebuild with -buildmode=c-shared"},
		{name: "go build -buildmode=c-shared", flags: []string{"-buildmode=c-shared"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := buildGoGuest(t, "jsondoc", tt.flags...)
			m, err := h.LoadFile(t.Context(), path, "")
			if tt.want == "" {
				require.NoError(t, err)
				assert.True(t, m.Info().Reactor)
				require.NoError(t, m.Close())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), path, "the error names the file")
		})
	}
}

// TestCWithoutMarker: a C guest written without the SDK, built as
// examples/custom-backend/c builds (freestanding wasm32) but not stripped,
// names clang in its producers section; without the marker export it is
// refused with the C SDK's remedy.
func TestCWithoutMarker(t *testing.T) {
	tools := map[string]string{}
	for _, tool := range []string{"clang", "wasm-ld"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			testutil.Missing(t, "%s is not on PATH (needed to build C guests: apt-get install clang lld)", tool)
		}
		tools[tool] = p
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "guest.c")
	require.NoError(t, os.WriteFile(src, []byte(`/* An ABI v1 guest without an SDK, and without the marker export. */
#define EXPORT(name) __attribute__((export_name(name), visibility("default")))
static unsigned char buffer[1024];
EXPORT("secretpath_buffer") int secretpath_buffer(void) { return (int)(unsigned long)buffer; }
EXPORT("secretpath_buffer_size") int secretpath_buffer_size(void) { return sizeof buffer; }
EXPORT("secretpath_init") int secretpath_init(void) { return 0; }
EXPORT("secretpath_get_connection") int secretpath_get_connection(int n) { (void)n; return 1; }
EXPORT("secretpath_get_variable") int secretpath_get_variable(int n) { (void)n; return 1; }
`), 0o600))
	obj, wasm := filepath.Join(dir, "guest.o"), filepath.Join(dir, "guest.wasm")
	for _, cmd := range [][]string{
		{tools["clang"], "--target=wasm32", "-O2", "-nostdlib", "-ffreestanding", "-c", "-o", obj, src},
		{tools["wasm-ld"], "--no-entry", "--gc-sections", "-o", wasm, obj},
	} {
		if b, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, b)
		}
	}
	_, err := newHost(t).LoadFile(t.Context(), wasm, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lacks the marker export secretpath_abi_v1")
	assert.Contains(t, err.Error(), "a C guest compiles and links guest-sdk/c/secretpath.c, which defines it")
}
