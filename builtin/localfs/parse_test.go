package localfs

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseString parses content in format f, as file path, and returns the
// entries as key -> compact JSON of the value (a .env key's value is the
// array of its definitions) with the lines of the keys, or the error.
func parseString(t *testing.T, f format, path, content string) (map[string]string, map[string]int, error) {
	t.Helper()
	var p problems
	entries := parseFile([]byte(content), f, &p)
	if err := p.err(path); err != nil {
		return nil, nil, err
	}
	vals, lines := map[string]string{}, map[string]int{}
	for i := range entries {
		vals[entries[i].key] = jsonText(&entries[i].val, compactJSON)
		lines[entries[i].key] = lineAt(&p, entries[i].line)
	}
	return vals, lines, nil
}

// lineAt returns the line of position pos as p records it (a byte offset
// after useOffsets, else a line).
func lineAt(p *problems, pos int) int {
	if p.data != nil {
		return lineOf(p.data, pos)
	}
	return pos
}

// parseErrors returns err's problems as "line: message" strings.
func parseErrors(t *testing.T, err error) []string {
	t.Helper()
	var pe *ParseError
	require.True(t, errors.As(err, &pe), "want a *ParseError, got %v", err)
	out := make([]string, len(pe.Errors))
	for i, le := range pe.Errors {
		out[i] = strconv.Itoa(le.Line) + ": " + le.Msg
	}
	return out
}

