package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
)

// init keeps the CLI tests' modules out of the user's compilation cache:
// with SECRETPATH_CACHE_DIR unset, a module opened from a config would
// keep its compiled code in ~/.cache/secretpath/wasm. "none" keeps none on
// disk (an init, not the package's TestMain, which another file holds);
// the tests of the cache set their own directory.
func TestWasmCheck(t *testing.T) {
	fixture := func(name string) string { return filepath.Join(repoRoot, "wasmhost", "testdata", name+".wasm") }
	tests := []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string
	}{
		{name: "valid", args: []string{"wasm", "check", fixture("cap_http")}, stdout: []string{
			"OK, secretpath ABI v1", "capabilities:  http",
			"imports:       secretpath_v1.error_set, secretpath_v1.http_request, secretpath_v1.http_response_body, secretpath_v1.http_response_header, secretpath_v1.result_set",
			"exports:       secretpath_abi_v1, secretpath_buffer, secretpath_buffer_size, secretpath_get_connection, secretpath_get_variable, secretpath_init",
		}},
		{name: "invalid", args: []string{"wasm", "check", fixture("wrong_sig")}, wantCode: 1, stdout: []string{
			"INVALID", "export secretpath_get_connection: want (i32) -> (i32), have (i32, i32) -> (i32)",
		}},
		{name: "not wasm", args: []string{"wasm", "check", filepath.Join(repoRoot, "README.md")}, wantCode: 1, stdout: []string{"INVALID", "bad magic number"}},
		// Structure bombs (issue 18) printed OK: now refused naming the limit.
		{name: "locals bomb", args: []string{"wasm", "check", bomb(t, "locals", localsBomb(20, 49_999))}, wantCode: 1, stdout: []string{
			"INVALID", "its functions declare over 500000 locals together, the limit",
		}},
		{name: "globals bomb", args: []string{"wasm", "check", bomb(t, "globals", globalsBomb(100_000))}, wantCode: 1, stdout: []string{
			"INVALID", "it defines 100000 globals; the limit is 1000",
		}},
		{name: "missing file", args: []string{"wasm", "check", "/nonexistent.wasm"}, wantCode: 2},
		{name: "no argument", args: []string{"wasm", "check"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, tt.args...)
			assert.Equal(t, tt.wantCode, res.code, res.stderr)
			for _, s := range tt.stdout {
				assert.Contains(t, res.stdout, s)
			}
		})
	}
}

// TestWasmCacheDirRefused: a [wasm] cache_dir that another local user can
// write to (here 0777) is refused with an error naming it, before any
// module code is compiled into or read from it.
func TestWasmCacheDirRefused(t *testing.T) {
	cacheDir := filepath.Join(t.TempDir(), "shared-cache")
	require.NoError(t, os.Mkdir(cacheDir, 0o700))
	require.NoError(t, os.Chmod(cacheDir, 0o777))
	module := filepath.Join(repoRoot, "wasmhost/testdata/reference.wasm")
	cfg := writeFile(t, t.TempDir(), "s.cfg", "[secrets]\nbackend = "+module+"\n"+
		`backend_kwargs = {"v:hello": "world"}`+"\n"+
		"[wasm]\nname = acme\ncache_dir = "+cacheDir+"\n")
	res := runCLI(t, nil, "--config", cfg, "variables", "get", "hello")
	assert.NotEqual(t, 0, res.code)
	assert.Empty(t, res.stdout)
	assert.Contains(t, res.stderr, "s.cfg:6: [wasm] cache_dir: "+cacheDir+": mode 0777")
	assert.Contains(t, res.stderr, "mode 0777")
	entries, err := os.ReadDir(cacheDir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was written to the refused directory")
}

// buildJSONDoc builds the jsondoc Go example (examples/custom-backend/go)
// for wasip1 with extra go build flags into a temporary directory, as
// internal/abitest's BuildGoExample does (which always builds a reactor).
func buildJSONDoc(t *testing.T, flags ...string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		testutil.Missing(t, "the go toolchain is not on PATH (needed to build Go guests)")
	}
	out := filepath.Join(t.TempDir(), "jsondoc.wasm")
	args := append(append([]string{"build"}, flags...), "-trimpath", "-ldflags=-s -w", "-o", out, "./jsondoc")
	cmd := exec.Command(goBin, args...)
	cmd.Dir = filepath.Join(repoRoot, "examples", "custom-backend", "go")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", flags, err, b)
	}
	return out
}

