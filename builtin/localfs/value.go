package localfs

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// vkind is the type of a value read from a JSON or YAML file.
type vkind uint8

const (
	vNull vkind = iota
	vBool
	vNumber
	vString
	vArray
	vObject
)

// typeName names a kind in messages. JSON's names: a user of this package
// writes JSON or YAML, not Python.
func (k vkind) typeName() string {
	switch k {
	case vNull:
		return "null"
	case vBool:
		return "boolean"
	case vNumber:
		return "number"
	case vString:
		return "string"
	case vArray:
		return "array"
	case vObject:
		return "object"
	}
	return "unknown"
}

// value is one decoded JSON or YAML value, with the line it starts on. Objects
// keep their keys in first-seen order with the last value winning, like a
// Python dict built by json.loads or yaml.safe_load.
type value struct {
	kind vkind
	line int
	// s is the string; for a number its canonical text (Python's repr of
	// the int or float json.loads / yaml.safe_load would make); for a
	// boolean "true" or "false".
	s       string
	isFloat bool // a number that Python would hold as a float
	elems   []value
	members []member
}

// member is one key of an object.
type member struct {
	key  string
	line int // the key's line
	val  value
}

// objectBuilder builds an object with Python dict semantics: a repeated key
// keeps its first position and takes the last value (and that key's line).
type objectBuilder struct {
	members []member
	index   map[string]int
}

func (o *objectBuilder) set(m member) {
	if i, ok := o.index[m.key]; ok {
		o.members[i].val = m.val
		o.members[i].line = m.line
		return
	}
	if o.index == nil {
		o.index = map[string]int{}
	}
	o.index[m.key] = len(o.members)
	o.members = append(o.members, m)
}

// numberFromJSON makes a number value from JSON number text the way
// json.loads reads it: an int when it has no fraction or exponent, else a
// float (1e400 is inf).
func numberFromJSON(text string, line int) value {
	if !strings.ContainsAny(text, ".eE") {
		if text == "-0" {
			text = "0"
		}
		return value{kind: vNumber, line: line, s: text}
	}
	f, _ := strconv.ParseFloat(text, 64) // valid JSON; ±Inf on overflow
	return value{kind: vNumber, line: line, s: pyFloat(f), isFloat: true}
}

// pyFloat formats f as Python's repr does and json.dumps writes it
// (NaN, Infinity and -Infinity for the non-finite values).
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // shortest digits, "d.ddde±XX"
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// jsonStyle selects how appendJSON writes a value.
type jsonStyle uint8

const (
	// compactJSON: no spaces, UTF-8 kept (a variable's value).
	compactJSON jsonStyle = iota
	// pythonJSON: Python's json.dumps defaults, separators ", " and ": "
	// and every non-ASCII character escaped (a connection's extra).
	pythonJSON
)

// appendJSON appends v as JSON text, keys in order.
func appendJSON(b []byte, v *value, style jsonStyle) []byte {
	comma, colon := ",", ":"
	if style == pythonJSON {
		comma, colon = ", ", ": "
	}
	switch v.kind {
	case vNull:
		return append(b, "null"...)
	case vBool, vNumber:
		return append(b, v.s...)
	case vString:
		return appendJSONString(b, v.s, style == pythonJSON)
	case vArray:
		b = append(b, '[')
		for i := range v.elems {
			if i > 0 {
				b = append(b, comma...)
			}
			b = appendJSON(b, &v.elems[i], style)
		}
		return append(b, ']')
	case vObject:
		b = append(b, '{')
		for i := range v.members {
			if i > 0 {
				b = append(b, comma...)
			}
			b = appendJSONString(b, v.members[i].key, style == pythonJSON)
			b = append(b, colon...)
			b = appendJSON(b, &v.members[i].val, style)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

func jsonText(v *value, style jsonStyle) string { return string(appendJSON(nil, v, style)) }

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as Python's json.dumps does: '"' and '\\'
// escaped, \n \r \t \b \f by name, other control characters as \u00XX, and
// with ascii every non-ASCII character as \uXXXX (surrogate pairs above
// U+FFFF). Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string, ascii bool) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				if c < 0x20 {
					b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
				} else {
					b = append(b, c)
				}
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !ascii {
			b = utf8.AppendRune(b, r) // RuneError for invalid bytes
			continue
		}
		if r > 0xFFFF {
			r -= 0x10000
			b = appendU4(b, 0xD800+(r>>10))
			b = appendU4(b, 0xDC00+(r&0x3FF))
			continue
		}
		b = appendU4(b, r)
	}
	return append(b, '"')
}

func appendU4(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// goValue converts v for connection.FromFields: string, int (or
// float64 when it does not fit or is a float), bool, nil, []any and
// map[string]any.
func goValue(v *value) any {
	switch v.kind {
	case vBool:
		return v.s == "true"
	case vNumber:
		if !v.isFloat {
			if n, err := strconv.Atoi(v.s); err == nil {
				return n
			}
		}
		switch v.s {
		case "NaN":
			return math.NaN()
		case "Infinity":
			return math.Inf(1)
		case "-Infinity":
			return math.Inf(-1)
		}
		f, _ := strconv.ParseFloat(v.s, 64)
		return f
	case vString:
		return v.s
	case vArray:
		out := make([]any, len(v.elems))
		for i := range v.elems {
			out[i] = goValue(&v.elems[i])
		}
		return out
	case vObject:
		out := make(map[string]any, len(v.members))
		for i := range v.members {
			out[v.members[i].key] = goValue(&v.members[i].val)
		}
		return out
	}
	return nil
}

// truthy reports whether Python would find the value true: not null, not
// false, not zero, not empty.
func truthy(v *value) bool {
	switch v.kind {
	case vNull:
		return false
	case vBool:
		return v.s == "true"
	case vNumber:
		f, err := strconv.ParseFloat(v.s, 64)
		return err != nil || f != 0 // "NaN" and big ints are true
	case vString:
		return v.s != ""
	case vArray:
		return len(v.elems) > 0
	case vObject:
		return len(v.members) > 0
	}
	return false
}
