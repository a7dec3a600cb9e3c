package pycompat

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
	v, err := Loads(`{"a": "\u00e9\u007f\ud83d\ude00<\"\\\n\t\u0000\u001f\/", "b": [1, 2.50, null, true, false, {}], "": [], "a": -0, "c": 1E2}`, MaxDepth)
	require.Equal(t, OK, err.Kind)
	assert.Equal(t, `{"a": 0, "b": [1, 2.5, null, true, false, {}], "": [], "c": 100.0}`, Dumps(&v))
	v, err = Loads(` "é\u007f😀<\"\\`+"\\n\\t\\u0000\\u001f/"+`" `, MaxDepth)
	require.Equal(t, OK, err.Kind)
	assert.Equal(t, `"\u00e9\u007f\ud83d\ude00<\"\\\n\t\u0000\u001f/"`, Dumps(&v))
}

func TestPyJSONErrors(t *testing.T) {
	cases := []struct {
		in   string
		want ErrKind
	}{
		{`1`, OK}, {` [1, {"a": null}] `, OK}, {`-0.5e-3`, OK},
		{``, Syntax}, {`01`, Syntax}, {`1.`, Syntax}, {`.5`, Syntax}, {`+1`, Syntax},
		{`[1,]`, Syntax}, {`{"a" 1}`, Syntax}, {`"a` + "\n" + `"`, Syntax}, {`"\x"`, Syntax},
		{`"\u12"`, Syntax}, {`tru`, Syntax}, {"\ufeff1", Syntax}, {`1 2`, Syntax},
		{`NaN`, Unrepresentable}, {`[Infinity]`, Unrepresentable}, {`-Infinity`, Unrepresentable},
		{`1e400`, Unrepresentable}, {`"\ud800"`, Unrepresentable}, {`"\udc00\ud800"`, Unrepresentable},
		{`[NaN, 1 2]`, Syntax}, // a later syntax error decides, as in Python
		{strings.Repeat("9", 308), OK}, {strings.Repeat("9", 309), Unrepresentable},
		{strings.Repeat("9", 4300), Unrepresentable}, {strings.Repeat("9", 4301), Fatal}, {"-" + strings.Repeat("9", 4301), Fatal},
		{strings.Repeat("[", 1000) + strings.Repeat("]", 1000), OK},
		{strings.Repeat("[", 1001) + strings.Repeat("]", 1001), Fatal},
	}
	for _, tc := range cases {
		_, err := Loads(tc.in, MaxDepth)
		assert.Equal(t, tc.want, err.Kind, "%.40q", tc.in)
	}
}

func TestPyUnquote(t *testing.T) {
	cases := map[string]string{
		"%E2%82a": "\ufffda", "%F0%80%80": "\ufffd\ufffd\ufffd", "%C3é%A9": "\ufffdé\ufffd",
		"%ED%A0%80": "\ufffd\ufffd\ufffd", "%f0%9f%98": "\ufffd", "%F4%90%80%80": "\ufffd\ufffd\ufffd\ufffd",
		"%C0%AF": "\ufffd\ufffd", "%E0%80%AF": "\ufffd\ufffd\ufffd", "%EF%BF%BD": "\ufffd",
		"%zz%4": "%zz%4", "%": "%", "%%41": "%A", "a+b": "a+b", "%F0%9F%98%80": "😀",
	}
	for in, want := range cases {
		assert.Equal(t, want, Unquote(in), in)
	}
}

func TestPyLower(t *testing.T) {
	assert.Equal(t, "éxample i\u0307 ασ.ας ασα σ", Lower("ÉXAMPLE İ ΑΣ.ΑΣ ΑΣΑ Σ"))
	assert.Equal(t, "abc", Lower("AbC"))
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
		got, ok := IntDigits(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "+", "1.5", "_1", "1_", "1__0", "0x10", "1e3", "²"} {
		_, ok := IntDigits(in)
		assert.False(t, ok, in)
	}
}
