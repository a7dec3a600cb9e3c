package localfs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Messages shared by the JSON and YAML readers (Airflow's words).
const (
	msgEmptyFile = "The file is empty."
	msgNotObject = "The file should contain the object."
)

// noopUnmarshaler lets json.Unmarshal run its validating scanner over the
// whole input (for an exact error offset) without decoding anything.
type noopUnmarshaler struct{}

func (*noopUnmarshaler) UnmarshalJSON([]byte) error { return nil }

// parseJSONFile reads a JSON file as Airflow's _parse_json_file does: an
// empty file, a syntax error (with its 1-based line) and a top level that is
// not an object are errors. Messages follow Python's json module, plus the
// column; none quotes the input.
func parseJSONFile(data []byte, p *problems) []member {
	if len(data) == 0 {
		p.add(1, msgEmptyFile)
		return nil
	}
	if err := json.Unmarshal(data, new(noopUnmarshaler)); err != nil {
		var se *json.SyntaxError
		off := len(data)
		msg := "Invalid JSON"
		if errors.As(err, &se) {
			off = int(se.Offset) - 1 // the offending byte
			if se.Error() == "unexpected end of JSON input" {
				off = len(data)
			}
			msg = jsonMessage(se.Error())
			if msg == msgBadEscape || msg == msgBadUnicodeEscape {
				off = escapeFault(data, off)
			}
		}
		p.addf(lineOf(data, off), "%s (column %d).", msg, columnOf(data, off))
		return nil
	}
	// The input is valid JSON: walk it.
	w := jsonWalker{dec: json.NewDecoder(bytes.NewReader(data)), lines: lineCounter{data: data}}
	w.dec.UseNumber()
	root, err := w.value()
	if err != nil { // cannot happen on validated input
		p.add(1, "Invalid JSON.")
		return nil
	}
	if root.kind != vObject {
		p.add(root.line, msgNotObject)
		return nil
	}
	return root.members
}

// jsonMessages maps the context of encoding/json's syntax errors to the
// messages of Python's json module. The Go message's "invalid character
// 'x'" part, which quotes the input, is never used.
var jsonMessages = []struct{ goSuffix, msg string }{
	{"looking for beginning of object key string", "Expecting property name enclosed in double quotes"},
	{"after object key:value pair", "Expecting ',' delimiter"},
	{"after object key", "Expecting ':' delimiter"},
	{"after array element", "Expecting ',' delimiter"},
	{"looking for beginning of value", "Expecting value"},
	{"after top-level value", "Extra data"},
	{"in string literal", "Invalid control character in string"},
	{"in string escape code", msgBadEscape},
	{`in \u hexadecimal character escape`, msgBadUnicodeEscape},
	{"in numeric literal", "Invalid number"},
	{"unexpected end of JSON input", "Unexpected end of file"},
	{"exceeded max depth", "Nested too deeply"},
}

const (
	msgBadEscape        = `Invalid \escape`
	msgBadUnicodeEscape = `Invalid \uXXXX escape`
)

func jsonMessage(goMsg string) string {
	// Go 1.27's decoder words string errors differently (and points past a
	// bad \u sequence): "invalid escape sequence `\uXXXX` in string",
	// "invalid character '\x01' in string".
	if strings.HasPrefix(goMsg, "invalid escape sequence `\\u") {
		return msgBadUnicodeEscape
	}
	if strings.HasPrefix(goMsg, "invalid escape sequence") {
		return msgBadEscape
	}
	if strings.HasSuffix(goMsg, " in string") {
		return "Invalid control character in string"
	}
	for _, m := range jsonMessages {
		if strings.HasSuffix(goMsg, m.goSuffix) {
			return m.msg
		}
	}
	if strings.Contains(goMsg, " in literal ") { // "in literal true (expecting 'r')"
		return "Expecting value"
	}
	return "Invalid JSON"
}

// escapeFault returns the offset of the byte at fault in the bad escape
// sequence around off: the character after the backslash, or for \u the
// first that is not a hex digit. Decoders differ in where they point (on
// the fault, or past the sequence); the message does not.
func escapeFault(data []byte, off int) int {
	bs := bytes.LastIndexByte(data[:min(off+1, len(data))], '\\')
	if bs < 0 {
		return off
	}
	i := bs + 1
	if i < len(data) && data[i] == 'u' {
		for i++; i < len(data) && i <= bs+5 && isHex(data[i]); i++ {
		}
	}
	return min(i, len(data))
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
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
