package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConnectionsAddRefusesWhatAirflowRefuses: a URI without a scheme (the
// check of Airflow's connections_add, _valid_uri), and a connection that
// ends up without a conn_type (Airflow: "must supply conn-type"), exit 2
// naming the flag, store nothing and never echo the value.
func TestConnectionsAddRefusesWhatAirflowRefuses(t *testing.T) {
	freshHome(t)
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{name: "not a uri", args: []string{"--conn-uri", "not a uri"}, wantStderr: "--conn-uri: the URI has no scheme"},
		{name: "empty uri", args: []string{"--conn-uri", ""}, wantStderr: "--conn-uri: the URI has no scheme"},
		{name: "scheme-less authority", args: []string{"--conn-uri", "//u:Pl4nted@db:5432/x"}, wantStderr: "--conn-uri: the URI has no scheme"},
		{name: "digit first", args: []string{"--conn-uri", "9p://u:Pl4nted@h"}, wantStderr: "--conn-uri: the URI has no scheme"},
		{name: "space in scheme", args: []string{"--conn-uri", "my db://u:Pl4nted@h"}, wantStderr: "--conn-uri: the URI has no scheme"},
		{name: "json with a scheme-less uri", args: []string{"--conn-json", `{"uri": "//u:Pl4nted@h"}`}, wantStderr: "--conn-json: the connection has no conn_type"},
		{name: "empty conn type", args: []string{"--conn-type", "", "--conn-host", "h", "--conn-password", "Pl4nted"}, wantStderr: "--conn-type is empty"},
		{name: "bad port still a usage error", args: []string{"--conn-uri", "http://u:Pl4nted@h:x"}, wantStderr: "--conn-uri: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"connections", "add", "nouri"}, tt.args...)
			res := runCLI(t, nil, args...)
			assert.Equal(t, 2, res.code, res.stderr)
			assert.Contains(t, res.stderr, tt.wantStderr)
			assert.NotContains(t, res.stderr, "Pl4nted")
			assert.Empty(t, res.stdout)
			res = runCLI(t, nil, "connections", "get", "nouri")
			assert.Equal(t, 1, res.code, "nothing was stored: %s", res.stdout)
		})
	}

	// What Airflow's CLI accepts still goes in.
	for _, uri := range []string{"http://h", "  http://h", "sqlite:relative.db", "google-cloud-platform://"} {
		res := runCLI(t, nil, "connections", "add", "ok", "--conn-uri", uri)
		assert.Equal(t, 0, res.code, "%q: %s", uri, res.stderr)
		assert.Equal(t, 0, runCLI(t, nil, "connections", "delete", "ok").code)
	}
}

// runCLIStdin runs the CLI with in as its standard input.
func runCLIStdin(t *testing.T, in string, args ...string) result {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(in)
	defer func() { stdin = old }()
	return runCLI(t, nil, args...)
}

