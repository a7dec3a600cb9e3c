package localfs

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// A hand-written JSON reader, in two passes over the bytes: validJSON checks
// the whole file without allocating, then jsonReader builds values from the
// validated text, strings pointing into it. We do not use a library here
// because none we have does what a secrets file needs: encoding/json's
// Decoder.Token allocates an interface per token and runs at ~15 MB/s here,
// json.Unmarshal into maps loses key order and repeated keys (Python dict
// semantics: first position, last value); gjson does not validate with a
// bounded depth (its validator recurses once per nesting level, so a 64 MiB
// "[[[[..." overflows the stack) and re-scans every nested value once per
// level (O(size × depth) on hostile input). Errors are not reported here: on
// any problem the caller asks encoding/json for its message and position
// (jsonSyntaxError), so messages stay exactly what they were. A fuzz test
// checks this reader against encoding/json, value for value.

// maxJSONDepth is encoding/json's nesting limit: 10,000 levels are read, one
// more is an error ("exceeded max depth").
const maxJSONDepth = 10000

// validJSON reports whether data (valid UTF-8) is one JSON value as
// encoding/json accepts it, nested at most maxJSONDepth levels, with
// whitespace around it; members is the number of members of the top level
// when it is an object (repeated keys counted each time). It allocates
// nothing.
func validJSON(data []byte) (members int, ok bool) {
	// inObject has one bit per open level: set for an object.
	var inObject [maxJSONDepth/64 + 1]uint64
	depth := 0
	i := skipJSONSpace(data, 0)
value:
	if i >= len(data) {
		return 0, false
	}
	switch c := data[i]; c {
	case '{', '[':
		if depth == maxJSONDepth {
			return 0, false
		}
		if c == '{' {
			inObject[depth/64] |= 1 << (depth % 64)
		} else {
			inObject[depth/64] &^= 1 << (depth % 64)
		}
		depth++
		i = skipJSONSpace(data, i+1)
		if i < len(data) && (data[i] == '}' && c == '{' || data[i] == ']' && c == '[') {
			i++
			depth--
			goto after
		}
		if c == '[' {
			goto value
		}
		goto key
	case '"':
		if i, ok = scanJSONString(data, i); !ok {
			return 0, false
		}
	case 't':
		if !hasAt(data, i, "true") {
			return 0, false
		}
		i += 4
	case 'f':
		if !hasAt(data, i, "false") {
			return 0, false
		}
		i += 5
	case 'n':
		if !hasAt(data, i, "null") {
			return 0, false
		}
		i += 4
	default:
		if i, ok = scanJSONNumber(data, i); !ok {
			return 0, false
		}
	}
after:
	i = skipJSONSpace(data, i)
	if depth == 0 {
		return members, i == len(data)
	}
	if i >= len(data) {
		return 0, false
	}
	if inObject[(depth-1)/64]&(1<<((depth-1)%64)) != 0 {
		switch data[i] {
		case ',':
			i = skipJSONSpace(data, i+1)
			goto key
		case '}':
			i++
			depth--
			goto after
		}
		return 0, false
	}
	switch data[i] {
	case ',':
		i = skipJSONSpace(data, i+1)
		goto value
	case ']':
		i++
		depth--
		goto after
	}
	return 0, false
key:
	if i >= len(data) || data[i] != '"' {
		return 0, false
	}
	if i, ok = scanJSONString(data, i); !ok {
		return 0, false
	}
	i = skipJSONSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return 0, false
	}
	i = skipJSONSpace(data, i+1)
	if depth == 1 {
		members++
	}
	goto value
}

