package connection

// The oracle: ParseURI as it was before its fast path (issue 19), copied
// verbatim with its helpers renamed oracle*, so that FuzzParseURIOracle and
// TestParseURIOracle can hold the new code to it. It calls the same pycompat
// functions, which the fast path left unchanged. Do not edit it to follow
// uri.go: a difference is what the differential tests are for.

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/secretpath/secretpath/resolver/internal/pycompat"
)

// oracleParseURI is ParseURI before the fast path.
func oracleParseURI(connID, uri string) (Connection, error) {
	c, ferr := oracleParseFromURI(uri)
	if ferr != nil {
		return Connection{}, ferr.wrap(connID)
	}
	c.ConnID = oracleSanitizeConnID(connID)
	return c, nil
}

// oracleNormalizeConnType is Connection._normalize_conn_type.
func oracleNormalizeConnType(t string) string {
	if t == "postgresql" {
		return "postgres"
	}
	if strings.IndexByte(t, '-') >= 0 {
		return strings.ReplaceAll(t, "-", "_")
	}
	return t
}

// oracleParseFromURI is Connection._parse_from_uri.
func oracleParseFromURI(uri string) (Connection, *fieldErr) {
	var c Connection
	if !utf8.ValidString(uri) {
		return c, &fieldErr{"uri", "not valid UTF-8"}
	}
	if oracleUnderscoreScheme(uri) {
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
	c.ConnType = oracleNormalizeConnType(scheme)
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

	host := oracleHostFromNetloc(p.Netloc)
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
		extra, err := oracleExtraFromQuery(p.Query)
		if err != nil {
			return c, err
		}
		c.Extra = extra
	}
	return c, nil
}

// oracleUnderscoreScheme reports whether uri starts with what would be a scheme
// but for a '_' in it: an ASCII letter, then letters, digits, '+', '-', '.'
// and at least one '_', then ':'. It reads uri as urlsplit does: leading
// C0 controls and spaces skipped, tabs and newlines ignored. Python finds no
// scheme there and Airflow turns the rest into a schema; ParseURI refuses
// such a URI instead.
func oracleUnderscoreScheme(uri string) bool {
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

// oracleHostFromNetloc is Airflow's _parse_netloc_to_hostname.
func oracleHostFromNetloc(netloc string) string {
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

// oracleExtraFromQuery turns a URI query into Airflow's extra text.
func oracleExtraFromQuery(query string) (string, *fieldErr) {
	var buf [8]pycompat.QueryPair
	pairs := pycompat.ParseQSLDict(buf[:0], query)
	if k := pycompat.QueryIndex(pairs, extraKey); k >= 0 {
		return oracleCanonicalExtra(pairs[k].Value)
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
		v, kind := oracleTypedQueryValue(pairs[k].Value)
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

// oracleTypedQueryValue is Airflow's json.loads of one query value (PR #59339).
// A value that is not JSON, or JSON that Go cannot carry, stays a string.
func oracleTypedQueryValue(s string) (pycompat.Value, pycompat.ErrKind) {
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

// oracleCanonicalExtra validates extra text as Airflow's _validate_extra does (a
// JSON object) and returns it as json.dumps would write it. "" and an empty
// object give "" (no extra).
func oracleCanonicalExtra(text string) (string, *fieldErr) {
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

// oracleSanitizeConnID is Airflow's sanitize_conn_id, with "" for None. Python's
// '$' also matches before one trailing newline, so Airflow turns "abc\n"
// into "abc"; this does the same.
func oracleSanitizeConnID(id string) string {
	if utf8.RuneCountInString(id) > connIDMaxLen {
		return ""
	}
	s := strings.TrimSuffix(id, "\n")
	if s == "" || !oracleAllConnIDRunes(s) {
		return ""
	}
	return s
}

func oracleAllConnIDRunes(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if !isASCIILetter(c) && !isDigit(c) && strings.IndexByte(`_#!()-.:/\`, c) < 0 {
				return false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			return false
		}
		i += size - 1
	}
	return true
}