// TestSecretsOffTheCommandLine: "-" reads standard input for --conn-uri,
// --conn-json, --conn-password and variables set KEY; the -file flags read
// a file. One trailing newline goes, "@" stays literal, standard input is
// read once, what is read is bounded, and errors name the flag or file
// without the value.
func TestSecretsOffTheCommandLine(t *testing.T) {
	freshHome(t)
	dir := t.TempDir()
	file := func(content string) string {
		f, err := os.CreateTemp(dir, "secret-*")
		require.NoError(t, err)
		_, err = f.WriteString(content)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		return f.Name()
	}
	const pgJSON = `{"conn_id": "c", "conn_type": "postgres", "description": null, "host": "db", "schema": "", "login": "app",
		"password": "Pl4nted pw", "port": null, "extra": null}`
	const httpJSON = `{"conn_id": "c", "conn_type": "http", "description": null, "host": "h", "schema": null, "login": null,
		"password": "Pl4nted pw", "port": null, "extra": null}`
	big := strings.Repeat("x", 1<<20)
	atFile := writeFile(t, dir, "at.txt", "Pl4nted")
	tests := []struct {
		name       string
		stdin      string
		args       []string // after "connections add c" or as given when they start with "variables"
		wantCode   int
		wantConn   string // the connection's JSON after the command
		wantVar    *string
		wantStderr string
	}{
		{name: "uri from stdin", stdin: "postgres://app:Pl4nted%20pw@db\n", args: []string{"--conn-uri", "-"}, wantConn: pgJSON},
		{name: "uri from a file", args: []string{"--conn-uri-file", file("postgres://app:Pl4nted%20pw@db\n")}, wantConn: pgJSON},
		{name: "uri file from stdin", stdin: "postgres://app:Pl4nted%20pw@db", args: []string{"--conn-uri-file", "-"}, wantConn: pgJSON},
		{name: "json from stdin", stdin: `{"conn_type": "http", "host": "h", "password": "Pl4nted pw"}` + "\n", args: []string{"--conn-json", "-"}, wantConn: httpJSON},
		{name: "json from a file", args: []string{"--conn-json-file", file(`{"conn_type": "http", "host": "h", "password": "Pl4nted pw"}`)}, wantConn: httpJSON},
		{name: "password from stdin", stdin: "Pl4nted pw\n", args: []string{"--conn-type", "http", "--conn-host", "h", "--conn-password", "-"}, wantConn: httpJSON},
		{name: "password from a file, CRLF", args: []string{"--conn-type", "http", "--conn-host", "h", "--conn-password-file", file("Pl4nted pw\r\n")}, wantConn: httpJSON},
		{name: "password starting with @ is literal", args: []string{"--conn-type", "http", "--conn-host", "h", "--conn-password", "@pw"},
			wantConn: `{"conn_id": "c", "conn_type": "http", "description": null, "host": "h", "schema": null, "login": null, "password": "@pw", "port": null, "extra": null}`},

		{name: "var from stdin", stdin: "Pl4nted value\n", args: []string{"variables", "set", "k", "-"}, wantVar: ptr("Pl4nted value")},
		{name: "var keeps all but one newline", stdin: "line one\nline two\n\n", args: []string{"variables", "set", "k", "-"}, wantVar: ptr("line one\nline two\n")},
		{name: "var empty from stdin", stdin: "", args: []string{"variables", "set", "k", "-"}, wantVar: ptr("")},
		{name: "var from a file", args: []string{"variables", "set", "k", "--value-file", file("Pl4nted value\n")}, wantVar: ptr("Pl4nted value")},
		{name: "var @ is literal", args: []string{"variables", "set", "k", "@" + atFile}, wantVar: ptr("@" + atFile)},
		{name: "var of exactly 1 MiB", stdin: big, args: []string{"variables", "set", "k", "-"}, wantVar: ptr(big)},

		{name: "uri and uri file", stdin: "x", args: []string{"--conn-uri", "-", "--conn-uri-file", file("x")}, wantCode: 2,
			wantStderr: "--conn-uri and --conn-uri-file cannot be combined"},
		{name: "password file with uri", args: []string{"--conn-uri", "http://h", "--conn-password-file", file("Pl4nted")}, wantCode: 2,
			wantStderr: "cannot be combined with --conn-password-file"},
		{name: "uri file without a scheme", args: []string{"--conn-uri-file", file("//u:Pl4nted@h\n")}, wantCode: 2,
			wantStderr: "--conn-uri-file: the URI has no scheme"},
		{name: "stdin uri without a scheme", stdin: "//u:Pl4nted@h", args: []string{"--conn-uri", "-"}, wantCode: 2},
		{name: "bad json from stdin", stdin: `{"conn_type": "http", "password": "Pl4nted"`, args: []string{"--conn-json", "-"}, wantCode: 2,
			wantStderr: "--conn-json: "},
		{name: "missing file", args: []string{"--conn-password-file", filepath.Join(dir, "nope"), "--conn-type", "http"}, wantCode: 2,
			wantStderr: "--conn-password-file: open " + filepath.Join(dir, "nope")},
		{name: "too large", stdin: big + "xx", args: []string{"--conn-type", "http", "--conn-password", "-"}, wantCode: 2,
			wantStderr: "--conn-password: standard input is larger than the limit of 1 MiB (1048576 bytes)"},
		{name: "file too large", args: []string{"variables", "set", "k", "--value-file", file(big + "xx")}, wantCode: 2,
			wantStderr: "is larger than the limit of 1 MiB"},
		{name: "not UTF-8", stdin: "Pl4nted\xff", args: []string{"variables", "set", "k", "-"}, wantCode: 2,
			wantStderr: "variables set KEY -: standard input is not UTF-8 text"},
		{name: "value and value file", args: []string{"variables", "set", "k", "v", "--value-file", file("w")}, wantCode: 2,
			wantStderr: "VALUE and --value-file cannot be combined"},
		{name: "no value", args: []string{"variables", "set", "k"}, wantCode: 2,
			wantStderr: "variables set needs KEY and VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args[0] != "variables" {
				args = append([]string{"connections", "add", "c"}, args...)
			}
			res := runCLIStdin(t, tt.stdin, args...)
			assert.Equal(t, tt.wantCode, res.code, res.stderr)
			assert.NotContains(t, res.stderr, "Pl4nted")
			assert.NotContains(t, res.stdout, "Pl4nted")
			if tt.wantStderr != "" {
				assert.Contains(t, res.stderr, tt.wantStderr)
			}
			switch {
			case tt.wantConn != "":
				res := runCLI(t, nil, "connections", "get", "c", "-o", "json")
				require.Equal(t, 0, res.code, res.stderr)
				assert.JSONEq(t, tt.wantConn, res.stdout)
			case tt.wantVar != nil:
				res := runCLI(t, nil, "variables", "get", "k")
				require.Equal(t, 0, res.code, res.stderr)
				assert.True(t, *tt.wantVar+"\n" == res.stdout, "got %d bytes %.40q, want %d bytes %.40q", len(res.stdout), res.stdout, len(*tt.wantVar)+1, *tt.wantVar+"\n")
			}
			if tt.wantCode != 0 {
				assert.Equal(t, 1, runCLI(t, nil, "connections", "get", "c").code, "nothing stored")
				assert.Equal(t, 1, runCLI(t, nil, "variables", "get", "k").code, "nothing stored")
			}
			runCLI(t, nil, "connections", "delete", "c")
			runCLI(t, nil, "variables", "delete", "k")
		})
	}
}

