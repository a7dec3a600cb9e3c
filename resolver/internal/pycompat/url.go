package pycompat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file ports the parts of CPython's urllib.parse (3.12+, with the
// CVE-2025-0938 bracket checks) and ipaddress that Airflow's URI parsing
// depends on: urlsplit, the netloc accessors (username, password,
// hostname, port), unquote, quote, quote_plus and parse_qsl. Go's net/url
// differs on many inputs (it rejects what Python accepts and splits some
// URLs elsewhere), so it is not used.

// SplitResult is Python's SplitResult without the fragment.
type SplitResult struct {
	Scheme, Netloc, Path, Query string
}

// FieldError is why Python refuses a URL: Field names the part at fault as
// Airflow's Connection does ("host", "port", or "uri" for the netloc as a
// whole) and Msg never quotes the value. It is not a Go error: the caller
// wraps it with its own context.
type FieldError struct{ Field, Msg string }

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// IsSchemeChar reports whether c may follow the first letter of a URL
// scheme (urllib.parse.scheme_chars).
func IsSchemeChar(c byte) bool {
	return isASCIILetter(c) || isDigit(c) || c == '+' || c == '-' || c == '.'
}

// asciiLower lowercases ASCII letters, allocating only when needed.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// URLSplit is urllib.parse.urlsplit(url).
func URLSplit(url string) (SplitResult, *FieldError) {
	// Leading C0 controls and spaces go; tabs and newlines go everywhere.
	i := 0
	for i < len(url) && url[i] <= ' ' {
		i++
	}
	url = url[i:]
	for k := 0; k < len(url); k++ {
		if c := url[k]; c == '\t' || c == '\r' || c == '\n' {
			url = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(url)
			break
		}
	}
	var u SplitResult
	if c := strings.IndexByte(url, ':'); c > 0 && isASCIILetter(url[0]) {
		ok := true
		for j := 1; j < c; j++ {
			if !IsSchemeChar(url[j]) {
				ok = false
				break
			}
		}
		if ok {
			u.Scheme, url = asciiLower(url[:c]), url[c+1:]
		}
	}
	if len(url) >= 2 && url[0] == '/' && url[1] == '/' {
		end := 2
		for end < len(url) && url[end] != '/' && url[end] != '?' && url[end] != '#' {
			end++
		}
		u.Netloc, url = url[2:end], url[end:]
		open := strings.IndexByte(u.Netloc, '[') >= 0
		closed := strings.IndexByte(u.Netloc, ']') >= 0
		if open != closed {
			return SplitResult{}, &FieldError{"host", "unbalanced brackets (invalid IPv6 address)"}
		}
		if open {
			if err := checkBracketedNetloc(u.Netloc); err != nil {
				return SplitResult{}, err
			}
		}
	}
	if k := strings.IndexByte(url, '#'); k >= 0 {
		url = url[:k]
	}
	if k := strings.IndexByte(url, '?'); k >= 0 {
		u.Query = url[k+1:]
		url = url[:k]
	}
	u.Path = url
	if err := checkNetlocNFKC(u.Netloc); err != nil {
		return SplitResult{}, err
	}
	return u, nil
}

// checkBracketedNetloc is urllib.parse._check_bracketed_netloc.
func checkBracketedNetloc(netloc string) *FieldError {
	hp := netloc[strings.LastIndexByte(netloc, '@')+1:]
	b := strings.IndexByte(hp, '[')
	if b < 0 {
		return nil
	}
	if b > 0 {
		return &FieldError{"host", "text before '[' (invalid IPv6 address)"}
	}
	hostname, port, _ := strings.Cut(hp[1:], "]")
	if port != "" && port[0] != ':' {
		return &FieldError{"host", "text after ']' (invalid IPv6 address)"}
	}
	if strings.HasPrefix(hostname, "v") {
		// \Av[a-fA-F0-9]+\..+\Z
		k := 1
		for k < len(hostname) {
			if _, ok := hexVal(hostname[k]); !ok {
				break
			}
			k++
		}
		if k == 1 || k >= len(hostname) || hostname[k] != '.' || k+1 >= len(hostname) {
			return &FieldError{"host", "invalid IPvFuture address"}
		}
		return nil
	}
	if !isPyIPv6(hostname) {
		return &FieldError{"host", "bracketed host is not an IPv6 address"}
	}
	return nil
}

