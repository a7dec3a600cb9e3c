package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestGetMany: get with several ids prints them in the order given, names
// the ones not found on stderr and exits 1 when there are any.
func TestGetMany(t *testing.T) {
	t.Chdir(repoRoot)
	cfg := "testdata/quickstart/secretpath.cfg"
	const smtp = "smtps://user:host@relay.example.com:465\n"
	const pg = "postgres://airflow:example-only@db.example.com:5432/airflow?sslmode=require\n"
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout string
		wantStderr []string
	}{
		{name: "uris in the order given", args: []string{"connections", "get", "postgres_default", "smtp_default"}, wantStdout: pg + smtp},
		{name: "an id twice is printed twice", args: []string{"connections", "get", "smtp_default", "postgres_default", "smtp_default"}, wantStdout: smtp + pg + smtp},
		{name: "tiers mix", args: []string{"connections", "get", "from_env", "smtp_default"}, env: map[string]string{"AIRFLOW_CONN_FROM_ENV": "http://h:1"},
			wantStdout: "http://h:1\n" + smtp},
		{name: "missing ids named, found ones printed", args: []string{"connections", "get", "nope", "smtp_default", "gone"}, wantCode: 1,
			wantStdout: "\n" + smtp + "\n", // a line per id: empty for one not found
			wantStderr: []string{`connection "nope" not found (searched: localfs, env, metastore)`, `connection "gone" not found`, `2 of 3 connection ids not found or failed: "nope", "gone"`}},
		{name: "none found", args: []string{"connections", "get", "nope", "gone"}, wantCode: 1, wantStdout: "\n\n",
			wantStderr: []string{`2 of 2 connection ids not found or failed`}},
		{name: "explain takes one id", args: []string{"connections", "get", "a", "b", "--explain"}, wantCode: 2,
			wantStderr: []string{"--explain takes one connection id"}},
		{name: "variables one line each", args: []string{"variables", "get", "retry_policy", "hello"},
			wantStdout: `{"attempts": 3, "backoff_seconds": 10}` + "\nworld\n"},
		{name: "variables with a default", args: []string{"variables", "get", "hello", "nope", "--default", "D"}, wantStdout: "world\nD\n"},
		{name: "variables missing", args: []string{"variables", "get", "hello", "nope"}, wantCode: 1, wantStdout: "world\n\n",
			wantStderr: []string{`variable "nope" not found`, `1 of 2 variable keys not found or failed: "nope"`}},
		{name: "variables --json keyed", args: []string{"variables", "get", "retry_policy", "retry_policy", "--json"},
			wantStdout: "{\n  \"retry_policy\": {\n    \"attempts\": 3,\n    \"backoff_seconds\": 10\n  }\n}\n"},
		{name: "variables --json: a value that is not JSON fails that key", args: []string{"variables", "get", "hello", "retry_policy", "--json"}, wantCode: 1,
			wantStdout: "{\n  \"retry_policy\": {\n    \"attempts\": 3,\n    \"backoff_seconds\": 10\n  }\n}\n",
			wantStderr: []string{`variable "hello": the value is not JSON (syntax error at byte 1 of 5)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v) // the env tier reads the process's environment
			}
			res := runCLI(t, tt.env, append([]string{"--config", cfg}, tt.args...)...)
			assert.Equal(t, tt.wantCode, res.code, "stderr: %s", res.stderr)
			assert.Equal(t, tt.wantStdout, res.stdout)
			for _, s := range tt.wantStderr {
				assert.Contains(t, res.stderr, s)
			}
			assert.NotContains(t, res.stderr, "example-only", "no secret on stderr")
		})
	}
}

// TestGetManyFormats: the structured outputs of a get of several ids.
func TestGetManyFormats(t *testing.T) {
	t.Chdir(repoRoot)
	args := []string{"--config", "testdata/quickstart/secretpath.cfg", "connections", "get", "smtp_default", "postgres_default", "smtp_default", "-o"}

	res := runCLI(t, nil, append(args, "json")...)
	require.Equal(t, 0, res.code, res.stderr)
	var byID map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &byID))
	assert.Len(t, byID, 2)
	assert.Equal(t, "relay.example.com", byID["smtp_default"]["host"])
	assert.Equal(t, "example-only", byID["postgres_default"]["password"])
	assert.True(t, strings.Index(res.stdout, "smtp_default") < strings.Index(res.stdout, "postgres_default"), "keys in the order given")

	res = runCLI(t, nil, append(args, "yaml")...)
	require.Equal(t, 0, res.code, res.stderr)
	var list []map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(res.stdout), &list))
	require.Len(t, list, 3)
	assert.Equal(t, "postgres_default", list[1]["conn_id"])
	assert.Equal(t, 5432, list[1]["port"])

	for _, format := range []string{"table", "plain"} {
		res = runCLI(t, nil, append(args, format)...)
		require.Equal(t, 0, res.code, res.stderr)
		lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
		want := 4 // header and a row each
		if format == "table" {
			want = 5 // and the rule under the header
		}
		assert.Len(t, lines, want, format)
		assert.True(t, strings.HasPrefix(lines[len(lines)-2], "postgres_default"), format)
	}
}