func ptr(s string) *string { return &s }

// TestStdinIsReadOnce: a second value from standard input in one command
// is an error naming both flags.
func TestStdinIsReadOnce(t *testing.T) {
	old := stdin
	stdin = strings.NewReader("Pl4nted")
	defer func() { stdin = old }()
	var in secretInput
	v, err := in.read("--conn-uri", "-")
	require.NoError(t, err)
	assert.Equal(t, "Pl4nted", v)
	_, err = in.read("--conn-password", "-")
	require.Error(t, err)
	assert.Equal(t, "--conn-password: standard input was already read for --conn-uri: only one value per command can come from it", err.Error())
	var ue usageError
	assert.ErrorAs(t, err, &ue)
}

// TestSecretHelp: the help texts say how to keep secrets off the command
// line, and no longer point to an option that does not exist.
func TestSecretHelp(t *testing.T) {
	res := runCLI(t, nil, "connections", "add", "--help")
	require.Equal(t, 0, res.code, res.stderr)
	for _, s := range []string{"standard input", "--conn-uri-file", "--conn-json-file", "--conn-password-file", "trailing newline", "1 MiB", `"@"`} {
		assert.Contains(t, res.stdout, s)
	}
	assert.NotContains(t, res.stdout, "from a file: flags show in ps")
	res = runCLI(t, nil, "variables", "set", "--help")
	require.Equal(t, 0, res.code, res.stderr)
	for _, s := range []string{"standard input", "--value-file", "trailing newline", "1 MiB", `"@"`, "--json"} {
		assert.Contains(t, res.stdout, s)
	}
}

