package connection

import (
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/secretpath/secretpath/resolver/internal/pycompat"
)

// Nesting limits. jsonMaxDepth is Python's as it decodes a connection's
// JSON form. An extra sits one level down in that form, and a query value
// one more level down in the extra, so their limits are one and two less:
// whatever parses also parses again once nested.
const (
	jsonMaxDepth       = pycompat.MaxDepth
	extraMaxDepth      = jsonMaxDepth - 1
	queryValueMaxDepth = extraMaxDepth - 1
)

// Parse parses a connection value as Airflow's secrets backends do
// (BaseSecretsBackend.deserialize_connection): the value is trimmed of
// Python whitespace, then read as Airflow's JSON form ([ParseJSON]) when it
// starts with '{' and as a connection URI ([ParseURI]) otherwise.
func Parse(connID, value string) (Connection, error) {
	v := pycompat.Strip(value)
	if v == "" {
		return Connection{}, (&fieldErr{"value", "empty"}).wrap(connID)
	}
	if v[0] == '{' {
		return ParseJSON(connID, v)
	}
	return ParseURI(connID, v)
}

// ParseJSON parses Airflow's JSON connection form as Connection.from_json
// does in Airflow's newest core model:
//
//   - the keys are the constructor's: conn_type, description, host, login,
//     password, schema, port, extra, uri (and team_name, accepted and
//     dropped); any other key is an error that names it;
//   - conn_type is normalised as in URIs (postgresql → postgres, '-' → '_');
//   - port is an integer or a string holding one ("1" → 1); "" and null
//     leave it absent; it must lie in 0-65535;
//   - extra is an object or a string holding a JSON object;
//   - an empty password is absent; "" in other fields is present;
//   - uri builds the connection from a URI and may not be mixed with other
//     non-empty fields (description excepted);
//   - conn_type or uri must be a non-empty string.
//
// A "conn_id" key, which [Connection.RevealedJSON] writes, is accepted when
// it is null or names the same id as connID. Extra is stored as Python's
// json.dumps would write it. Errors wrap [ErrInvalid], name the
// field at fault and never contain a value.
func ParseJSON(connID, data string) (Connection, error) {
	c, ferr := parseJSON(connID, data)
	if ferr != nil {
		return Connection{}, ferr.wrap(connID)
	}
	return c, nil
}

// optStr is a string field that may be None.
type optStr struct {
	v   string
	set bool
}

// connArgs are the arguments of Airflow's Connection constructor.
type connArgs struct {
	connType, description, host, login, password, schema, uri optStr
	port                                                      int
	hasPort                                                   bool
	extra                                                     string // JSON text, "" for none
}

// stringField returns where the constructor's string field key goes, or
// nil when key is not one of them.
func (a *connArgs) stringField(key string) *optStr {
	switch key {
	case "conn_type":
		return &a.connType
	case "description":
		return &a.description
	case "host":
		return &a.host
	case "login":
		return &a.login
	case "password":
		return &a.password
	case "schema":
		return &a.schema
	case "uri":
		return &a.uri
	}
	return nil
}

