package connection

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/secretpath/secretpath/resolver/internal/pycompat"
)

// Airflow's reserved query parameter that carries the whole extra as JSON.
const extraKey = "__extra__"

// wrap wraps ErrInvalid with the connection id and the field at
// fault. Messages never quote the value, the URI or the extras.
func (e *fieldErr) wrap(connID string) error {
	return fmt.Errorf("%w: connection %q: %s: %s", ErrInvalid, connID, e.Field, e.Msg)
}

// ParseURI parses an Airflow connection URI as Airflow's newest core model
// does (Connection(conn_id=connID, uri=uri)), including the quirks of
// Python's urllib.parse on which it is built:
//
//   - conn_type is the scheme, lowercased, with postgresql → postgres and
//     every other '-' → '_';
//   - a scheme with '_' is an error, a deliberate difference: Python's
//     urlsplit finds no scheme there and Airflow silently makes the whole
//     URI a schema ("a_b://h" gives conn_type "" and schema "_b//h"), so
//     the error says to write '-', which becomes '_' in conn_type;
//   - host is percent-decoded and lowercased, except a host that decodes to
//     something with '/' (a socket path), whose case is kept; IPv6 brackets
//     go; a second "://" makes a protocol host (spark://k8s://h:443 gives
//     host "k8s://h"); host and schema are "" (present) when the URI has none;
//   - login and password are percent-decoded ('+' stays), split at the last
//     '@'; an empty password is absent;
//   - the query becomes extra: blank values kept, a repeated key takes its
//     last value, '+' is a space, every value that reads as JSON becomes that
//     JSON value (Airflow 3.2, PR #59339), and __extra__ instead carries the
//     whole extra as JSON text.
//
// Extra is stored as Python's json.dumps would write it. connID is sanitised
// as Airflow does ([ValidID]); an invalid id gives ConnID "" rather than
// an error. Errors wrap [ErrInvalid], name the field at fault and
// never contain the URI, the password or an extra value.
func ParseURI(connID, uri string) (Connection, error) {
	c, ferr := parseURI(uri)
	if ferr != nil {
		return Connection{}, ferr.wrap(connID)
	}
	c.ConnID = sanitizeConnID(connID)
	return c, nil
}

// normalizeConnType is Connection._normalize_conn_type.
func normalizeConnType(t string) string {
	if t == "postgresql" {
		return "postgres"
	}
	if strings.IndexByte(t, '-') >= 0 {
		return strings.ReplaceAll(t, "-", "_")
	}
	return t
}

// parseURI is Connection._parse_from_uri: parseURIFast for a URI of the
// common shape, else parseURIGeneral.
func parseURI(uri string) (Connection, *fieldErr) {
	var c Connection
	if parseURIFast(uri, &c) {
		return c, nil
	}
	return parseURIGeneral(uri)
}

