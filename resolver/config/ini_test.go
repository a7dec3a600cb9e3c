package config

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cfgPlanted is a value every error case below carries somewhere; no error
// message may contain it.
const cfgPlanted = "s3cr3t-PLANTED"

// iniValues returns every option each section reads (its own and those it
// inherits from [DEFAULT]), interpolated, as configparser's get would.
func iniValues(f *iniFile) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, s := range f.order {
		m := map[string]string{}
		for _, o := range append(append([]*iniOption{}, f.defaults.order...), s.order...) {
			v, _, ok := f.get(s.name, o.key)
			if ok {
				m[o.key] = v
			}
		}
		out[s.name] = m
	}
	return out
}

type iniSections = map[string]map[string]string

func TestParseINI(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want iniSections
	}{
		{"empty", "", iniSections{}},
		{"only comments and blanks", "# a\n; b\n\n   \n", iniSections{}},
		{"equals and colon", "[s]\na = 1\nb: 2\nc=3\nd:4", iniSections{"s": {"a": "1", "b": "2", "c": "3", "d": "4"}}},
		{"split at the first delimiter", "[s]\na = b: c\nd: e = f\nurl = postgresql://u:p@h/db",
			iniSections{"s": {"a": "b: c", "d": "e = f", "url": "postgresql://u:p@h/db"}}},
		{"keys lower-cased and trimmed, values trimmed", "[s]\n  Backend_KWARGS   =   v v  \n",
			iniSections{"s": {"backend_kwargs": "v v"}}},
		{"key with inner spaces", "[s]\nkey with spaces = v", iniSections{"s": {"key with spaces": "v"}}},
		{"empty value", "[s]\na =\nb:", iniSections{"s": {"a": "", "b": ""}}},
		{"full-line comments at any indentation", "[s]\n# c\n  ; c\n\t# c\na = 1", iniSections{"s": {"a": "1"}}},
		{"inline comments are part of the value", "[s]\na = 1 # not a comment\nb = x ; y",
			iniSections{"s": {"a": "1 # not a comment", "b": "x ; y"}}},
		{"continuation lines", "[s]\nkw = {\n    \"a\": 1,\n  \"b\": 2\n  }\nnext = n",
			iniSections{"s": {"kw": "{\n\"a\": 1,\n\"b\": 2\n}", "next": "n"}}},
		{"continuation after an empty first line", "[s]\nkw =\n  {\"a\": 1}\n", iniSections{"s": {"kw": "\n{\"a\": 1}"}}},
		{"continuation is relative to the key's indentation", "[s]\n  a = 1\n  b = 2\n   c\n",
			iniSections{"s": {"a": "1", "b": "2\nc"}}},
		{"tab indents a continuation", "[s]\na = 1\n\tmore", iniSections{"s": {"a": "1\nmore"}}},
		{"blank lines inside a value are kept", "[s]\na = 1\n\n  2\n\n\n  3\n", iniSections{"s": {"a": "1\n\n2\n\n\n3"}}},
		{"trailing blank lines are dropped", "[s]\na = 1\n  2\n\n\n[t]\nb = 3\n\n",
			iniSections{"s": {"a": "1\n2"}, "t": {"b": "3"}}},
		{"blank line then deeper line still continues", "[s]\nbackend = vault\n\n  x = y\n",
			iniSections{"s": {"backend": "vault\n\nx = y"}}},
		{"comment lines inside a value are dropped", "[s]\na = 1\n  # c\n# c\n  2", iniSections{"s": {"a": "1\n2"}}},
		{"indented line after a header is an option", "[s]\n  a = 1\n", iniSections{"s": {"a": "1"}}},
		{"indented section header", "[s]\na = 1\n[t]\n b = 2\n  [u]\nc = 3",
			iniSections{"s": {"a": "1"}, "t": {"b": "2\n[u]", "c": "3"}}},
		{"header text after ] is ignored", "[s] ; note\na = 1", iniSections{"s": {"a": "1"}}},
		{"header runs to the last ]", "[a]]\nk = v\n[b] x]\nk = w", iniSections{"a]": {"k": "v"}, "b] x": {"k": "w"}}},
		{"[] does not start a header", "[s]\n[]x = 1\n[x = 2", iniSections{"s": {"[]x": "1", "[x": "2"}}},
		{"section names are case-sensitive and kept as written", "[S]\nk = 1\n[s]\nk = 2\n[ t ]\nk = 3",
			iniSections{"S": {"k": "1"}, "s": {"k": "2"}, " t ": {"k": "3"}}},
		{"[default] is an ordinary section", "[default]\nk = 1", iniSections{"default": {"k": "1"}}},
		{"DEFAULT is inherited and overridden", "[DEFAULT]\na = 1\nb = 2\n[s]\nb = 3\n[t]\n",
			iniSections{"s": {"a": "1", "b": "3"}, "t": {"a": "1", "b": "2"}}},
		{"DEFAULT may repeat", "[DEFAULT]\na = 1\n[s]\n[DEFAULT]\nb = 2", iniSections{"s": {"a": "1", "b": "2"}}},
		{"UTF-8 BOM", "\ufeff[s]\na = 1", iniSections{"s": {"a": "1"}}},
		{"CRLF", "[s]\r\na = 1\r\nb = {\r\n  2\r\n  }\r\n", iniSections{"s": {"a": "1", "b": "{\n2\n}"}}},
		{"CR", "[s]\ra = 1\r  2\r", iniSections{"s": {"a": "1\n2"}}},
		{"unicode spaces are trimmed and indent like Python's", "[s]\na =\u00a0v\u3000\n\x1cb = w\nc = x", iniSections{"s": {"a": "v\nb = w", "c": "x"}}},
		{"%% is a literal %", "[s]\na = 100%%\nb = %%(a)s", iniSections{"s": {"a": "100%", "b": "%(a)s"}}},
		{"reference in the same section", "[s]\nhost = h\nurl = http://%(host)s:8080", iniSections{"s": {"host": "h", "url": "http://h:8080"}}},
		{"reference names are case-insensitive", "[s]\nhost = h\nurl = %(HOST)s", iniSections{"s": {"host": "h", "url": "h"}}},
		{"reference to [DEFAULT]", "[DEFAULT]\nhome = /opt\n[s]\np = %(home)s/x", iniSections{"s": {"home": "/opt", "p": "/opt/x"}}},
		{"DEFAULT value read in each section's context", "[DEFAULT]\np = %(home)s/x\n[s]\nhome = /a\n[t]\nhome = /b",
			iniSections{"s": {"p": "/a/x", "home": "/a"}, "t": {"p": "/b/x", "home": "/b"}}},
		{"nested references", "[s]\na = 1\nb = %(a)s%(a)s\nc = <%(b)s|%%>", iniSections{"s": {"a": "1", "b": "11", "c": "<11|%>"}}},
		{"reference spanning lines", "[s]\na = x\n  y\nb = [%(a)s]", iniSections{"s": {"a": "x\ny", "b": "[x\ny]"}}},
		{"ten levels deep", iniChain(9, "x"), iniChainWant(9, "x")},
		{"DEFAULT-only options are not read", "[DEFAULT]\na = %(missing)s", iniSections{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseINI("airflow.cfg", []byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, iniValues(f))
		})
	}
}

