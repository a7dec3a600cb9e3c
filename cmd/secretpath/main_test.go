package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/internal/abitest"
)

// repoRoot is where the quickstart's relative paths resolve from.
var repoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "..", "..")
}()

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(t.Context(), args, &out, &errOut, getenv)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestQuickstart(t *testing.T) {
	t.Chdir(repoRoot)
	cfg := "testdata/quickstart/secretpath.cfg"
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr []string
	}{
		{name: "uri", args: []string{"--config", cfg, "connections", "get", "smtp_default"}, wantStdout: "smtps://user:host@relay.example.com:465\n"},
		{name: "uri explicit", args: []string{"connections", "get", "smtp_default", "--output", "uri", "--config", cfg}, wantStdout: "smtps://user:host@relay.example.com:465\n"},
		{name: "variable", args: []string{"--config", cfg, "variables", "get", "hello"}, wantStdout: "world\n"},
		{name: "json variable printed as is", args: []string{"--config", cfg, "variables", "get", "retry_policy"}, wantStdout: `{"attempts": 3, "backoff_seconds": 10}` + "\n"},
		{name: "connection not found", args: []string{"--config", cfg, "connections", "get", "nope"}, wantCode: 1,
			wantStderr: []string{`connection "nope" not found (searched: localfs, env, metastore)`}},
		{name: "variable not found names a failing tier", args: []string{"--config", cfg, "variables", "get", "nope"}, wantCode: 1,
			wantStderr: []string{`variable "nope" not found (searched: localfs, env, metastore)`}},
		// yaml, table and plain joined uri and json (issue 15): xml is still refused.
		{name: "bad output", args: []string{"--config", cfg, "connections", "get", "x", "--output", "xml"}, wantCode: 2,
			wantStderr: []string{`--output must be uri, json, yaml, table or plain, not "xml"`}},
		{name: "unknown flag", args: []string{"--config", cfg, "connections", "get", "x", "--bogus"}, wantCode: 2,
			wantStderr: []string{"unknown flag: --bogus"}},
		{name: "missing id", args: []string{"--config", cfg, "connections", "get"}, wantCode: 2},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2},
		{name: "unreadable config", args: []string{"--config", "does/not/exist.cfg", "connections", "get", "x"}, wantCode: 2,
			wantStderr: []string{"does/not/exist.cfg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, tt.args...)
			assert.Equal(t, tt.wantCode, res.code, "stderr: %s", res.stderr)
			if tt.wantStdout != "" {
				assert.Equal(t, tt.wantStdout, res.stdout)
			}
			for _, s := range tt.wantStderr {
				assert.Contains(t, res.stderr, s)
			}
		})
	}
}

func TestJSONOutput(t *testing.T) {
	t.Chdir(repoRoot)
	res := runCLI(t, nil, "--config", "testdata/quickstart/secretpath.cfg", "connections", "get", "postgres_default", "--output", "json")
	require.Equal(t, 0, res.code, res.stderr)
	require.True(t, strings.HasSuffix(res.stdout, "}\n"), "one line of JSON")
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &got))
	assert.Equal(t, map[string]any{
		"conn_id": "postgres_default", "conn_type": "postgres", "description": nil,
		"host": "db.example.com", "schema": "airflow", "login": "airflow", "password": "example-only",
		"port": float64(5432), "extra": map[string]any{"sslmode": "require"},
	}, got)

	res = runCLI(t, nil, "--config", "testdata/quickstart/secretpath.cfg", "connections", "get", "smtp_default", "-o", "json")
	require.Equal(t, 0, res.code, res.stderr)
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &got))
	assert.Equal(t, map[string]any{
		"conn_id": "smtp_default", "conn_type": "smtps", "description": nil,
		"host": "relay.example.com", "schema": "", "login": "user", "password": "host",
		"port": float64(465), "extra": nil,
	}, got, "a URI always yields a schema, possibly empty (Airflow)")
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.json", "{\n  \"a\": \"mysql://h\",\n  oops\n}\n")
	tests := []struct {
		name       string
		cfg        string
		wantCode   int
		wantStderr []string
	}{
		{name: "unknown backend", cfg: "[secrets]\nbackend = nosuch\n", wantCode: 2,
			wantStderr: []string{`unknown backend "nosuch"`, "localfs", "env"}},
		{name: "vault without an address", cfg: "[secrets]\nbackend = airflow.providers.hashicorp.secrets.vault.VaultBackend\nbackend_kwargs = {\"url\": null}\n", wantCode: 2,
			wantStderr: []string{"vault"}},
		{name: "missing wasm module", cfg: "[secrets]\nbackend = ./no-such-module.wasm\n", wantCode: 2, wantStderr: []string{"no-such-module.wasm", "no such file"}},
		{name: "wasm module refused", cfg: "[secrets]\nbackend = " + filepath.Join(repoRoot, "wasmhost/testdata/bench_guest.wasm") + "\n[wasm]\nsha256 = 00\n", wantCode: 2,
			wantStderr: []string{"but the pin says 00"}},
		{name: "wasm capability unknown", cfg: "[secrets]\nbackend = x.wasm\n[wasm]\ncapabilities = teleport\n", wantCode: 2,
			wantStderr: []string{`unknown capability "teleport"`}},
		{name: "kwargs not an object", cfg: "[secrets]\nbackend = localfs\nbackend_kwargs = [1]\n", wantCode: 2,
			wantStderr: []string{"backend_kwargs"}},
		{name: "unknown kwarg", cfg: "[secrets]\nbackend = localfs\nbackend_kwargs = {\"connection_file_path\": \"x\"}\n", wantCode: 2,
			wantStderr: []string{"connection_file_path"}},
		{name: "parse error reaches stderr as path:line", cfg: "[secrets]\nbackend = localfs\nbackend_kwargs = {\"connections_file_path\": \"" + bad + "\"}\n",
			wantCode: 1, wantStderr: []string{bad + ":3:"}},
		{name: "config syntax error", cfg: "[secrets]\nthis line has no equals\n", wantCode: 2,
			wantStderr: []string{"secretpath.cfg:2:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeFile(t, t.TempDir(), "secretpath.cfg", tt.cfg)
			res := runCLI(t, nil, "--config", cfg, "connections", "get", "a")
			assert.Equal(t, tt.wantCode, res.code, "stderr: %s", res.stderr)
			for _, s := range tt.wantStderr {
				assert.Contains(t, res.stderr, s)
			}
		})
	}
}