func parseJSON(connID, data string) (Connection, *fieldErr) {
	if !utf8.ValidString(data) {
		return Connection{}, &fieldErr{"value", "not valid UTF-8"}
	}
	root, jerr := pycompat.Loads(data, jsonMaxDepth)
	switch jerr.Kind {
	case pycompat.OK:
	case pycompat.Syntax:
		return Connection{}, &fieldErr{"value", "not valid JSON (at byte " + strconv.Itoa(jerr.Offset) + ")"}
	case pycompat.Unrepresentable:
		return Connection{}, errUnrepresentable("value")
	default:
		return Connection{}, &fieldErr{"value", "JSON with an integer of more than 4300 digits or nesting too deep"}
	}
	if root.Kind != pycompat.Object {
		return Connection{}, &fieldErr{"value", "not a JSON object"}
	}

	var a connArgs
	var unknown []string
	for k := range root.Obj {
		key, v := root.Obj[k].Key, &root.Obj[k].Val
		dst := a.stringField(key)
		switch {
		case dst != nil: // set below
		case key == "conn_id" || key == "team_name":
			if v.Kind != pycompat.Null && v.Kind != pycompat.String {
				return Connection{}, &fieldErr{key, "not a string"}
			}
			if key == "conn_id" && v.Kind == pycompat.String && sanitizeConnID(v.Str) != sanitizeConnID(connID) {
				return Connection{}, &fieldErr{"conn_id", "does not match the connection id"}
			}
			continue
		case key == "port":
			// from_json: a falsy port is dropped; the newest model keeps 0.
			if v.Kind == pycompat.Null || (v.Kind == pycompat.String && pycompat.Strip(v.Str) == "") {
				continue
			}
			p, err := portFromJSON(v)
			if err != nil {
				return Connection{}, err
			}
			a.port, a.hasPort = p, true
			continue
		case key == "extra":
			// from_json: a falsy extra is dropped, a string is kept as
			// JSON text, anything else is json.dumps'ed.
			if !v.Truthy() {
				continue
			}
			if v.Kind == pycompat.String {
				a.extra = v.Str
			} else if v.Kind != pycompat.Object {
				return Connection{}, &fieldErr{"extra", "not a JSON object"}
			} else {
				a.extra = pycompat.Dumps(v)
			}
			continue
		default:
			unknown = append(unknown, key)
			continue
		}
		switch v.Kind {
		case pycompat.Null:
		case pycompat.String:
			*dst = optStr{v.Str, true}
		default:
			return Connection{}, &fieldErr{key, "not a string"}
		}
	}
	if len(unknown) > 0 {
		return Connection{}, errUnknownKeys(unknown)
	}
	// from_json normalises a non-empty conn_type and drops an empty one.
	if a.connType.v == "" {
		a.connType.set = false
	} else {
		a.connType.v = normalizeConnType(a.connType.v)
	}
	if !a.connType.set && a.uri.v == "" {
		return Connection{}, &fieldErr{"conn_type", "missing: a non-empty conn_type or uri is required"}
	}
	return construct(connID, &a)
}

func errUnknownKeys(keys []string) *fieldErr {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strconv.Quote(k)
	}
	word := "unknown key "
	if len(q) > 1 {
		word = "unknown keys "
	}
	return &fieldErr{"value", word + strings.Join(q, ", ")}
}

// portFromJSON converts a JSON port as int(port) does, then checks the range.
func portFromJSON(v *pycompat.Value) (int, *fieldErr) {
	switch v.Kind {
	case pycompat.Int:
		return portInRange(v.Str)
	case pycompat.Float:
		if v.Num != math.Trunc(v.Num) {
			return 0, &fieldErr{"port", "not an integer"}
		}
		return portInRange(strconv.FormatFloat(v.Num, 'f', 0, 64))
	case pycompat.String:
		digits, ok := pycompat.IntDigits(v.Str)
		if !ok {
			return 0, &fieldErr{"port", "could not be cast to integer"}
		}
		return portInRange(digits)
	}
	return 0, &fieldErr{"port", "not an integer"}
}

// portInRange checks a decimal integer text ("-12", "80") for 0-65535.
func portInRange(digits string) (int, *fieldErr) {
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimLeft(strings.TrimPrefix(digits, "-"), "0")
	if len(digits) > 5 {
		return 0, &fieldErr{"port", "out of range 0-65535"}
	}
	n := 0
	for i := 0; i < len(digits); i++ {
		n = n*10 + int(digits[i]-'0')
	}
	if (neg && n != 0) || n > 65535 {
		return 0, &fieldErr{"port", "out of range 0-65535"}
	}
	return n, nil
}

// FromFields builds a connection as Airflow's constructor
// Connection(conn_id=connID, **fields) does; the local-file backend uses it
// for dict values and Vault for field maps. Unlike [ParseJSON] it does not
// normalise conn_type, and an empty conn_type is kept.
//
// Keys: conn_type, description, host, login, password, schema (strings or
// nil), port (an integer, an integral float64, a json.Number or a string
// holding an integer), extra (a JSON-object string, or a value that is
// JSON-encoded as Python's json.dumps would, map keys sorted since Go maps
// have no order), uri (exclusive with the other non-empty fields),
// team_name (dropped) and conn_id (nil or the same id as connID). Any
// other key is an error that names it.
func FromFields(connID string, fields map[string]any) (Connection, error) {
	c, ferr := connectionFromFields(connID, fields)
	if ferr != nil {
		return Connection{}, ferr.wrap(connID)
	}
	return c, nil
}