// chain returns a section whose k0 references k1 ... references kn = leaf:
// reading k0 recurses n+1 levels when the leaf holds a "%".
func iniChain(n int, leaf string) string {
	var b strings.Builder
	b.WriteString("[s]\n")
	for i := range n {
		b.WriteString("k" + strconv.Itoa(i) + " = %(k" + strconv.Itoa(i+1) + ")s\n")
	}
	b.WriteString("k" + strconv.Itoa(n) + " = " + leaf + "\n")
	return b.String()
}

func iniChainWant(n int, leaf string) iniSections {
	m := map[string]string{}
	for i := range n + 1 {
		m["k"+strconv.Itoa(i)] = leaf
	}
	return iniSections{"s": m}
}

func TestParseINIErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"option before any section", "a = " + cfgPlanted, "airflow.cfg:1: option before any [section] header"},
		{"option after comments before any section", "# c\n\n  " + cfgPlanted + " = x", "airflow.cfg:3: option before any [section] header"},
		{"key with no delimiter", "[s]\na = 1\n" + cfgPlanted, `airflow.cfg:3: line is neither a [section] header nor a "key = value" option`},
		{"empty header is not a header", "[s]\n[]", `airflow.cfg:2: line is neither a [section] header nor a "key = value" option`},
		{"empty key", "[s]\n = " + cfgPlanted, `airflow.cfg:2: [s]: option with an empty name before "="/":"`},
		{"duplicate section", "[s]\na = " + cfgPlanted + "\n\n[s]", "airflow.cfg:4: [s]: duplicate section (first on line 1)"},
		{"duplicate key", "[s]\na = 1\nA = " + cfgPlanted, "airflow.cfg:3: [s] a: duplicate option (first on line 2)"},
		{"duplicate key in two DEFAULT blocks", "[DEFAULT]\na = 1\n[s]\n[DEFAULT]\na = " + cfgPlanted,
			"airflow.cfg:5: [DEFAULT] a: duplicate option (first on line 2)"},
		{"invalid UTF-8", "[s]\na = " + cfgPlanted + "\xff", "airflow.cfg:2: invalid UTF-8"},
		{"lone %", "[s]\nk = " + cfgPlanted + " 50%", `airflow.cfg:2: [s] k: bad interpolation syntax: "%" must be followed by "%" or "(name)s"`},
		{"% at the end", "[s]\nk = %", `airflow.cfg:2: [s] k: bad interpolation syntax: "%" must be followed by "%" or "(name)s"`},
		{"unterminated reference", "[s]\nk = %(a " + cfgPlanted, `airflow.cfg:2: [s] k: bad interpolation syntax: "%" must be followed by "%" or "(name)s"`},
		{"empty reference", "[s]\nk = %()s", `airflow.cfg:2: [s] k: bad interpolation syntax: "%" must be followed by "%" or "(name)s"`},
		{"reference without s", "[s]\na = 1\nk = %(a)d", `airflow.cfg:3: [s] k: bad interpolation syntax: "%" must be followed by "%" or "(name)s"`},
		{"bad syntax on a continuation line", "[secrets]\nbackend_kwargs = {\n  \"a\": \"%%\",\n  \"b\": \"" + cfgPlanted + "%\"\n  }",
			`airflow.cfg:4: [secrets] backend_kwargs: bad interpolation syntax: "%" must be followed by "%" or "(name)s"`},
		{"bad syntax in DEFAULT", "[DEFAULT]\nk = 5%", `airflow.cfg:2: [DEFAULT] k: bad interpolation syntax: "%" must be followed by "%" or "(name)s"`},
		{"missing reference", "[s]\nk = " + cfgPlanted + "%(nope)s", "airflow.cfg:2: [s] k: bad interpolation: reference to a missing option"},
		{"missing reference on a continuation line", "[s]\nk = a\n  b %(nope)s", "airflow.cfg:3: [s] k: bad interpolation: reference to a missing option"},
		{"missing reference inside a referenced option", "[s]\na = %(b)s\nb = x%(nope)s", "airflow.cfg:3: [s] b: bad interpolation: reference to a missing option"},
		{"reference another section cannot see", "[s]\nsecret = " + cfgPlanted + "\n[t]\nk = %(secret)s",
			"airflow.cfg:4: [t] k: bad interpolation: reference to a missing option"},
		{"DEFAULT value missing a reference in one section", "[DEFAULT]\np = %(home)s\n[s]\nhome = /a\n[t]\n",
			"airflow.cfg:2: [t] p (from [DEFAULT]): bad interpolation: reference to a missing option"},
		{"reference loop", "[s]\na = %(b)s\nb = %(a)s", "airflow.cfg:2: [s] a: interpolation nests more than 10 levels deep"},
		{"self reference", "[s]\na = " + cfgPlanted + "%(a)s", "airflow.cfg:2: [s] a: interpolation nests more than 10 levels deep"},
		{"eleven levels deep", iniChain(10, "%%"), "airflow.cfg:2: [s] k0: interpolation nests more than 10 levels deep"},
		{"too long", "[s]\na = " + strings.Repeat("x", 1024) + "\nb = " + strings.Repeat("%(a)s", 1024) + "\nc = %(b)s%(b)s",
			"airflow.cfg:4: [s] c: interpolated value is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseINI("airflow.cfg", []byte(tt.in))
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			assert.True(t, errors.Is(err, ErrInvalid))
			assert.NotContains(t, err.Error(), cfgPlanted)
		})
	}
}

