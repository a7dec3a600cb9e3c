package connection

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected values in this file were printed by CPython 3.11.

func TestPyFloatRepr(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{1, "1.0"}, {0.1, "0.1"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"},
		{1234567890123456.7, "1234567890123456.8"}, {0.0001, "0.0001"}, {0.00001, "1e-05"},
		{1e22, "1e+22"}, {math.Copysign(0, -1), "-0.0"}, {0, "0.0"}, {5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"}, {123.456, "123.456"}, {1e-7, "1e-07"},
		{2.5e-5, "2.5e-05"}, {100, "100.0"}, {-1.5e100, "-1.5e+100"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, string(appendPyFloat(nil, tc.f)), "%v", tc.f)
	}
}

func TestPyDumps(t *testing.T) {
	v, err := parsePyJSON(`{"a": "\u00e9\u007f\ud83d\ude00<\"\\\n\t\u0000\u001f\/", "b": [1, 2.50, null, true, false, {}], "": [], "a": -0, "c": 1E2}`, jsonMaxDepth)
	require.Equal(t, jsonOK, err.kind)
	assert.Equal(t, `{"a": 0, "b": [1, 2.5, null, true, false, {}], "": [], "c": 100.0}`, pyDumps(&v))
	v, err = parsePyJSON(` "é\u007f😀<\"\\`+"\\n\\t\\u0000\\u001f/"+`" `, jsonMaxDepth)
	require.Equal(t, jsonOK, err.kind)
	assert.Equal(t, `"\u00e9\u007f\ud83d\ude00<\"\\\n\t\u0000\u001f/"`, pyDumps(&v))
}

func TestPyJSONErrors(t *testing.T) {
	cases := []struct {
		in   string
		want jsonErrKind
	}{
		{`1`, jsonOK}, {` [1, {"a": null}] `, jsonOK}, {`-0.5e-3`, jsonOK},
		{``, jsonSyntax}, {`01`, jsonSyntax}, {`1.`, jsonSyntax}, {`.5`, jsonSyntax}, {`+1`, jsonSyntax},
		{`[1,]`, jsonSyntax}, {`{"a" 1}`, jsonSyntax}, {`"a` + "\n" + `"`, jsonSyntax}, {`"\x"`, jsonSyntax},
		{`"\u12"`, jsonSyntax}, {`tru`, jsonSyntax}, {"\ufeff1", jsonSyntax}, {`1 2`, jsonSyntax},
		{`NaN`, jsonUnrepresentable}, {`[Infinity]`, jsonUnrepresentable}, {`-Infinity`, jsonUnrepresentable},
		{`1e400`, jsonUnrepresentable}, {`"\ud800"`, jsonUnrepresentable}, {`"\udc00\ud800"`, jsonUnrepresentable},
		{`[NaN, 1 2]`, jsonSyntax}, // a later syntax error decides, as in Python
		{strings.Repeat("9", 308), jsonOK}, {strings.Repeat("9", 309), jsonUnrepresentable},
		{strings.Repeat("9", 4300), jsonUnrepresentable}, {strings.Repeat("9", 4301), jsonFatal}, {"-" + strings.Repeat("9", 4301), jsonFatal},
		{strings.Repeat("[", 1000) + strings.Repeat("]", 1000), jsonOK},
		{strings.Repeat("[", 1001) + strings.Repeat("]", 1001), jsonFatal},
	}
	for _, tc := range cases {
		_, err := parsePyJSON(tc.in, jsonMaxDepth)
		assert.Equal(t, tc.want, err.kind, "%.40q", tc.in)
	}
}

// TestNestingLimits: what parses at one level parses again one level down,
// so the URI and RevealedJSON round trips hold at the limits.
func TestNestingLimits(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("%5B", n) + strings.Repeat("%5D", n) }
	c, err := ParseURI("x", "t://h?a="+nest(queryValueMaxDepth))
	require.NoError(t, err)
	checkParsed(t, c)
	_, err = ParseURI("x", "t://h?a="+nest(queryValueMaxDepth+1))
	assert.ErrorContains(t, err, "extra: a query value is JSON with an integer of more than 4300 digits or nesting too deep")
}

func TestPyUnquote(t *testing.T) {
	cases := map[string]string{
		"%E2%82a": "\ufffda", "%F0%80%80": "\ufffd\ufffd\ufffd", "%C3é%A9": "\ufffdé\ufffd",
		"%ED%A0%80": "\ufffd\ufffd\ufffd", "%f0%9f%98": "\ufffd", "%F4%90%80%80": "\ufffd\ufffd\ufffd\ufffd",
		"%C0%AF": "\ufffd\ufffd", "%E0%80%AF": "\ufffd\ufffd\ufffd", "%EF%BF%BD": "\ufffd",
		"%zz%4": "%zz%4", "%": "%", "%%41": "%A", "a+b": "a+b", "%F0%9F%98%80": "😀",
	}
	for in, want := range cases {
		assert.Equal(t, want, pyUnquote(in), in)
	}
}

func TestPyLower(t *testing.T) {
	assert.Equal(t, "éxample i\u0307 ασ.ας ασα σ", pyLower("ÉXAMPLE İ ΑΣ.ΑΣ ΑΣΑ Σ"))
	assert.Equal(t, "abc", pyLower("AbC"))
}

func TestPyIPv6(t *testing.T) {
	valid := []string{"::1", "::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "fe80::1%eth0", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "ABCD::"}
	invalid := []string{"", "1", "1:2", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "12345::", "g::", "::1%", "::1%a%b", "::01.2.3.4", "::1.2.3.256", "1.2.3.4", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "::1/64"}
	for _, s := range valid {
		assert.True(t, isPyIPv6(s), s)
	}
	for _, s := range invalid {
		assert.False(t, isPyIPv6(s), s)
	}
}

func TestPyIntString(t *testing.T) {
	valid := map[string]string{"1": "1", " +5_432 ": "5432", "-0": "-0", "٨٠": "80", "\u3000７\t": "7"}
	for in, want := range valid {
		got, ok := pyIntString(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "+", "1.5", "_1", "1_", "1__0", "0x10", "1e3", "²"} {
		_, ok := pyIntString(in)
		assert.False(t, ok, in)
	}
}
