package localfs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/resolver/connection"
)

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	tests := []struct {
		name      string
		file      string
		content   string
		wantConns map[string]string // id -> host
		wantVars  map[string]string
		wantErr   string
	}{
		{name: "json connections", file: "c.json", content: `{"a": "mysql://u:p@h1/db", "b": {"conn_type": "http", "host": "h2"}}`,
			wantConns: map[string]string{"a": "h1", "b": "h2"}},
		{name: "env connections", file: "c.env", content: "a=mysql://u:p@h1/db\n", wantConns: map[string]string{"a": "h1"}},
		{name: "yaml connections", file: "c.yaml", content: "a:\n  conn_type: http\n  host: h3\n", wantConns: map[string]string{"a": "h3"}},
		{name: "connection error keeps path:line", file: "bad.json", content: "{\n \"a\": \"postgres://u:Pl4nted@h:99999/db\"\n}",
			wantConns: map[string]string{}, wantErr: "bad.json:2: "},
		{name: "variables", file: "v.yaml", content: "k: v\nn: 3\nnull_one: null\n", wantVars: map[string]string{"k": "v", "n": "3"}},
		{name: "variables env error", file: "v.env", content: "novalue\n", wantVars: map[string]string{}, wantErr: "v.env:1: Invalid line format"},
		{name: "unsupported", file: "v.txt", content: "", wantVars: map[string]string{}, wantErr: "unsupported file format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(tt.file, tt.content)
			var err error
			if tt.wantConns != nil {
				var conns map[string]connection.Connection
				conns, err = localfs.ReadConnections(p)
				if tt.wantErr == "" {
					require.NoError(t, err)
					got := map[string]string{}
					for id, c := range conns {
						assert.Equal(t, id, c.ConnID)
						got[id] = c.Host
					}
					assert.Equal(t, tt.wantConns, got)
				}
			} else {
				var vars map[string]string
				vars, err = localfs.ReadVariables(p)
				if tt.wantErr == "" {
					require.NoError(t, err)
					assert.Equal(t, tt.wantVars, vars)
				}
			}
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "Pl4nted")
			}
		})
	}
	_, err := localfs.ReadConnections(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
