package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Kwargs are a backend's backend_kwargs: a JSON object whose keys reach the
// backend's constructor. The getters tell JSON null (Airflow's None, which
// switches a kind off) from an absent key, accept numbers and booleans given
// as strings (per-key environment overrides are raw strings), and remember
// which keys were read so that [Kwargs.CheckUnused] can name unknown ones.
// Errors name the key, never its value.
type Kwargs struct {
	raw  map[string]json.RawMessage
	text []byte

	mu   sync.Mutex
	used map[string]bool
}

// ParseKwargs parses backend_kwargs. Empty or blank text means no kwargs;
// anything other than a JSON object is an ErrInvalid error.
func ParseKwargs(text []byte) (*Kwargs, error) {
	k := &Kwargs{raw: map[string]json.RawMessage{}, used: map[string]bool{}}
	trimmed := bytes.TrimSpace(text)
	if len(trimmed) == 0 {
		k.text = []byte("{}")
		return k, nil
	}
	if trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: backend_kwargs must be a JSON object", ErrInvalid)
	}
	if err := json.Unmarshal(trimmed, &k.raw); err != nil {
		return nil, fmt.Errorf("%w: backend_kwargs is not a valid JSON object: %s", ErrInvalid, jsonErrorWhere(trimmed, err))
	}
	if k.raw == nil { // "null" cannot reach here, but be safe
		k.raw = map[string]json.RawMessage{}
	}
	k.text = append([]byte(nil), trimmed...)
	return k, nil
}

// jsonErrorWhere describes a JSON decoding error by position only, so that
// no part of the (possibly secret) input is echoed.
func jsonErrorWhere(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, int(se.Offset))
		return fmt.Sprintf("syntax error at line %d, column %d", line, col)
	case errors.As(err, &te):
		line, col := lineCol(data, int(te.Offset))
		return fmt.Sprintf("unexpected %s at line %d, column %d", te.Value, line, col)
	}
	return "malformed JSON"
}

// lineCol turns a byte offset into 1-based line and column numbers.
func lineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// Set sets key to a raw string value, as an AIRFLOW__SECRETS__BACKEND_KWARG__
// environment override does.
func (k *Kwargs) Set(key, value string) {
	b, _ := json.Marshal(value)
	k.raw[key] = b
	k.text = nil
}

// JSON returns the kwargs as JSON object text, verbatim when they came from
// one document (a WASM guest receives this).
func (k *Kwargs) JSON() []byte {
	if k.text != nil {
		return k.text
	}
	b, _ := json.Marshal(k.raw)
	return b
}

// Keys returns the keys, sorted.
func (k *Kwargs) Keys() []string {
	keys := make([]string, 0, len(k.raw))
	for key := range k.raw {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether key is present (even as null).
func (k *Kwargs) Has(key string) bool {
	_, ok := k.raw[key]
	return ok
}

// IsNull reports whether key is present and JSON null.
func (k *Kwargs) IsNull(key string) bool {
	v, ok := k.raw[key]
	return ok && string(bytes.TrimSpace(v)) == "null"
}

func (k *Kwargs) get(key string) (json.RawMessage, bool) {
	k.mu.Lock()
	k.used[key] = true
	k.mu.Unlock()
	v, ok := k.raw[key]
	if !ok || string(bytes.TrimSpace(v)) == "null" {
		return nil, false
	}
	return v, true
}

// String returns key's string value, or def when it is absent or null.
func (k *Kwargs) String(key, def string) (string, error) {
	v, _, err := k.OptString(key, def)
	return v, err
}

// OptString returns key's string value and whether it is enabled: an absent
// key gives def and true; JSON null gives "" and false (Airflow's None).
func (k *Kwargs) OptString(key, def string) (value string, enabled bool, err error) {
	if k.IsNull(key) {
		k.get(key)
		return "", false, nil
	}
	v, ok := k.get(key)
	if !ok {
		return def, true, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false, kwargErr(key, "must be a string")
	}
	return s, true, nil
}

// Int returns key's integer value (a JSON number or a numeric string), or def.
func (k *Kwargs) Int(key string, def int) (int, error) {
	v, ok := k.get(key)
	if !ok {
		return def, nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		v = json.RawMessage(strings.TrimSpace(s))
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, kwargErr(key, "must be an integer")
	}
	return n, nil
}

// Float returns key's numeric value (a JSON number or a numeric string), or def.
func (k *Kwargs) Float(key string, def float64) (float64, error) {
	v, ok := k.get(key)
	if !ok {
		return def, nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		v = json.RawMessage(strings.TrimSpace(s))
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return 0, kwargErr(key, "must be a number")
	}
	return f, nil
}

// Bool returns key's boolean value (true/false, or a string Airflow's config
// reads as one: "true", "false", "1", "0", "yes", "no", "on", "off"), or def.
func (k *Kwargs) Bool(key string, def bool) (bool, error) {
	v, ok := k.get(key)
	if !ok {
		return def, nil
	}
	var b bool
	if json.Unmarshal(v, &b) == nil {
		return b, nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if b, ok := parseBool(s); ok {
			return b, nil
		}
	}
	return false, kwargErr(key, "must be a boolean")
}

// Decode unmarshals key's JSON value into dst; it returns false when the key
// is absent or null.
func (k *Kwargs) Decode(key string, dst any) (bool, error) {
	v, ok := k.get(key)
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return true, kwargErr(key, fmt.Sprintf("has the wrong type (%s)", jsonErrorWhere(v, err)))
	}
	return true, nil
}

// CheckUnused returns an ErrInvalid error naming every key no getter read, or
// nil. A backend calls it at the end of its constructor. Each unknown key
// near one a getter asked for (see [Closest]) gets a "did you mean".
func (k *Kwargs) CheckUnused(backend string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var unknown, asked []string
	for key := range k.raw {
		if !k.used[key] {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	for key := range k.used {
		asked = append(asked, key)
	}
	sort.Strings(asked) // ties go to the first in order, whatever the map's
	sort.Strings(unknown)
	for i, key := range unknown {
		if hint := Closest(key, asked); hint != "" {
			unknown[i] = fmt.Sprintf("%s (did you mean %q?)", key, hint)
		}
	}
	return fmt.Errorf("%w: backend %s: unknown backend_kwargs key(s): %s", ErrInvalid, backend, strings.Join(unknown, ", "))
}

func kwargErr(key, msg string) error {
	return fmt.Errorf("%w: backend_kwargs key %q %s", ErrInvalid, key, msg)
}

// parseBool reads a boolean the way Airflow's config does.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "1", "yes", "y", "on":
		return true, true
	case "false", "f", "0", "no", "n", "off":
		return false, true
	}
	return false, false
}

// describe names k's keys, never their values.
func (k *Kwargs) describe() string {
	if k == nil {
		return "Kwargs(nil)"
	}
	return "Kwargs{" + strings.Join(k.Keys(), " ") + "}"
}

// Format prints the kwargs' keys, never their values (which may be
// credentials), for every fmt verb.
func (k *Kwargs) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.describe()) }

// MarshalJSON encodes the keys only, as Format prints them.
func (k *Kwargs) MarshalJSON() ([]byte, error) { return json.Marshal(k.describe()) }

// LogValue is the keys only, for log/slog.
func (k *Kwargs) LogValue() slog.Value { return slog.StringValue(k.describe()) }
