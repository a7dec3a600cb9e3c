package vault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/secretpath/secretpath/resolver/connection"
)

// kvData returns the data object of a KV read response body: data (v1) or
// data.data (v2). found is false when it is null or absent. Errors never
// quote the body.
func kvData(body []byte, v2 bool) (data gjson.Result, found bool, err error) {
	// json.Valid first: it is iterative with a 10,000-level limit, while
	// gjson's validator recurses once per level (1 MiB of "[" took ~226 MiB
	// of goroutine stack; maxBody of it would overflow the 1 GB stack
	// limit and crash the process).
	if !json.Valid(body) || !gjson.ValidBytes(body) {
		return gjson.Result{}, false, errMalformed
	}
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return gjson.Result{}, false, errMalformed
	}
	// GetBytes copies only the data object out of the (pooled) body.
	data = gjson.GetBytes(body, "data")
	if v2 && data.IsObject() {
		data = data.Get("data")
	}
	switch {
	case data.IsObject():
		return data, true, nil
	case data.Type == gjson.Null: // absent or null
		return gjson.Result{}, false, nil
	}
	return gjson.Result{}, false, fmt.Errorf("%w: its data is not an object", errMalformed)
}

var errMalformed = errors.New("malformed response (not shown: it may hold secrets)")

// connectionFromData builds connection connID from a secret's data object,
// as Airflow's VaultBackend.get_connection does.
func connectionFromData(connID string, data gjson.Result) (connection.Connection, error) {
	uri := data.Get("conn_uri")
	if uri.Type == gjson.String && uri.Str != "" {
		// A copy, so that the connection does not pin the response.
		return connection.ParseURI(connID, strings.Clone(uri.Str))
	}
	if uri.Exists() && uri.Type != gjson.String && uri.Type != gjson.Null {
		return connection.Connection{}, fmt.Errorf("%w: connection %q: field conn_uri is not a string", connection.ErrInvalid, connID)
	}
	fields := map[string]any{}
	dec := json.NewDecoder(strings.NewReader(data.Raw))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil {
		return connection.Connection{}, fmt.Errorf("%w: connection %q: the secret's fields do not decode", connection.ErrInvalid, connID)
	}
	return connection.FromFields(connID, fields)
}

// valueFromData returns a variable or config secret's key value: a string
// as is, other JSON as compact text; ok is false when it is absent or null.
func valueFromData(data gjson.Result) (string, bool) {
	v := data.Get("value")
	switch v.Type {
	case gjson.Null:
		return "", false
	case gjson.String:
		return strings.Clone(v.Str), true // do not pin the response
	}
	var out bytes.Buffer
	if err := json.Compact(&out, []byte(v.Raw)); err != nil {
		return v.Raw, true
	}
	return out.String(), true
}