// TestVariablesSetJSON: --json checks that the value is JSON and stores it
// with the whitespace between tokens removed; an error says where, never
// what.
func TestVariablesSetJSON(t *testing.T) {
	freshHome(t)
	tests := []struct {
		name, value, stdin string
		wantCode           int
		want, wantStderr   string
	}{
		{name: "object", value: "{\n  \"a\": 1,\n  \"b\": [true, null, \"x y\"]\n}", want: `{"a":1,"b":[true,null,"x y"]}`},
		{name: "kept as written", value: ` {"é": "\u00e9", "n": 1.50, "big": 12345678901234567890} `, want: `{"é":"\u00e9","n":1.50,"big":12345678901234567890}`},
		{name: "scalar", value: "3", want: "3"},
		{name: "string", value: `"Pl4nted"`, want: `"Pl4nted"`},
		{name: "from stdin", value: "-", stdin: "[1, 2]\n", want: "[1,2]"},
		{name: "not JSON", value: "{'Pl4nted': 1}", wantCode: 2, wantStderr: `--json: the value of variable "k" is not JSON (at byte 2)`},
		{name: "NaN is not JSON", value: "NaN", wantCode: 2, wantStderr: "is not JSON"},
		{name: "trailing data", value: `{"a": 1} Pl4nted`, wantCode: 2, wantStderr: "is not JSON"},
		{name: "empty", value: "", wantCode: 2, wantStderr: "is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLIStdin(t, tt.stdin, "variables", "set", "k", "--json", tt.value)
			assert.Equal(t, tt.wantCode, res.code, res.stderr)
			assert.NotContains(t, res.stderr, "Pl4nted")
			if tt.wantStderr != "" {
				assert.Contains(t, res.stderr, tt.wantStderr)
			}
			res = runCLI(t, nil, "variables", "get", "k")
			if tt.wantCode != 0 {
				assert.Equal(t, 1, res.code, "nothing stored")
				return
			}
			require.Equal(t, 0, res.code, res.stderr)
			assert.Equal(t, tt.want+"\n", res.stdout)
			require.Equal(t, 0, runCLI(t, nil, "variables", "delete", "k").code)
		})
	}
	res := runCLI(t, nil, "variables", "set", "--help")
	assert.Contains(t, res.stdout, "--json")
}