func TestNoSecretOnStderr(t *testing.T) {
	dir := t.TempDir()
	// A value that fails to parse: the error must name the field, not the value.
	conns := writeFile(t, dir, "c.json", `{"broken": "postgres://u:Pl4nted-S3cret@host:99999/db"}`)
	cfg := writeFile(t, dir, "s.cfg", "[secrets]\nbackend = localfs\nbackend_kwargs = {\"connections_file_path\": \""+conns+"\"}\n")
	res := runCLI(t, nil, "--config", cfg, "connections", "get", "broken")
	assert.NotEqual(t, 0, res.code)
	assert.NotContains(t, res.stderr, "Pl4nted-S3cret")
	assert.Contains(t, res.stderr, "port")
}

func TestWASMBackend(t *testing.T) {
	module := filepath.Join(repoRoot, "wasmhost/testdata/reference.wasm")
	cfg := writeFile(t, t.TempDir(), "s.cfg", "[secrets]\nbackend = "+module+"\n"+
		`backend_kwargs = {"c:smtp_default": "smtps://user:pw@relay.example.com:465", "v:hello": "world"}`+"\n"+
		"[wasm]\nname = acme\nmemory_pages = 16\n")
	res := runCLI(t, nil, "--config", cfg, "connections", "get", "smtp_default")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "smtps://user:pw@relay.example.com:465\n", res.stdout)
	res = runCLI(t, nil, "--config", cfg, "variables", "get", "hello")
	assert.Equal(t, "world\n", res.stdout)
	res = runCLI(t, nil, "--config", cfg, "connections", "get", "absent")
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, "(searched: wasm:acme, env, metastore)")
}

func TestGoExampleModule(t *testing.T) {
	module := abitest.BuildGoExample(t, "jsondoc")
	cfg := writeFile(t, t.TempDir(), "s.cfg", "[secrets]\nbackend = "+module+"\n"+
		`backend_kwargs = {"connections_prefix": "airflow/connections", "connections": {"airflow/connections/smtp_default": "smtps://user:host@relay.example.com:465"}}`+"\n"+
		"[wasm]\nname = jsondoc\nmemory_pages = 1024\ncall_timeout_seconds = 30\ncache_dir = "+t.TempDir()+"\n")
	// The second run reuses the first one's compiled code (compiling a
	// 3 MB std-Go module under -race takes minutes on a busy machine).
	res := runCLI(t, nil, "--config", cfg, "connections", "get", "smtp_default")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "smtps://user:host@relay.example.com:465\n", res.stdout)
	res = runCLI(t, nil, "--config", cfg, "connections", "get", "smtp_default", "--output", "json")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, `"host":"relay.example.com"`)
}

