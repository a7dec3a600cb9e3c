package pycompat

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds a small JSON reader and writer that behave like Python's
// json.loads and json.dumps (default arguments), as Airflow uses them:
//
//   - objects keep their key order; a repeated key keeps its first position
//     and takes its last value (a Python dict);
//   - integers keep their exact digits, floats are written with Python's
//     repr (1.0, 1e+16, 1e-05);
//   - json.dumps writes ", " and ": " separators and escapes every non-ASCII
//     character as \uXXXX (ensure_ascii).
//
// Python also reads NaN, Infinity, -Infinity, numbers beyond float64's
// range (a float overflowing to infinity, an integer of more than 308
// digits) and strings with unpaired surrogate escapes. Go cannot carry those
// through encoding/json, so this reader reports them as unrepresentable and
// the callers decide (see [Unrepresentable]).

// Kind is the type of a JSON [Value].
type Kind uint8

// The kinds of JSON value.
const (
	Null Kind = iota
	False
	True
	Int    // Str: the integer's canonical decimal digits
	Float  // Num: the value
	String // Str: the decoded string
	Array  // Arr
	Object // Obj, in Python dict order, without repeated keys
)

// Value is a decoded JSON value; Kind says which other field holds it.
type Value struct {
	Kind Kind
	Str  string
	Num  float64
	Arr  []Value
	Obj  []Member
}

// Member is one key and value of an [Object].
type Member struct {
	Key string
	Val Value
}

// Truthy reports Python's bool(value) for a decoded JSON value.
func (v *Value) Truthy() bool {
	switch v.Kind {
	case Null, False:
		return false
	case Int:
		return v.Str != "0"
	case Float:
		return v.Num != 0
	case String:
		return v.Str != ""
	case Array:
		return len(v.Arr) > 0
	case Object:
		return len(v.Obj) > 0
	}
	return true
}

// ErrKind tells why a text is not accepted.
type ErrKind uint8

// The outcomes of [Loads].
const (
	// OK: the text is accepted.
	OK ErrKind = iota
	// Syntax: Python's json.loads raises JSONDecodeError.
	Syntax
	// Unrepresentable: Python accepts it (NaN, Infinity, a float that
	// overflows, an unpaired surrogate escape) but Go's JSON cannot hold it.
	Unrepresentable
	// Fatal: Python raises another ValueError (an integer of more than
	// 4300 digits) or RecursionError, which Airflow does not catch.
	Fatal
)

// MaxDepth approximates Python's default recursion limit (1000) as
// json.loads meets it: the deepest nesting of arrays and objects it decodes
// before raising RecursionError.
const MaxDepth = 1000

// maxIntDigits is sys.int_info.default_max_str_digits.
const maxIntDigits = 4300

// JSONError is what [Loads] reports: Kind is [OK] for an accepted text;
// otherwise Offset is the byte of s where the text was refused. It is not a
// Go error: the caller words its own, without quoting the text.
type JSONError struct {
	Kind   ErrKind
	Offset int
}

type jparser struct {
	s        string
	i        int
	depth    int
	maxDepth int
	err      JSONError
	// unrep is where the first value Python accepts but Go cannot hold
	// was seen; -1 while there is none. Parsing goes on past it, since a
	// later syntax or fatal error decides what Python does.
	unrep int
}

// Loads decodes s as Python's json.loads would, nesting at most maxDepth
// arrays and objects (deeper nesting is [Fatal], like RecursionError). A
// Python str is always valid UTF-8: the caller checks s, whose bytes are
// otherwise carried through as they are.
func Loads(s string, maxDepth int) (Value, JSONError) {
	p := jparser{s: s, unrep: -1, maxDepth: maxDepth}
	p.ws()
	v := p.value()
	if p.err.Kind != OK {
		return Value{}, p.err
	}
	p.ws()
	if p.i != len(p.s) {
		return Value{}, JSONError{Kind: Syntax, Offset: p.i}
	}
	if p.unrep >= 0 {
		return Value{}, JSONError{Kind: Unrepresentable, Offset: p.unrep}
	}
	return v, JSONError{}
}

