package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/metastore"
)

// TestConnectionsGetOutput: -o yaml|table|plain print what airflow
// connections get prints with them (its fields but the metastore row's id
// and encryption flags), password included; uri stays the default.
func TestConnectionsGetOutput(t *testing.T) {
	t.Chdir(repoRoot)
	cfg := "testdata/quickstart/secretpath.cfg"
	tests := []struct {
		name, id, output, want string
	}{
		{name: "default", id: "smtp_default", want: "smtps://user:host@relay.example.com:465\n"},
		{name: "yaml", id: "postgres_default", output: "yaml", want: `- conn_id: postgres_default
  conn_type: postgres
  description: null
  extra_dejson:
    sslmode: require
  get_uri: postgres://airflow:example-only@db.example.com:5432/airflow?sslmode=require
  host: db.example.com
  login: airflow
  password: example-only
  port: 5432
  schema: airflow
`},
		{name: "yaml without extra", id: "smtp_default", output: "yaml", want: `- conn_id: smtp_default
  conn_type: smtps
  description: null
  extra_dejson: {}
  get_uri: smtps://user:host@relay.example.com:465
  host: relay.example.com
  login: user
  password: host
  port: 465
  schema: ""
`},
		{name: "table", id: "smtp_default", output: "table", want: "" +
			"conn_id      | conn_type | description | host              | schema | login | password | port | extra_dejson | get_uri\n" +
			"=============+===========+=============+===================+========+=======+==========+======+==============+========================================\n" +
			"smtp_default | smtps     | None        | relay.example.com |        | user  | host     | 465  | {}           | smtps://user:host@relay.example.com:465\n"},
		{name: "plain", id: "postgres_default", output: "plain", want: "" +
			"conn_id           conn_type  description  host            schema   login    password      port  extra_dejson           get_uri\n" +
			"postgres_default  postgres                db.example.com  airflow  airflow  example-only  5432  {\"sslmode\":\"require\"}  postgres://airflow:example-only@db.example.com:5432/airflow?sslmode=require\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"--config", cfg, "connections", "get", tt.id}
			if tt.output != "" {
				args = append(args, "-o", tt.output)
			}
			res := runCLI(t, nil, args...)
			require.Equal(t, 0, res.code, res.stderr)
			assert.Equal(t, tt.want, res.stdout)
			assert.Empty(t, res.stderr)
		})
	}
}

func TestWriteTableShapes(t *testing.T) {
	var b strings.Builder
	require.NoError(t, writeTable(&b, []string{"a"}, [][]string{{"xyz"}}))
	assert.Equal(t, "a\n===\nxyz\n", b.String())
	b.Reset()
	require.NoError(t, writeTable(&b, []string{"a", "bb", "c"}, [][]string{{"1", "2", "é3"}}))
	assert.Equal(t, "a | bb | c\n==+====+===\n1 | 2  | é3\n", b.String())
	b.Reset()
	require.NoError(t, writePlain(&b, []string{"name", "port"}, [][]string{{"x", "5"}}, []bool{false, true}))
	assert.Equal(t, "name  port\nx        5\n", b.String())
}

// TestVariablesGetFlags: --default is printed (exit 0) when no tier holds
// the variable; --json indents a JSON value and refuses another without
// printing it.
func TestVariablesGetFlags(t *testing.T) {
	t.Setenv(metastore.HomeEnv, t.TempDir())
	t.Chdir(t.TempDir())
	t.Setenv("AIRFLOW_VAR_DOC", `{"b": [1, 2.50, {"c": null}], "a": "x"}`)
	t.Setenv("AIRFLOW_VAR_PLAIN", "S3cret-not-json")
	t.Setenv("AIRFLOW_VAR_EMPTY", "")
	missing := writeFile(t, t.TempDir(), "s.cfg", "[secrets]\nbackend = localfs\nbackend_kwargs = {\"variables_file_path\": \"/nonexistent/v.json\"}\n")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "found: the value, not the default", args: []string{"doc", "--default", "d"}, wantStdout: `{"b": [1, 2.50, {"c": null}], "a": "x"}` + "\n"},
		{name: "not found: the default", args: []string{"nope", "--default", "fallback value"}, wantStdout: "fallback value\n"},
		{name: "not found: an empty default", args: []string{"nope", "-d", ""}, wantStdout: "\n"},
		{name: "not found without a default", args: []string{"nope"}, wantCode: 1, wantStderr: `variable "nope" not found`},
		{name: "a failing tier: the default, and the warning", args: []string{"--config", missing, "nope", "--default", "d"}, wantStdout: "d\n",
			wantStderr: "level=WARN"},
		{name: "json indented, order and numbers kept", args: []string{"doc", "--json"},
			wantStdout: "{\n  \"b\": [\n    1,\n    2.50,\n    {\n      \"c\": null\n    }\n  ],\n  \"a\": \"x\"\n}\n"},
		{name: "json: not JSON is an error without the value", args: []string{"plain", "-j"}, wantCode: 1,
			wantStderr: `secretpath: variable "plain": the value is not JSON (syntax error at byte 1 of 15)`},
		{name: "json: empty is not JSON", args: []string{"empty", "--json"}, wantCode: 1, wantStderr: "the value is not JSON"},
		{name: "json: the default as given", args: []string{"nope", "--json", "--default", "{not json"}, wantStdout: "{not json\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"variables", "get"}
			if tt.args[0] == "--config" {
				args = append([]string{tt.args[0], tt.args[1]}, append(args, tt.args[2:]...)...)
			} else {
				args = append(args, tt.args...)
			}
			res := runCLI(t, nil, args...)
			require.Equal(t, tt.wantCode, res.code, res.stderr)
			assert.Equal(t, tt.wantStdout, res.stdout)
			if tt.wantStderr != "" {
				assert.Contains(t, res.stderr, tt.wantStderr)
			} else {
				assert.Empty(t, res.stderr)
			}
			assert.NotContains(t, res.stderr, "S3cret")
		})
	}
}
