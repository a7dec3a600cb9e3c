package main

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/internal/execapifake"
)

// fallbackWarning is what resolver.Open logs when a worker has no
// Execution API tier.
const fallbackWarning = "worker search path: reading the metastore in place of the Execution API"

// noToken clears the Execution API token variables for the test.
func noToken(t *testing.T) {
	t.Helper()
	for _, k := range []string{"SECRETPATH_EXECUTION_API_TOKEN", "SECRETPATH_EXECUTION_API_TOKEN_FILE", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"} {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
}

// workerConfig writes a config whose [workers] backend is Airflow's
// LocalFilesystemBackend holding wk, and whose [secrets] backend holds
// nothing (and server_only only for the server).
func workerConfig(t *testing.T) (cfg string) {
	t.Helper()
	dir := t.TempDir()
	workerVars := writeFile(t, dir, "worker-vars.json", `{"wk": "from-worker-file"}`)
	serverVars := writeFile(t, dir, "server-vars.json", `{"server_only": "from-server-file"}`)
	return writeFile(t, dir, "airflow.cfg", fmt.Sprintf(`[secrets]
backend = airflow.secrets.local_filesystem.LocalFilesystemBackend
backend_kwargs = {"variables_file_path": %q}

[workers]
secrets_backend = airflow.secrets.local_filesystem.LocalFilesystemBackend
secrets_backend_kwargs = {"variables_file_path": %q}
`, serverVars, workerVars))
}

func TestWorkerMode(t *testing.T) {
	noToken(t)
	t.Setenv(metastore.HomeEnv, t.TempDir())
	t.Chdir(t.TempDir())
	cfg := workerConfig(t)
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr []string
		notStderr  []string
	}{
		{name: "--worker answers from [workers] secrets_backend",
			args: []string{"--config", cfg, "--worker", "variables", "get", "wk"}, wantStdout: "from-worker-file\n",
			wantStderr: []string{fallbackWarning, "no token: neither SECRETPATH_EXECUTION_API_TOKEN nor SECRETPATH_EXECUTION_API_TOKEN_FILE is set"}},
		{name: "without --worker it does not",
			args: []string{"--config", cfg, "variables", "get", "wk"}, wantCode: 1,
			notStderr: []string{"Execution API"}},
		{name: "without --worker the server's backend answers",
			args: []string{"--config", cfg, "variables", "get", "server_only"}, wantStdout: "from-server-file\n"},
		{name: "--worker does not read [secrets] backend_kwargs",
			args: []string{"--config", cfg, "--worker", "variables", "get", "server_only"}, wantCode: 1},
		{name: "SECRETPATH_COMPONENT=worker",
			env:  map[string]string{"SECRETPATH_COMPONENT": "worker"},
			args: []string{"--config", cfg, "variables", "get", "wk"}, wantStdout: "from-worker-file\n"},
		{name: "SECRETPATH_COMPONENT=triggerer reads as a worker",
			env:  map[string]string{"SECRETPATH_COMPONENT": "triggerer"},
			args: []string{"--config", cfg, "variables", "get", "wk"}, wantStdout: "from-worker-file\n"},
		{name: "SECRETPATH_COMPONENT=scheduler reads as the server",
			env:  map[string]string{"SECRETPATH_COMPONENT": "scheduler"},
			args: []string{"--config", cfg, "variables", "get", "wk"}, wantCode: 1},
		{name: "--worker wins over a server component",
			env:  map[string]string{"SECRETPATH_COMPONENT": "api-server"},
			args: []string{"--config", cfg, "--worker", "variables", "get", "wk"}, wantStdout: "from-worker-file\n"},
		{name: "--worker after the command (persistent flag)",
			args: []string{"--config", cfg, "variables", "get", "wk", "--worker"}, wantStdout: "from-worker-file\n"},
		{name: "unknown component is a configuration error",
			env:  map[string]string{"SECRETPATH_COMPONENT": "wroker"},
			args: []string{"--config", cfg, "variables", "get", "wk"}, wantCode: 2,
			wantStderr: []string{`$SECRETPATH_COMPONENT: unknown component "wroker"; did you mean "worker"?`}},
		{name: "--explain says worker and where the backend is set",
			args: []string{"--config", cfg, "--worker", "variables", "get", "wk", "--explain"},
			wantStderr: []string{"search path: worker (from --worker): localfs ([workers] secrets_backend, " + cfg + ":6), then env, then metastore",
				"reading the metastore in place of the Execution API", "no token: neither SECRETPATH_EXECUTION_API_TOKEN nor SECRETPATH_EXECUTION_API_TOKEN_FILE is set"}},
		{name: "--explain names SECRETPATH_COMPONENT",
			env:  map[string]string{"SECRETPATH_COMPONENT": "worker"},
			args: []string{"--config", cfg, "connections", "get", "nope", "--explain"}, wantCode: 1,
			wantStderr: []string{"search path: worker (from $SECRETPATH_COMPONENT=worker)"}},
		{name: "--explain without --worker says nothing of workers",
			args:      []string{"--config", cfg, "variables", "get", "server_only", "--explain"},
			notStderr: []string{"worker"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, tt.args...)
			assert.Equal(t, tt.wantCode, r.code, "stderr: %s", r.stderr)
			if tt.wantStdout != "" {
				assert.Equal(t, tt.wantStdout, r.stdout)
			}
			for _, s := range tt.wantStderr {
				assert.Contains(t, r.stderr, s)
			}
			for _, s := range tt.notStderr {
				assert.NotContains(t, r.stderr, s)
			}
		})
	}
}

