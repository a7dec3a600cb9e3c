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
// column; none quotes the input. The members' and values' line fields hold
// byte offsets into data, which p turns into lines when it reports them.
// The members' strings point into data (see parseFile).
func parseJSONFile(data []byte, p *problems) []member {
	r, _, ok := openJSON(data, p)
	if !ok {
		return nil
	}
	var o objectBuilder
	r.members(func(key string, keyPos int, v value) bool {
		o.set(member{key: key, line: keyPos, val: v})
		return true
	})
	return o.members
}

// openJSON checks data and returns a reader at its top-level object and
// the number of members it has (repeated keys counted each time); on a
// problem it reports it to p and returns false. From then on p reads
// positions as byte offsets into data.
func openJSON(data []byte, p *problems) (*jsonReader, int, bool) {
	if len(data) == 0 {
		p.add(1, msgEmptyFile)
		return nil, 0, false
	}
	n, ok := validJSON(data)
	if !ok {
		p.add(jsonSyntaxError(data))
		return nil, 0, false
	}
	p.useOffsets(data)
	r := checkedJSON(data)
	if r.s[r.i] != '{' {
		p.add(r.i, msgNotObject)
		return nil, 0, false
	}
	return r, n, true
}

// checkedJSON returns a reader at the top-level value of data, which
// validJSON accepted.
func checkedJSON(data []byte) *jsonReader {
	r := &jsonReader{s: bytesString(data)}
	r.space()
	return r
}

// jsonSyntaxError returns the line and message of the syntax error in data,
// which validJSON refused, as encoding/json finds it.
func jsonSyntaxError(data []byte) (int, string) {
	err := json.Unmarshal(data, new(noopUnmarshaler))
	if err == nil { // cannot happen: the fuzz tests hold the two to the same verdict
		return 1, "Invalid JSON."
	}
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
	return lineOf(data, off), fmt.Sprintf("%s (column %d).", msg, columnOf(data, off))
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
