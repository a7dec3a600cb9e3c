package connection

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Vectors for Connection.from_json. Rows marked "always" come from
// airflow-core/tests/unit/always/test_connection.py (test_from_json_extra,
// test_from_json_conn_type, test_from_json_port,
// test_from_json_special_characters, test_as_json_from_connection); they
// gain a conn_type where they lacked one, since the newest secrets-backend
// base refuses a JSON value without conn_type or uri. The other rows follow
// the newest model's rules (notes §7).
var jsonCases = []struct {
	name string
	data string
	want connBuilder
	err  string // the field prefix of the error
}{
	// always: test_from_json_extra
	{"extra null", `{"conn_type": "t", "extra": null}`, j("t"), ""},
	{"extra object", `{"conn_type": "t", "extra": {"yo": "hi"}}`, j("t").extra(`{"yo": "hi"}`), ""},
	{"extra string", `{"conn_type": "t", "extra": "{\"yo\": \"hi\"}"}`, j("t").extra(`{"yo": "hi"}`), ""},
	// always: test_from_json_conn_type
	{"conn_type dash", `{"conn_type": "abc-abc"}`, j("abc_abc"), ""},
	{"conn_type underscore", `{"conn_type": "abc_abc"}`, j("abc_abc"), ""},
	{"conn_type postgresql", `{"conn_type": "postgresql"}`, j("postgres"), ""},
	// always: test_from_json_port
	{"port int", `{"conn_type": "t", "port": 1}`, j("t").port(1), ""},
	{"port string", `{"conn_type": "t", "port": "1"}`, j("t").port(1), ""},
	{"port null", `{"conn_type": "t", "port": null}`, j("t"), ""},
	// always: test_from_json_special_characters
	{"password special", `{"conn_type": "t", "password": "pass :/!@#$%^&*(){}\""}`, j("t").pass(`pass :/!@#$%^&*(){}"`), ""},
	{"password null", `{"conn_type": "t", "password": null}`, j("t"), ""},
	{"password empty", `{"conn_type": "t", "password": ""}`, j("t"), ""},
	// always: test_as_json_from_connection (the JSON as_json wrote)
	{"as_json some fields", `{"conn_type": "foo", "login": "", "password": "p@$$"}`, j("foo").login("").pass("p@$$"), ""},
	{"as_json all fields", `{"conn_type": "bar", "description": "Sample Description", "host": "example.org", "login": "user", "password": "p@$$", "schema": "schema", "port": 777, "extra": {"foo": "bar", "answer": 42}}`,
		j("bar").desc("Sample Description").host("example.org").login("user").pass("p@$$").schema("schema").port(777).extra(`{"foo": "bar", "answer": 42}`), ""},
	{"as_json from uri", `{"conn_type": "aws", "host": "", "schema": ""}`, j("aws").host("").schema(""), ""},
	// Newest rules.
	{"port empty string", `{"conn_type": "t", "port": ""}`, j("t"), ""},
	{"port blank string", `{"conn_type": "t", "port": "  "}`, j("t"), ""},
	{"port zero", `{"conn_type": "t", "port": 0}`, j("t").port(0), ""},
	{"port zero string", `{"conn_type": "t", "port": "0"}`, j("t").port(0), ""},
	{"port integral float", `{"conn_type": "t", "port": 5432.0}`, j("t").port(5432), ""},
	{"port python int string", `{"conn_type": "t", "port": " +5_432 "}`, j("t").port(5432), ""},
	{"port unicode digits", `{"conn_type": "t", "port": "٨٠"}`, j("t").port(80), ""},
	{"port max", `{"conn_type": "t", "port": 65535}`, j("t").port(65535), ""},
	{"port negative", `{"conn_type": "t", "port": -1}`, Connection{}.builder(), "port:"},
	{"port too big", `{"conn_type": "t", "port": 65536}`, Connection{}.builder(), "port:"},
	{"port huge", `{"conn_type": "t", "port": 123456789012345678901234567890}`, Connection{}.builder(), "port:"},
	{"port fraction", `{"conn_type": "t", "port": 1.5}`, Connection{}.builder(), "port:"},
	{"port fraction string", `{"conn_type": "t", "port": "1.5"}`, Connection{}.builder(), "port:"},
	{"port word", `{"conn_type": "t", "port": "http"}`, Connection{}.builder(), "port:"},
	{"port double underscore", `{"conn_type": "t", "port": "1__0"}`, Connection{}.builder(), "port:"},
	{"port bool", `{"conn_type": "t", "port": true}`, Connection{}.builder(), "port:"},
	{"port list", `{"conn_type": "t", "port": [1]}`, Connection{}.builder(), "port:"},
	{"empty strings present", `{"conn_type": "t", "description": "", "host": "", "login": "", "schema": ""}`, j("t").desc("").host("").login("").schema(""), ""},
	{"nulls absent", `{"conn_type": "t", "description": null, "host": null, "login": null, "schema": null, "extra": null}`, j("t"), ""},
	{"extra empty object dropped", `{"conn_type": "t", "extra": {}}`, j("t"), ""},
	{"extra empty string dropped", `{"conn_type": "t", "extra": ""}`, j("t"), ""},
	{"extra false dropped", `{"conn_type": "t", "extra": false}`, j("t"), ""},
	{"extra canonical", `{"conn_type": "t", "extra": "{\"b\":1.0,\"a\":[true,null],\"b\":\"é\"}"}`, j("t").extra(`{"b": "\u00e9", "a": [true, null]}`), ""},
	{"extra list", `{"conn_type": "t", "extra": [1]}`, Connection{}.builder(), "extra:"},
	{"extra number", `{"conn_type": "t", "extra": 5}`, Connection{}.builder(), "extra:"},
	{"extra string not json", `{"conn_type": "t", "extra": "hi"}`, Connection{}.builder(), "extra:"},
	{"extra string not object", `{"conn_type": "t", "extra": "\"hi\""}`, Connection{}.builder(), "extra:"},
	{"extra NaN", `{"conn_type": "t", "extra": {"a": NaN}}`, Connection{}.builder(), "value:"},
	{"repeated key last wins", `{"conn_type": "t", "host": "a", "host": "b"}`, j("t").host("b"), ""},
	{"conn_type not a string", `{"conn_type": 5}`, Connection{}.builder(), "conn_type:"},
	{"host not a string", `{"conn_type": "t", "host": 5}`, Connection{}.builder(), "host:"},
	{"no conn_type", `{"host": "h"}`, Connection{}.builder(), "conn_type:"},
	{"empty conn_type", `{"conn_type": "", "host": "h"}`, Connection{}.builder(), "conn_type:"},
	{"unknown key", `{"conn_type": "t", "hots": "h", "extra_dejson": {}}`, Connection{}.builder(), `value: unknown keys "hots", "extra_dejson"`},
	{"team_name dropped", `{"conn_type": "t", "team_name": "team1"}`, j("t"), ""},
	{"conn_id null", `{"conn_type": "t", "conn_id": null}`, j("t"), ""},
	{"conn_id same", `{"conn_type": "t", "conn_id": "cid"}`, j("t"), ""},
	{"conn_id other", `{"conn_type": "t", "conn_id": "other"}`, Connection{}.builder(), "conn_id:"},
	{"uri", `{"uri": "postgresql://u:p@h:5432/db?a=1"}`, u("postgres", "h", "db").login("u").pass("p").port(5432).extra(`{"a": 1}`), ""},
	{"uri with description", `{"uri": "t://h", "description": "d"}`, u("t", "h", "").desc("d"), ""},
	{"uri with empty fields", `{"uri": "t://h", "host": "", "port": 0, "extra": {}, "conn_type": ""}`, u("t", "h", ""), ""},
	{"uri mixed", `{"uri": "t://h", "schema": "AAA", "port": 1}`, Connection{}.builder(), "uri: cannot be combined with schema, port"},
	{"uri bad", `{"uri": "t://h:x"}`, Connection{}.builder(), "port:"},
	{"not an object", `{"conn_type": "t"} x`, Connection{}.builder(), "value:"},
	{"invalid json", `{"conn_type": 't'}`, Connection{}.builder(), "value:"},
	{"invalid utf8", "{\"conn_type\": \"t\xff\"}", Connection{}.builder(), "value:"},
}

