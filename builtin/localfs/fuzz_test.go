package localfs

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/secretpath/secretpath/resolver"
)

// marker is the secret the fuzz seeds plant in values. It may show up in
// an error only as part of a key (an id or a field name), which messages may
// name.
const marker = "S3CR3T"

var fuzzKinds = []resolver.Kind{resolver.KindConnection, resolver.KindVariable, resolver.KindConfig}

// checkFile parses data in format f for every kind and checks: no panic,
// every problem on a line of its own with a line number in range, no
// message containing the marker outside a key, and the one-pass reading of
// JSON and .env files (parseKindFast) giving what reading the whole file
// first gives.
//
// With LOCALFS_FUZZ_WATCHDOG set, an input taking over 10 s fails (to tell a
// slow input from the fuzzer's own pauses while it minimises).
func checkFile(t *testing.T, data []byte, f format) {
	if os.Getenv("LOCALFS_FUZZ_WATCHDOG") != "" {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("slow input (%v): %q", d, data)
			}
		}()
	}
	var p problems
	keys := allKeys(parseFile(bytes.Clone(data), f, &p)) // a parse owns its data
	checkFastPath(t, data, f)
	for _, kind := range fuzzKinds {
		own := bytes.Clone(data)
		conns, values, err := parseKind(own, f, kind, "f")
		if err == nil {
			checkOwnMemory(t, own, conns, values)
			if kind == resolver.KindConnection {
				checkConnections(t, data, f, conns)
			}
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: not a *ParseError: %v", kind, err)
		}
		if len(pe.Errors) == 0 {
			t.Fatalf("%s: a ParseError without problems", kind)
		}
		for _, le := range pe.Errors {
			if le.Line < 1 || le.Line > len(data)+1 {
				t.Fatalf("%s: line %d out of range: %q", kind, le.Line, le.Msg)
			}
			if strings.ContainsAny(le.Msg, "\n\r") {
				t.Fatalf("%s: message spans lines: %q", kind, le.Msg)
			}
			msg := le.Msg
			for _, k := range keys { // longest first
				msg = strings.ReplaceAll(msg, strconv.Quote(k), "")
				msg = strings.ReplaceAll(msg, showKey(k), "")
			}
			if strings.Contains(msg, marker) {
				t.Fatalf("%s: message quotes a value: %q", kind, le.Msg)
			}
		}
	}
}

// checkOwnMemory fails when a string a parse returned, map keys included,
// points into the file's bytes: a caller keeping it would keep the whole
// file (see bytesString).
func checkOwnMemory(t *testing.T, data []byte, conns *connTable, values map[string]string) {
	t.Helper()
	if len(data) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	check := func(what, s string) {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); p >= lo && p < lo+uintptr(len(data)) {
			t.Fatalf("%s %q points into the file's bytes", what, s)
		}
	}
	for k, e := range conns.all() {
		c := e.conn
		check("key", k)
		check("value", e.value)
		for _, s := range []string{c.ConnID, c.ConnType, c.Description, c.Host, c.Schema, c.Login, c.Password.Reveal(), c.Extra} {
			check("field", s)
		}
	}
	for k, v := range values {
		check("key", k)
		check("value", v)
	}
}

// checkConnections holds the connections of a file that parsed, as the
// table gives them back from their records, to what the connection package
// makes of each entry (wantConnection): the same ids, and the same
// connections down to their unexported state.
func checkConnections(t *testing.T, data []byte, f format, conns *connTable) {
	t.Helper()
	var p problems
	want := map[string]connEntry{}
	for _, m := range parseFile(bytes.Clone(data), f, &p) {
		v := &m.val
		if v.kind == vArray {
			if len(v.elems) == 0 {
				delete(want, m.key)
				continue
			}
			v = &v.elems[len(v.elems)-1]
		}
		if e, ok := wantConnection(t, m.key, v); ok {
			want[m.key] = e
		} else {
			delete(want, m.key)
		}
	}
	got := maps.Collect(conns.all())
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("connections read back from their records differ from the parser's:\n got %#v\nwant %#v", got, want)
	}
}

// allKeys returns every key containing the marker, at every level, longest
// first.
func allKeys(members []member) []string {
	var keys []string
	var walk func(v *value)
	walk = func(v *value) {
		for i := range v.elems {
			walk(&v.elems[i])
		}
		for i := range v.members {
			if strings.Contains(v.members[i].key, marker) {
				keys = append(keys, v.members[i].key)
			}
			walk(&v.members[i].val)
		}
	}
	walk(&value{kind: vObject, members: members})
	slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
	return keys
}