// isPyIPv6 reports whether ipaddress.IPv6Address(s) accepts s.
func isPyIPv6(s string) bool {
	if strings.IndexByte(s, '/') >= 0 {
		return false
	}
	if addr, scope, ok := strings.Cut(s, "%"); ok {
		if scope == "" || strings.IndexByte(scope, '%') >= 0 {
			return false
		}
		s = addr
	}
	if s == "" {
		return false
	}
	parts := strings.Split(s, ":")
	if len(parts) < 3 {
		return false
	}
	if last := parts[len(parts)-1]; strings.IndexByte(last, '.') >= 0 {
		if !isPyIPv4(last) {
			return false
		}
		parts = append(parts[:len(parts)-1], "0", "0") // two hextets
	}
	if len(parts) > 9 {
		return false
	}
	skip := -1
	for i := 1; i < len(parts)-1; i++ {
		if parts[i] == "" {
			if skip >= 0 {
				return false
			}
			skip = i
		}
	}
	var hi, lo int
	if skip >= 0 {
		hi, lo = skip, len(parts)-skip-1
		if parts[0] == "" {
			hi--
			if hi != 0 {
				return false
			}
		}
		if parts[len(parts)-1] == "" {
			lo--
			if lo != 0 {
				return false
			}
		}
		if 8-(hi+lo) < 1 {
			return false
		}
	} else {
		if len(parts) != 8 || parts[0] == "" || parts[7] == "" {
			return false
		}
		hi, lo = 8, 0
	}
	check := func(h string) bool {
		if h == "" || len(h) > 4 {
			return false
		}
		for k := 0; k < len(h); k++ {
			if _, ok := hexVal(h[k]); !ok {
				return false
			}
		}
		return true
	}
	for i := 0; i < hi; i++ {
		if !check(parts[i]) {
			return false
		}
	}
	for i := len(parts) - lo; i < len(parts); i++ {
		if !check(parts[i]) {
			return false
		}
	}
	return true
}

// isPyIPv4 reports whether ipaddress.IPv4Address(s) accepts s.
func isPyIPv4(s string) bool {
	octets := strings.Split(s, ".")
	if len(octets) != 4 {
		return false
	}
	for _, o := range octets {
		if o == "" || len(o) > 3 {
			return false
		}
		for k := 0; k < len(o); k++ {
			if !isDigit(o[k]) {
				return false
			}
		}
		if o != "0" && o[0] == '0' {
			return false
		}
		n := 0
		for k := 0; k < len(o); k++ {
			n = n*10 + int(o[k]-'0')
		}
		if n > 255 {
			return false
		}
	}
	return true
}

// nfkcDelims are the code points whose NFKC form contains one of / ? # @ :
// (urllib.parse._checknetloc). Generated from Python's unicodedata.
var nfkcDelims = [...]rune{
	0x2047, 0x2048, 0x2049, 0x2100, 0x2101, 0x2105, 0x2106, 0x2a74,
	0xfe13, 0xfe16, 0xfe55, 0xfe56, 0xfe5f, 0xfe6b,
	0xff03, 0xff0f, 0xff1a, 0xff1f, 0xff20,
}

// checkNetlocNFKC is urllib.parse._checknetloc: a non-ASCII netloc must not
// contain characters that NFKC-normalise to a URL delimiter.
func checkNetlocNFKC(netloc string) *FieldError {
	for i := 0; i < len(netloc); i++ {
		if netloc[i] >= utf8.RuneSelf {
			for _, r := range netloc[i:] {
				for _, d := range nfkcDelims {
					if r == d {
						return &FieldError{"uri", "login, password or host has a character that NFKC-normalises to a URL delimiter"}
					}
				}
			}
			return nil
		}
	}
	return nil
}