// parseURIGeneral is Connection._parse_from_uri for every URI, on the port
// of urllib.parse in pycompat.
func parseURIGeneral(uri string) (Connection, *fieldErr) {
	var c Connection
	if !utf8.ValidString(uri) {
		return c, &fieldErr{"uri", "not valid UTF-8"}
	}
	if underscoreScheme(uri) {
		return c, &fieldErr{"conn_type", errUnderscoreScheme}
	}
	n := strings.Count(uri, "://")
	if n > 2 {
		return c, &fieldErr{"uri", `more than two "://"`}
	}
	p, perr := pycompat.URLSplit(uri)
	if perr != nil {
		return c, (*fieldErr)(perr)
	}
	scheme := p.Scheme
	c.ConnType = normalizeConnType(scheme)
	c.empty |= FieldConnType

	// Airflow: uri.replace(f"{conn_type}://", "" if two "://" else "//"),
	// with the lowercased scheme, on every occurrence.
	rest := uri
	switch n {
	case 2:
		rest = strings.ReplaceAll(uri, scheme+"://", "")
		if proto, _, _ := strings.Cut(rest, "://"); strings.ContainsAny(proto, "@:") {
			return c, &fieldErr{"host", `the protocol before the second "://" contains '@' or ':'`}
		}
	case 1:
		// "://" occurs once, so the scheme's "://" can only be that one.
		i := strings.Index(uri, "://")
		if at := i - len(scheme); at >= 0 && uri[at:i] == scheme {
			if at == 0 {
				rest = uri[len(scheme)+1:] // "scheme://x" → "//x"
			} else {
				rest = uri[:at] + "//" + uri[i+3:]
			}
		}
	}
	if p, perr = pycompat.URLSplit(rest); perr != nil {
		return c, (*fieldErr)(perr)
	}

	host := hostFromNetloc(p.Netloc)
	if host != "" && n == 2 && p.Scheme != "" {
		host = p.Scheme + "://" + host
	}
	c.Host = host
	c.empty |= FieldHost

	if p.Path != "" {
		_, size := utf8.DecodeRuneInString(p.Path) // path[1:] drops one character
		c.Schema = pycompat.Unquote(p.Path[size:])
	}
	c.empty |= FieldSchema

	if user, ok, pass, _ := pycompat.NetlocUserinfo(p.Netloc); ok {
		c.Login = pycompat.Unquote(user)
		c.empty |= FieldLogin
		if pass != "" {
			c.Password = NewSecret(pycompat.Unquote(pass))
		}
	}

	port, ok, perr := pycompat.NetlocPort(p.Netloc)
	if perr != nil {
		return c, (*fieldErr)(perr)
	}
	if ok {
		c.Port = port
		c.empty |= FieldPort
	}

	if p.Query != "" {
		extra, err := extraFromQuery(p.Query)
		if err != nil {
			return c, err
		}
		c.Extra = extra
	}
	return c, nil
}

// errUnderscoreScheme is the message for a URI whose scheme has '_'.
const errUnderscoreScheme = "the URI scheme contains '_', which Python's urlsplit does not read as a scheme " +
	"(Airflow would take the whole URI as a path): write '-' instead (conn_type a_b is written a-b://)"

// underscoreScheme reports whether uri starts with what would be a scheme
// but for a '_' in it: an ASCII letter, then letters, digits, '+', '-', '.'
// and at least one '_', then ':'. It reads uri as urlsplit does: leading
// C0 controls and spaces skipped, tabs and newlines ignored. Python finds no
// scheme there and Airflow turns the rest into a schema; ParseURI refuses
// such a URI instead.
func underscoreScheme(uri string) bool {
	i := 0
	for i < len(uri) && uri[i] <= ' ' {
		i++
	}
	first, underscore := true, false
	for ; i < len(uri); i++ {
		c := uri[i]
		switch {
		case c == '\t' || c == '\r' || c == '\n':
		case first:
			if c|0x20 < 'a' || c|0x20 > 'z' {
				return false
			}
			first = false
		case c == '_':
			underscore = true
		case c == ':':
			return underscore
		case !isSchemeChar(c):
			return false
		}
	}
	return false
}

// hostFromNetloc is Airflow's _parse_netloc_to_hostname.
func hostFromNetloc(netloc string) string {
	h, _ := pycompat.NetlocHostname(netloc)
	h = pycompat.Unquote(h)
	if strings.IndexByte(h, '/') < 0 {
		return h
	}
	h = netloc[strings.LastIndexByte(netloc, '@')+1:]
	if k := strings.IndexByte(h, ':'); k >= 0 {
		h = h[:k]
	}
	return pycompat.Unquote(h)
}

// extraFromQuery turns a URI query into Airflow's extra text.
func extraFromQuery(query string) (string, *fieldErr) {
	var buf [8]pycompat.QueryPair
	pairs := pycompat.ParseQSLDict(buf[:0], query)
	if k := pycompat.QueryIndex(pairs, extraKey); k >= 0 {
		return canonicalExtra(pairs[k].Value)
	}
	if len(pairs) == 0 {
		return "", nil // Airflow: "{}"; an empty object is no extra here
	}
	var w strings.Builder
	w.Grow(len(query) + 8*len(pairs) + 2)
	w.WriteByte('{')
	for k := range pairs {
		if k > 0 {
			w.WriteString(", ")
		}
		pycompat.WriteJSONString(&w, pairs[k].Name)
		w.WriteString(": ")
		v, kind := typedQueryValue(pairs[k].Value)
		switch kind {
		case pycompat.OK:
			pycompat.WriteJSON(&w, &v)
		case pycompat.Fatal:
			return "", &fieldErr{"extra", "a query value is JSON with an integer of more than 4300 digits or nesting too deep"}
		default:
			pycompat.WriteJSONString(&w, pairs[k].Value)
		}
	}
	w.WriteByte('}')
	return w.String(), nil
}