// TestWasmCheckGoCommand (issue 15): the jsondoc Go example built with a
// plain `GOOS=wasip1 GOARCH=wasm go build` is a command; `wasm check` said
// OK and a lookup then trapped ("unreachable") with no hint. Now both name
// -buildmode=c-shared; built that way, it checks OK and answers.
func TestWasmCheckGoCommand(t *testing.T) {
	t.Setenv("SECRETPATH_CACHE_DIR", t.TempDir())
	tests := []struct {
		name       string
		flags      []string
		checkCode  int
		checkOut   []string
		lookupCode int
		lookupOut  string
		lookupErr  []string
	}{
		{name: "go build", checkCode: 1,
			checkOut:   []string{"INVALID", "built as a command: rebuild with -buildmode=c-shared"},
			lookupCode: 2, lookupErr: []string{"built as a command: rebuild with -buildmode=c-shared", "jsondoc.wasm"}},
		{name: "go build -buildmode=c-shared", flags: []string{"-buildmode=c-shared"},
			checkOut:  []string{"OK, secretpath ABI v1", "exports:       _initialize, secretpath_abi_v1"},
			lookupOut: "smtps://user:pw@relay.example.com:465\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			module := buildJSONDoc(t, tt.flags...)
			res := runCLI(t, nil, "wasm", "check", module)
			assert.Equal(t, tt.checkCode, res.code, res.stderr)
			for _, s := range tt.checkOut {
				assert.Contains(t, res.stdout, s)
			}
			cfg := writeFile(t, t.TempDir(), "s.cfg", "[secrets]\nbackend = "+module+"\n"+
				`backend_kwargs = {"connections": {"smtp_default": "smtps://user:pw@relay.example.com:465"}}`+"\n")
			res = runCLI(t, nil, "--config", cfg, "connections", "get", "smtp_default")
			assert.Equal(t, tt.lookupCode, res.code, res.stderr)
			assert.Equal(t, tt.lookupOut, res.stdout)
			for _, s := range tt.lookupErr {
				assert.Contains(t, res.stderr, s)
			}
			assert.NotContains(t, res.stderr, "unreachable")
		})
	}
}

// TestWasmDefaultCache: a CLI lookup through a module keeps its compiled
// code in the default cache, $SECRETPATH_CACHE_DIR or else the user's
// cache directory, unless [wasm] cache_dir = none; a second lookup finds
// it there.
func TestWasmDefaultCache(t *testing.T) {
	module := filepath.Join(repoRoot, "wasmhost/testdata/reference.wasm")
	tests := []struct {
		name    string
		env     func(base string) map[string]string
		extra   string
		wantDir func(base string) string // "" = no cache on disk
	}{
		{name: "SECRETPATH_CACHE_DIR", env: func(base string) map[string]string {
			return map[string]string{"SECRETPATH_CACHE_DIR": base + "/env-cache", "XDG_CACHE_HOME": base + "/xdg"}
		}, wantDir: func(base string) string { return base + "/env-cache" }},
		{name: "the user cache directory", env: func(base string) map[string]string {
			return map[string]string{"SECRETPATH_CACHE_DIR": "", "XDG_CACHE_HOME": base + "/xdg"}
		}, wantDir: func(base string) string { return base + "/xdg/secretpath/wasm" }},
		{name: "cache_dir = none", env: func(base string) map[string]string {
			return map[string]string{"SECRETPATH_CACHE_DIR": base + "/env-cache", "XDG_CACHE_HOME": base + "/xdg"}
		}, extra: "[wasm]\ncache_dir = none\n", wantDir: func(string) string { return "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, err := filepath.EvalSymlinks(t.TempDir())
			require.NoError(t, err)
			for k, v := range tt.env(base) {
				t.Setenv(k, v)
			}
			cfg := writeFile(t, t.TempDir(), "s.cfg", "[secrets]\nbackend = "+module+"\n"+
				`backend_kwargs = {"v:hello": "world"}`+"\n"+tt.extra)
			for range 2 {
				res := runCLI(t, nil, "--config", cfg, "variables", "get", "hello")
				require.Equal(t, 0, res.code, res.stderr)
				assert.Equal(t, "world\n", res.stdout)
				assert.Empty(t, res.stderr)
			}
			var compiled []string // files in wazero's directories, anywhere under base
			require.NoError(t, filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasPrefix(filepath.Base(filepath.Dir(p)), "wazero-") {
					compiled = append(compiled, p)
				}
				return err
			}))
			if want := tt.wantDir(base); want == "" {
				assert.Empty(t, compiled)
			} else {
				require.Len(t, compiled, 1, "compiled once, found the second time")
				assert.Equal(t, want, filepath.Dir(filepath.Dir(compiled[0])))
			}
		})
	}
}