// NetlocUserinfo is SplitResult.username and .password.
func NetlocUserinfo(netloc string) (user string, hasUser bool, pass string, hasPass bool) {
	at := strings.LastIndexByte(netloc, '@')
	if at < 0 {
		return "", false, "", false
	}
	user, pass, hasPass = strings.Cut(netloc[:at], ":")
	return user, true, pass, hasPass
}

// netlocHostinfo is SplitResult._hostinfo; port "" means None.
func netlocHostinfo(netloc string) (host, port string) {
	hi := netloc[strings.LastIndexByte(netloc, '@')+1:]
	if _, bracketed, ok := strings.Cut(hi, "["); ok {
		host, port, _ = strings.Cut(bracketed, "]")
		_, port, _ = strings.Cut(port, ":")
		return host, port
	}
	host, port, _ = strings.Cut(hi, ":")
	return host, port
}

// NetlocHostname is SplitResult.hostname (ok false for None): lowercased up
// to the first '%', so an IPv6 zone keeps its case.
func NetlocHostname(netloc string) (string, bool) {
	h, _ := netlocHostinfo(netloc)
	if h == "" {
		return "", false
	}
	if k := strings.IndexByte(h, '%'); k >= 0 {
		if low := Lower(h[:k]); low != h[:k] {
			return low + h[k:], true
		}
		return h, true
	}
	return Lower(h), true
}

// NetlocPort is SplitResult.port. ok is false for None.
func NetlocPort(netloc string) (port int, ok bool, err *FieldError) {
	_, p := netlocHostinfo(netloc)
	if p == "" {
		return 0, false, nil
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) {
			return 0, false, &FieldError{"port", "could not be cast to integer"}
		}
		if n <= 65535 {
			n = n*10 + int(p[i]-'0')
		}
	}
	if n > 65535 {
		return 0, false, &FieldError{"port", "out of range 0-65535"}
	}
	return n, true, nil
}

