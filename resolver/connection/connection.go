package connection

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Connection is an Airflow connection.
//
// Airflow tells an absent field (None) from an empty one (""): a URI always
// yields a host and a schema, possibly empty, while the JSON form may leave
// them out. Connection keeps that distinction without pointers: a field is
// present when it is non-empty or when [Connection.Has] says so. Password is
// present only when non-empty and Extra only when non-empty, as in Airflow's
// model.
//
// Printing a Connection (fmt verbs, slog) never shows the password or the
// extras; use [Connection.URI] or Password.Reveal for the real values.
type Connection struct {
	ConnID      string
	ConnType    string
	Description string
	Host        string
	Schema      string
	Login       string
	Password    Secret
	Port        int
	// Extra is the JSON text of an object, or "" for none.
	Extra string

	// empty marks fields that are present although empty (or zero).
	empty Field
}

// Field names one nullable field of a Connection, for [Connection.Has].
type Field uint8

// The nullable fields of a Connection.
const (
	FieldConnType Field = 1 << iota
	FieldDescription
	FieldHost
	FieldSchema
	FieldLogin
	FieldPort
)

// Has reports whether field f is present: non-empty, or set to the empty
// value by the parser (Airflow's "" as opposed to None).
func (c *Connection) Has(f Field) bool {
	if c.empty&f != 0 {
		return true
	}
	switch f {
	case FieldConnType:
		return c.ConnType != ""
	case FieldDescription:
		return c.Description != ""
	case FieldHost:
		return c.Host != ""
	case FieldSchema:
		return c.Schema != ""
	case FieldLogin:
		return c.Login != ""
	case FieldPort:
		return c.Port != 0
	}
	return false
}

// SetPresent marks fields as present even when they hold the empty value, so
// that a JSON rendering shows "" (or 0) rather than null.
func (c *Connection) SetPresent(f Field) { c.empty |= f }

// ClearPresent undoes SetPresent: empty fields in f become absent again.
func (c *Connection) ClearPresent(f Field) { c.empty &^= f }

// ExtraString returns the extra value at path, in gjson path syntax
// ("timeout", "a.b", "list.0"), as text: a string's value, a number or
// true/false as written, an object or array as its JSON. ok is false when
// the connection has no such extra.
func (c *Connection) ExtraString(path string) (value string, ok bool) {
	if c.Extra == "" {
		return "", false
	}
	r := gjson.Get(c.Extra, path)
	return r.String(), r.Exists()
}

// ExtraMap decodes Extra into a map (Airflow's extra_dejson). It returns an
// empty map when there is no extra.
func (c *Connection) ExtraMap() (map[string]any, error) {
	m := map[string]any{}
	if c.Extra == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(c.Extra), &m); err != nil {
		return nil, fmt.Errorf("%w: connection %q: field extra is not a JSON object", ErrInvalid, c.ConnID)
	}
	return m, nil
}

// String describes the connection without its password or extras.
func (c Connection) String() string {
	var b strings.Builder
	b.WriteString("Connection(conn_id=")
	b.WriteString(strconv.Quote(c.ConnID))
	b.WriteString(", conn_type=")
	b.WriteString(strconv.Quote(c.ConnType))
	if c.Has(FieldHost) {
		b.WriteString(", host=")
		b.WriteString(strconv.Quote(c.Host))
	}
	if c.Has(FieldPort) {
		b.WriteString(", port=")
		b.WriteString(strconv.Itoa(c.Port))
	}
	if c.Has(FieldSchema) {
		b.WriteString(", schema=")
		b.WriteString(strconv.Quote(c.Schema))
	}
	if c.Has(FieldLogin) {
		b.WriteString(", login=")
		b.WriteString(strconv.Quote(c.Login))
	}
	if !c.Password.IsZero() {
		b.WriteString(", password=" + redacted)
	}
	if c.Extra != "" {
		b.WriteString(", extra=" + redacted)
	}
	b.WriteString(")")
	return b.String()
}

// GoString is String, so %#v reveals nothing either.
func (c Connection) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Connection) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// MarshalJSON renders the connection with its password and extras redacted,
// for logs. Use [Connection.RevealedJSON] for the real values.
func (c Connection) MarshalJSON() ([]byte, error) {
	return c.jsonObject(false)
}

// LogValue makes slog print the connection's non-secret fields.
func (c Connection) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("conn_id", c.ConnID), slog.String("conn_type", c.ConnType)}
	if c.Has(FieldHost) {
		attrs = append(attrs, slog.String("host", c.Host))
	}
	if c.Has(FieldPort) {
		attrs = append(attrs, slog.Int("port", c.Port))
	}
	if !c.Password.IsZero() {
		attrs = append(attrs, slog.String("password", redacted))
	}
	return slog.GroupValue(attrs...)
}

// RevealedJSON renders the connection as one JSON object with exactly the keys
// conn_id, conn_type, description, host, schema, login, password, port and
// extra: null where absent, port a number, extra an object. It contains the
// password: use it only to hand the connection to its user.
func (c Connection) RevealedJSON() ([]byte, error) {
	return c.jsonObject(true)
}

// jsonObject writes the object key by key rather than json.Marshal of a
// struct: encoding/json builds a struct type's field table by reflection on
// its first use in a process (reflect.PointerTo of every field's type,
// which for types the binary does not hold searches its whole type table),
// ~0.3 ms of a CLI process's start that reads a connection object
// (localfs). The values still go through json.Marshal (string and
// RawMessage: escaping and compaction as before); the bytes are the same
// (connection_internal_test.go and the codec fuzzers compare them with a
// struct's json.Marshal).
func (c Connection) jsonObject(reveal bool) ([]byte, error) {
	extra := json.RawMessage("null")
	if c.Extra != "" {
		if !reveal {
			extra = json.RawMessage(`"` + redacted + `"`)
		} else if json.Valid([]byte(c.Extra)) {
			extra = json.RawMessage(c.Extra)
		} else {
			return nil, fmt.Errorf("%w: connection %q: field extra is not valid JSON", ErrInvalid, c.ConnID)
		}
	}
	password := redacted
	if reveal {
		password = c.Password.Reveal()
	}
	fields := [...]struct {
		key     string
		present bool
		v       string
	}{
		{"conn_id", c.ConnID != "", c.ConnID},
		{"conn_type", c.Has(FieldConnType), c.ConnType},
		{"description", c.Has(FieldDescription), c.Description},
		{"host", c.Has(FieldHost), c.Host},
		{"schema", c.Has(FieldSchema), c.Schema},
		{"login", c.Has(FieldLogin), c.Login},
		{"password", !c.Password.IsZero(), password},
	}
	b := make([]byte, 0, 128+len(c.ConnID)+len(c.ConnType)+len(c.Description)+len(c.Host)+len(c.Schema)+len(c.Login)+len(password)+len(extra))
	b = append(b, '{')
	for _, f := range fields {
		b = append(b, '"')
		b = append(b, f.key...)
		b = append(b, '"', ':')
		if !f.present {
			b = append(b, "null,"...)
			continue
		}
		q, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b = append(append(b, q...), ',')
	}
	b = append(b, `"port":`...)
	if c.Has(FieldPort) {
		b = strconv.AppendInt(b, int64(c.Port), 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"extra":`...)
	q, err := json.Marshal(extra)
	if err != nil {
		return nil, err
	}
	b = append(b, q...)
	return append(b, '}'), nil
}