func (c Connection) builder() connBuilder { return connBuilder{c} }

func TestParseJSON(t *testing.T) {
	for _, tc := range jsonCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseJSON("cid", tc.data)
			if tc.err != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalid)
				assert.Contains(t, err.Error(), `connection "cid": `+tc.err)
				return
			}
			require.NoError(t, err)
			want := tc.want.c
			want.ConnID = "cid"
			assertConn(t, want, got)
		})
	}
}

func TestParseJSONErrorsHideSecrets(t *testing.T) {
	values := []string{
		`{"conn_type": "t", "password": "` + secretPassword + `", "port": "` + secretPassword + `"}`,
		`{"conn_type": "t", "password": "` + secretPassword + `", "extra": "` + secretPassword + `"}`,
		`{"conn_type": "t", "extra": {"token": "` + secretPassword + `", "n": NaN}}`,
		`{"conn_type": "t", "extra": ["` + secretPassword + `"]}`,
		`{"conn_type": "t", "password": "` + secretPassword + `" "x"}`,
		`{"uri": "t://u:` + secretPassword + `@h:99999", "password": "` + secretPassword + `"}`,
		`{"uri": "t://u:` + secretPassword + `@h:99999"}`,
		`{"conn_type": 1, "password": "` + secretPassword + `"}`,
	}
	for _, v := range values {
		_, err := ParseJSON("id", v)
		require.Error(t, err, v)
		assert.NotContains(t, err.Error(), secretPassword)
		assert.NotContains(t, err.Error(), v)
	}
}

