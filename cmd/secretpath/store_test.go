package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver/connection"
)

// TestMain keeps every test's embedded default metastore out of the user's
// home: tests that use it set their own SECRETPATH_HOME.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "secretpath-cli-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv(metastore.HomeEnv, dir)
	// Compiled modules go to a cache of this run, never the user's.
	if os.Getenv("SECRETPATH_CACHE_DIR") == "" {
		os.Setenv("SECRETPATH_CACHE_DIR", filepath.Join(dir, "wasm-cache"))
	}
	testutil.GuardMetadata()
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freshHome points the embedded default metastore at a new directory and
// runs in a directory without a config file.
func freshHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv(metastore.HomeEnv, home)
	t.Chdir(t.TempDir())
	for _, k := range []string{"AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "SECRETPATH_CONFIG"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	return home
}

func TestConnectionsAddGetOnAFreshMachine(t *testing.T) {
	home := freshHome(t)
	const uri = "postgres://app:S3cret%2Fpw@db.example.com:5432/prod?sslmode=require"
	res := runCLI(t, nil, "connections", "add", "pg_prod", "--conn-uri", uri, "--conn-description", "production")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "added connection pg_prod\n", res.stdout)

	res = runCLI(t, nil, "connections", "get", "pg_prod")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, uri+"\n", res.stdout)
	res = runCLI(t, nil, "connections", "get", "pg_prod", "-o", "json")
	require.Equal(t, 0, res.code, res.stderr)
	assert.JSONEq(t, `{"conn_id": "pg_prod", "conn_type": "postgres", "description": "production", "host": "db.example.com",
		"schema": "prod", "login": "app", "password": "S3cret/pw", "port": 5432, "extra": {"sslmode": "require"}}`, res.stdout)

	// The database and its key were created, private; the password is
	// stored encrypted.
	for _, name := range []string{metastore.DatabaseFile, metastore.KeyFile} {
		fi, err := os.Stat(filepath.Join(home, name))
		require.NoError(t, err)
		if name == metastore.KeyFile {
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		}
	}
	db, err := sql.Open("sqlite", filepath.Join(home, metastore.DatabaseFile))
	require.NoError(t, err)
	defer db.Close()
	var pw string
	var enc bool
	require.NoError(t, db.QueryRow("SELECT password, is_encrypted FROM connection WHERE conn_id = 'pg_prod'").Scan(&pw, &enc))
	assert.True(t, enc)
	assert.True(t, strings.HasPrefix(pw, "gAAAAA"), "a Fernet token")

	res = runCLI(t, nil, "connections", "add", "pg_prod", "--conn-uri", "http://other")
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, `connection "pg_prod" already exists`)

	res = runCLI(t, nil, "connections", "list")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "pg_prod")
	assert.Contains(t, res.stdout, "***")
	assert.NotContains(t, res.stdout, "S3cret")
	res = runCLI(t, nil, "connections", "list", "-o", "json")
	require.Equal(t, 0, res.code, res.stderr)
	assert.NotContains(t, res.stdout, "S3cret")
	var listed []map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &listed))
	require.Len(t, listed, 1)
	assert.Equal(t, "***", listed[0]["password"])

	res = runCLI(t, nil, "connections", "delete", "pg_prod")
	require.Equal(t, 0, res.code, res.stderr)
	res = runCLI(t, nil, "connections", "get", "pg_prod")
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, "(searched: env, metastore)")
	res = runCLI(t, nil, "connections", "delete", "pg_prod")
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, "not found")
}

func TestConnectionsAddForms(t *testing.T) {
	freshHome(t)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantJSON   string
		wantStderr string
	}{
		{name: "fields", args: []string{"--conn-type", "mysql", "--conn-host", "h", "--conn-port", "3306", "--conn-login", "u",
			"--conn-password", "pw", "--conn-extra", `{"charset": "utf8"}`},
			wantJSON: `{"conn_id": "c", "conn_type": "mysql", "description": null, "host": "h", "schema": null, "login": "u",
				"password": "pw", "port": 3306, "extra": {"charset": "utf8"}}`},
		{name: "json", args: []string{"--conn-json", `{"conn_type": "postgresql", "host": "h", "schema": "s"}`},
			wantJSON: `{"conn_id": "c", "conn_type": "postgres", "description": null, "host": "h", "schema": "s", "login": null,
				"password": null, "port": null, "extra": null}`},
		{name: "uri and json", args: []string{"--conn-uri", "http://h", "--conn-json", "{}"}, wantCode: 2, wantStderr: "cannot be combined"},
		{name: "uri and fields", args: []string{"--conn-uri", "http://h", "--conn-host", "x"}, wantCode: 2, wantStderr: "cannot be combined with --conn-host"},
		{name: "nothing", args: []string{"--conn-host", "x"}, wantCode: 2, wantStderr: "one of --conn-uri, --conn-json or --conn-type is required"},
		{name: "bad port", args: []string{"--conn-type", "http", "--conn-port", "99999"}, wantCode: 2, wantStderr: "port"},
		{name: "bad extra", args: []string{"--conn-type", "http", "--conn-extra", "[1]", "--conn-password", "Pl4nted"}, wantCode: 2, wantStderr: "extra"},
		{name: "bad uri keeps the password out", args: []string{"--conn-uri", "http://u:Pl4nted@h:x"}, wantCode: 2, wantStderr: "port"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "c"
			args := append([]string{"connections", "add", id}, tt.args...)
			res := runCLI(t, nil, args...)
			assert.Equal(t, tt.wantCode, res.code, res.stderr)
			assert.NotContains(t, res.stderr, "Pl4nted")
			if tt.wantStderr != "" {
				assert.Contains(t, res.stderr, tt.wantStderr)
			}
			if tt.wantJSON == "" {
				return
			}
			res = runCLI(t, nil, "connections", "get", id, "-o", "json")
			require.Equal(t, 0, res.code, res.stderr)
			assert.JSONEq(t, tt.wantJSON, res.stdout, "case %d", i)
			require.Equal(t, 0, runCLI(t, nil, "connections", "delete", id).code)
		})
	}
}

