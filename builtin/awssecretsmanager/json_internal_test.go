package awssecretsmanager

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

func defaultAliases(t testing.TB) *aliases {
	t.Helper()
	a, err := newAliases(nil)
	require.NoError(t, err)
	return a
}

// nulls writes Airflow's standardized form with the given fields set.
func std(fields map[string]string) string {
	var parts []string
	for _, f := range fieldOrder {
		v, ok := fields[f]
		if !ok {
			v = "null"
		}
		parts = append(parts, `"`+f+`": `+v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func TestStandardize(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		words  map[string][]string
		want   string
	}{
		{name: "every alias", secret: `{"user": "u", "pass": "p", "server": "h", "port": 5432, "database": "db", "engine": "postgresql", "extra": {"a": 1}}`,
			want: std(map[string]string{"login": `"u"`, "password": `"p"`, "host": `"h"`, "port": `5432`, "schema": `"db"`, "conn_type": `"postgresql"`, "extra": `{"a": 1}`})},
		{name: "Airflow's own names", secret: `{"conn_type": "mysql", "login": "l", "password": "pw", "host": "h", "schema": "s", "port": "3306", "extra": "{\"x\": true}"}`,
			want: std(map[string]string{"login": `"l"`, "password": `"pw"`, "host": `"h"`, "port": `"3306"`, "schema": `"s"`, "conn_type": `"mysql"`, "extra": `"{\"x\": true}"`})},
		{name: "other aliases", secret: `{"username": "a", "key": "k", "remote_host": "r", "connection_type": "http"}`,
			want: std(map[string]string{"login": `"a"`, "password": `"k"`, "host": `"r"`, "conn_type": `"http"`})},
		{name: "user_name and conn_id", secret: `{"user_name": "a", "conn_id": "ssh"}`,
			want: std(map[string]string{"login": `"a"`, "conn_type": `"ssh"`})},
		{name: "unknown keys dropped, absent fields null", secret: `{"conn_type": "http", "description": "d", "uri": "x://y", "whatever": [1]}`,
			want: std(map[string]string{"conn_type": `"http"`})},
		{name: "empty object", secret: `{}`, want: std(nil)},
		{name: "the secret's first key wins", secret: `{"username": "first", "login": "second"}`,
			want: std(map[string]string{"login": `"first"`})},
		{name: "a repeated key keeps its place and its last value", secret: `{"user": "a", "login": "b", "user": "c"}`,
			want: std(map[string]string{"login": `"c"`})},
		{name: "values verbatim", secret: `{"password": "p\u00e9\"s", "port": 1.0e3, "extra": { "n" : [1, 2,3] }, "host": null, "login": true}`,
			want: std(map[string]string{"login": `true`, "password": `"p\u00e9\"s"`, "host": `null`, "port": `1.0e3`, "extra": `{ "n" : [1, 2,3] }`})},
		{name: "leading and trailing whitespace", secret: " \n\t{\"host\": \"h\"}\r\n ",
			want: std(map[string]string{"host": `"h"`})},
		{name: "extra_conn_words", secret: `{"db_user": "u", "endpoint": "h", "dbname": "s"}`,
			words: map[string][]string{"user": {"db_user"}, "host": {"endpoint"}, "schema": {"dbname"}},
			want:  std(map[string]string{"login": `"u"`, "host": `"h"`, "schema": `"s"`})},
		{name: "extra words compete in the secret's order", secret: `{"db_user": "u", "login": "l"}`,
			words: map[string][]string{"login": {"db_user"}},
			want:  std(map[string]string{"login": `"u"`})},
		{name: "one key may stand for two fields", secret: `{"name": "x"}`,
			words: map[string][]string{"login": {"name"}, "schema": {"name"}},
			want:  std(map[string]string{"login": `"x"`, "schema": `"x"`})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := newAliases(tt.words)
			require.NoError(t, err)
			got, err := standardize(tt.secret, a)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			require.True(t, json.Valid([]byte(got)))
		})
	}
}

func TestStandardizeThenParse(t *testing.T) {
	got, err := standardize(`{"user": "app", "pass": "s3cret", "server": "DB.example.com", "port": "5432", "database": "prod", "engine": "postgresql", "extra": {"sslmode": "require"}, "description": "dropped"}`, defaultAliases(t))
	require.NoError(t, err)
	c, err := connection.Parse("pg", got)
	require.NoError(t, err)
	assert.Equal(t, "postgres", c.ConnType)
	assert.Equal(t, "app", c.Login)
	assert.Equal(t, "s3cret", c.Password.Reveal())
	assert.Equal(t, "DB.example.com", c.Host)
	assert.Equal(t, 5432, c.Port)
	assert.Equal(t, "prod", c.Schema)
	assert.JSONEq(t, `{"sslmode": "require"}`, c.Extra)
	assert.Empty(t, c.Description)
}

var errShape = regexp.MustCompile(`^invalid connection: the JSON secret is not a valid JSON object: ` +
	`(syntax error at offset \d+|unexpected end of input|malformed at offset \d+|extra data after the object at offset \d+|it does not start with '\{')$`)

func TestStandardizeErrors(t *testing.T) {
	for _, secret := range []string{
		`{`,
		`{"password": "SECRET-VALUE"`,
		`{"password": "SECRET-VALUE", oops}`,
		`{"password": SECRET-VALUE}`,
		`{"password": "SECRET-VALUE"} {"x": 1}`,
		`{"password": "SECRET-VALUE"} SECRET-VALUE`,
		`{"password": NaN}`,
		`{"password": "unterminated SECRET-VALUE`,
		"\v{\"password\": \"SECRET-VALUE\"}",
		`[1]`,
	} {
		_, err := standardize(secret, defaultAliases(t))
		require.Error(t, err, secret)
		assert.ErrorIs(t, err, connection.ErrInvalid, secret)
		assert.Regexp(t, errShape, err.Error(), secret)
		assert.NotContains(t, err.Error(), "SECRET", secret)
	}
}

func TestIsJSONSecret(t *testing.T) {
	for s, want := range map[string]bool{
		`{}`: true, " \n{": true, "\u00a0\u2003{": true, "\x1c{": true, "\x1f\t{": true,
		"": false, " ": false, "x{": false, "[{}]": false, "\u200b{": false,
	} {
		assert.Equal(t, want, isJSONSecret(s), "%q", s)
	}
}

func TestAliasesErrors(t *testing.T) {
	_, err := newAliases(map[string][]string{"username": {"u"}})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "extra_conn_words")
	assert.Contains(t, err.Error(), `"username"`)
}