func FuzzParseDotenv(f *testing.F) {
	for _, s := range []string{
		"", "KEY=AAA", "KEY_A=AAA\nKEY_B=BBB", "KEY_A=AAA\n # AAAA\nKEY_B=BBB",
		"\n\n\n\nKEY_A=AAA\n\n\n\n\nKEY_B=BBB\n\n\n", `KEY_DICT='{"k1": "val1", "k2": "val2"}'`,
		"AA", "=", "KEY=", "AA=A\nAA=B",
		"CONN_ID=mysql://host_1/?param1=val1&param2=val2",
		"A=" + marker + "\n" + marker + "\n=" + marker + "\nC=" + marker,
		"C=mysql://u:" + marker + "@h:" + marker + "/s",
		"C=mysql://u:" + marker + "@h:99999/s?__extra__=" + marker,
		`C={"conn_type": "x", "password": "` + marker + `", "port": "` + marker + `"}`,
		`C={"conn_type": "x", "extra": "` + marker + `"}`,
		"C=x://a://b://" + marker,
		"A=1\r\nB=2\rC=3\vD=4\u2028E=5\x1cF=6",
		"\ufeffA=1", "A=\xff" + marker, "\t\u00a0# " + marker,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFile(t, data, formatEnv)
	})
}

func FuzzParseJSONFile(f *testing.F) {
	for _, s := range []string{
		"", "[]", "{AAAAA}", "{}", `{"KEY_A": "AAA", "KEY_B": "BBB"}`,
		`{"": "v", "k": ""}`, // "" + s is s itself: still in the file (checkOwnMemory)
		`{"CONN_ID": ["mysql://host_1"]}`, `{"CONN_ID": {"uri": "mysql://host_1"}}`, `{"CONN_ID": [{"uri": "mysql://host_1"}]}`,
		`{"CONN_ID": null}`, `{"CONN_ID": 1}`, `{"CONN_ID": [2]}`, `{"CONN_ID": {"AAA": "mysql://host_1"}}`,
		`{"CONN_ID": {"conn_id": "BBBB"}}`, `{"CONN_ID": ["mysql://", "mysql://"]}`,
		`{"a": "` + marker, `{"a": ` + marker + `}`, `{"a": "` + marker + `\q"}`, `{"a": "` + marker + "\x01" + `"}`,
		`{"a": {"conn_id": "` + marker + `"}, "b": {"password": "` + marker + `", "port": "` + marker + `", "conn_type": "x"}}`,
		`{"c": {"extra": "` + marker + `", "conn_type": "x"}, "d": {"uri": "` + marker + `://x", "password": "` + marker + `"}}`,
		`{"e": {"uri": "x://u:` + marker + `@h:` + marker + `"}, "f": {"conn_type": "x", "extra": ["` + marker + `"]}}`,
		`{"g": ["` + marker + `", "` + marker + `"], "h": [1, "` + marker + `"], "i": {"conn_type": "x", "extra_dejson": "` + marker + `"}}`,
		`{"j": {"conn_type": "x", "extra_dejson": {"k": [1.5, 1e400, -0, null, true]}, "port": 1e3}}`,
		"{\"a\":\n [1,\n 2,]}", `{"a": 1, "a": 2}`, "\ufeff{}", `{"` + marker + `": {"` + marker + `": 1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkJSONReader(t, data)
		checkFile(t, data, formatJSON)
	})
}

func FuzzParseYAMLFile(f *testing.F) {
	for _, s := range []string{
		"", "[]", "KEY: AAA", "key:\n  - item1\n  - item2\ninvalid_yaml: }",
		"\n            KEY:\n                KEY_1:\n                    - item1\n                    - item2\n            ",
		"conn_a: mysql://hosta\nconn_b:\n  conn_type: scheme\n  host: host\n  password: None\n  port: 1234\n  extra_dejson:\n    arbitrary_dict:\n      a: b\n",
		"conn_c:\n   conn_type: scheme\n   extra:\n     abc: xyz\n   extra_dejson:\n     aws_conn_id: bbb\n",
		"conn_a:\n  - mysql://hosta\n  - mysql://hostb",
		"a: !!int " + marker + "\n", "a: *" + marker + "\n", "a: \"" + marker + "\\q\"\n",
		"a: " + marker + "\n  b: " + marker + "\n", "a: !" + marker + " " + marker + "\n",
		"a: &" + marker + " [*" + marker + "]\n", "a: " + marker + "\n---\nb: " + marker + "\n",
		"a: [" + marker + ", " + marker + "\n", "a: \"" + marker + "\x01\"\n", marker + "\n",
		"a: {b: " + marker + "}\nc:\n  password: " + marker + "\n  port: " + marker + "\n  conn_type: x\n",
		"a: !!binary " + marker + "\n", "a: '" + marker + "\n", "%TAG !e! tag:" + marker + ":\n---\na: !e!x b\n",
		"base: &b {a: 1, b: 2}\nx:\n  c: 3\n  <<: *b\n  a: 9\ny:\n  <<: [*b, {k: 1}]\n",
		"a: &a [x,x,x]\nb: &b [*a,*a,*a]\nc: [*b,*b,*b]\n", "? [a, b]\n: c\n", "1: one\ntrue: t\n~: n\n",
		"a: |\n  " + marker + "\n b: " + marker + "\n", "a: b\n\t" + marker + ": c\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFile(t, data, formatYAML)
	})
}