func TestVariablesCommands(t *testing.T) {
	freshHome(t)
	res := runCLI(t, nil, "variables", "set", "region", "eu-west-1", "--description", "where we run")
	require.Equal(t, 0, res.code, res.stderr)
	res = runCLI(t, nil, "variables", "set", "json", `{"a": 1}`)
	require.Equal(t, 0, res.code, res.stderr)
	res = runCLI(t, nil, "variables", "get", "region")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "eu-west-1\n", res.stdout)
	res = runCLI(t, nil, "variables", "list")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "region")
	assert.Contains(t, res.stdout, "where we run")
	assert.NotContains(t, res.stdout, "eu-west-1", "values are not listed")
	res = runCLI(t, nil, "variables", "list", "-o", "json")
	require.Equal(t, 0, res.code, res.stderr)
	assert.JSONEq(t, `[{"key": "json", "description": ""}, {"key": "region", "description": "where we run"}]`, res.stdout)
	require.Equal(t, 0, runCLI(t, nil, "variables", "delete", "region").code)
	assert.Equal(t, 1, runCLI(t, nil, "variables", "get", "region").code)
	assert.Equal(t, 1, runCLI(t, nil, "variables", "delete", "region").code)
}

func TestImportExport(t *testing.T) {
	freshHome(t)
	dir := t.TempDir()
	conns := writeFile(t, dir, "in.json", `{
  "smtp": "smtps://user:pw@relay.example.com:465",
  "pg": {"conn_type": "postgres", "host": "db", "port": 5432, "password": "pg-pw", "extra": {"sslmode": "require"}, "description": "d"},
  "empty_schema": "http://h/"
}`)
	vars := writeFile(t, dir, "in.yaml", "hello: world\nretries: 3\nmulti: |\n  line one\n  line two\n")

	res := runCLI(t, nil, "connections", "import", conns)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "imported 3 connection(s), skipped 0 existing\n", res.stdout)
	res = runCLI(t, nil, "connections", "import", conns)
	assert.Equal(t, "imported 0 connection(s), skipped 3 existing\n", res.stdout)
	res = runCLI(t, nil, "connections", "import", "--overwrite", conns)
	assert.Equal(t, "imported 3 connection(s), skipped 0 existing\n", res.stdout)
	res = runCLI(t, nil, "variables", "import", vars)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "imported 3 variable(s), skipped 0 existing\n", res.stdout)

	want := map[string]string{}
	for _, id := range []string{"smtp", "pg", "empty_schema"} {
		res := runCLI(t, nil, "connections", "get", id, "-o", "json")
		require.Equal(t, 0, res.code, res.stderr)
		want[id] = res.stdout
	}

	for _, ext := range []string{".json", ".env", ".yaml"} {
		t.Run(ext, func(t *testing.T) {
			out := filepath.Join(dir, "conns"+ext)
			res := runCLI(t, nil, "connections", "export", out, "--serialization-format", "json")
			require.Equal(t, 0, res.code, res.stderr)
			fi, err := os.Stat(out)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

			// Import into another fresh metastore: the same connections.
			t.Setenv(metastore.HomeEnv, t.TempDir())
			res = runCLI(t, nil, "connections", "import", out)
			require.Equal(t, 0, res.code, res.stderr)
			for id, js := range want {
				res := runCLI(t, nil, "connections", "get", id, "-o", "json")
				require.Equal(t, 0, res.code, res.stderr)
				assert.JSONEq(t, js, res.stdout, id)
			}
		})
	}
	t.Run("variables", func(t *testing.T) {
		for _, ext := range []string{".json", ".yaml"} {
			out := filepath.Join(dir, "vars"+ext)
			res := runCLI(t, nil, "variables", "export", out)
			require.Equal(t, 0, res.code, res.stderr)
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Contains(t, string(got), "line one")
		}
		res := runCLI(t, nil, "variables", "export", filepath.Join(dir, "vars.env"))
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stderr, `variable "multi" cannot be written to a .env file`)
		res = runCLI(t, nil, "variables", "export", filepath.Join(dir, "vars.txt"))
		assert.Equal(t, 2, res.code)
	})
	t.Run("errors", func(t *testing.T) {
		bad := writeFile(t, dir, "bad.env", "ok=http://h\nbroken=postgres://u:Pl4nted@h:99999/db\n")
		res := runCLI(t, nil, "connections", "import", bad)
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stderr, bad+":2:")
		assert.NotContains(t, res.stderr, "Pl4nted")
		res = runCLI(t, nil, "connections", "get", "ok")
		assert.Equal(t, 1, res.code, "a file with an error imports nothing")
		res = runCLI(t, nil, "variables", "import", vars, "--action-on-existing-key", "fail")
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stderr, "nothing was imported")
		res = runCLI(t, nil, "variables", "import", vars, "--action-on-existing-key", "maybe")
		assert.Equal(t, 2, res.code)
	})
}