// FuzzStandardize checks the JSON secret mapping on any input: it never
// panics; an error has a fixed shape (so it cannot quote the secret); an
// answer is a JSON object with exactly Airflow's seven fields in order,
// each the (last) value of a key of the secret standing for it, or null
// when the secret has no such key.
func FuzzStandardize(f *testing.F) {
	for _, s := range []string{
		`{"user": "u", "pass": "p", "server": "h", "port": 5432, "database": "db", "engine": "postgresql", "extra": {"a": 1}}`,
		`{"user": "a", "login": "b", "user": "c"}`,
		`{"password": "p\u00e9\"s", "port": 1.0e3, "extra": { "n" : [1, 2,3] }}`,
		`{}`, `{`, `{"a": NaN}`, ` {"host": null} `, `{"key": "k"} x`,
	} {
		f.Add(s)
	}
	a := defaultAliases(f)
	f.Fuzz(func(t *testing.T, secret string) {
		got, err := standardize(secret, a)
		if err != nil {
			if !errShape.MatchString(err.Error()) {
				t.Fatalf("error of unexpected shape: %v", err)
			}
			return
		}
		if !json.Valid([]byte(secret)) {
			t.Fatalf("accepted invalid JSON %q", secret)
		}
		var in map[string]json.RawMessage // last value wins, as in Python
		if err := json.Unmarshal([]byte(secret), &in); err != nil {
			t.Fatalf("accepted a secret that is not an object: %q", secret)
		}
		dec := json.NewDecoder(strings.NewReader(got))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("output does not start an object: %q", got)
		}
		for i := 0; dec.More(); i++ {
			tok, err := dec.Token()
			if err != nil || i >= len(fieldOrder) || tok != fieldOrder[i] {
				t.Fatalf("output key %d is %v, want %s: %q", i, tok, fieldOrder[i%len(fieldOrder)], got)
			}
			var val json.RawMessage
			if err := dec.Decode(&val); err != nil {
				t.Fatalf("output value: %v", err)
			}
			found := false
			for key, raw := range in {
				if a[i][key] && compact(raw) == compact(val) {
					found = true
				}
			}
			present := false
			for key := range in {
				present = present || a[i][key]
			}
			if !found && (present || string(val) != "null") {
				t.Fatalf("field %s = %s does not come from the secret %q", fieldOrder[i], val, secret)
			}
		}
	})
}

func compact(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "invalid:" + string(raw)
	}
	return b.String()
}

// TestPyTruthy: Python's bool() of a conn_type as json.loads reads it.
func TestPyTruthy(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{`null`, false}, {`false`, false}, {`true`, true},
		{`""`, false}, {`" "`, true}, {`"0"`, true}, {`"\u0000"`, true}, {`"x"`, true},
		{`0`, false}, {`-0`, false}, {`0.0`, false}, {`-0.0e5`, false}, {`1e-400`, false},
		{`1`, true}, {`-1`, true}, {`0.5`, true}, {`1e400`, true}, {`100000000000000000000000`, true},
		{`[]`, false}, {`[ ]`, false}, {`[0]`, true}, {`[[]]`, true},
		{`{}`, false}, {"{\n}", false}, {`{"a": null}`, true},
		{` null `, false}, {` "x" `, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, pyTruthy(json.RawMessage(tt.raw)), tt.raw)
	}
}