// TestWorkerModeKwargOverride: the per-key worker variable reaches the
// worker's backend (the process environment, as Airflow reads it).
func TestWorkerModeKwargOverride(t *testing.T) {
	noToken(t)
	t.Setenv(metastore.HomeEnv, t.TempDir())
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	vars := writeFile(t, dir, "vars.json", `{"wk": "from-override"}`)
	cfg := writeFile(t, dir, "airflow.cfg", "[workers]\nsecrets_backend = airflow.secrets.local_filesystem.LocalFilesystemBackend\n")
	t.Setenv("AIRFLOW__WORKERS__SECRETS_BACKEND_KWARG__VARIABLES_FILE_PATH", vars)
	r := runCLI(t, nil, "--config", cfg, "--worker", "variables", "get", "wk")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "from-override\n", r.stdout)

	r = runCLI(t, nil, "--config", cfg, "variables", "get", "wk")
	assert.Equal(t, 1, r.code, r.stderr)
}

// TestWorkerModeBadKwargs: a broken [workers] secrets_backend_kwargs is a
// configuration error (exit 2) in worker mode only, naming file:line.
func TestWorkerModeBadKwargs(t *testing.T) {
	noToken(t)
	t.Setenv(metastore.HomeEnv, t.TempDir())
	t.Chdir(t.TempDir())
	cfg := writeFile(t, t.TempDir(), "airflow.cfg", "[workers]\nsecrets_backend = localfs\nsecrets_backend_kwargs = [\"s3cr3t\"]\n")
	r := runCLI(t, nil, "--config", cfg, "--worker", "variables", "get", "wk")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, cfg+":3: [workers] secrets_backend_kwargs: must be a JSON object")
	assert.NotContains(t, r.stderr, "s3cr3t")
	assert.NotContains(t, r.stderr, fallbackWarning, "a configuration error needs no warning")

	r = runCLI(t, nil, "--config", cfg, "variables", "get", "wk")
	assert.Equal(t, 1, r.code, r.stderr)
}