// Vectors from Airflow's tests: airflow-core/tests/unit/always/
// test_secrets_local_filesystem.py (TestFileParsers, TestLoadVariables,
// TestLoadConfigs), plus our own.
func TestParseDotenv(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    map[string]string // key -> JSON array of its values
		lines   map[string]int
		errs    []string
	}{
		// Airflow's vectors.
		{name: "empty file", content: "", want: map[string]string{}},
		{name: "one key", content: "KEY=AAA", want: map[string]string{"KEY": `["AAA"]`}},
		{name: "two keys", content: "KEY_A=AAA\nKEY_B=BBB", want: map[string]string{"KEY_A": `["AAA"]`, "KEY_B": `["BBB"]`}},
		{name: "indented comment", content: "KEY_A=AAA\n # AAAA\nKEY_B=BBB", want: map[string]string{"KEY_A": `["AAA"]`, "KEY_B": `["BBB"]`}, lines: map[string]int{"KEY_A": 1, "KEY_B": 3}},
		{
			name: "empty lines", content: "\n\n\n\nKEY_A=AAA\n\n\n\n\nKEY_B=BBB\n\n\n",
			want: map[string]string{"KEY_A": `["AAA"]`, "KEY_B": `["BBB"]`}, lines: map[string]int{"KEY_A": 5, "KEY_B": 10},
		},
		{name: "quotes kept", content: `KEY_DICT='{"k1": "val1", "k2": "val2"}'`, want: map[string]string{"KEY_DICT": `["'{\"k1\": \"val1\", \"k2\": \"val2\"}'"]`}},
		{name: "no equal sign", content: "AA", errs: []string{`1: Invalid line format. The line should contain at least one equal sign ("=").`}},
		{name: "empty key", content: "=", errs: []string{"1: Invalid line format. Key is empty."}},
		{name: "empty value", content: "KEY=", errs: []string{"1: Invalid line format. Value is empty."}},
		{name: "repeated key", content: "AA=A\nAA=B", want: map[string]string{"AA": `["A","B"]`}, lines: map[string]int{"AA": 1}},

		// Our own: the line rules in detail.
		{name: "split at the first equal sign", content: "K=a=b==", want: map[string]string{"K": `["a=b=="]`}},
		{name: "no trimming", content: "K = v ", want: map[string]string{"K ": `[" v "]`}},
		{name: "double quotes kept", content: `K="v"`, want: map[string]string{"K": `["\"v\""]`}},
		{name: "export is part of the key", content: "export K=v", want: map[string]string{"export K": `["v"]`}},
		{name: "hash in a value", content: "K=v#not a comment", want: map[string]string{"K": `["v#not a comment"]`}},
		{name: "comment with tabs and NBSP", content: "\t\u00a0\u3000# c\nK=v", want: map[string]string{"K": `["v"]`}, lines: map[string]int{"K": 2}},
		{name: "comment after unit separator", content: "\x1f# c", want: map[string]string{}},
		{name: "not a comment: zero-width space", content: "\u200b# c", errs: []string{`1: ` + msgNoEquals}},
		{name: "whitespace-only line", content: "K=v\n   \nL=w", errs: []string{`2: ` + msgNoEquals}},
		{name: "whitespace key", content: " =v", want: map[string]string{" ": `["v"]`}},
		{name: "whitespace value", content: "K= ", want: map[string]string{"K": `[" "]`}},
		{name: "CRLF", content: "A=1\r\nB=2\r\n", want: map[string]string{"A": `["1"]`, "B": `["2"]`}, lines: map[string]int{"B": 2}},
		{name: "lone CR", content: "A=1\rB=2", want: map[string]string{"A": `["1"]`, "B": `["2"]`}, lines: map[string]int{"B": 2}},
		{
			name:    "Python splitlines breaks",
			content: "A=1\vB=2\fC=3\x1cD=4\x1dE=5\x1eF=6\u0085G=7\u2028H=8\u2029I=9",
			want: map[string]string{
				"A": `["1"]`, "B": `["2"]`, "C": `["3"]`, "D": `["4"]`, "E": `["5"]`,
				"F": `["6"]`, "G": `["7"]`, "H": `["8"]`, "I": `["9"]`,
			},
			lines: map[string]int{"I": 9},
		},
		{name: "BOM skipped", content: "\ufeffK=v", want: map[string]string{"K": `["v"]`}},
		{name: "NUL kept", content: "K=a\x00b", want: map[string]string{"K": `["a\u0000b"]`}},
		{name: "invalid UTF-8", content: "A=1\nB=\xff", errs: []string{"2: The file is not valid UTF-8."}},
		{
			name:    "every error reported",
			content: "A=1\nnope\n=x\nC=\n# fine\nD=4",
			errs: []string{
				"2: " + msgNoEquals,
				"3: " + msgEmptyKey,
				"4: " + msgEmptyValue,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, lines, err := parseString(t, formatEnv, "a.env", tt.content)
			if tt.errs != nil {
				require.Error(t, err)
				assert.Equal(t, tt.errs, parseErrors(t, err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			for k, l := range tt.lines {
				assert.Equal(t, l, lines[k], "line of %s", k)
			}
		})
	}
}

func TestParseJSONFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    map[string]string
		lines   map[string]int
		errs    []string
	}{
		// Airflow's vectors (TestFileParsers.test_json_file_invalid_format).
		{name: "array", content: "[]", errs: []string{"1: " + msgNotObject}},
		{name: "bad key", content: "{AAAAA}", errs: []string{"1: Expecting property name enclosed in double quotes (column 2)."}},
		{name: "empty", content: "", errs: []string{"1: " + msgEmptyFile}},
		{name: "empty object", content: "{}", want: map[string]string{}},
		{name: "strings", content: `{"KEY_A": "AAA", "KEY_B": "BBB"}`, want: map[string]string{"KEY_A": `"AAA"`, "KEY_B": `"BBB"`}},

		// Our own.
		{
			name:    "values and lines",
			content: "{\n  \"s\": \"x\",\n  \"n\": 1,\n  \"f\": 1.50,\n  \"o\": {\"b\": 1, \"a\": [true, null]},\n  \"z\": null\n}",
			want:    map[string]string{"s": `"x"`, "n": "1", "f": "1.5", "o": `{"b":1,"a":[true,null]}`, "z": "null"},
			lines:   map[string]int{"s": 2, "n": 3, "f": 4, "o": 5, "z": 6},
		},
		{name: "numbers as Python reads them", content: `{"a": [-0, 1e2, 1E400, 10000000000000000.0, 0.00001, 123456789012345678901234567890]}`, want: map[string]string{"a": `[0,100.0,Infinity,1e+16,1e-05,123456789012345678901234567890]`}},
		{name: "last duplicate wins", content: "{\"a\": 1,\n\"b\": 2,\n\"a\": 3}", want: map[string]string{"a": "3", "b": "2"}, lines: map[string]int{"a": 3}},
		{name: "CRLF lines", content: "{\r\n\"a\": 1,\r\n\"b\": 2}", want: map[string]string{"a": "1", "b": "2"}, lines: map[string]int{"b": 3}},
		{name: "BOM skipped", content: "\ufeff{\"a\": 1}", want: map[string]string{"a": "1"}},
		{name: "top-level string", content: "\n\n\"x\"", errs: []string{"3: " + msgNotObject}},
		{name: "whitespace only", content: "  \n ", errs: []string{"2: Unexpected end of file (column 2)."}},
		{name: "truncated", content: "{\"a\": 1", errs: []string{"1: Unexpected end of file (column 8)."}},
		{name: "truncated string", content: "{\"a\": \"secret", errs: []string{"1: Unexpected end of file (column 14)."}},
		{name: "extra data", content: "{}\n x", errs: []string{"2: Extra data (column 2)."}},
		{name: "second object", content: "{}{}", errs: []string{"1: Extra data (column 3)."}},
		{name: "trailing comma", content: "{\"a\":\n [1,\n 2,]}", errs: []string{"3: Expecting value (column 4)."}},
		{name: "missing colon", content: `{"a" 1}`, errs: []string{"1: Expecting ':' delimiter (column 6)."}},
		{name: "missing comma", content: "{\"a\": 1\n \"b\": 2}", errs: []string{"2: Expecting ',' delimiter (column 2)."}},
		{name: "array missing comma", content: `{"a": [1 2]}`, errs: []string{"1: Expecting ',' delimiter (column 10)."}},
		{name: "bad literal", content: `{"a": tru}`, errs: []string{"1: Expecting value (column 10)."}},
		{name: "bad escape", content: `{"a": "\q"}`, errs: []string{`1: Invalid \escape (column 9).`}},
		{name: "bad unicode escape", content: `{"a": "\u12x4"}`, errs: []string{`1: Invalid \uXXXX escape (column 12).`}},
		{name: "control character", content: "{\"a\": \"x\x01\"}", errs: []string{"1: Invalid control character in string (column 9)."}},
		{name: "bad number", content: `{"a": -}`, errs: []string{"1: Invalid number (column 8)."}},
		{name: "NaN is not JSON here", content: `{"a": NaN}`, errs: []string{"1: Expecting value (column 7)."}},
		{name: "column counts characters", content: `{"é": x}`, errs: []string{"1: Expecting value (column 7)."}},
		{name: "too deep", content: `{"a": ` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "}", errs: []string{"1: Nested too deeply (column 10006)."}},
		{name: "invalid UTF-8", content: "{\n\"a\": \"\xc3\x28\"}", errs: []string{"2: The file is not valid UTF-8."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, lines, err := parseString(t, formatJSON, "a.json", tt.content)
			if tt.errs != nil {
				require.Error(t, err)
				assert.Equal(t, tt.errs, parseErrors(t, err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			for k, l := range tt.lines {
				assert.Equal(t, l, lines[k], "line of %s", k)
			}
		})
	}
}

func TestParseYAMLFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    map[string]string
		lines   map[string]int
		errs    []string
	}{
		// Airflow's vectors (TestFileParsers.test_yaml_file_invalid_format,
		// TestLoadVariables.test_yaml_file_should_load_variables). PyYAML
		// reports the syntax error below at 0-based line 3.
		{name: "sequence", content: "[]", errs: []string{"1: " + msgNotObject}},
		{name: "syntax error", content: "key:\n  - item1\n  - item2\ninvalid_yaml: }", errs: []string{"4: did not find expected node content."}},
		{name: "empty", content: "", errs: []string{"1: " + msgEmptyFile}},
		{name: "one key", content: "KEY: AAA", want: map[string]string{"KEY": `"AAA"`}},
		{
			name:    "nested",
			content: "\n            KEY:\n                KEY_1:\n                    - item1\n                    - item2\n            ",
			want:    map[string]string{"KEY": `{"KEY_1":["item1","item2"]}`}, lines: map[string]int{"KEY": 2},
		},
		{
			name:    "indented keys",
			content: "\n            KEY_A: AAA\n            KEY_B: BBB\n            ",
			want:    map[string]string{"KEY_A": `"AAA"`, "KEY_B": `"BBB"`}, lines: map[string]int{"KEY_A": 2, "KEY_B": 3},
		},

		// Our own.
		{name: "comments only", content: "# nothing\n", errs: []string{"1: " + msgNotObject}},
		{name: "null document", content: "~\n", errs: []string{"1: " + msgNotObject}},
		{name: "scalar document", content: "\n\nsecret-value\n", errs: []string{"3: " + msgNotObject}},
		{
			name:    "scalars",
			content: "s: x\ni: 12\nh: 0x1F\nf: 1.50\nb: true\nn: null\nt: 2001-12-14\ny: yes\nq: '1'\nbin: !!binary aGVsbG8=\nbig: 1e20\ninf: .inf\n",
			want: map[string]string{
				"s": `"x"`, "i": "12", "h": "31", "f": "1.5", "b": "true", "n": "null", "t": `"2001-12-14"`,
				"y": `"yes"`, "q": `"1"`, "bin": `"hello"`, "big": "1e+20", "inf": "Infinity",
			},
		},
		{name: "non-string keys as written", content: "1: one\ntrue: t\n1.0: f\n", want: map[string]string{"1": `"one"`, "true": `"t"`, "1.0": `"f"`}},
		{name: "last duplicate wins", content: "a: 1\nb: 2\na: 3\n", want: map[string]string{"a": "3", "b": "2"}, lines: map[string]int{"a": 3}},
		{
			name:    "merge keys",
			content: "base: &b {a: 1, b: 2}\nx:\n  c: 3\n  <<: *b\n  a: 9\ny:\n  <<: [{k: 1}, {k: 2, l: 2}]\n",
			want:    map[string]string{"base": `{"a":1,"b":2}`, "x": `{"a":9,"b":2,"c":3}`, "y": `{"k":1,"l":2}`},
		},
		{name: "top-level merge", content: "<<: {a: 1, b: 1}\nb: 2\n", want: map[string]string{"a": "1", "b": "2"}},
		{name: "aliases", content: "a: &x {k: [1, 2]}\nb: *x\n", want: map[string]string{"a": `{"k":[1,2]}`, "b": `{"k":[1,2]}`}, lines: map[string]int{"b": 2}},
		{name: "flow mapping", content: "{a: 1, b: [x, y]}", want: map[string]string{"a": "1", "b": `["x","y"]`}},
		{name: "BOM skipped", content: "\ufeffa: 1", want: map[string]string{"a": "1"}},
		{name: "mapping values not allowed", content: "a: b\nc: d\n  e: f\n", errs: []string{"3: mapping values are not allowed in this context."}},
		{name: "unterminated quote", content: "a: b\nc: \"unterminated\nd: e\n", errs: []string{"2: found unexpected end of stream."}},
		{name: "tab indentation", content: "a: b\n\tc: d\n", errs: []string{"2: found a tab character that violates indentation."}},
		{name: "unclosed flow sequence", content: "a: b\nb: [1, 2\nc: d\n", errs: []string{"2: did not find expected ',' or ']'."}},
		{name: "block entry in a mapping", content: "a: b\nc: d\n- e\n", errs: []string{"3: did not find expected key."}},
		{name: "first-line scanner error", content: "a: @b\n", errs: []string{"1: found character that cannot start any token."}},
		{name: "unknown escape", content: "a: \"\\q\"\n", errs: []string{"1: found unknown escape character."}},
		{name: "control character", content: "a: b\nc: \"x\x01\"\n", errs: []string{"2: control characters are not allowed."}},
		{name: "unknown anchor", content: "a: *x\n", errs: []string{"1: unknown anchor referenced."}},
		{name: "recursive anchor", content: "a: b\nc: &x [*x]\n", errs: []string{"2: " + msgRecursive}},
		{name: "recursive merge", content: "a: &x {<<: *x}\n", errs: []string{"1: " + msgRecursive}},
		{name: "bad merge", content: "a: {<<: 1}\n", errs: []string{"1: " + msgBadMerge}},
		{name: "tag mismatch", content: "a: b\nc: !!int abc\n", errs: []string{"2: " + msgBadScalar}},
		{name: "unknown tag", content: "a: !vault secret/path\n", errs: []string{"1: " + msgUnsupportedTag}},
		{name: "set tag", content: "a: !!set {x: null}\n", errs: []string{"1: " + msgUnsupportedTag}},
		{name: "complex key", content: "? [a, b]\n: c\n", errs: []string{"1: " + msgKeyNotScalar}},
		{name: "two documents", content: "a: b\n---\nc: d\n", errs: []string{"2: expected a single document in the stream, but found another document"}},
		{name: "document end marker", content: "a: b\n...\n", want: map[string]string{"a": `"b"`}},
		{name: "invalid UTF-8", content: "a: b\nc: \xff\n", errs: []string{"2: The file is not valid UTF-8."}},
		{
			name:    "billion laughs",
			content: "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
			errs:    []string{"5: " + msgAliasing},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"a.yaml", "a.yml"} {
				got, lines, err := parseString(t, formatYAML, path, tt.content)
				if tt.errs != nil {
					require.Error(t, err)
					assert.Equal(t, tt.errs, parseErrors(t, err))
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				for k, l := range tt.lines {
					assert.Equal(t, l, lines[k], "line of %s", k)
				}
			}
		})
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		path string
		want format
		ok   bool
	}{
		{"a.env", formatEnv, true},
		{"/etc/x/CONN.ENV", formatEnv, true},
		{".env", formatEnv, true},
		{"dir/.env", formatEnv, true},
		{"a.json", formatJSON, true},
		{"a.Json", formatJSON, true},
		{"a.yaml", formatYAML, true},
		{"a.YML", formatYAML, true},
		{`C:\secrets\a.yml`, formatYAML, true},
		{"a.txt", 0, false},
		{"a", 0, false},
		{"a.", 0, false},
		{"a.env.bak", 0, false},
		{"a.yaml/", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := formatOf(tt.path)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPyFloat(t *testing.T) {
	pointOne, pointTwo := 0.1, 0.2
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{1.5, "1.5"},
		{100, "100.0"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{1e15, "1000000000000000.0"},
		{1e16, "1e+16"},
		{1.5e16, "1.5e+16"},
		{1e100, "1e+100"},
		{pointOne + pointTwo, "0.30000000000000004"},
		{-2.5e-7, "-2.5e-07"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, pyFloat(tt.f), "%v", tt.f)
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct {
		in, compact, python string
	}{
		{"abc", `"abc"`, `"abc"`},
		{"q\"b\\", `"q\"b\\"`, `"q\"b\\"`},
		{"\n\r\t\b\f\x01\x7f", `"\n\r\t\b\f\u0001` + "\x7f\"", `"\n\r\t\b\f\u0001` + "\x7f\""},
		{"é€😀", `"é€😀"`, `"\u00e9\u20ac\ud83d\ude00"`},
		{"<&>", `"<&>"`, `"<&>"`},
		{"a\xffb", "\"a\ufffdb\"", `"a\ufffdb"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.compact, string(appendJSONString(nil, tt.in, false)), "%q", tt.in)
		assert.Equal(t, tt.python, string(appendJSONString(nil, tt.in, true)), "%q", tt.in)
	}
}

func TestPythonJSONLayout(t *testing.T) {
	var p problems
	entries := parseFile([]byte(`{"x": {"b": [1, 2.0, {"c": null}], "a": "é", "t": true}}`), formatJSON, &p)
	require.True(t, p.empty())
	require.Len(t, entries, 1)
	assert.Equal(t, `{"b": [1, 2.0, {"c": null}], "a": "\u00e9", "t": true}`, jsonText(&entries[0].val, pythonJSON))
	assert.Equal(t, `{"b":[1,2.0,{"c":null}],"a":"é","t":true}`, jsonText(&entries[0].val, compactJSON))
}

func TestLineOf(t *testing.T) {
	data := []byte("a\nb\r\nc\rd")
	tests := []struct{ off, line, col int }{
		{0, 1, 1}, {1, 1, 2}, {2, 2, 1}, {3, 2, 2}, {4, 2, 1}, {5, 3, 1}, {6, 3, 2}, {7, 4, 1}, {8, 4, 2}, {99, 4, 2},
	}
	var c lineCounter
	c.data = data
	for _, tt := range tests {
		assert.Equal(t, tt.line, lineOf(data, tt.off), "lineOf(%d)", tt.off)
		assert.Equal(t, tt.line, c.at(tt.off), "lineCounter.at(%d)", tt.off)
		assert.Equal(t, tt.col, columnOf(data, tt.off), "columnOf(%d)", tt.off)
	}
}

func TestParseErrorFormat(t *testing.T) {
	var p problems
	p.add(3, "third")
	p.add(1, "first")
	p.add(0, "clamped to line 1")
	err := p.err("dir/conn.env")
	assert.EqualError(t, err, "dir/conn.env:1: first\ndir/conn.env:1: clamped to line 1\ndir/conn.env:3: third")

	var many problems
	for i := range MaxReportedErrors + 5 {
		many.add(i+1, "x")
	}
	err = many.err("f.env")
	var pe *ParseError
	require.True(t, errors.As(err, &pe))
	assert.Len(t, pe.Errors, MaxReportedErrors)
	assert.Equal(t, 5, pe.Omitted)
	assert.True(t, strings.HasSuffix(err.Error(), "\nf.env: and 5 more problem(s)"))

	var none problems
	assert.NoError(t, none.err("x"))
}
