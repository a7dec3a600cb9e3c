package awssecretsmanager

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// The connection fields of Airflow's JSON secret form, in the order
// SecretsManagerBackend._standardize_secret_keys writes them, with the keys
// that stand for each.
var fieldOrder = [...]string{"login", "password", "host", "port", "schema", "conn_type", "extra"}

var defaultWords = map[string][]string{
	"login":     {"login", "user", "username", "user_name"},
	"password":  {"password", "pass", "key"},
	"host":      {"host", "remote_host", "server"},
	"port":      {"port"},
	"schema":    {"database", "schema"},
	"conn_type": {"conn_type", "conn_id", "connection_type", "engine"},
	"extra":     {"extra"},
}

// aliases maps each connection field to the keys that stand for it.
type aliases [len(fieldOrder)]map[string]bool

// newAliases returns the default aliases plus extra, whose keys are field
// names ("user" standing for "login", as in Airflow).
func newAliases(extra map[string][]string) (*aliases, error) {
	var a aliases
	for i, f := range fieldOrder {
		a[i] = map[string]bool{}
		for _, w := range defaultWords[f] {
			a[i][w] = true
		}
	}
	for field, words := range extra {
		if field == "user" {
			field = "login"
		}
		i := indexOf(field)
		if i < 0 {
			return nil, fmt.Errorf("%w: backend_kwargs key %q: %q is not a connection field (login or user, password, host, port, schema, conn_type, extra)",
				config.ErrInvalid, "extra_conn_words", field)
		}
		for _, w := range words {
			a[i][w] = true
		}
	}
	return &a, nil
}

func indexOf(field string) int {
	for i, f := range fieldOrder {
		if f == field {
			return i
		}
	}
	return -1
}

// isJSONSecret reports whether a connection secret is in the JSON form:
// its first character after Python whitespace is '{' (Airflow:
// secret.strip().startswith("{")).
func isJSONSecret(s string) bool {
	s = strings.TrimLeftFunc(s, isPySpace)
	return s != "" && s[0] == '{'
}

// isPySpace is Python's str.isspace for one character: Go's unicode.IsSpace
// plus the ASCII separators U+001C..U+001F.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// errJSONSecret is wrapped by every error a JSON secret fails to decode
// with. The messages give a byte offset, never a value.
var errJSONSecret = fmt.Errorf("%w: the JSON secret is not a valid JSON object", connection.ErrInvalid)

// standardize rewrites a JSON connection secret the way Airflow's
// SecretsManagerBackend does before parsing it: for each connection field
// in turn, the value of the first key of the secret (in the secret's
// order, a repeated key keeping its first position and last value, as a
// Python dict) that stands for the field, or null; every other key is
// dropped. Values are copied verbatim, so the resolver's parser sees them
// as Airflow's Connection.from_json would.
func standardize(secret string, a *aliases) (string, error) {
	s, err := standardizeFields(secret, a)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

// stdSecret is a standardized JSON secret: the raw JSON value of each field
// of fieldOrder, nil for null.
type stdSecret [len(fieldOrder)]json.RawMessage

var connTypeIndex = indexOf("conn_type")

func standardizeFields(secret string, a *aliases) (*stdSecret, error) {
	dec := json.NewDecoder(strings.NewReader(secret))
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%w: it does not start with '{'", errJSONSecret)
	}
	type member struct {
		key string
		val json.RawMessage
	}
	var members []member
	pos := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonErr(dec, err)
		}
		key, _ := tok.(string) // an object's tokens here are always keys
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, jsonErr(dec, err)
		}
		if i, dup := pos[key]; dup {
			members[i].val = val
			continue
		}
		pos[key] = len(members)
		members = append(members, member{key, val})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, jsonErr(dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: extra data after the object at offset %d", errJSONSecret, dec.InputOffset())
	}

	var s stdSecret
	for i := range fieldOrder {
		for _, m := range members {
			if a[i][m.key] {
				s[i] = m.val
				break
			}
		}
	}
	return &s, nil
}

// String is the standardized secret as Airflow's get_conn_value returns it
// (json.dumps of the dict, in fieldOrder).
func (s *stdSecret) String() string {
	var b bytes.Buffer
	n := 80
	for _, v := range s {
		n += len(v)
	}
	b.Grow(n)
	b.WriteByte('{')
	for i, field := range fieldOrder {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('"')
		b.WriteString(field)
		b.WriteString(`": `)
		if s[i] == nil {
			b.WriteString("null")
		} else {
			b.Write(s[i])
		}
	}
	b.WriteByte('}')
	return b.String()
}

// hasConnType reports whether conn_type is truthy in Python's sense:
// Connection.from_json drops a falsy conn_type (null, false, "", 0, [], {})
// and builds the connection without one.
func (s *stdSecret) hasConnType() bool {
	return pyTruthy(s[connTypeIndex])
}

// pyTruthy is Python's bool() of a JSON value as json.loads reads it.
func pyTruthy(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return false
	}
	switch raw[0] {
	case 'n', 'f':
		return false
	case 't':
		return true
	case '"':
		return len(raw) > 2 // "" is the only spelling of the empty string
	case '[', '{':
		var b bytes.Buffer
		if json.Compact(&b, raw) != nil {
			return true
		}
		return b.Len() > 2
	}
	// A number: Python reads an integer exactly and a float rounded, so
	// both are zero exactly when Go's nearest float64 is (1e-400 is 0.0).
	f, _ := strconv.ParseFloat(string(raw), 64)
	return f != 0
}

// connectionFrom builds the connection Airflow's Connection.from_json
// builds from a standardized secret. With a truthy conn_type that is the
// resolver's ParseJSON of the secret's standardized form. Without one,
// Airflow builds a connection whose conn_type is None; the resolver's
// ParseJSON insists on conn_type (a JSON connection written by hand needs
// one), so the form is parsed with a stand-in conn_type, which is then
// removed: every other field goes through the same parser either way.
func connectionFrom(connID string, s *stdSecret) (connection.Connection, error) {
	if s.hasConnType() {
		return connection.ParseJSON(connID, s.String())
	}
	t := *s
	t[connTypeIndex] = json.RawMessage(`"x"`)
	c, err := connection.ParseJSON(connID, t.String())
	if err != nil {
		return connection.Connection{}, err
	}
	c.ConnType = ""
	c.ClearPresent(connection.FieldConnType)
	return c, nil
}

// jsonErr describes a decoding error by offset only: encoding/json's
// messages can quote a character of the input.
func jsonErr(dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%w: syntax error at offset %d", errJSONSecret, se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: unexpected end of input", errJSONSecret)
	}
	return fmt.Errorf("%w: malformed at offset %d", errJSONSecret, dec.InputOffset())
}