func connectionFromFields(connID string, fields map[string]any) (Connection, *fieldErr) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var a connArgs
	var unknown []string
	for _, key := range keys {
		raw := fields[key]
		dst := a.stringField(key)
		switch {
		case dst != nil: // set below
		case key == "conn_id" || key == "team_name":
			if raw == nil {
				continue
			}
			s, ok := raw.(string)
			if !ok || !utf8.ValidString(s) {
				return Connection{}, &fieldErr{key, "not a string"}
			}
			if key == "conn_id" && sanitizeConnID(s) != sanitizeConnID(connID) {
				return Connection{}, &fieldErr{"conn_id", "does not match the connection id"}
			}
			continue
		case key == "port":
			if raw == nil {
				continue
			}
			v, err := goToJSON(raw, 0)
			if err != nil {
				return Connection{}, &fieldErr{"port", "not an integer"}
			}
			if v.Kind == pycompat.String && pycompat.Strip(v.Str) == "" {
				continue
			}
			p, ferr := portFromJSON(&v)
			if ferr != nil {
				return Connection{}, ferr
			}
			a.port, a.hasPort = p, true
			continue
		case key == "extra":
			// The constructor json.dumps a truthy non-string extra.
			if s, ok := raw.(string); ok {
				if !utf8.ValidString(s) {
					return Connection{}, &fieldErr{"extra", "not valid UTF-8"}
				}
				a.extra = s
				continue
			}
			v, err := goToJSON(raw, 0)
			if err != nil {
				return Connection{}, err
			}
			if v.Truthy() {
				a.extra = pycompat.Dumps(&v)
			}
			continue
		default:
			unknown = append(unknown, key)
			continue
		}
		switch s := raw.(type) {
		case nil:
		case string:
			if !utf8.ValidString(s) {
				return Connection{}, &fieldErr{key, "not valid UTF-8"}
			}
			*dst = optStr{s, true}
		default:
			return Connection{}, &fieldErr{key, "not a string"}
		}
	}
	if len(unknown) > 0 {
		return Connection{}, errUnknownKeys(unknown)
	}
	return construct(connID, &a)
}

// construct is the body of Airflow's Connection.__init__.
func construct(connID string, a *connArgs) (Connection, *fieldErr) {
	if a.uri.v != "" {
		var mixed []string
		for _, f := range [...]struct {
			name string
			on   bool
		}{
			{"conn_type", a.connType.v != ""},
			{"host", a.host.v != ""},
			{"login", a.login.v != ""},
			{"password", a.password.v != ""},
			{"schema", a.schema.v != ""},
			{"port", a.port != 0},
			{"extra", a.extra != ""},
		} {
			if f.on {
				mixed = append(mixed, f.name)
			}
		}
		if len(mixed) > 0 {
			return Connection{}, &fieldErr{"uri", "cannot be combined with " + strings.Join(mixed, ", ")}
		}
		c, err := parseURI(a.uri.v)
		if err != nil {
			return Connection{}, err
		}
		c.setDescription(a.description)
		c.ConnID = sanitizeConnID(connID)
		return c, nil
	}

	var c Connection
	c.ConnID = sanitizeConnID(connID)
	set := func(dst *string, f Field, v optStr) {
		if v.set {
			*dst = v.v
			c.empty |= f
		}
	}
	set(&c.ConnType, FieldConnType, a.connType)
	c.setDescription(a.description)
	set(&c.Host, FieldHost, a.host)
	set(&c.Login, FieldLogin, a.login)
	set(&c.Schema, FieldSchema, a.schema)
	c.Password = NewSecret(a.password.v) // the setter ignores ""
	if a.hasPort {
		c.Port = a.port
		c.empty |= FieldPort
	}
	extra, err := canonicalExtra(a.extra)
	if err != nil {
		return Connection{}, err
	}
	c.Extra = extra
	return c, nil
}

func (c *Connection) setDescription(d optStr) {
	if d.set {
		c.Description = d.v
		c.empty |= FieldDescription
	}
}