// TestExportToStdoutAndFileFormat: export - writes to standard output and
// needs --file-format; --file-format also overrides a file's extension.
func TestExportToStdoutAndFileFormat(t *testing.T) {
	freshHome(t)
	dir := t.TempDir()
	require.Equal(t, 0, runCLI(t, nil, "connections", "add", "pg", "--conn-uri", "postgres://app:pw@db:5432/x").code)
	require.Equal(t, 0, runCLI(t, nil, "variables", "set", "k", "v").code)

	files := map[string]string{}
	for _, kind := range []string{"connections", "variables"} {
		for _, ext := range []string{"json", "yaml", "env"} {
			out := filepath.Join(dir, kind+"."+ext)
			res := runCLI(t, nil, kind, "export", out)
			require.Equal(t, 0, res.code, res.stderr)
			b, err := os.ReadFile(out)
			require.NoError(t, err)
			files[kind+" "+ext] = string(b)
		}
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // a key of files
		wantFile   string // path written, and the key of files it must equal
		wantStderr string
	}{
		{name: "connections json to stdout", args: []string{"connections", "export", "-", "--file-format", "json"}, wantStdout: "connections json",
			wantStderr: "exported 1 connection(s) to standard output"},
		{name: "connections yaml to stdout", args: []string{"connections", "export", "-", "--file-format", "yaml"}, wantStdout: "connections yaml"},
		{name: "connections env to stdout", args: []string{"connections", "export", "-", "--file-format", "env"}, wantStdout: "connections env"},
		{name: "variables json to stdout", args: []string{"variables", "export", "-", "--file-format", "json"}, wantStdout: "variables json",
			wantStderr: "exported 1 variable(s) to standard output"},
		{name: "variables env to stdout", args: []string{"variables", "export", "-", "--file-format", "env"}, wantStdout: "variables env"},
		{name: "format over extension", args: []string{"connections", "export", filepath.Join(dir, "c.txt"), "--file-format", "yaml"},
			wantFile: "connections yaml"},
		{name: "format over another extension", args: []string{"variables", "export", filepath.Join(dir, "v.json"), "--file-format", "env"},
			wantFile: "variables env"},
		{name: "stdout needs a format", args: []string{"connections", "export", "-"}, wantCode: 2,
			wantStderr: "export to - (standard output) needs --file-format json, yaml or env"},
		{name: "variables stdout needs a format", args: []string{"variables", "export", "-"}, wantCode: 2, wantStderr: "needs --file-format"},
		{name: "unknown format", args: []string{"connections", "export", "-", "--file-format", "xml"}, wantCode: 2,
			wantStderr: `--file-format must be json, yaml or env, not "xml"`},
		{name: "extension still checked", args: []string{"variables", "export", filepath.Join(dir, "v.txt")}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, tt.args...)
			assert.Equal(t, tt.wantCode, res.code, res.stderr)
			if tt.wantStderr != "" {
				assert.Contains(t, res.stderr, tt.wantStderr)
			}
			switch {
			case tt.wantStdout != "":
				assert.Equal(t, files[tt.wantStdout], res.stdout)
			case tt.wantFile != "":
				out := tt.args[2]
				b, err := os.ReadFile(out)
				require.NoError(t, err)
				assert.Equal(t, files[tt.wantFile], string(b))
				fi, err := os.Stat(out)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			case tt.wantCode != 0:
				assert.Empty(t, res.stdout)
			}
		})
	}
}

// TestConnectionsListConnID: --conn-id lists that connection only, as
// Airflow's filter does; an id that is not there lists nothing.
func TestConnectionsListConnID(t *testing.T) {
	freshHome(t)
	for _, id := range []string{"a", "ab", "b"} {
		require.Equal(t, 0, runCLI(t, nil, "connections", "add", id, "--conn-uri", "http://"+id+"-host").code)
	}
	res := runCLI(t, nil, "connections", "list", "--conn-id", "a")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "a-host")
	assert.NotContains(t, res.stdout, "ab-host")
	assert.NotContains(t, res.stdout, "b-host")

	res = runCLI(t, nil, "connections", "list", "--conn-id", "ab", "-o", "json")
	require.Equal(t, 0, res.code, res.stderr)
	var listed []map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &listed))
	require.Len(t, listed, 1)
	assert.Equal(t, "ab", listed[0]["conn_id"])

	res = runCLI(t, nil, "connections", "list", "--conn-id", "nope", "-o", "json")
	require.Equal(t, 0, res.code, res.stderr)
	assert.JSONEq(t, "[]", res.stdout)
	res = runCLI(t, nil, "connections", "list", "--conn-id", "A")
	require.Equal(t, 0, res.code, res.stderr)
	assert.NotContains(t, res.stdout, "a-host", "ids are case-sensitive")

	res = runCLI(t, nil, "connections", "list")
	require.Equal(t, 0, res.code, res.stderr)
	for _, id := range []string{"a-host", "ab-host", "b-host"} {
		assert.Contains(t, res.stdout, id)
	}
}
