package localfs

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

func loadValues(t *testing.T, kind resolver.Kind, path, content string) (map[string]string, error) {
	t.Helper()
	f, ok := formatOf(path)
	require.True(t, ok)
	_, values, err := parseKind([]byte(content), f, kind, path)
	return values, err
}

func loadConns(t *testing.T, path, content string) (map[string]connEntry, error) {
	t.Helper()
	f, ok := formatOf(path)
	require.True(t, ok)
	conns, _, err := parseKind([]byte(content), f, resolver.KindConnection, path)
	return maps.Collect(conns.all()), err
}

// Vectors from airflow-core/tests/unit/always/test_secrets_local_filesystem.py
// (TestLoadVariables, TestLoadConfigs), plus our own.
func TestVariables(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		content string
		want    map[string]string
		err     string // the whole error text
	}{
		{name: "env empty", path: "a.env", content: "", want: map[string]string{}},
		{name: "env", path: "a.env", content: "KEY_A=AAA\n # AAAA\nKEY_B=BBB", want: map[string]string{"KEY_A": "AAA", "KEY_B": "BBB"}},
		{name: "env quotes kept", path: "a.env", content: `KEY_DICT='{"k1": "val1", "k2": "val2"}'`, want: map[string]string{"KEY_DICT": `'{"k1": "val1", "k2": "val2"}'`}},
		{name: "env repeated key", path: "a.env", content: "AA=A\nAA=B", err: "a.env:2: The file contains multiple values for key AA (lines 1, 2)."},
		{
			name: "env repeated keys all listed", path: "dir/v.env", content: "A=1\nB=1\nA=2\nB=2\nB=3\nC=1",
			err: "dir/v.env:3: The file contains multiple values for key A (lines 1, 3).\ndir/v.env:4: The file contains multiple values for key B (lines 2, 4, 5).",
		},
		{
			name: "env syntax and repeats together", path: "v.env", content: "A=1\nnope\nA=2",
			err: "v.env:2: " + msgNoEquals + "\nv.env:3: The file contains multiple values for key A (lines 1, 3).",
		},
		{name: "json", path: "a.json", content: `{"KEY_A": "AAA", "KEY_B": "BBB"}`, want: map[string]string{"KEY_A": "AAA", "KEY_B": "BBB"}},
		{name: "json empty object", path: "a.json", content: `{}`, want: map[string]string{}},
		{
			name: "json values as-is", path: "a.json",
			content: `{"s": "x", "e": "", "n": 1, "f": 2.50, "b": false, "z": null, "l": ["a"], "o": {"k": [1, {"x": "é"}]}}`,
			want:    map[string]string{"s": "x", "e": "", "n": "1", "f": "2.5", "b": "false", "l": `["a"]`, "o": `{"k":[1,{"x":"é"}]}`},
		},
		{name: "json empty file", path: "a.json", content: "", err: "a.json:1: The file is empty."},
		{name: "yaml", path: "a.yaml", content: "KEY: AAA", want: map[string]string{"KEY": "AAA"}},
		{name: "yml", path: "a.yml", content: "KEY: AAA", want: map[string]string{"KEY": "AAA"}},
		{
			name: "yaml nested", path: "a.yaml", content: "\n            KEY:\n                KEY_1:\n                    - item1\n                    - item2\n            ",
			want: map[string]string{"KEY": `{"KEY_1":["item1","item2"]}`},
		},
		{name: "yaml multi-line string", path: "a.yaml", content: "cert: |\n  line 1\n  line 2\nn: ~\n", want: map[string]string{"cert": "line 1\nline 2\n"}},
		{name: "yaml error line is 1-based", path: "a.yaml", content: "key:\n  - item1\n  - item2\ninvalid_yaml: }", err: "a.yaml:4: did not find expected node content."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, kind := range []resolver.Kind{resolver.KindVariable, resolver.KindConfig} {
				got, err := loadValues(t, kind, tt.path, tt.content)
				if tt.err != "" {
					assert.EqualError(t, err, tt.err, "%s", kind)
					continue
				}
				require.NoError(t, err, "%s", kind)
				if kind == resolver.KindConfig && tt.path != "a.env" && tt.want["l"] != "" {
					continue // configs unwrap lists: see TestConfigs
				}
				assert.Equal(t, tt.want, got, "%s", kind)
			}
		})
	}
}

