package localfs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/secretpath/secretpath/resolver"
)

// The reference the JSON reader is held to: the json.Decoder.Token walker
// that read JSON files before it (kept here, unchanged), and encoding/json's
// verdict on validity.

// tokenMembers reads valid JSON data (an object) with the old walker: lines
// are lines.
func tokenMembers(data []byte) ([]member, error) {
	w := jsonWalker{dec: json.NewDecoder(bytes.NewReader(data)), lines: lineCounter{data: data}}
	w.dec.UseNumber()
	root, err := w.value()
	if err != nil {
		return nil, err
	}
	if root.kind != vObject {
		return nil, fmt.Errorf("not an object")
	}
	return root.members, nil
}

// withLines returns members with their offsets turned into lines.
func withLines(data []byte, ms []member) []member {
	if ms == nil {
		return nil
	}
	out := make([]member, len(ms))
	for i, m := range ms {
		out[i] = member{key: m.key, line: lineOf(data, m.line), val: valueWithLines(data, m.val)}
	}
	return out
}

func valueWithLines(data []byte, v value) value {
	v.line = lineOf(data, v.line)
	if v.elems != nil {
		elems := make([]value, len(v.elems))
		for i := range v.elems {
			elems[i] = valueWithLines(data, v.elems[i])
		}
		v.elems = elems
	}
	if v.members != nil {
		v.members = withLines(data, v.members)
	}
	return v
}

// checkJSONReader holds validJSON and jsonReader to encoding/json on data.
func checkJSONReader(t *testing.T, data []byte) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		return
	}
	n, ok := validJSON(data)
	if want := json.Valid(data); ok != want {
		t.Fatalf("validJSON says %v, encoding/json %v: %q", ok, want, data)
	}
	if !ok {
		return
	}
	want, err := tokenMembers(data)
	if err != nil {
		return // not an object
	}
	var p problems
	got := parseJSONFile(bytes.Clone(data), &p)
	if !p.empty() {
		t.Fatalf("problems on valid JSON: %v", p.err("f"))
	}
	if got := withLines(data, got); !reflect.DeepEqual(got, want) {
		t.Fatalf("the reader and the token walker differ on %q:\n got %#v\nwant %#v", data, got, want)
	}
	// Every member counted, repeated keys too.
	count := 0
	r := jsonReader{s: string(data)}
	r.space()
	r.members(func(string, int, value) bool { count++; return true })
	if count != n {
		t.Fatalf("validJSON counted %d members, the reader read %d: %q", n, count, data)
	}
}

// checkFastPath holds parseKindFast to parseKindWhole: the same maps, or the
// same error, for every kind.
func checkFastPath(t *testing.T, data []byte, f format) {
	for _, kind := range fuzzKinds {
		wc, wv, werr := parseKindWhole(bytes.Clone(data), f, kind, "f")
		gc, gv, gerr, ok := parseKindFast(bytes.Clone(data), f, kind, "f")
		if !ok {
			continue
		}
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("%s: fast path error %q, whole-file path %q: %q", kind, gerr, werr, data)
		}
		if !reflect.DeepEqual(maps.Collect(gc.all()), maps.Collect(wc.all())) || !reflect.DeepEqual(gv, wv) {
			t.Fatalf("%s: fast path and whole-file path differ on %q", kind, data)
		}
	}
}

func TestJSONReaderVectors(t *testing.T) {
	for _, s := range []string{
		`{}`, `{"a": 1}`, `{"a": "\u00e9\ud83d\ude00", "b": "\ud800", "c": "\ud800\u0041", "d": "\udc00\ud800x"}`,
		`{"e": "\"\\\/\b\f\n\r\t", "f": "x\\"}`, `{"a": [1, -0, 0.5e-3, 1E+2, true, false, null, [], {}]}`,
		"{\"a\":\n{\"b\":\r\n{\"c\": [\r1\n]}}, \"a\": 2}", `{"a":1,"a":{"a":2,"a":3}}`,
		`{"a": ` + string(bytes.Repeat([]byte("["), maxJSONDepth-1)) + string(bytes.Repeat([]byte("]"), maxJSONDepth-1)) + `}`,
		`{"a": ` + string(bytes.Repeat([]byte("["), maxJSONDepth)) + string(bytes.Repeat([]byte("]"), maxJSONDepth)) + `}`,
		`[1, 2]`, `"x"`, ` 1 `, `01`, `1.`, `.5`, `-`, `1e`, `{"a" : 1 , }`, `{,}`, `[1,]`, `{"a":1}}`, `{"a":1]`, `[1}`,
		"{\"a\": \"\x7f\"}", `{"a": "\x"}`, `{"a": "\u12"}`, `tru`, `nul`, `{"a": true1}`, ``, ` `,
	} {
		t.Run("", func(t *testing.T) {
			checkJSONReader(t, []byte(s))
			checkFastPath(t, []byte(s), formatJSON)
		})
	}
	assert1 := func(s string, want bool) {
		_, got := validJSON([]byte(s))
		if got != want {
			t.Errorf("validJSON(%.30q…) = %v, want %v", s, got, want)
		}
	}
	deep := func(n int) string {
		return string(bytes.Repeat([]byte("["), n)) + string(bytes.Repeat([]byte("]"), n))
	}
	assert1(deep(maxJSONDepth), true)
	assert1(deep(maxJSONDepth+1), false)
}

