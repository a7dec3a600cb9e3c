package connection

import (
	"strings"
	"unicode/utf8"

	"github.com/secretpath/secretpath/resolver/internal/pycompat"
)

// This file is ParseURI's fast path (issue 19: localfs's first parse spent
// half its time in ParseURI). It is hand-written rather than a library
// because no URL library has Python's urlsplit semantics (parseURIGeneral
// explains why net/url is not used), and it is one pass over the URI where
// parseURIGeneral scans it a dozen times and builds every field on its own.
// It takes the common shape only and hands everything else, every error
// included, to parseURIGeneral; FuzzParseURIOracle holds the two together to
// the implementation before it (oracle_test.go).

// The fields of a fast-path parse that may be built rather than sliced
// from the URI.
const (
	fConnType = iota
	fHost
	fLogin
	fPassword
	fSchema
	fExtra
	nFields
)

// parseURIFast is parseURIGeneral for a URI of the common shape:
//
//	scheme://[login[:password]@]host[:port][/schema][?query]
//
// with exactly one "://" (right after the scheme), printable ASCII only, no
// '#', no brackets in the authority and a valid port. Such a URI has none of
// urlsplit's special cases (leading controls, tabs, NFKC checks, IPv6,
// protocol hosts), so each part is the plain substring urlsplit would find.
// Percent escapes, an upper-case scheme or host and query values that read
// as JSON literals are handled here; a query it cannot write as simply goes
// to extraFromQuery. ok is false for any other URI, with nothing done that
// parseURIGeneral would not redo. Every field that differs from its text in
// the URI is written into one buffer, so a parse allocates at most once
// (apart from rare cases handed to pycompat: a host with escapes, escapes
// that do not decode to UTF-8, a query extraFromQuery writes).
func parseURIFast(uri string, c *Connection) bool {
	// The scheme: an ASCII letter, then letters, digits, '+', '-', '.'.
	if uri == "" || !isASCIILetter(uri[0]) {
		return false
	}
	upper, dash := uri[0] <= 'Z', false
	j := 1
	for ; j < len(uri); j++ {
		b := uri[j]
		if isASCIILetter(b) {
			upper = upper || b <= 'Z'
		} else if b == '-' {
			dash = true
		} else if !isDigit(b) && b != '+' && b != '.' {
			break
		}
	}
	if len(uri)-j < 3 || uri[j] != ':' || uri[j+1] != '/' || uri[j+2] != '/' {
		return false
	}
	scheme := uri[:j]

	// The authority, up to the first '/' or '?'; the first ':' in it, the
	// last '@' and the first ':' after that.
	netStart := j + 3
	k := netStart
	at, colon, portColon := -1, -1, -1
	netPct, hostUpper := false, false
netloc:
	for ; k < len(uri); k++ {
		b := uri[k]
		switch byteClass[b] {
		case '.':
			continue
		case 'U':
			hostUpper = true
			continue
		}
		switch b {
		case '/', '?':
			break netloc
		case '@':
			at, portColon, hostUpper = k, -1, false
		case '%':
			netPct = true
		case ':':
			if strings.HasPrefix(uri[k+1:], "//") {
				return false
			}
			if colon < 0 {
				colon = k
			}
			if portColon < 0 {
				portColon = k
			}
		case '+', '"', '\\':
		default: // '#', brackets, controls, space, DEL, non-ASCII
			return false
		}
	}
	netEnd := k

	// The path, up to the first '?'.
	pathStart, pathPct := k, false
path:
	for ; k < len(uri); k++ {
		b := uri[k]
		if byteClass[b] != 's' && byteClass[b] != 'x' {
			continue
		}
		switch b {
		case '?':
			break path
		case '%':
			pathPct = true
		case ':':
			if strings.HasPrefix(uri[k+1:], "//") {
				return false
			}
		case '/', '@', '[', ']', '+', '"', '\\':
		default:
			return false
		}
	}
	path := uri[pathStart:k]

	// The query: plain when nothing in it is escaped or needs escaping in
	// JSON.
	query, queryPlain := "", true
	if k < len(uri) {
		query = uri[k+1:]
		for k++; k < len(uri); k++ {
			b := uri[k]
			if byteClass[b] != 's' && byteClass[b] != 'x' {
				continue
			}
			switch b {
			case '%', '+', '"', '\\':
				queryPlain = false
			case ':':
				if strings.HasPrefix(uri[k+1:], "//") {
					return false
				}
			case '/', '?', '@', '[', ']':
			default:
				return false
			}
		}
	}

	// urlsplit's netloc accessors: userinfo before the last '@' (login,
	// then password after its first ':'), the port after the first ':' of
	// the rest.
	hostStart, hostEnd := netStart, netEnd
	var user, pass string
	if at >= 0 {
		user = uri[netStart:at]
		if colon >= 0 && colon < at {
			user, pass = uri[netStart:colon], uri[colon+1:at]
		}
		hostStart = at + 1
	}
	if portColon >= 0 {
		hostEnd = portColon
		portText := uri[portColon+1 : netEnd]
		if portText != "" {
			n := 0
			for i := 0; i < len(portText); i++ {
				if !isDigit(portText[i]) {
					return false // parseURIGeneral words the error
				}
				if n <= 65535 {
					n = n*10 + int(portText[i]-'0')
				}
			}
			if n > 65535 {
				return false
			}
			c.Port = n
			c.empty |= FieldPort
		}
	}

	// Every field as the URI holds it; those that differ are rewritten into
	// buf below and sliced from one string.
	var text [nFields]string
	var span [nFields][2]int
	var built [nFields]bool
	var stack [256]byte
	buf := stack[:0]

	text[fConnType] = scheme
	if upper || dash {
		built[fConnType] = true
		span[fConnType][0] = len(buf)
		for i := 0; i < len(scheme); i++ {
			b := scheme[i]
			if b >= 'A' && b <= 'Z' {
				b += 'a' - 'A'
			} else if b == '-' {
				b = '_'
			}
			buf = append(buf, b)
		}
		span[fConnType][1] = len(buf)
	}

	host := uri[hostStart:hostEnd]
	text[fHost] = host
	if netPct && strings.IndexByte(host, '%') >= 0 {
		// A host that decodes to a socket path keeps its case: rare
		// enough to leave to the general code.
		text[fHost] = hostFromNetloc(uri[netStart:netEnd])
	} else if hostUpper {
		built[fHost] = true
		span[fHost][0] = len(buf)
		for i := 0; i < len(host); i++ {
			b := host[i]
			if b >= 'A' && b <= 'Z' {
				b += 'a' - 'A'
			}
			buf = append(buf, b)
		}
		span[fHost][1] = len(buf)
	}

	if at >= 0 {
		c.empty |= FieldLogin
		text[fLogin], text[fPassword] = user, pass
	}
	if path != "" {
		text[fSchema] = path[1:] // path starts with '/'
	}
	for f := fLogin; f <= fSchema; f++ {
		pct := netPct
		if f == fSchema {
			pct = pathPct
		}
		if !pct || strings.IndexByte(text[f], '%') < 0 {
			continue
		}
		start := len(buf)
		var valid bool
		if buf, valid = appendUnquoteASCII(buf, text[f]); valid {
			built[f] = true
			span[f] = [2]int{start, len(buf)}
		} else {
			// Bytes that are not UTF-8: pycompat replaces them as
			// Python does.
			buf = buf[:start]
			text[f] = pycompat.Unquote(text[f])
		}
	}

	if query != "" {
		start := len(buf)
		var plain bool
		if queryPlain {
			buf, plain = appendPlainExtra(buf, query)
		}
		switch {
		case plain:
			built[fExtra] = len(buf) > start
			span[fExtra] = [2]int{start, len(buf)}
		default:
			extra, ferr := extraFromQuery(query)
			if ferr != nil {
				return false // parseURIGeneral returns the error
			}
			text[fExtra] = extra
		}
	}

	if len(buf) > 0 {
		s := string(buf)
		for f := range built {
			if built[f] {
				text[f] = s[span[f][0]:span[f][1]]
			}
		}
	}
	if c.ConnType = text[fConnType]; c.ConnType == "postgresql" {
		c.ConnType = "postgres" // normalizeConnType: '-' is already '_'
	}
	c.Host = text[fHost]
	c.Login = text[fLogin]
	if text[fPassword] != "" {
		c.Password = NewSecret(text[fPassword])
	}
	c.Schema = text[fSchema]
	c.Extra = text[fExtra]
	c.empty |= FieldConnType | FieldHost | FieldSchema
	return true
}