func TestParseINIDepthLimit(t *testing.T) {
	// Reading k0 recurses once per referenced value holding a "%": a leaf
	// without one adds no level, a leaf with one does (configparser).
	for _, tt := range []struct {
		n    int
		leaf string
		ok   bool
	}{
		{9, "x", true}, {10, "x", true}, {11, "x", false},
		{8, "%%", true}, {9, "%%", true}, {10, "%%", false},
	} {
		_, err := parseINI("f", []byte(iniChain(tt.n, tt.leaf)))
		assert.Equal(t, tt.ok, err == nil, "n=%d leaf=%q: %v", tt.n, tt.leaf, err)
	}
}

func TestParseINIReferenceFanOut(t *testing.T) {
	// Ten levels of ten references each would be 10^10 expansions without
	// memoisation; the result is small, so it must load at once.
	var b strings.Builder
	b.WriteString("[s]\nk10 = x\n")
	for i := 9; i >= 0; i-- {
		b.WriteString("k" + strconv.Itoa(i) + " = " + strings.Repeat("%(k"+strconv.Itoa(i+1)+")s", 10) + "%%\n")
	}
	_, err := parseINI("f", []byte(b.String()))
	require.Error(t, err) // 10^10 bytes: too long, found without expanding
	assert.Contains(t, err.Error(), "too long")

	f, err := parseINI("f", []byte("[s]\nz =\nk3 = %(z)s%%\n"+
		"k2 = "+strings.Repeat("%(k3)s", 50)+"\nk1 = "+strings.Repeat("%(k2)s", 50)+"\nk0 = "+strings.Repeat("%(k1)s", 50)))
	require.NoError(t, err)
	v, _, ok := f.get("s", "k0")
	require.True(t, ok)
	assert.Equal(t, strings.Repeat("%", 50*50*50), v)
}

func TestDisplayName(t *testing.T) {
	assert.Equal(t, "secrets", displayName("secrets"))
	assert.Equal(t, `"a b"`, displayName("a b"))
	assert.Equal(t, `"a]"`, displayName("a]"))
	assert.Equal(t, `"\x1c"`, displayName("\x1c"))
	assert.Equal(t, `""`, displayName(""))
}
