package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/metastore"
)

// localfsConfig writes, in dir, a config file called name whose backend
// answers connection "which" with http://label.
func localfsConfig(t *testing.T, dir, name, label string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o700))
	conns := writeFile(t, dir, name+".env", "which=http://"+label+"\n")
	return writeFile(t, dir, name, "[secrets]\nbackend = localfs\nbackend_kwargs = {\"connections_file_path\": \""+conns+"\"}\n")
}

// TestConfigDiscovery: the config file is the first of --config,
// $SECRETPATH_CONFIG, ./secretpath.cfg, $AIRFLOW_CONFIG and
// $AIRFLOW_HOME/airflow.cfg (never an implicit ~/airflow), and --explain
// says on stderr which one it read.
func TestConfigDiscovery(t *testing.T) {
	t.Setenv(metastore.HomeEnv, t.TempDir())
	dir := t.TempDir()
	named := localfsConfig(t, dir, "named.cfg", "flag")
	spConfig := localfsConfig(t, dir, "sp.cfg", "secretpath-config")
	afConfig := localfsConfig(t, dir, "af.cfg", "airflow-config")
	afHome := filepath.Join(dir, "airflow-home")
	afHomeCfg := localfsConfig(t, afHome, "airflow.cfg", "airflow-home")
	home := filepath.Join(dir, "home") // with ~/airflow/airflow.cfg, never read
	localfsConfig(t, filepath.Join(home, "airflow"), "airflow.cfg", "implicit-home")
	const none = "config: none (no --config, $SECRETPATH_CONFIG, ./secretpath.cfg, $AIRFLOW_CONFIG or $AIRFLOW_HOME/airflow.cfg)"

	tests := []struct {
		name      string
		flag      string            // --config
		env       map[string]string // what the app's getenv sees
		cwdConfig bool              // ./secretpath.cfg exists
		wantCode  int
		want      string // the label of the config read; "" for none
		wantNote  string // --explain's line on stderr
		wantErr   string
	}{
		{name: "--config first", flag: named, env: map[string]string{"SECRETPATH_CONFIG": spConfig, "AIRFLOW_CONFIG": afConfig, "AIRFLOW_HOME": afHome},
			cwdConfig: true, want: "flag", wantNote: "config: " + named + " (from --config)"},
		{name: "$SECRETPATH_CONFIG second", env: map[string]string{"SECRETPATH_CONFIG": spConfig, "AIRFLOW_CONFIG": afConfig, "AIRFLOW_HOME": afHome},
			cwdConfig: true, want: "secretpath-config", wantNote: "config: " + spConfig + " (from $SECRETPATH_CONFIG)"},
		{name: "./secretpath.cfg third", env: map[string]string{"AIRFLOW_CONFIG": afConfig, "AIRFLOW_HOME": afHome},
			cwdConfig: true, want: "cwd", wantNote: "config: secretpath.cfg (from ./secretpath.cfg)"},
		{name: "$AIRFLOW_CONFIG fourth", env: map[string]string{"AIRFLOW_CONFIG": afConfig, "AIRFLOW_HOME": afHome},
			want: "airflow-config", wantNote: "config: " + afConfig + " (from $AIRFLOW_CONFIG)"},
		{name: "$AIRFLOW_HOME/airflow.cfg fifth", env: map[string]string{"AIRFLOW_HOME": afHome},
			want: "airflow-home", wantNote: "config: " + afHomeCfg + " (from $AIRFLOW_HOME/airflow.cfg)"},
		{name: "AIRFLOW_HOME without airflow.cfg: none", env: map[string]string{"AIRFLOW_HOME": dir},
			wantCode: 1, wantNote: none},
		{name: "no implicit ~/airflow", env: map[string]string{"HOME": home},
			wantCode: 1, wantNote: none},
		{name: "nothing: none", wantCode: 1, wantNote: none},
		{name: "AIRFLOW_HOME as Airflow expands it: ~", env: map[string]string{"HOME": dir, "AIRFLOW_HOME": "~/airflow-home"},
			want: "airflow-home", wantNote: "config: " + afHomeCfg + " (from $AIRFLOW_HOME/airflow.cfg)"},
		{name: "AIRFLOW_CONFIG as Airflow expands it: $VAR", env: map[string]string{"AIRFLOW_HOME": afHome, "CFGDIR": dir, "AIRFLOW_CONFIG": "${CFGDIR}/af.cfg"},
			want: "airflow-config", wantNote: "config: " + afConfig + " (from $AIRFLOW_CONFIG)"},
		{name: "a missing $SECRETPATH_CONFIG is an error, not the next one", env: map[string]string{"SECRETPATH_CONFIG": "/nonexistent/sp.cfg", "AIRFLOW_HOME": afHome},
			wantCode: 2, wantErr: "/nonexistent/sp.cfg"},
		{name: "a missing $AIRFLOW_CONFIG is an error, not the next one", env: map[string]string{"AIRFLOW_CONFIG": "/nonexistent/af.cfg", "AIRFLOW_HOME": afHome},
			wantCode: 2, wantErr: "/nonexistent/af.cfg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cwd := t.TempDir()
			if tt.cwdConfig {
				localfsConfig(t, cwd, "secretpath.cfg", "cwd")
			}
			t.Chdir(cwd)
			args := []string{"connections", "get", "which"}
			if tt.flag != "" {
				args = append([]string{"--config", tt.flag}, args...)
			}
			res := runCLI(t, tt.env, args...)
			require.Equal(t, tt.wantCode, res.code, res.stderr)
			if tt.want != "" {
				assert.Equal(t, "http://"+tt.want+"\n", res.stdout)
			}
			if tt.wantErr != "" {
				assert.Contains(t, res.stderr, tt.wantErr)
				return
			}
			assert.NotContains(t, res.stderr, "config:", "only --explain and the writing commands say which file")

			res = runCLI(t, tt.env, append(args, "--explain")...)
			assert.Equal(t, tt.wantCode, res.code, res.stderr)
			assert.Equal(t, tt.wantNote, strings.SplitN(res.stderr, "\n", 2)[0])
		})
	}
}

