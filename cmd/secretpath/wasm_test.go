package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	assert.Contains(t, res.stderr, "[wasm] cache_dir "+cacheDir)
	assert.Contains(t, res.stderr, "mode 0777")
	entries, err := os.ReadDir(cacheDir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was written to the refused directory")
}