// fail records a syntax or fatal error; Python stops at the first one.
func (p *jparser) fail(k ErrKind) {
	if p.err.Kind == OK {
		p.err = JSONError{Kind: k, Offset: p.i}
	}
}

// unrepresentable notes a value Python accepts and Go cannot hold.
func (p *jparser) unrepresentable(at int) {
	if p.unrep < 0 {
		p.unrep = at
	}
}

func (p *jparser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value() Value {
	if p.i >= len(p.s) {
		p.fail(Syntax)
		return Value{}
	}
	switch c := p.s[p.i]; {
	case c == '"':
		s, ok := p.str()
		if !ok {
			return Value{}
		}
		return Value{Kind: String, Str: s}
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == 'n' && strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		return Value{Kind: Null}
	case c == 't' && strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		return Value{Kind: True}
	case c == 'f' && strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		return Value{Kind: False}
	case c == 'N' && strings.HasPrefix(p.s[p.i:], "NaN"):
		p.unrepresentable(p.i)
		p.i += 3
		return Value{Kind: Null}
	case c == 'I' && strings.HasPrefix(p.s[p.i:], "Infinity"):
		p.unrepresentable(p.i)
		p.i += 8
		return Value{Kind: Null}
	case c == '-' && strings.HasPrefix(p.s[p.i:], "-Infinity"):
		p.unrepresentable(p.i)
		p.i += 9
		return Value{Kind: Null}
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	p.fail(Syntax)
	return Value{}
}

func (p *jparser) enter() bool {
	p.depth++
	if p.depth > p.maxDepth {
		p.fail(Fatal)
		return false
	}
	return true
}

func (p *jparser) object() Value {
	if !p.enter() {
		return Value{}
	}
	defer func() { p.depth-- }()
	p.i++ // '{'
	v := Value{Kind: Object}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return v
	}
	var index map[string]int // built once the object grows
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			p.fail(Syntax)
			return Value{}
		}
		key, ok := p.str()
		if !ok {
			return Value{}
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			p.fail(Syntax)
			return Value{}
		}
		p.i++
		p.ws()
		val := p.value()
		if p.err.Kind != OK {
			return Value{}
		}
		v.Obj, index = setMember(v.Obj, index, key, val)
		p.ws()
		if p.i >= len(p.s) {
			p.fail(Syntax)
			return Value{}
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return v
		default:
			p.fail(Syntax)
			return Value{}
		}
	}
}

// setMember stores key=val as a Python dict does: a new key goes last, a
// repeated key keeps its place and takes the new value.
func setMember(obj []Member, index map[string]int, key string, val Value) ([]Member, map[string]int) {
	if index != nil {
		if at, ok := index[key]; ok {
			obj[at].Val = val
			return obj, index
		}
	} else {
		for at := range obj {
			if obj[at].Key == key {
				obj[at].Val = val
				return obj, index
			}
		}
		if len(obj) >= 16 {
			index = make(map[string]int, 2*len(obj))
			for at := range obj {
				index[obj[at].Key] = at
			}
		}
	}
	if index != nil {
		index[key] = len(obj)
	}
	return append(obj, Member{Key: key, Val: val}), index
}

