package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secretpath/secretpath/builtin/metastore"
)

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
			wantStderr: []string{workerWarning}},
		{name: "without --worker it does not",
			args: []string{"--config", cfg, "variables", "get", "wk"}, wantCode: 1,
			notStderr: []string{"worker mode"}},
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
			args:       []string{"--config", cfg, "--worker", "variables", "get", "wk", "--explain"},
			wantStderr: []string{"search path: worker (from --worker): [workers] secrets_backend (" + cfg + ":6), then environment, then metastore"}},
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
	t.Setenv(metastore.HomeEnv, t.TempDir())
	t.Chdir(t.TempDir())
	cfg := writeFile(t, t.TempDir(), "airflow.cfg", "[workers]\nsecrets_backend = localfs\nsecrets_backend_kwargs = [\"s3cr3t\"]\n")
	r := runCLI(t, nil, "--config", cfg, "--worker", "variables", "get", "wk")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, cfg+":3: [workers] secrets_backend_kwargs: must be a JSON object")
	assert.NotContains(t, r.stderr, "s3cr3t")
	assert.NotContains(t, r.stderr, "worker mode", "a configuration error needs no warning")

	r = runCLI(t, nil, "--config", cfg, "variables", "get", "wk")
	assert.Equal(t, 1, r.code, r.stderr)
}