// Configs are variables whose lists must hold exactly one value
// (Airflow's load_configs_dict).
func TestConfigs(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		content string
		want    map[string]string
		err     string
	}{
		{name: "one-element list unwrapped", path: "c.json", content: `{"a": ["x"], "b": [{"k": 1}], "c": [null], "d": "plain"}`, want: map[string]string{"a": "x", "b": `{"k":1}`, "d": "plain"}},
		{name: "empty list", path: "c.json", content: "{\n\"a\": []}", err: "c.json:2: The file contains 0 values for key a; a config must have exactly one."},
		{name: "two values", path: "c.yaml", content: "ok: 1\nk:\n  - x\n  - y\n", err: "c.yaml:2: The file contains 2 values for key k; a config must have exactly one."},
		{name: "env repeated", path: "c.env", content: "A=1\nA=2", err: "c.env:2: The file contains multiple values for key A (lines 1, 2)."},
		// Variables keep lists as they are.
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadValues(t, resolver.KindConfig, tt.path, tt.content)
			if tt.err != "" {
				assert.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	vars, err := loadValues(t, resolver.KindVariable, "v.json", `{"a": ["x"], "b": [], "c": [1, 2]}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": `["x"]`, "b": "[]", "c": "[1,2]"}, vars)
}

// Vectors from airflow-core/tests/unit/always/test_secrets_local_filesystem.py
// (TestLoadConnection), compared through get_uri as Airflow's tests do.
func TestConnectionsURIs(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		content string
		want    map[string]string // conn_id -> Connection.URI()
	}{
		{name: "env", path: "a.env", content: "CONN_ID=mysql://host_1/", want: map[string]string{"CONN_ID": "mysql://host_1"}},
		{name: "env two", path: "a.env", content: "CONN_ID1=mysql://host_1/\nCONN_ID2=mysql://host_2/", want: map[string]string{"CONN_ID1": "mysql://host_1", "CONN_ID2": "mysql://host_2"}},
		{name: "env comment", path: "a.env", content: "CONN_ID1=mysql://host_1/\n # AAAA\nCONN_ID2=mysql://host_2/", want: map[string]string{"CONN_ID1": "mysql://host_1", "CONN_ID2": "mysql://host_2"}},
		{name: "env blank lines", path: "a.env", content: "\n\n\n\nCONN_ID1=mysql://host_1/\n\n\n\n\nCONN_ID2=mysql://host_2/\n\n\n", want: map[string]string{"CONN_ID1": "mysql://host_1", "CONN_ID2": "mysql://host_2"}},
		{name: "env params", path: "a.env", content: "CONN_ID=mysql://host_1/?param1=val1&param2=val2", want: map[string]string{"CONN_ID": "mysql://host_1/?param1=val1&param2=val2"}},
		{name: "json string", path: "a.json", content: `{"CONN_ID": "mysql://host_1"}`, want: map[string]string{"CONN_ID": "mysql://host_1"}},
		{name: "json list of string", path: "a.json", content: `{"CONN_ID": ["mysql://host_1"]}`, want: map[string]string{"CONN_ID": "mysql://host_1"}},
		{name: "json uri object", path: "a.json", content: `{"CONN_ID": {"uri": "mysql://host_1"}}`, want: map[string]string{"CONN_ID": "mysql://host_1"}},
		{name: "json list of uri object", path: "a.json", content: `{"CONN_ID": [{"uri": "mysql://host_1"}]}`, want: map[string]string{"CONN_ID": "mysql://host_1"}},
		{name: "yaml and yml agree (yaml)", path: "a.yaml", content: "conn_a: mysql://hosta", want: map[string]string{"conn_a": "mysql://hosta"}},
		{name: "yaml and yml agree (yml)", path: "a.yml", content: "conn_a: mysql://hosta", want: map[string]string{"conn_a": "mysql://hosta"}},
		// Our own.
		{name: "empty list defines nothing", path: "a.json", content: `{"CONN_ID": [], "B": "mysql://b"}`, want: map[string]string{"B": "mysql://b"}},
		{name: "empty string defines nothing", path: "a.json", content: `{"CONN_ID": ""}`, want: map[string]string{}},
		{name: "JSON form in a string", path: "a.json", content: `{"C": "{\"conn_type\": \"mysql\", \"host\": \"h\"}"}`, want: map[string]string{"C": "mysql://h"}},
		{name: "JSON form in a .env line", path: "a.env", content: `C={"conn_type": "mysql", "host": "h", "port": 1}`, want: map[string]string{"C": "mysql://h:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns, err := loadConns(t, tt.path, tt.content)
			require.NoError(t, err)
			got := map[string]string{}
			for id, ce := range conns {
				got[id] = ce.conn.URI()
				assert.Equal(t, id, ce.conn.ConnID)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// Vectors from TestLoadConnection.test_yaml_file_should_load_connection and
// test_yaml_file_should_load_connection_extras.
func TestConnectionsYAMLFields(t *testing.T) {
	content := `
            conn_a: mysql://hosta
            conn_b:
               conn_type: scheme
               host: host
               schema: lschema
               login: Login
               password: None
               port: 1234
               extra_dejson:
                 arbitrary_dict:
                    a: b
                 keyfile_dict: '{"a": "b"}'
                 keyfile_path: asaa
            conn_c:
               conn_type: scheme
               host: host
               schema: lschema
               login: Login
               password: None
               port: 1234
               extra_dejson:
                 aws_conn_id: bbb
                 region_name: ccc
            conn_d:
               conn_type: scheme
               extra: '{"keyfile_dict": {"a": "b"}}'
            conn_e:
               conn_type: scheme
               extra:
                 keyfile_dict:
                   a: b
                 key_path: xxx
            `
	conns, err := loadConns(t, "a.yaml", content)
	require.NoError(t, err)
	require.Len(t, conns, 5)

	a := conns["conn_a"].conn
	assert.Equal(t, "mysql", a.ConnType)
	assert.Equal(t, "hosta", a.Host)
	assert.Equal(t, "mysql://hosta", conns["conn_a"].value, "a string is returned as written")

	b := conns["conn_b"].conn
	assert.Equal(t, "conn_b", b.ConnID)
	assert.Equal(t, "scheme", b.ConnType)
	assert.Equal(t, "host", b.Host)
	assert.Equal(t, "lschema", b.Schema)
	assert.Equal(t, "Login", b.Login)
	assert.Equal(t, "None", b.Password.Reveal())
	assert.Equal(t, 1234, b.Port)
	assert.JSONEq(t, `{"arbitrary_dict": {"a": "b"}, "keyfile_dict": "{\"a\": \"b\"}", "keyfile_path": "asaa"}`, b.Extra)
	// An object is returned in Airflow's JSON form, which parses back to
	// the same connection.
	back, err := connection.Parse("conn_b", conns["conn_b"].value)
	require.NoError(t, err)
	assert.Equal(t, b, back)

	assert.JSONEq(t, `{"aws_conn_id": "bbb", "region_name": "ccc"}`, conns["conn_c"].conn.Extra)
	assert.JSONEq(t, `{"keyfile_dict": {"a": "b"}}`, conns["conn_d"].conn.Extra)
	assert.JSONEq(t, `{"keyfile_dict": {"a": "b"}, "key_path": "xxx"}`, conns["conn_e"].conn.Extra)
}

// Vectors from TestLoadConnection (test_env_file_invalid_format,
// test_env_file_invalid_input, test_yaml_invalid_extra,
// test_ensure_unique_connection_*), with our messages and lines.
func TestConnectionsErrors(t *testing.T) {
	const tail = ". The connection can only be defined using a string or object."
	tests := []struct {
		name    string
		path    string
		content string
		err     string
	}{
		{name: "no equal sign", path: "a.env", content: "AA", err: "a.env:1: " + msgNoEquals},
		{name: "empty key", path: "a.env", content: "=", err: "a.env:1: " + msgEmptyKey},
		{name: "empty value", path: "a.env", content: "CONN_ID=", err: "a.env:1: " + msgEmptyValue},
		{name: "null", path: "a.json", content: `{"CONN_ID": null}`, err: "a.json:1: Unexpected value type: null" + tail},
		{name: "number", path: "a.json", content: `{"CONN_ID": 1}`, err: "a.json:1: Unexpected value type: number" + tail},
		{name: "list of number", path: "a.json", content: `{"CONN_ID": [2]}`, err: "a.json:1: Unexpected value type: number" + tail},
		{name: "list of null", path: "a.json", content: `{"CONN_ID": [null]}`, err: "a.json:1: Unexpected value type: null" + tail},
		{name: "list of list", path: "a.json", content: `{"CONN_ID": [["x"]]}`, err: "a.json:1: Unexpected value type: array" + tail},
		{
			name: "illegal keys", path: "a.json", content: `{"CONN_ID": {"AAA": "mysql://host_1", "passwd": "x", "host": "h"}}`,
			err: "a.json:1: The object have illegal keys: AAA, passwd. The dictionary can only contain the following keys: " +
				"conn_id, conn_type, description, extra, extra_dejson, host, login, password, port, schema, team_name, uri.",
		},
		{name: "conn_id mismatch", path: "a.json", content: `{"CONN_ID": {"conn_id": "BBBB"}}`, err: "a.json:1: Mismatch conn_id. The conn_id field does not match the key CONN_ID."},
		{name: "conn_id not a string", path: "a.json", content: `{"CONN_ID": {"conn_id": null, "conn_type": "x"}}`, err: "a.json:1: Mismatch conn_id. The conn_id field does not match the key CONN_ID."},
		{name: "multiple values json", path: "a.json", content: `{"CONN_ID": ["mysql://", "mysql://"]}`, err: "a.json:1: Found multiple values for CONN_ID (a list of 2)."},
		{name: "multiple objects json", path: "a.json", content: `{"CONN_ID": [{"uri": "mysql://host_1"}, {"uri": "mysql://host_2"}]}`, err: "a.json:1: Found multiple values for CONN_ID (a list of 2)."},
		{name: "multiple values env", path: "a.env", content: "CONN_ID=mysql://host_1/\nCONN_ID=mysql://host_2/", err: "a.env:2: Found multiple values for CONN_ID (lines 1, 2)."},
		{name: "multiple values yaml", path: "a.yaml", content: "\n            conn_a:\n              - mysql://hosta\n              - mysql://hostb", err: "a.yaml:2: Found multiple values for conn_a (a list of 2)."},
		{
			name: "extra and extra_dejson", path: "a.yaml",
			content: "conn_c:\n   conn_type: scheme\n   extra:\n     abc: xyz\n   extra_dejson:\n     aws_conn_id: bbb\n",
			err:     "a.yaml:1: The extra and extra_dejson parameters are mutually exclusive. Please provide only one parameter.",
		},
		{name: "uri mixed with fields", path: "a.json", content: "{\"ok\": \"x://h\",\n\"C\": {\"uri\": \"mysql://h\", \"host\": \"other\"}}", err: `a.json:2: invalid connection: connection "C": uri: cannot be combined with host`},
		{name: "extra not an object", path: "a.yaml", content: "C:\n  conn_type: x\n  extra: [1]\n", err: `a.yaml:1: invalid connection: connection "C": extra: not a JSON object`},
		{name: "bad port", path: "a.yaml", content: "C:\n  conn_type: x\n  port: many\n", err: `a.yaml:1: invalid connection: connection "C": port: could not be cast to integer`},
		{
			name: "every connection error reported", path: "c.json",
			content: "{\n\"a\": 1,\n\"b\": \"mysql://ok\",\n\"c\": {\"bad\": 1},\n\"d\": [\"x://\", \"y://\"]\n}",
			err: "c.json:2: Unexpected value type: number" + tail + "\n" +
				"c.json:4: The object have illegal keys: bad. The dictionary can only contain the following keys: conn_id, conn_type, description, extra, extra_dejson, host, login, password, port, schema, team_name, uri.\n" +
				"c.json:5: Found multiple values for d (a list of 2).",
		},
		{name: "odd key quoted", path: "a.json", content: `{"my conn": 1}`, err: `a.json:1: Unexpected value type: number` + tail},
		{name: "odd key in a repeat", path: "a.json", content: `{"my \"conn\"": [1, 2]}`, err: `a.json:1: Found multiple values for "my \"conn\"" (a list of 2).`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConns(t, tt.path, tt.content)
			assert.EqualError(t, err, tt.err)
		})
	}
}

func TestConnectionFieldsConversion(t *testing.T) {
	tests := []struct {
		name    string
		content string
		check   func(t *testing.T, c connection.Connection)
	}{
		{"port as string", `{"C": {"conn_type": "x", "port": "5432"}}`, func(t *testing.T, c connection.Connection) { assert.Equal(t, 5432, c.Port) }},
		{"port as integral float", `{"C": {"conn_type": "x", "port": 5432.0}}`, func(t *testing.T, c connection.Connection) { assert.Equal(t, 5432, c.Port) }},
		{"falsy extra is no extra", `{"C": {"conn_type": "x", "extra": {}}}`, func(t *testing.T, c connection.Connection) { assert.Empty(t, c.Extra) }},
		{"extra string kept", `{"C": {"conn_type": "x", "extra": "{\"a\": 1}"}}`, func(t *testing.T, c connection.Connection) { assert.JSONEq(t, `{"a": 1}`, c.Extra) }},
		{"extra order kept", `{"C": {"conn_type": "x", "extra_dejson": {"z": 1, "a": 2}}}`, func(t *testing.T, c connection.Connection) { assert.Equal(t, `{"z": 1, "a": 2}`, c.Extra) }},
		{"conn_id equal to the key", `{"C": {"conn_id": "C", "conn_type": "x"}}`, func(t *testing.T, c connection.Connection) { assert.Equal(t, "C", c.ConnID) }},
		{"team_name dropped", `{"C": {"conn_type": "x", "team_name": "t"}}`, func(t *testing.T, c connection.Connection) { assert.Equal(t, "x", c.ConnType) }},
		{"description", `{"C": {"conn_type": "x", "description": "d"}}`, func(t *testing.T, c connection.Connection) { assert.Equal(t, "d", c.Description) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns, err := loadConns(t, "a.json", tt.content)
			require.NoError(t, err)
			require.Contains(t, conns, "C")
			tt.check(t, conns["C"].conn)
		})
	}
}