func TestDBAndRotate(t *testing.T) {
	freshHome(t)
	res := runCLI(t, nil, "db", "check")
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, "does not exist yet")
	res = runCLI(t, nil, "db", "migrate")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "metastore schema is at version 2 (sqlite ")
	res = runCLI(t, nil, "db", "check")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "schema: version 2 of 2 (secretpath)\nconnections: 0\nvariables: 0\nok\n")

	// A configured database and key list; rotation to a new first key.
	dir := t.TempDir()
	dbURL := "sqlite:///" + filepath.Join(dir, "airflow.db")
	oldKey, _ := metastore.NewFernetKey()
	newKey, _ := metastore.NewFernetKey()
	cfg := func(keys string) string {
		return writeFile(t, t.TempDir(), "secretpath.cfg", "[database]\nsql_alchemy_conn = "+dbURL+"\n[core]\nfernet_key = "+keys+"\n")
	}
	res = runCLI(t, nil, "--config", cfg(oldKey), "variables", "set", "k", "v")
	require.Equal(t, 0, res.code, res.stderr)
	res = runCLI(t, nil, "--config", cfg(oldKey), "connections", "add", "c", "--conn-uri", "http://u:pw@h")
	require.Equal(t, 0, res.code, res.stderr)
	res = runCLI(t, nil, "--config", cfg(newKey+","+oldKey), "rotate-fernet-key")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "re-encrypted 1 password(s), 0 extra(s), 1 variable(s)\n", res.stdout)
	res = runCLI(t, nil, "--config", cfg(newKey), "variables", "get", "k")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "v\n", res.stdout)
	res = runCLI(t, nil, "--config", cfg(oldKey), "connections", "get", "c")
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, "cannot decrypt")
	for _, k := range []string{oldKey, newKey, "pw"} {
		assert.NotContains(t, res.stderr, k)
	}
	res = runCLI(t, nil, "--config", cfg("not-a-key"), "db", "check")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "fernet_key")
}

// TestBinaryOnAFreshMachine builds the CLI and runs it as a user with an
// empty home and no configuration: the metastore lands in
// ~/.local/share/secretpath.
func TestBinaryOnAFreshMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "secretpath")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	home := t.TempDir()
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = t.TempDir()
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("connections", "add", "smtp_default", "--conn-uri", "smtps://user:pw@relay.example.com:465")
	require.NoError(t, err, out)
	out, err = run("connections", "get", "smtp_default")
	require.NoError(t, err, out)
	assert.Equal(t, "smtps://user:pw@relay.example.com:465\n", out)
	_, err = os.Stat(filepath.Join(home, ".local", "share", "secretpath", metastore.DatabaseFile))
	assert.NoError(t, err)
}

// TestEncodeVariablesDotenvLineBreaks: a .env export refuses every value
// that localfs (and Airflow, with Python's str.splitlines) would read back
// as more than one line, U+0085 (NEL) included, and a value that is not
// UTF-8 (localfs reads a .env file as UTF-8).
func TestEncodeVariablesDotenvLineBreaks(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		refused     bool
	}{
		{name: "plain", value: "one line é"},
		{name: "LF", value: "a\nb", refused: true},
		{name: "CR", value: "a\rb", refused: true},
		{name: "VT", value: "a\vb", refused: true},
		{name: "FS", value: "a\x1cb", refused: true},
		{name: "NEL U+0085", value: "a\u0085b", refused: true},
		{name: "LS U+2028", value: "a\u2028b", refused: true},
		{name: "PS U+2029", value: "a\u2029b", refused: true},
		{name: "invalid UTF-8", value: "a\x85b", refused: true},
		{name: "empty", value: "", refused: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := []metastore.Variable{{Key: "k", Value: connection.NewSecret(tc.value)}}
			out, err := encodeVariables(vars, ".env")
			if !tc.refused {
				require.NoError(t, err)
				assert.Equal(t, "k="+tc.value+"\n", string(out))
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), `variable "k" cannot be written to a .env file`)
			assert.Nil(t, out)
		})
	}
}
