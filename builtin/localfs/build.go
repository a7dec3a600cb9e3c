package localfs

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/secretpath/secretpath/resolver/connection"
)

// format is a secrets file's format, chosen by extension.
type format uint8

const (
	formatEnv format = iota + 1
	formatJSON
	formatYAML
)

// extensions lists the supported extensions as Airflow's error does.
const extensions = ".env .json .yaml .yml"

// formatOf returns the format for a path's extension, compared lower-cased.
// A file named just ".env" is a .env file (Python's pathlib sees no suffix
// there, so Airflow refuses it).
func formatOf(p string) (format, bool) {
	switch strings.ToLower(path.Ext(strings.ReplaceAll(p, `\`, "/"))) {
	case ".env":
		return formatEnv, true
	case ".json":
		return formatJSON, true
	case ".yaml", ".yml":
		return formatYAML, true
	}
	return 0, false
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// parseFile reads a file's top-level entries in its format. A leading UTF-8
// byte order mark is ignored; any other invalid UTF-8 is an error (Python
// fails to read such a file at all). The entries' strings may point into
// data (see bytesString): the caller must not change data afterwards.
func parseFile(data []byte, f format, p *problems) []member {
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			off += size
		}
		p.add(lineOf(data, off), "The file is not valid UTF-8.")
		return nil
	}
	switch f {
	case formatEnv:
		return parseDotenv(data, p)
	case formatJSON:
		return parseJSONFile(data, p)
	case formatYAML:
		return parseYAMLFile(data, p)
	}
	return nil
}

// showKey writes a key (an id) for a message: as is when it is plain text,
// quoted when it holds spaces, quotes, commas or unprintable characters.
func showKey(k string) string {
	if k == "" {
		return `""`
	}
	for _, r := range k {
		if r == '"' || r == ',' || r == '\\' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return strconv.Quote(k)
		}
	}
	return k
}

// lineList writes the lines of a key's definitions: "1, 4".
func lineList(vs []value) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(v.line)
	}
	return strings.Join(s, ", ")
}

// textValue is a variable's or config's value as a string: a string as is,
// anything else as compact JSON. ok is false for null (absent, as None is
// in Airflow).
func textValue(v *value) (s string, ok bool) {
	switch v.kind {
	case vNull:
		return "", false
	case vString:
		return v.s, true
	}
	return jsonText(v, compactJSON), true
}

// buildVariables applies Airflow's load_variables rules: in a .env file
// every key must occur exactly once; in JSON and YAML each value is taken
// as it is (null: the variable is absent).
func buildVariables(entries []member, f format, p *problems) map[string]string {
	out := make(map[string]string, len(entries))
	for i := range entries {
		s, ok, pos, msg := variableEntry(f, &entries[i])
		if msg != "" {
			p.add(pos, msg)
		} else if ok {
			out[entries[i].key] = s
		}
	}
	return out
}

// variableEntry applies load_variables to one entry: its value, whether it
// defines one, or a problem (msg, at pos). A .env entry is the array of its
// definitions, or (parseKindFast) its only definition. When the entry
// defines a value, the value and e.key are given their own memory
// (ownText): the maps and the callers keep them, not the file's bytes.
func variableEntry(f format, e *member) (s string, ok bool, pos int, msg string) {
	v := &e.val
	if f == formatEnv && v.kind == vArray {
		if len(v.elems) != 1 {
			return "", false, v.elems[1].line, fmt.Sprintf("The file contains multiple values for key %s (lines %s).", showKey(e.key), lineList(v.elems))
		}
		v = &v.elems[0]
	}
	s, ok = textValue(v)
	if ok {
		e.key, s = ownText(e.key, s)
	}
	return s, ok, 0, ""
}

// ownText returns key and s copied into one new allocation, the entry's own
// memory: a parse's strings point into the file's bytes (see bytesString),
// and a caller that keeps one value must not keep the whole file alive.
func ownText(key, s string) (string, string) {
	if len(key)+len(s) == 0 {
		return "", ""
	}
	// Not key + s: a concatenation with an empty operand returns the
	// other one, still in the file.
	var b strings.Builder
	b.Grow(len(key) + len(s))
	b.WriteString(key)
	b.WriteString(s)
	all := b.String()
	return all[:len(key)], all[len(key):]
}

// buildConfigs applies Airflow's load_configs_dict rules: like variables,
// but a list (every .env key is one) must hold exactly one value, which is
// taken.
func buildConfigs(entries []member, f format, p *problems) map[string]string {
	out := make(map[string]string, len(entries))
	for i := range entries {
		s, ok, pos, msg := configEntry(f, &entries[i])
		if msg != "" {
			p.add(pos, msg)
		} else if ok {
			out[entries[i].key] = s
		}
	}
	return out
}

// configEntry applies load_configs_dict to one entry, as variableEntry.
func configEntry(f format, e *member) (s string, ok bool, pos int, msg string) {
	v := &e.val
	if v.kind == vArray {
		if len(v.elems) != 1 {
			if f == formatEnv {
				return "", false, v.elems[1].line, fmt.Sprintf("The file contains multiple values for key %s (lines %s).", showKey(e.key), lineList(v.elems))
			}
			return "", false, e.line, fmt.Sprintf("The file contains %d values for key %s; a config must have exactly one.", len(v.elems), showKey(e.key))
		}
		v = &v.elems[0]
	}
	s, ok = textValue(v)
	if ok {
		e.key, s = ownText(e.key, s)
	}
	return s, ok, 0, ""
}

// connEntry is a connection as a lookup returns it, and the value Lookup
// returns for it.
type connEntry struct {
	conn  connection.Connection
	value string
}

// connectionKeys are the keys a connection object may hold: the parameters
// of Airflow's newest Connection constructor (team_name included; it is
// accepted and dropped), plus extra_dejson.
var connectionKeys = []string{"conn_id", "conn_type", "description", "extra", "extra_dejson", "host", "login", "password", "port", "schema", "team_name", "uri"}

// buildConnections applies Airflow's load_connections_dict rules: a list
// holds at most one definition (an empty list defines nothing), a string is
// a connection value, an object holds Connection fields.
func buildConnections(entries []member, f format, p *problems) *connTable {
	t := newConnTable(min(len(entries), maxSizeHint))
	for i := range entries {
		cb, ok, pos, msg := connectionEntry(f, &entries[i])
		if msg != "" {
			p.add(pos, msg)
		} else if ok {
			t.put(&cb, true)
		}
	}
	return t
}

// connectionEntry applies load_connections_dict to one entry, as
// variableEntry: when it defines a connection, it is packed into a record
// of its own memory (packConnection), e.key included.
func connectionEntry(f format, e *member) (cb connBuild, ok bool, pos int, msg string) {
	v := &e.val
	if v.kind == vArray {
		switch {
		case len(v.elems) == 0:
			return connBuild{}, false, 0, ""
		case len(v.elems) > 1:
			if f == formatEnv {
				return connBuild{}, false, v.elems[1].line, fmt.Sprintf("Found multiple values for %s (lines %s).", showKey(e.key), lineList(v.elems))
			}
			return connBuild{}, false, e.line, fmt.Sprintf("Found multiple values for %s (a list of %d).", showKey(e.key), len(v.elems))
		}
		v = &v.elems[0]
	}
	pos = e.line
	if f == formatEnv {
		pos = v.line
	}
	cb, ok, msg = createConnection(e.key, v)
	return cb, ok, pos, msg
}

// createConnection is Airflow's _create_connection. ok is false for an
// empty string, which defines nothing. msg is a problem, or "". When it
// defines a connection, it returns it packed with connID and its value
// into a record of their own (packConnection): nothing of it points into
// the file.
func createConnection(connID string, v *value) (cb connBuild, ok bool, msg string) {
	switch v.kind {
	case vString:
		if v.s == "" {
			return connBuild{}, false, ""
		}
		// A string is what every other backend returns, so it is parsed
		// the same way: Airflow's JSON form when it starts with '{', else
		// a URI (Airflow's Connection(uri=...)). It is parsed where it
		// lies (the file): the connection's fields are substrings of it
		// (ParseURI and ParseJSON slice their input) or built anew, and
		// packConnection copies the value once, into the record.
		c, err := connection.Parse(connID, v.s)
		if err != nil {
			return connBuild{}, false, err.Error()
		}
		return packConnection(connID, v.s, &c, true), true, ""
	case vObject:
		fields, msg := connectionFields(connID, v)
		if msg != "" {
			return connBuild{}, false, msg
		}
		c, err := connection.FromFields(connID, fields)
		if err != nil {
			return connBuild{}, false, err.Error()
		}
		js, err := c.RevealedJSON()
		if err != nil {
			return connBuild{}, false, err.Error()
		}
		// js is copied into the record; the fields (in the file) after it.
		return packConnection(connID, bytesString(js), &c, false), true, ""
	}
	return connBuild{}, false, "Unexpected value type: " + v.kind.typeName() +
		". The connection can only be defined using a string or object."
}

// connectionFields checks a connection object's keys and turns it into the
// fields of connection.FromFields, as Airflow does before calling
// Connection(**value): extra_dejson becomes extra (json.dumps of it), an
// extra that is not a string becomes json.dumps of it when it is truthy and
// nothing when it is not, and conn_id must equal the key.
func connectionFields(connID string, v *value) (map[string]any, string) {
	var illegal []string
	has := map[string]*value{}
	for i := range v.members {
		m := &v.members[i]
		if !slices.Contains(connectionKeys, m.key) {
			illegal = append(illegal, showKey(m.key))
			continue
		}
		has[m.key] = &m.val
	}
	if len(illegal) > 0 {
		slices.Sort(illegal)
		return nil, "The object have illegal keys: " + strings.Join(illegal, ", ") +
			". The dictionary can only contain the following keys: " + strings.Join(connectionKeys, ", ") + "."
	}
	if has["extra"] != nil && has["extra_dejson"] != nil {
		return nil, "The extra and extra_dejson parameters are mutually exclusive. Please provide only one parameter."
	}
	if id := has["conn_id"]; id != nil && (id.kind != vString || id.s != connID) {
		return nil, "Mismatch conn_id. The conn_id field does not match the key " + showKey(connID) + "."
	}
	fields := make(map[string]any, len(has))
	for k, fv := range has {
		switch k {
		case "conn_id":
		case "extra_dejson":
			fields["extra"] = jsonText(fv, pythonJSON)
		case "extra":
			switch {
			case fv.kind == vString:
				fields["extra"] = fv.s
			case truthy(fv):
				fields["extra"] = jsonText(fv, pythonJSON)
			}
		default:
			fields[k] = goValue(fv)
		}
	}
	return fields, ""
}