func (p *jparser) array() Value {
	if !p.enter() {
		return Value{}
	}
	defer func() { p.depth-- }()
	p.i++ // '['
	v := Value{Kind: Array}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return v
	}
	for {
		p.ws()
		e := p.value()
		if p.err.Kind != OK {
			return Value{}
		}
		v.Arr = append(v.Arr, e)
		p.ws()
		if p.i >= len(p.s) {
			p.fail(Syntax)
			return Value{}
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return v
		default:
			p.fail(Syntax)
			return Value{}
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *jparser) number() Value {
	start := p.i
	i := p.i
	if p.s[i] == '-' {
		i++
	}
	if i >= len(p.s) || !isDigit(p.s[i]) {
		p.fail(Syntax)
		return Value{}
	}
	if p.s[i] == '0' {
		i++
	} else {
		for i < len(p.s) && isDigit(p.s[i]) {
			i++
		}
	}
	isFloat := false
	if i+1 < len(p.s) && p.s[i] == '.' && isDigit(p.s[i+1]) {
		isFloat = true
		i += 2
		for i < len(p.s) && isDigit(p.s[i]) {
			i++
		}
	}
	if i < len(p.s) && (p.s[i] == 'e' || p.s[i] == 'E') {
		j := i + 1
		if j < len(p.s) && (p.s[j] == '+' || p.s[j] == '-') {
			j++
		}
		if j < len(p.s) && isDigit(p.s[j]) {
			isFloat = true
			for j < len(p.s) && isDigit(p.s[j]) {
				j++
			}
			i = j
		}
	}
	p.i = i
	text := p.s[start:i]
	if !isFloat {
		digits := len(text)
		if text[0] == '-' {
			digits--
		}
		if digits > maxIntDigits {
			p.fail(Fatal)
			return Value{}
		}
		if text == "-0" {
			text = "0"
		}
		if digits > 308 {
			// Go's encoding/json reads numbers as float64 and refuses one
			// out of its range; Python's ints have no limit.
			if _, err := strconv.ParseFloat(text, 64); err != nil {
				p.unrepresentable(start)
				return Value{Kind: Null}
			}
		}
		return Value{Kind: Int, Str: text}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && (math.IsInf(f, 0) || math.IsNaN(f)) {
		p.unrepresentable(start)
		return Value{Kind: Null}
	}
	return Value{Kind: Float, Num: f}
}

func hexVal(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}

func (p *jparser) hex4(at int) (rune, bool) {
	if at+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for k := at; k < at+4; k++ {
		h, ok := hexVal(p.s[k])
		if !ok {
			return 0, false
		}
		r = r<<4 | h
	}
	return r, true
}

// str reads a JSON string at p.i (which is '"').
func (p *jparser) str() (string, bool) {
	p.i++
	start := p.i
	// Fast path: no escapes.
	for i := start; i < len(p.s); i++ {
		c := p.s[i]
		if c == '"' {
			p.i = i + 1
			return p.s[start:i], true
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			p.i = i
			p.fail(Syntax)
			return "", false
		}
	}
	var b strings.Builder
	i := start
	for {
		if i >= len(p.s) {
			p.i = i
			p.fail(Syntax)
			return "", false
		}
		c := p.s[i]
		switch {
		case c == '"':
			p.i = i + 1
			return b.String(), true
		case c < 0x20:
			p.i = i
			p.fail(Syntax)
			return "", false
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(p.s) {
			p.i = i
			p.fail(Syntax)
			return "", false
		}
		esc := p.s[i+1]
		i += 2
		switch esc {
		case '"', '\\', '/':
			b.WriteByte(esc)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := p.hex4(i)
			if !ok {
				p.i = i
				p.fail(Syntax)
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// Python pairs a high surrogate with a directly following
				// \u low surrogate; anything else stays a lone surrogate.
				if r < 0xdc00 && i+6 <= len(p.s) && p.s[i] == '\\' && p.s[i+1] == 'u' {
					if r2, ok := p.hex4(i + 2); ok && r2 >= 0xdc00 && r2 <= 0xdfff {
						b.WriteRune(utf16.DecodeRune(r, r2))
						i += 6
						continue
					}
				}
				// Python keeps an unpaired surrogate; Go strings cannot.
				p.unrepresentable(i - 6)
				b.WriteRune(utf8.RuneError)
				continue
			}
			b.WriteRune(r)
		default:
			p.i = i - 1
			p.fail(Syntax)
			return "", false
		}
	}
}

// WriteJSON writes v as Python's json.dumps(v) would.
func WriteJSON(w *strings.Builder, v *Value) {
	switch v.Kind {
	case Null:
		w.WriteString("null")
	case False:
		w.WriteString("false")
	case True:
		w.WriteString("true")
	case Int:
		w.WriteString(v.Str)
	case Float:
		writePyFloat(w, v.Num)
	case String:
		WriteJSONString(w, v.Str)
	case Array:
		w.WriteByte('[')
		for k := range v.Arr {
			if k > 0 {
				w.WriteString(", ")
			}
			WriteJSON(w, &v.Arr[k])
		}
		w.WriteByte(']')
	case Object:
		w.WriteByte('{')
		for k := range v.Obj {
			if k > 0 {
				w.WriteString(", ")
			}
			WriteJSONString(w, v.Obj[k].Key)
			w.WriteString(": ")
			WriteJSON(w, &v.Obj[k].Val)
		}
		w.WriteByte('}')
	}
}

// Dumps is json.dumps(v).
func Dumps(v *Value) string {
	var w strings.Builder
	WriteJSON(&w, v)
	return w.String()
}

const lowerHex = "0123456789abcdef"

// WriteJSONString writes s as a JSON string with ensure_ascii, as Python does.
func WriteJSONString(w *strings.Builder, s string) {
	w.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			i++
			continue
		}
		w.WriteString(s[start:i])
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				w.WriteString(`\"`)
			case '\\':
				w.WriteString(`\\`)
			case '\n':
				w.WriteString(`\n`)
			case '\r':
				w.WriteString(`\r`)
			case '\t':
				w.WriteString(`\t`)
			case '\b':
				w.WriteString(`\b`)
			case '\f':
				w.WriteString(`\f`)
			default:
				writeU4(w, rune(c))
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			writeU4(w, r1)
			writeU4(w, r2)
		} else {
			writeU4(w, r)
		}
		i += size
		start = i
	}
	w.WriteString(s[start:])
	w.WriteByte('"')
}