// goToJSON converts a Go value (as decoded from JSON or YAML) to a JSON
// value the way Python's json.dumps sees the equivalent Python value.
func goToJSON(x any, depth int) (pycompat.Value, *fieldErr) {
	if depth > jsonMaxDepth {
		return pycompat.Value{}, &fieldErr{"extra", "nested too deep"}
	}
	switch v := x.(type) {
	case nil:
		return pycompat.Value{Kind: pycompat.Null}, nil
	case bool:
		if v {
			return pycompat.Value{Kind: pycompat.True}, nil
		}
		return pycompat.Value{Kind: pycompat.False}, nil
	case string:
		if !utf8.ValidString(v) {
			return pycompat.Value{}, &fieldErr{"extra", "not valid UTF-8"}
		}
		return pycompat.Value{Kind: pycompat.String, Str: v}, nil
	case json.Number:
		n, err := pycompat.Loads(string(v), 1)
		if err.Kind != pycompat.OK || (n.Kind != pycompat.Int && n.Kind != pycompat.Float) {
			return pycompat.Value{}, &fieldErr{"extra", "not a JSON number"}
		}
		return n, nil
	case float64:
		return floatToJSON(v)
	case float32:
		return floatToJSON(float64(v))
	case int:
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatInt(int64(v), 10)}, nil
	case int8:
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatInt(int64(v), 10)}, nil
	case int16:
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatInt(int64(v), 10)}, nil
	case int32:
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatInt(int64(v), 10)}, nil
	case int64:
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatInt(v, 10)}, nil
	case uint:
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatUint(uint64(v), 10)}, nil
	case uint8:
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatUint(uint64(v), 10)}, nil
	case uint16:
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatUint(uint64(v), 10)}, nil
	case uint32:
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatUint(uint64(v), 10)}, nil
	case uint64:
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatUint(v, 10)}, nil
	case []any:
		out := pycompat.Value{Kind: pycompat.Array, Arr: make([]pycompat.Value, len(v))}
		for i := range v {
			e, err := goToJSON(v[i], depth+1)
			if err != nil {
				return pycompat.Value{}, err
			}
			out.Arr[i] = e
		}
		return out, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := pycompat.Value{Kind: pycompat.Object, Obj: make([]pycompat.Member, 0, len(v))}
		for _, k := range keys {
			if !utf8.ValidString(k) {
				return pycompat.Value{}, &fieldErr{"extra", "not valid UTF-8"}
			}
			e, err := goToJSON(v[k], depth+1)
			if err != nil {
				return pycompat.Value{}, err
			}
			out.Obj = append(out.Obj, pycompat.Member{Key: k, Val: e})
		}
		return out, nil
	}
	// Other slices and maps with string keys, through reflection.
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = rv.Index(i).Interface()
		}
		return goToJSON(items, depth)
	case reflect.Map:
		m := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			k, ok := pyJSONKey(iter.Key().Interface())
			if !ok {
				return pycompat.Value{}, &fieldErr{"extra", "a map key is not a string, number, bool or nil"}
			}
			m[k] = iter.Value().Interface()
		}
		return goToJSON(m, depth)
	}
	return pycompat.Value{}, &fieldErr{"extra", "a value of type " + rv.Type().String() + " is not JSON serializable"}
}

// pyJSONKey converts a map key as json.dumps does for str, int, float, bool
// and None keys.
func pyJSONKey(k any) (string, bool) {
	switch v := k.(type) {
	case string:
		return v, true
	case nil:
		return "null", true
	case bool:
		return strconv.FormatBool(v), true
	}
	if j, err := goToJSON(k, 0); err == nil && (j.Kind == pycompat.Int || j.Kind == pycompat.Float) {
		s := pycompat.Dumps(&j)
		return s, true
	}
	return "", false
}

// floatToJSON sees an integral float as a Python int (the YAML or JSON text
// it came from most likely had no fraction) and any other as a float.
func floatToJSON(f float64) (pycompat.Value, *fieldErr) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return pycompat.Value{}, errUnrepresentable("extra")
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return pycompat.Value{Kind: pycompat.Int, Str: strconv.FormatInt(int64(f), 10)}, nil
	}
	return pycompat.Value{Kind: pycompat.Float, Num: f}, nil
}