// byteClass classes the bytes of a URI for the fast path's loops: '.' a
// printable ASCII byte that means nothing to urlsplit, the netloc
// accessors, unquote or JSON; 'U' an ASCII upper-case letter (which a host
// must lose); 's' one of / ? @ % : # [ ] + " \ that a loop looks at; 'x'
// any other byte (controls, space, DEL, non-ASCII), which the fast path
// leaves to parseURIGeneral. A string constant indexed by a byte needs no
// bounds check and no initialisation. TestByteClass checks it.
const byteClass = "" +
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.ss.s.....s...s..........s....s" +
	"sUUUUUUUUUUUUUUUUUUUUUUUUUUsss.................................x" +
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" +
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

// appendUnquoteASCII appends urllib.parse.unquote(s) for an ASCII s
// (pycompat.AppendUnquote). ok is false, with b as it may be left, when the
// decoded bytes are not UTF-8 (unquote then replaces them; the caller
// leaves that to pycompat).
func appendUnquoteASCII(b []byte, s string) ([]byte, bool) {
	start := len(b)
	b = pycompat.AppendUnquote(b, s)
	return b, utf8.Valid(b[start:])
}

// appendPlainExtra appends the extra of a query with no '%', '+', '"' or
// '\\' in printable ASCII, as extraFromQuery writes it: names and values
// are the text itself, and a value is a JSON string unless it is an integer
// or true, false or null written as json.dumps writes it. It appends
// nothing for a query with no field. ok is false, with nothing appended,
// for a query it cannot write so simply (__extra__, a repeated name, other
// JSON values, more than 8 fields): extraFromQuery then does.
func appendPlainExtra(b []byte, query string) ([]byte, bool) {
	start := len(b)
	var names [8]string
	n := 0
	for q := query; q != ""; {
		field := q
		if i := strings.IndexByte(q, '&'); i >= 0 {
			field, q = q[:i], q[i+1:]
		} else {
			q = ""
		}
		if field == "" {
			continue
		}
		name, value, _ := strings.Cut(field, "=")
		if name == extraKey || n == len(names) {
			return b[:start], false
		}
		for _, prev := range names[:n] {
			if prev == name {
				return b[:start], false
			}
		}
		names[n] = name
		n++
		if n == 1 {
			b = append(b, `{"`...)
		} else {
			b = append(b, `, "`...)
		}
		b = append(b, name...)
		b = append(b, `": `...)
		switch {
		case value == "" || !jsonStart(value[0]):
			// Not JSON to typedQueryValue: a string.
			b = append(b, '"')
			b = append(b, value...)
			b = append(b, '"')
		case value == "true" || value == "false" || value == "null" || canonicalJSONInt(value):
			b = append(b, value...)
		default:
			return b[:start], false
		}
	}
	if n > 0 {
		b = append(b, '}')
	}
	return b, true
}

// jsonStart reports whether typedQueryValue tries a value that starts with
// b as JSON (one of "{[-0123456789tfnNI).
func jsonStart(b byte) bool {
	switch b {
	case '"', '{', '[', '-', 't', 'f', 'n', 'N', 'I':
		return true
	}
	return isDigit(b)
}

// canonicalJSONInt reports whether s is an integer that json.loads reads
// and json.dumps writes back as s: an optional '-', then 0 or digits not
// starting with 0, at most 300 of them (pycompat.Loads treats longer ones
// apart), and not "-0" (which json.dumps writes as 0).
func canonicalJSONInt(s string) bool {
	d := s
	if d != "" && d[0] == '-' {
		d = d[1:]
	}
	if d == "" || len(d) > 300 || (d[0] == '0' && (len(d) > 1 || len(s) > 1)) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if !isDigit(d[i]) {
			return false
		}
	}
	return true
}