func writeU4(w *strings.Builder, r rune) {
	w.Write([]byte{'\\', 'u', lowerHex[r>>12&0xf], lowerHex[r>>8&0xf], lowerHex[r>>4&0xf], lowerHex[r&0xf]})
}

// writePyFloat writes f as Python's repr(float) does.
func writePyFloat(w *strings.Builder, f float64) {
	var buf [40]byte
	w.Write(appendPyFloat(buf[:0], f))
}

// appendPyFloat appends f as Python's repr(float) does.
func appendPyFloat(b []byte, f float64) []byte {
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64) // -d.ddde±XX
	if e[0] == '-' {
		b = append(b, '-')
		e = e[1:]
	}
	ePos := 0
	for ePos < len(e) && e[ePos] != 'e' {
		ePos++
	}
	mant := e[:ePos]
	exp, _ := strconv.Atoi(string(e[ePos+1:]))
	var digs [24]byte
	nd := 0
	for _, c := range mant {
		if c != '.' {
			digs[nd] = c
			nd++
		}
	}
	d := digs[:nd]
	decpt := exp + 1
	if decpt > -4 && decpt <= 16 {
		switch {
		case decpt <= 0:
			b = append(b, '0', '.')
			for k := 0; k < -decpt; k++ {
				b = append(b, '0')
			}
			b = append(b, d...)
		case decpt >= nd:
			b = append(b, d...)
			for k := nd; k < decpt; k++ {
				b = append(b, '0')
			}
			b = append(b, '.', '0')
		default:
			b = append(b, d[:decpt]...)
			b = append(b, '.')
			b = append(b, d[decpt:]...)
		}
		return b
	}
	b = append(b, d[0])
	if nd > 1 {
		b = append(b, '.')
		b = append(b, d[1:]...)
	}
	b = append(b, 'e')
	x := decpt - 1
	if x < 0 {
		b = append(b, '-')
		x = -x
	} else {
		b = append(b, '+')
	}
	if x < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(x), 10)
}