func hasAt(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

func skipJSONSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanJSONString checks the string starting at data[i] == '"' and returns
// the offset after its closing quote.
func scanJSONString(data []byte, i int) (int, bool) {
	for i++; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			i++
			if i >= len(data) {
				return 0, false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(data)-i < 5 || !isHex(data[i+1]) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) {
					return 0, false
				}
				i += 4
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

// scanJSONNumber checks the number starting at data[i] and returns the
// offset after it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanJSONNumber(data []byte, i int) (int, bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		i = skipDigits(data, i+1)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		j := skipDigits(data, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := skipDigits(data, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func skipDigits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}

// jsonReader builds values from text that validJSON accepted. Strings
// without escapes are substrings of s (no copy); positions are byte offsets
// into s.
type jsonReader struct {
	s string
	i int
}

func (r *jsonReader) space() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// value reads the value at r.i (after whitespace).
func (r *jsonReader) value() value {
	r.space()
	pos := r.i
	switch r.s[r.i] {
	case '{':
		var o objectBuilder
		r.members(func(key string, keyPos int, v value) bool {
			o.set(member{key: key, line: keyPos, val: v})
			return true
		})
		return value{kind: vObject, line: pos, members: o.members}
	case '[':
		v := value{kind: vArray, line: pos}
		r.i++
		r.space()
		if r.s[r.i] == ']' {
			r.i++
			return v
		}
		for {
			v.elems = append(v.elems, r.value())
			r.space()
			c := r.s[r.i]
			r.i++
			if c == ']' {
				return v
			}
		}
	case '"':
		return value{kind: vString, line: pos, s: r.str()}
	case 't':
		r.i += 4
		return value{kind: vBool, line: pos, s: "true"}
	case 'f':
		r.i += 5
		return value{kind: vBool, line: pos, s: "false"}
	case 'n':
		r.i += 4
		return value{kind: vNull, line: pos}
	}
	// A number: on valid JSON, the run of number characters is the number.
	text := r.s[r.i : r.i+numberPeek(r.s[r.i:])]
	r.i += len(text)
	return numberFromJSON(text, pos)
}

// numberPeek is the length of the run of number characters at the start of s.
func numberPeek(s string) int {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
		default:
			return i
		}
	}
	return len(s)
}

// members reads the object at r.i, calling fn with each member in order
// (repeated keys each time) until fn returns false; it reports whether fn
// always returned true.
func (r *jsonReader) members(fn func(key string, keyPos int, v value) bool) bool {
	r.i++ // '{'
	r.space()
	if r.s[r.i] == '}' {
		r.i++
		return true
	}
	for {
		r.space()
		keyPos := r.i
		key := r.str()
		r.space()
		r.i++ // ':'
		if !fn(key, keyPos, r.value()) {
			return false
		}
		r.space()
		c := r.s[r.i]
		r.i++
		if c == '}' {
			return true
		}
	}
}

// str reads the string at r.i: a substring of r.s when it has no escape.
func (r *jsonReader) str() string {
	start := r.i + 1
	end := start
	for r.s[end] != '"' && r.s[end] != '\\' {
		end++
	}
	if r.s[end] == '"' {
		r.i = end + 1
		return r.s[start:end]
	}
	// Find the closing quote, then unescape.
	for end < len(r.s) {
		if r.s[end] == '\\' {
			end += 2
			continue
		}
		if r.s[end] == '"' {
			break
		}
		end++
	}
	r.i = end + 1
	return unescapeJSON(r.s[start-1 : end+1])
}

// unescapeJSON returns the string a valid JSON string literal (quotes
// included) stands for. The one-letter escapes are done here; a literal
// with a \u escape goes to encoding/json, whose handling of unpaired
// surrogates (each becomes U+FFFD) the old token reader had.
func unescapeJSON(lit string) string {
	if strings.Contains(lit, `\u`) {
		var s string
		if err := json.Unmarshal([]byte(lit), &s); err != nil {
			return "" // cannot happen: validated
		}
		return s
	}
	b := make([]byte, 0, len(lit)-2)
	for i := 1; i < len(lit)-1; i++ {
		c := lit[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		switch lit[i] {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		default: // '"', '\\', '/'
			c = lit[i]
		}
		b = append(b, c)
	}
	if !utf8.Valid(b) { // cannot happen: the file is valid UTF-8
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(b)
}

// keys reads the object at r.i, calling fn with each member's key and the
// text of its value, not built, until fn returns false.
func (r *jsonReader) keys(fn func(key, raw string) bool) {
	r.i++ // '{'
	r.space()
	if r.s[r.i] == '}' {
		r.i++
		return
	}
	for {
		r.space()
		key := r.str()
		r.space()
		r.i++ // ':'
		r.space()
		start := r.i
		r.skip()
		if !fn(key, r.s[start:r.i]) {
			return
		}
		r.space()
		c := r.s[r.i]
		r.i++
		if c == '}' {
			return
		}
	}
}

// skip moves r.i past the value at r.i (no whitespace before it).
func (r *jsonReader) skip() {
	depth := 0
	for {
		switch c := r.s[r.i]; c {
		case '"':
			r.i++
			for r.s[r.i] != '"' {
				if r.s[r.i] == '\\' {
					r.i++
				}
				r.i++
			}
			r.i++
		case '{', '[':
			depth++
			r.i++
		case '}', ']':
			depth--
			r.i++
		case ' ', '\t', '\n', '\r', ',', ':':
			r.i++
		default: // a number or a literal
			for r.i < len(r.s) && !strings.ContainsRune(" \t\n\r,:]}", rune(r.s[r.i])) {
				r.i++
			}
		}
		if depth == 0 {
			return
		}
	}
}