// typedQueryValue is Airflow's json.loads of one query value (PR #59339).
// A value that is not JSON, or JSON that Go cannot carry, stays a string.
func typedQueryValue(s string) (pycompat.Value, pycompat.ErrKind) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	if i == len(s) || strings.IndexByte(`"{[-0123456789tfnNI`, s[i]) < 0 {
		return pycompat.Value{}, pycompat.Syntax
	}
	v, err := pycompat.Loads(s, queryValueMaxDepth)
	return v, err.Kind
}

// canonicalExtra validates extra text as Airflow's _validate_extra does (a
// JSON object) and returns it as json.dumps would write it. "" and an empty
// object give "" (no extra).
func canonicalExtra(text string) (string, *fieldErr) {
	if text == "" {
		return "", nil
	}
	v, err := pycompat.Loads(text, extraMaxDepth)
	switch err.Kind {
	case pycompat.OK:
	case pycompat.Syntax:
		return "", &fieldErr{"extra", "not valid JSON (at byte " + strconv.Itoa(err.Offset) + ")"}
	case pycompat.Unrepresentable:
		return "", errUnrepresentable("extra")
	default:
		return "", &fieldErr{"extra", "JSON with an integer of more than 4300 digits or nesting too deep"}
	}
	if v.Kind != pycompat.Object {
		return "", &fieldErr{"extra", "not a JSON object"}
	}
	if len(v.Obj) == 0 {
		return "", nil // Airflow keeps "{}"; from_json drops {}: no extra either way
	}
	return pycompat.Dumps(&v), nil
}

func errUnrepresentable(field string) *fieldErr {
	return &fieldErr{field, "holds NaN, Infinity, a number out of float64 range or an unpaired surrogate, which Go's JSON cannot carry"}
}

// URI serialises the connection as Airflow's get_uri does (core model, so
// port 0 is left out), with these differences, each where Airflow's own
// output would not parse back to the same connection:
//
//   - a host with a protocol ("k8s://h") is written whole and
//     percent-encoded, not as "k8s://" + h, when the protocol would not
//     survive parsing (Airflow does this only when it equals conn_type);
//   - an upper-case ASCII letter of the host that parsing would lowercase
//     is percent-encoded (%4D), which keeps the host's case;
//   - the extras go in one __extra__ parameter unless every value is a
//     string that does not itself read as JSON and no key is __extra__
//     (parsing turns "1" into 1).
//
// Login, password, host and port are written exactly as Airflow does,
// for every combination of them, although Airflow's URI does not always
// parse back to the same connection: an empty login alone is left out (it
// parses back absent), and a port with neither host nor login nor password
// is written "@:port" (it parses back with an empty login). The URI of a
// parsed URI is stable: ParseURI(id, c.URI()).URI() == c.URI().
//
// The URI holds the password: treat it as a secret.
func (c Connection) URI() string {
	var w strings.Builder
	w.Grow(24 + len(c.ConnType) + 2*(len(c.Host)+len(c.Login)+c.Password.Len()+len(c.Schema)) + 3*len(c.Extra))

	scheme := ""
	if c.ConnType != "" {
		scheme = strings.ReplaceAll(pycompat.Lower(c.ConnType), "_", "-")
		w.WriteString(scheme)
		w.WriteString("://")
	} else {
		w.WriteString("//")
	}

	host := c.Host
	if i := strings.Index(host, "://"); i >= 0 {
		proto, after := host[:i], host[i+3:]
		if protocolSurvives(proto, after, scheme, c.ConnType) {
			w.WriteString(proto)
			w.WriteString("://")
			host = after
		}
	}

	// Airflow writes the login when it is not None, but an empty login
	// alone makes an empty authority block, which gets no '@'.
	authority := c.Login != ""
	if authority {
		pycompat.WriteQuote(&w, c.Login, false)
	}
	if pw := c.Password.Reveal(); pw != "" {
		w.WriteByte(':')
		pycompat.WriteQuote(&w, pw, false)
		authority = true
	}
	if authority {
		w.WriteByte('@')
	}
	if host != "" {
		writeQuoteHost(&w, host)
	}
	if c.Port != 0 {
		if host == "" && !authority {
			w.WriteByte('@') // Airflow: "@:port" when there is neither host nor authority
		}
		w.WriteByte(':')
		var b [20]byte
		w.Write(strconv.AppendInt(b[:0], int64(c.Port), 10))
	}
	if c.Schema != "" {
		w.WriteByte('/')
		pycompat.WriteQuote(&w, c.Schema, false)
	}
	if c.Extra != "" {
		if c.Schema != "" {
			w.WriteByte('?')
		} else {
			w.WriteString("/?")
		}
		writeExtraQuery(&w, c.Extra)
	}
	return w.String()
}