// jsonWalker builds values from valid JSON with json.Decoder's tokens.
type jsonWalker struct {
	dec   *json.Decoder
	lines lineCounter
}

// line returns the line of the token just read (its last byte; a JSON token
// never spans lines).
func (w *jsonWalker) line() int { return w.lines.at(int(w.dec.InputOffset()) - 1) }

func (w *jsonWalker) value() (value, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return value{}, err
	}
	return w.fromToken(tok)
}

func (w *jsonWalker) fromToken(tok json.Token) (value, error) {
	line := w.line()
	switch t := tok.(type) {
	case nil:
		return value{kind: vNull, line: line}, nil
	case bool:
		s := "false"
		if t {
			s = "true"
		}
		return value{kind: vBool, line: line, s: s}, nil
	case json.Number:
		return numberFromJSON(string(t), line), nil
	case string:
		return value{kind: vString, line: line, s: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := value{kind: vArray, line: line}
			for w.dec.More() {
				e, err := w.value()
				if err != nil {
					return value{}, err
				}
				v.elems = append(v.elems, e)
			}
			if _, err := w.dec.Token(); err != nil { // ']'
				return value{}, err
			}
			return v, nil
		case '{':
			var o objectBuilder
			for w.dec.More() {
				kt, err := w.dec.Token()
				if err != nil {
					return value{}, err
				}
				key, ok := kt.(string)
				if !ok {
					return value{}, fmt.Errorf("object key is %T", kt)
				}
				keyLine := w.line()
				v, err := w.value()
				if err != nil {
					return value{}, err
				}
				o.set(member{key: key, line: keyLine, val: v})
			}
			if _, err := w.dec.Token(); err != nil { // '}'
				return value{}, err
			}
			return value{kind: vObject, line: line, members: o.members}, nil
		}
	}
	return value{}, fmt.Errorf("unexpected token %T", tok)
}

// TestFastPathLargeFiles: files big enough for parseKindFast to build in
// parallel chunks give what the whole-file path gives: values, problems
// (more than MaxReportedErrors, across chunks) and their order, and a key
// repeated after the first chunk.
func TestFastPathLargeFiles(t *testing.T) {
	build := func(n int, bad func(i int) bool, dup bool) (js, env []byte) {
		var j, e bytes.Buffer
		j.WriteString("{")
		for i := range n {
			v := fmt.Sprintf("postgres://u%d:p@h%d:5432/d", i, i)
			if bad(i) {
				v = fmt.Sprintf("postgres://u:p@h:99999%d/d", i)
			}
			if i > 0 {
				j.WriteString(",\n")
			}
			fmt.Fprintf(&j, "%q: %q", fmt.Sprintf("c%d", i), v)
			fmt.Fprintf(&e, "c%d=%s\n", i, v)
		}
		if dup {
			j.WriteString(",\n\"c7\": \"\"")
			e.WriteString("c7=x://y\n")
		}
		j.WriteString("}")
		return j.Bytes(), e.Bytes()
	}
	for _, tt := range []struct {
		name string
		bad  func(int) bool
		dup  bool
	}{
		{"good", func(int) bool { return false }, false},
		{"many problems", func(i int) bool { return i%17 == 3 }, false},
		{"one problem late", func(i int) bool { return i == 4999 }, false},
		{"repeated key", func(i int) bool { return i%1000 == 1 }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			js, env := build(5000, tt.bad, tt.dup)
			checkFastPath(t, js, formatJSON)
			checkFastPath(t, env, formatEnv)
			_, _, _, ok := parseKindFast(bytes.Clone(js), formatJSON, resolver.KindConnection, "f")
			assert.Equal(t, !tt.dup, ok, "the one-pass path gives up on a repeated key")
		})
	}
}