// TestRevealedJSONRoundTrip: ParseJSON(c.ConnID, c.RevealedJSON()) gives c
// back exactly, for every connection the URI and JSON tables produce that
// has a non-empty conn_type (the JSON form requires one).
func TestRevealedJSONRoundTrip(t *testing.T) {
	var conns []Connection
	for _, tc := range uriCases {
		if c, err := ParseURI("test_id", tc.uri); err == nil && c.ConnType != "" {
			conns = append(conns, c)
		}
	}
	for _, tc := range jsonCases {
		if c, err := ParseJSON("cid", tc.data); err == nil {
			conns = append(conns, c)
		}
	}
	bad, err := ParseURI("<script>", "t://h")
	require.NoError(t, err)
	conns = append(conns, bad)
	require.Greater(t, len(conns), 100)
	for _, c := range conns {
		data, err := c.RevealedJSON()
		require.NoError(t, err)
		back, err := ParseJSON(c.ConnID, string(data))
		require.NoError(t, err, "%s", data)
		assertConn(t, c, back)
	}
}

func TestConnectionFromFields(t *testing.T) {
	cases := []struct {
		name   string
		fields map[string]any
		want   connBuilder
		err    string
	}{
		// airflow-core/tests/unit/always/test_connection.py fixtures and tests
		{"empty", map[string]any{}, Connection{}.builder(), ""},
		{"host and empty extra", map[string]any{"host": "apache.org", "extra": map[string]any{}}, Connection{}.builder().host("apache.org"), ""},
		{"empty login", map[string]any{"conn_type": "foo", "login": "", "password": "p@$$"}, j("foo").login("").pass("p@$$"), ""},
		{"all fields", map[string]any{"conn_type": "bar", "description": "Sample Description", "host": "example.org",
			"login": "user", "password": "p@$$", "schema": "schema", "port": 777, "extra": map[string]any{"foo": "bar", "answer": 42}},
			j("bar").desc("Sample Description").host("example.org").login("user").pass("p@$$").schema("schema").port(777).extra(`{"answer": 42, "foo": "bar"}`), ""},
		{"uri", map[string]any{"uri": "aws://"}, u("aws", "", ""), ""},
		{"mixed", map[string]any{"conn_id": "cid", "uri": "mysql://", "schema": "AAA"}, Connection{}.builder(), "uri: cannot be combined with schema"},
		{"extra not json", map[string]any{"conn_type": "none", "extra": "hi"}, Connection{}.builder(), "extra: not valid JSON"},
		{"extra not a dict", map[string]any{"conn_type": "none", "extra": `"hi"`}, Connection{}.builder(), "extra: not a JSON object"},
		{"param setup", map[string]any{"conn_type": "mysql", "host": "localhost", "login": "airflow", "password": "airflow", "schema": "airflow"},
			j("mysql").host("localhost").login("airflow").pass("airflow").schema("airflow"), ""},
		// The constructor's own rules.
		{"conn_type kept as is", map[string]any{"conn_type": "postgresql-X"}, j("postgresql-X"), ""},
		{"empty conn_type kept", map[string]any{"conn_type": ""}, j(""), ""},
		{"port float64", map[string]any{"port": float64(5432)}, Connection{}.builder().port(5432), ""},
		{"port json.Number", map[string]any{"port": json.Number("5432")}, Connection{}.builder().port(5432), ""},
		{"port string", map[string]any{"port": "5432"}, Connection{}.builder().port(5432), ""},
		{"port int64", map[string]any{"port": int64(0)}, Connection{}.builder().port(0), ""},
		{"port nil", map[string]any{"port": nil}, Connection{}.builder(), ""},
		{"port empty", map[string]any{"port": ""}, Connection{}.builder(), ""},
		{"port fraction", map[string]any{"port": 1.5}, Connection{}.builder(), "port:"},
		{"port negative", map[string]any{"port": -1}, Connection{}.builder(), "port:"},
		{"port bool", map[string]any{"port": true}, Connection{}.builder(), "port:"},
		{"extra string kept canonical", map[string]any{"extra": `{"b":2,"a":1}`}, Connection{}.builder().extra(`{"b": 2, "a": 1}`), ""},
		{"extra nested values", map[string]any{"extra": map[string]any{"l": []any{1.5, "x", nil, true}, "m": map[any]any{1: "one"}, "s": []string{"a"}}},
			Connection{}.builder().extra(`{"l": [1.5, "x", null, true], "m": {"1": "one"}, "s": ["a"]}`), ""},
		{"extra list", map[string]any{"extra": []any{1}}, Connection{}.builder(), "extra: not a JSON object"},
		{"extra unsupported", map[string]any{"extra": map[string]any{"c": make(chan int)}}, Connection{}.builder(), "extra:"},
		{"password empty absent", map[string]any{"password": ""}, Connection{}.builder(), ""},
		{"login not a string", map[string]any{"login": 5}, Connection{}.builder(), "login: not a string"},
		{"unknown keys", map[string]any{"extra_dejson": map[string]any{}, "hots": "h"}, Connection{}.builder(), `unknown keys "extra_dejson", "hots"`},
		{"conn_id mismatch", map[string]any{"conn_id": "other"}, Connection{}.builder(), "conn_id:"},
		{"team_name", map[string]any{"team_name": "t1", "conn_type": "x"}, j("x"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromFields("cid", tc.fields)
			if tc.err != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalid)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			want := tc.want.c
			want.ConnID = "cid"
			assertConn(t, want, got)
		})
	}
}

func TestValidConnID(t *testing.T) {
	valid := []string{"a", "a_valid_conn_id_!!##", "a_-.11", `x:/\()#!`, "名前", "x²", "Ⅻ", strings.Repeat("z", 250)}
	invalid := []string{"", "<script>", "a b", "a\n", "a\u0301", "a$", strings.Repeat("z", 251), "\xff"}
	for _, id := range valid {
		assert.True(t, ValidID(id), id)
	}
	for _, id := range invalid {
		assert.False(t, ValidID(id), id)
	}
}