func TestConfigFromTheEnvironment(t *testing.T) {
	t.Setenv(metastore.HomeEnv, t.TempDir())
	named := localfsConfig(t, t.TempDir(), "named.cfg", "from-file")
	t.Run("no config: the environment, then the metastore", func(t *testing.T) {
		t.Chdir(t.TempDir())
		t.Setenv("AIRFLOW_CONN_FROM_ENV", "mysql://u:p@env-host:3306/db")
		t.Setenv("AIRFLOW_VAR_GREETING", "hi")
		res := runCLI(t, nil, "connections", "get", "from_env")
		assert.Equal(t, 0, res.code, res.stderr)
		assert.Equal(t, "mysql://u:p@env-host:3306/db\n", res.stdout)
		res = runCLI(t, nil, "variables", "get", "greeting")
		assert.Equal(t, "hi\n", res.stdout)
		res = runCLI(t, nil, "connections", "get", "which")
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stderr, "(searched: env, metastore)")
	})
	t.Run("env overrides the file's backend", func(t *testing.T) {
		t.Setenv("AIRFLOW__SECRETS__BACKEND", "env")
		t.Setenv("AIRFLOW__SECRETS__BACKEND_KWARGS", "")
		t.Setenv("AIRFLOW_CONN_WHICH", "http://from-env")
		res := runCLI(t, nil, "--config", named, "connections", "get", "which")
		assert.Equal(t, 0, res.code, res.stderr)
		assert.Equal(t, "http://from-env\n", res.stdout)
	})
}

// TestWritesSayWhere: the commands that write to the metastore say on
// stderr which config file and which database they use (never the DSN);
// db check says which config (its database is on stdout); reads say
// nothing.
func TestWritesSayWhere(t *testing.T) {
	home := t.TempDir()
	t.Setenv(metastore.HomeEnv, home)
	t.Chdir(t.TempDir())
	for _, k := range []string{"AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	none := "config: none (no --config, $SECRETPATH_CONFIG, ./secretpath.cfg, $AIRFLOW_CONFIG or $AIRFLOW_HOME/airflow.cfg)\n"
	defaultDB := "database: sqlite " + filepath.Join(home, metastore.DatabaseFile) + " (the default database)\n"
	dbFile := filepath.Join(t.TempDir(), "airflow.db")
	key, err := metastore.NewFernetKey()
	require.NoError(t, err)
	cfg := writeFile(t, t.TempDir(), "secretpath.cfg", "[core]\nfernet_key = "+key+"\n[database]\nsql_alchemy_conn = sqlite:///"+dbFile+"\n")
	configured := "config: " + cfg + " (from --config)\ndatabase: sqlite " + dbFile + " ([database] sql_alchemy_conn at " + cfg + ":4)\n"

	tests := []struct {
		args       []string
		wantStderr string
	}{
		{args: []string{"db", "migrate"}, wantStderr: none + defaultDB},
		{args: []string{"db", "check"}, wantStderr: none},
		{args: []string{"variables", "set", "k", "v"}, wantStderr: none + defaultDB},
		{args: []string{"variables", "list"}},
		{args: []string{"variables", "get", "k"}},
		{args: []string{"variables", "delete", "k"}, wantStderr: none + defaultDB},
		{args: []string{"connections", "add", "c", "--conn-uri", "http://u:S3cret@h"}, wantStderr: none + defaultDB},
		{args: []string{"connections", "list"}},
		{args: []string{"connections", "delete", "c"}, wantStderr: none + defaultDB},
		{args: []string{"rotate-fernet-key"}, wantStderr: none + defaultDB},
		{args: []string{"--config", cfg, "db", "migrate"}, wantStderr: configured},
		{args: []string{"--config", cfg, "connections", "add", "c", "--conn-uri", "http://u:S3cret@h"}, wantStderr: configured},
		{args: []string{"--config", cfg, "rotate-fernet-key"}, wantStderr: configured},
	}
	for _, tt := range tests {
		t.Run(argsName(tt.args), func(t *testing.T) {
			res := runCLI(t, nil, tt.args...)
			require.Equal(t, 0, res.code, res.stderr)
			if tt.wantStderr == "" {
				assert.NotContains(t, res.stderr, "config:")
				assert.NotContains(t, res.stderr, "database:")
			} else {
				// Contains: a write command may warn of other things too.
				assert.Contains(t, res.stderr, tt.wantStderr)
				assert.Equal(t, 1, strings.Count(res.stderr, "config:"), res.stderr)
			}
			assert.NotContains(t, res.stderr, "S3cret")
			assert.NotContains(t, res.stderr, key)
		})
	}
}