// protocolSurvives reports whether scheme://proto://after parses back to
// host proto://after: proto must be a lowercase scheme, differ from
// conn_type and not end with the scheme (Airflow replaces every
// "scheme://"), and after must not be empty.
func protocolSurvives(proto, after, scheme, connType string) bool {
	if proto == "" || after == "" || scheme == "" || proto == connType || strings.HasSuffix(proto, scheme) {
		return false
	}
	if proto[0] < 'a' || proto[0] > 'z' {
		return false
	}
	for i := 1; i < len(proto); i++ {
		if c := proto[i]; !isSchemeChar(c) || (c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// isSchemeChar reports whether urlsplit takes c as part of a scheme after
// its first letter.
func isSchemeChar(c byte) bool { return pycompat.IsSchemeChar(c) }

// upperHex are the digits of quote's %XX escapes.
const upperHex = "0123456789ABCDEF"

// writeQuoteHost is quote(host, safe="") except that an upper-case ASCII
// letter before the first escape is escaped too: Python lowercases a
// hostname up to its first '%' only.
func writeQuoteHost(w *strings.Builder, host string) {
	for i := 0; i < len(host); i++ {
		c := host[i]
		if pycompat.QuoteSafe(c) && (c < 'A' || c > 'Z') {
			w.WriteByte(c)
			continue
		}
		w.WriteByte('%')
		w.WriteByte(upperHex[c>>4])
		w.WriteByte(upperHex[c&0xf])
		pycompat.WriteQuote(w, host[i+1:], false)
		return
	}
}

// writeExtraQuery writes the query for extra text: k=v pairs when parsing
// them gives the same extra back, else __extra__=<the JSON text>.
func writeExtraQuery(w *strings.Builder, extra string) {
	if v, ok := plainExtra(extra); ok {
		for k := range v.Obj {
			if k > 0 {
				w.WriteByte('&')
			}
			pycompat.WriteQuote(w, v.Obj[k].Key, true)
			w.WriteByte('=')
			pycompat.WriteQuote(w, v.Obj[k].Val.Str, true)
		}
		return
	}
	w.WriteString(extraKey)
	w.WriteByte('=')
	pycompat.WriteQuote(w, extra, true)
}

// plainExtra reports whether extra is a non-empty JSON object whose values
// are all strings that stay strings when parsed from a query, with no key
// __extra__, and returns it decoded.
func plainExtra(extra string) (pycompat.Value, bool) {
	v, err := pycompat.Loads(extra, extraMaxDepth)
	if err.Kind != pycompat.OK || v.Kind != pycompat.Object || len(v.Obj) == 0 {
		return v, false
	}
	for k := range v.Obj {
		m := &v.Obj[k]
		if m.Key == extraKey || m.Val.Kind != pycompat.String {
			return v, false
		}
		if _, kind := typedQueryValue(m.Val.Str); kind != pycompat.Syntax {
			return v, false
		}
	}
	return v, true
}
