package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
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