// uleb appends v as an unsigned LEB128.
func uleb(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// abiModule is a valid ABI v1 module with n extra functions of type
// () -> () with the given body, and the given global section payload (nil:
// none).
func abiModule(n int, body []byte, globals []byte) []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, p []byte) { out = append(uleb(append(out, id), uint32(len(p))), p...) }
	sec(1, []byte{3, 0x60, 0, 0, 0x60, 0, 1, 0x7f, 0x60, 1, 0x7f, 1, 0x7f})
	funcs := append(uleb(nil, uint32(6+n)), 0, 1, 1, 1, 2, 2)
	for range n {
		funcs = append(funcs, 0)
	}
	sec(3, funcs)
	sec(5, []byte{1, 0, 1})
	if globals != nil {
		sec(6, globals)
	}
	exp := uleb(nil, 7)
	exp = append(append(uleb(exp, 6), "memory"...), 2, 0)
	for i, name := range []string{"secretpath_abi_v1", "secretpath_buffer", "secretpath_buffer_size", "secretpath_init", "secretpath_get_connection", "secretpath_get_variable"} {
		exp = append(append(uleb(exp, uint32(len(name))), name...), 0, byte(i))
	}
	sec(7, exp)
	bodies := [][]byte{{0, 0x0b}, {0, 0x41, 0x80, 0x08, 0x0b}, {0, 0x41, 0x80, 0x08, 0x0b}, {0, 0x41, 0, 0x0b}, {0, 0x41, 1, 0x0b}, {0, 0x41, 1, 0x0b}}
	for range n {
		bodies = append(bodies, body)
	}
	code := uleb(nil, uint32(len(bodies)))
	for _, b := range bodies {
		code = append(uleb(code, uint32(len(b))), b...)
	}
	sec(10, code)
	return out
}

// localsBomb is n functions declaring perFunc locals each.
func localsBomb(n int, perFunc uint32) []byte {
	return abiModule(n, append(uleb([]byte{1}, perFunc), 0x7f, 0x0b), nil)
}

// globalsBomb defines n mutable i32 globals.
func globalsBomb(n int) []byte {
	g := uleb(nil, uint32(n))
	for range n {
		g = append(g, 0x7f, 1, 0x41, 0, 0x0b)
	}
	return abiModule(0, nil, g)
}

// bomb writes a generated module to a temporary file.
func bomb(t *testing.T, name string, wasm []byte) string {
	p := filepath.Join(t.TempDir(), name+".wasm")
	require.NoError(t, os.WriteFile(p, wasm, 0o644))
	return p
}

// TestWasmSectionStrictWithAnyBackend: a misspelt [wasm] option is a
// configuration error even when no module is the configured backend.
func TestWasmSectionStrictWithAnyBackend(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "s.cfg", "[secrets]\nbackend = env\n\n[wasm]\nsha265 = abc\n")
	res := runCLI(t, nil, "--config", cfg, "variables", "get", "x")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "s.cfg:5: [wasm] sha265 is not an option secretpath knows (did you mean sha256?)")
}