// Lower is Python's str.lower(): Unicode full lowercase mapping, which
// differs from Go's simple mapping for U+0130 and the final sigma.
func Lower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return asciiLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	for i, r := range s {
		switch r {
		case 0x130: // LATIN CAPITAL LETTER I WITH DOT ABOVE
			b.WriteString("i\u0307")
		case 0x3a3: // GREEK CAPITAL LETTER SIGMA
			if finalSigma(s, i) {
				b.WriteRune(0x3c2)
			} else {
				b.WriteRune(0x3c3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma is CPython's handle_capital_sigma: the sigma at byte i follows
// a cased letter (skipping case-ignorable ones) and is not followed by one.
func finalSigma(s string, i int) bool {
	j := i
	before := false
	for j > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if !isCaseIgnorable(r) {
			before = isCased(r)
			break
		}
	}
	if !before {
		return false
	}
	for _, r := range s[i+2:] { // U+03A3 is two bytes
		if !isCaseIgnorable(r) {
			return !isCased(r)
		}
	}
	return true
}

func isCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

func isCaseIgnorable(r rune) bool {
	switch r {
	// Word_Break MidLetter, MidNumLet and Single_Quote.
	case '\'', '.', ':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024,
		0x2027, 0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// isPySpace is Python's str.isspace() for one character.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// Strip is Python's str.strip().
func Strip(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

// Unquote is urllib.parse.unquote(s): %XX escapes are decoded per run of
// ASCII characters, and the bytes of each run are read as UTF-8 with
// errors="replace" (one U+FFFD per maximal invalid subpart).
func Unquote(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		j := i
		if s[i] >= utf8.RuneSelf {
			for j < len(s) && s[j] >= utf8.RuneSelf {
				j++
			}
			b = append(b, s[i:j]...)
			i = j
			continue
		}
		for j < len(s) && s[j] < utf8.RuneSelf {
			j++
		}
		start := len(b)
		b = AppendUnquote(b, s[i:j])
		if !utf8.Valid(b[start:]) {
			fixed := appendPyUTF8Replace(nil, b[start:])
			b = append(b[:start], fixed...)
		}
		i = j
	}
	return string(b)
}

// AppendUnquote appends s with its %XX escapes decoded to bytes, as
// urllib.parse.unquote_to_bytes does: a '%' without two hexadecimal
// digits after it is kept. The result need not be UTF-8.
func AppendUnquote(b []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		if i+2 < len(s) {
			h1, ok1 := hexVal(s[i+1])
			h2, ok2 := hexVal(s[i+2])
			if ok1 && ok2 {
				b = append(b, byte(h1<<4|h2))
				s = s[i+3:]
				continue
			}
		}
		b = append(b, '%')
		s = s[i+1:]
	}
}

// appendPyUTF8Replace decodes p as Python's bytes.decode("utf-8",
// "replace") does.
func appendPyUTF8Replace(b, p []byte) []byte {
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		need, lo, hi := 0, byte(0x80), byte(0xbf)
		switch {
		case c >= 0xc2 && c <= 0xdf:
			need = 1
		case c == 0xe0:
			need, lo = 2, 0xa0
		case c >= 0xe1 && c <= 0xec, c == 0xee, c == 0xef:
			need = 2
		case c == 0xed:
			need, hi = 2, 0x9f
		case c == 0xf0:
			need, lo = 3, 0x90
		case c >= 0xf1 && c <= 0xf3:
			need = 3
		case c == 0xf4:
			need, hi = 3, 0x8f
		default:
			b = utf8.AppendRune(b, utf8.RuneError)
			i++
			continue
		}
		j := i + 1
		for k := 0; k < need; k++ {
			if j >= len(p) || p[j] < lo || p[j] > hi {
				break
			}
			j++
			lo, hi = 0x80, 0xbf
		}
		if j-i == need+1 {
			b = append(b, p[i:j]...)
		} else {
			b = utf8.AppendRune(b, utf8.RuneError)
		}
		i = j
	}
	return b
}

// QuoteSafe reports whether quote(s, safe="") keeps byte c as it is.
func QuoteSafe(c byte) bool {
	return isASCIILetter(c) || isDigit(c) || c == '_' || c == '.' || c == '-' || c == '~'
}

const upperHex = "0123456789ABCDEF"

// WriteQuote writes urllib.parse.quote(s, safe=""), or quote_plus(s,
// safe="") when plus is set.
func WriteQuote(w *strings.Builder, s string, plus bool) {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if QuoteSafe(c) {
			continue
		}
		w.WriteString(s[start:i])
		if plus && c == ' ' {
			w.WriteByte('+')
		} else {
			w.WriteByte('%')
			w.WriteByte(upperHex[c>>4])
			w.WriteByte(upperHex[c&0xf])
		}
		start = i + 1
	}
	w.WriteString(s[start:])
}

// QueryPair is one name=value of a query.
type QueryPair struct{ Name, Value string }

// ParseQSLDict is dict(urllib.parse.parse_qsl(qs, keep_blank_values=True)):
// '&' separates fields, a field without '=' has the value "", '+' is a
// space, and a repeated name keeps its first place and takes its last value.
// The pairs are appended to dst, so a caller can hand in a buffer.
func ParseQSLDict(dst []QueryPair, qs string) []QueryPair {
	var index map[string]int // for long queries
	for qs != "" {
		field := qs
		if k := strings.IndexByte(qs, '&'); k >= 0 {
			field, qs = qs[:k], qs[k+1:]
		} else {
			qs = ""
		}
		if field == "" {
			continue
		}
		name, value, _ := strings.Cut(field, "=")
		name = Unquote(plusToSpace(name))
		value = Unquote(plusToSpace(value))
		if index == nil && len(dst) >= 16 {
			index = make(map[string]int, 2*len(dst))
			for k := range dst {
				index[dst[k].Name] = k
			}
		}
		if index != nil {
			if k, ok := index[name]; ok {
				dst[k].Value = value
				continue
			}
			index[name] = len(dst)
		} else if k := QueryIndex(dst, name); k >= 0 {
			dst[k].Value = value
			continue
		}
		dst = append(dst, QueryPair{name, value})
	}
	return dst
}

func plusToSpace(s string) string {
	if strings.IndexByte(s, '+') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "+", " ")
}

// QueryIndex returns the index of the pair named name, or -1.
func QueryIndex(pairs []QueryPair, name string) int {
	for k := range pairs {
		if pairs[k].Name == name {
			return k
		}
	}
	return -1
}