// TestWorkerExecutionAPI: the must-show. A worker with
// AIRFLOW__CORE__EXECUTION_API_SERVER_URL pointing at the (loopback) API
// server and SECRETPATH_EXECUTION_API_TOKEN answers from that server, with
// the bearer token, never from the metastore (which holds another X); a
// 403 exits 1 with "access denied" and asks no further tier.
func TestWorkerExecutionAPI(t *testing.T) {
	noToken(t)
	t.Setenv(metastore.HomeEnv, t.TempDir())
	t.Chdir(t.TempDir())
	const token = "eyJ.worker-token.sig"
	f := execapifake.New(t, token)
	host, login, extra := "api-db.example", "api-user", `{"sslmode": "require"}`
	port := 5433
	f.PutConnection("X", execapifake.Connection{ConnType: "postgres", Host: &host, Login: &login, Port: &port, Extra: &extra})
	f.Forbid("connection", "Y")

	// The metastore holds other X and Y.
	for _, id := range []string{"X", "Y"} {
		r := runCLI(t, nil, "connections", "add", id, "--conn-uri", "mysql://metastore-user@metastore-host/db")
		require.Equal(t, 0, r.code, r.stderr)
	}
	t.Setenv("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", f.URL)
	t.Setenv("SECRETPATH_EXECUTION_API_TOKEN", token)

	r := runCLI(t, nil, "--worker", "connections", "get", "X", "--output", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, map[string]any{
		"conn_id": "X", "conn_type": "postgres", "description": nil,
		"host": "api-db.example", "schema": nil, "login": "api-user", "password": nil,
		"port": float64(5433), "extra": map[string]any{"sslmode": "require"},
	}, got)
	reqs := f.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, token, reqs[0].Token(), "the bearer token is sent")
	assert.Equal(t, "/execution/connections/X", reqs[0].Path)
	assert.NotContains(t, r.stderr, fallbackWarning)

	// The server's search path still reads the metastore.
	r = runCLI(t, nil, "connections", "get", "X")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "mysql://metastore-user@metastore-host/db\n", r.stdout)

	// 403: exit 1, "access denied", and the metastore's Y is not printed.
	r = runCLI(t, nil, "--worker", "connections", "get", "Y")
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "access denied")
	assert.Contains(t, r.stderr, `connection "Y"`)
	assert.Contains(t, r.stderr, "HTTP 403")
	assert.NotContains(t, r.stderr, "metastore-host")
	assert.NotContains(t, r.stderr, token)
	r = runCLI(t, nil, "--worker", "connections", "get", "Y", "--output", "json")
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)

	// --explain names the third tier.
	r = runCLI(t, nil, "--worker", "connections", "get", "X", "--explain")
	assert.Contains(t, r.stderr, "search path: worker (from --worker): env, then execution-api ([core] execution_api_server_url, env AIRFLOW__CORE__EXECUTION_API_SERVER_URL)")
	assert.Contains(t, r.stdout+r.stderr, "GET "+f.URL+"connections/X")

	// --explain of a refused lookup says so, not "not found".
	r = runCLI(t, nil, "--worker", "connections", "get", "Y", "--explain")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, `connection "Y": access denied (the search stopped there)`)
	assert.NotContains(t, r.stdout, `"Y": not found`)

	// The Execution API as the configured backend (server search path):
	// env and the metastore, which holds Y, follow it, and a 403 still ends
	// the lookup there.
	cfg := writeFile(t, t.TempDir(), "airflow.cfg", "[secrets]\nbackend = execution-api\n")
	r = runCLI(t, nil, "--config", cfg, "connections", "get", "Y")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Empty(t, r.stdout, "the metastore's Y is not printed")
	assert.Contains(t, r.stderr, "HTTP 403")
	r = runCLI(t, nil, "--config", cfg, "connections", "get", "Y", "--explain")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Regexp(t, `(?m)^\s*3\s+metastore\s+not asked\s`, r.stdout, "the metastore is not asked")
	assert.Contains(t, r.stdout, `connection "Y": access denied (the search stopped there)`)

	// A token the server refuses is access denied too.
	t.Setenv("SECRETPATH_EXECUTION_API_TOKEN", "eyJ.other.sig")
	r = runCLI(t, nil, "--worker", "variables", "get", "anything", "--default", "d")
	assert.Equal(t, 1, r.code, "--default does not cover access denied")
	assert.Contains(t, r.stderr, "access denied")
	assert.NotContains(t, r.stderr, "eyJ.other.sig")
}