func TestExplain(t *testing.T) {
	t.Chdir(repoRoot)
	t.Setenv("SECRETPATH_HOME", t.TempDir())
	cfg := "testdata/quickstart/secretpath.cfg"
	res := runCLI(t, nil, "--config", cfg, "connections", "get", "postgres_default", "--explain")
	require.Equal(t, 0, res.code, res.stderr)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.Len(t, lines, 5, res.stdout)
	assert.Equal(t, `connection "postgres_default": found in localfs`, lines[0])
	assert.Regexp(t, `^  1\s+localfs\s+found\s+\S+\s+file "testdata/quickstart/connections.json", key "postgres_default"$`, lines[2])
	assert.Regexp(t, `^  2\s+env\s+not asked\s+\$AIRFLOW_CONN_POSTGRES_DEFAULT`, lines[3])
	assert.Regexp(t, `^  3\s+metastore\s+not asked\s+table connection, conn_id "postgres_default" \(sqlite `, lines[4])
	assert.NotContains(t, res.stdout, "example-only", "no value is printed")

	res = runCLI(t, nil, "--config", cfg, "variables", "get", "nope", "--explain")
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stdout, `variable "nope": not found`)
	assert.Regexp(t, `3\s+metastore\s+not found`, res.stdout)

	// A tier that fails shows its error, which names the field, not the value.
	dir := t.TempDir()
	conns := writeFile(t, dir, "c.json", `{"broken": "postgres://u:Pl4nted-S3cret@host:99999/db"}`)
	bad := writeFile(t, dir, "s.cfg", "[secrets]\nbackend = localfs\nbackend_kwargs = {\"connections_file_path\": \""+conns+"\"}\n")
	res = runCLI(t, nil, "--config", bad, "connections", "get", "broken", "--explain")
	assert.Equal(t, 1, res.code)
	assert.Regexp(t, `1\s+localfs\s+error`, res.stdout)
	assert.Contains(t, res.stdout, "  1 localfs: ")
	assert.Contains(t, res.stdout, "port")
	assert.NotContains(t, res.stdout+res.stderr, "Pl4nted-S3cret")
}

func TestBackendsList(t *testing.T) {
	res := runCLI(t, nil, "backends", "list")
	require.Equal(t, 0, res.code, res.stderr)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.NotEmpty(t, lines)
	assert.Equal(t, []string{"NAME", "ROLE", "DESCRIPTION"}, strings.Fields(lines[0]))
	rows := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		require.GreaterOrEqual(t, len(f), 3, l)
		rows[f[0]] = f[1]
	}
	assert.Equal(t, map[string]string{
		"aws-secrets-manager": "-", "aws-ssm": "-", "azure-key-vault": "-", "env": "environment", "execution-api": "execution-API",
		"gcp-secret-manager": "-", "kubernetes-secrets": "-", "localfs": "-", "metastore": "database", "vault": "-", "wasm": "-",
	}, rows, "every backend this build links, with its role")
	assert.NotContains(t, res.stdout, "airflow.providers", "aliases only with --aliases")

	res = runCLI(t, nil, "backends", "list", "--aliases")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "  alias")
	assert.Contains(t, res.stdout, "airflow.providers.hashicorp.secrets.vault.VaultBackend")

	res = runCLI(t, nil, "backends", "list", "extra")
	assert.Equal(t, 2, res.code)
}

// TestErrorsPrintedOnce: a tier's error is printed once: in the final
// error when nothing answered, in --explain's table with --explain, and
// as a warning only when a later tier answered (nothing else shows it).
func TestErrorsPrintedOnce(t *testing.T) {
	t.Setenv(metastore.HomeEnv, t.TempDir())
	missing := filepath.Join(t.TempDir(), "missing.json")
	cfg := writeFile(t, t.TempDir(), "s.cfg", "[secrets]\nbackend = localfs\nbackend_kwargs = {\"connections_file_path\": \""+missing+"\"}\n")

	res := runCLI(t, nil, "--config", cfg, "connections", "get", "x")
	assert.Equal(t, 1, res.code)
	assert.Equal(t, 1, strings.Count(res.stderr, "no such file"), res.stderr)
	assert.Equal(t, 1, strings.Count(res.stderr, "\n"), "one line: the error")
	assert.True(t, strings.HasPrefix(res.stderr, `secretpath: connection "x" not found (searched: localfs, env, metastore); localfs: `), res.stderr)

	res = runCLI(t, nil, "--config", cfg, "connections", "get", "x", "--explain")
	assert.Equal(t, 1, res.code)
	assert.Equal(t, 1, strings.Count(res.stdout, "no such file"), res.stdout)
	assert.NotContains(t, res.stderr, "no such file")
	assert.Contains(t, res.stderr, `secretpath: connection "x" not found (searched: localfs, env, metastore); failed: localfs (see above)`)

	t.Setenv("AIRFLOW_CONN_X", "http://from-env")
	res = runCLI(t, nil, "--config", cfg, "connections", "get", "x")
	assert.Equal(t, 0, res.code)
	assert.Equal(t, "http://from-env\n", res.stdout)
	assert.Equal(t, 1, strings.Count(res.stderr, "no such file"), res.stderr)
	assert.Contains(t, res.stderr, "level=WARN")
	assert.NotContains(t, res.stderr, "time=", "a command line's warnings need no clock")
}

// argsName names a subtest after its command line, with the value of
// every flag that may carry a secret left out: test names are printed.
func argsName(args []string) string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if i > 0 && strings.HasPrefix(args[i-1], "--conn-") && args[i-1] != "--conn-type" && args[i-1] != "--conn-host" {
			a = "…"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}
