package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMinimal(t *testing.T) {
	// The example's config names files relative to the repository root.
	t.Chdir(filepath.Join("..", ".."))
	t.Setenv("AIRFLOW_VAR_FROM_ENV", "env-value")
	bad := filepath.Join(t.TempDir(), "db.cfg")
	require.NoError(t, os.WriteFile(bad, []byte("[database]\nsql_alchemy_conn = sqlite:////tmp/x.db\n"), 0o600))
	const cfg = "examples/minimal/secretpath.cfg"
	tests := []struct {
		name       string
		args       []string
		code       int
		out, inErr string
	}{
		{"connection from localfs", []string{"--config", cfg, "conn", "smtp_default"}, 0, "smtps://user:host@relay.example.com:465", ""},
		{"variable from localfs", []string{"--config", cfg, "var", "hello"}, 0, "world\n", ""},
		{"variable from the environment", []string{"--config", cfg, "var", "from_env"}, 0, "env-value\n", ""},
		{"not found", []string{"--config", cfg, "var", "absent"}, 1, "", `variable "absent" not found (searched: localfs, env, metastore (not linked))`},
		{"the metastore is not linked", []string{"--config", bad, "var", "hello"}, 2, "",
			"db.cfg:2: [database] sql_alchemy_conn: set, but the metastore is not linked: import github.com/secretpath/secretpath/builtin/metastore"},
		{"usage", []string{"--config", cfg, "get"}, 2, "", "usage: minimal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, &stdout, &stderr)
			assert.Equal(t, tt.code, code, stderr.String())
			if tt.out != "" {
				assert.Contains(t, stdout.String(), tt.out)
			}
			assert.Contains(t, stderr.String(), tt.inErr)
		})
	}
}
