// Command jsondoc is the example secretpath backend "jsondoc": connections,
// variables and configs served from a JSON document given in the
// backend_kwargs, with Airflow-style prefixes. Its behaviour is specified in
// examples/custom-backend/README.md; build it with make (see ../README.md).
package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	secretpath "github.com/secretpath/secretpath/guest-sdk/go"
)

func init() { secretpath.Register(&backend{}) }

func main() {} // never called: the host runs _initialize, which runs init

// The three kinds, indexes into backend.values.
const (
	connections = iota
	variables
	configs
)

// kinds names each kind's kwargs keys.
var kinds = [...]struct {
	values, prefix string
	objects        bool // a value may be an object (connections)
}{
	connections: {"connections", "connections_prefix", true},
	variables:   {"variables", "variables_prefix", false},
	configs:     {"configs", "config_prefix", false},
}

type backend struct {
	// values holds each kind's values by id: the names with prefix and sep
	// removed, those without them dropped. Nil when the kind is off.
	values [len(kinds)]map[string]string
}

func (b *backend) GetConnection(id string) (string, error) { return b.get(connections, id) }
func (b *backend) GetVariable(key string) (string, error)  { return b.get(variables, key) }
func (b *backend) GetConfig(key string) (string, error)    { return b.get(configs, key) }

func (b *backend) get(kind int, id string) (string, error) {
	if v, ok := b.values[kind][id]; ok {
		return v, nil
	}
	return "", secretpath.ErrNotFound // bare: no message, no allocation
}

func (b *backend) Init(kwargs []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(kwargs, &top); err != nil || top == nil {
		return invalid("the kwargs must be a JSON object")
	}
	for _, key := range slices.Sorted(maps.Keys(top)) {
		if !known(key) {
			return invalid("unknown key %q", key)
		}
	}
	sep := "/"
	if raw, ok := top["sep"]; ok {
		if !isString(raw) {
			return invalid(`"sep" must be a string`)
		}
		_ = json.Unmarshal(raw, &sep)
	}
	for kind, k := range kinds {
		prefix, on, err := prefixOf(top, k.prefix)
		if err != nil {
			return err
		}
		named, err := valuesOf(top, k.values, k.objects)
		if err != nil {
			return err
		}
		if !on {
			b.values[kind] = nil
			continue
		}
		lead := "" // what a name starts with
		if prefix != "" {
			lead = prefix + sep
		}
		byID := make(map[string]string, len(named))
		for name, v := range named {
			if id, ok := strings.CutPrefix(name, lead); ok {
				byID[id] = v
			}
		}
		b.values[kind] = byID
	}
	return nil
}

func known(key string) bool {
	if key == "sep" {
		return true
	}
	for _, k := range kinds {
		if key == k.values || key == k.prefix {
			return true
		}
	}
	return false
}

// prefixOf returns the prefix at key: "" when absent, on false when null.
func prefixOf(top map[string]json.RawMessage, key string) (prefix string, on bool, err error) {
	raw, ok := top[key]
	switch {
	case !ok:
		return "", true, nil
	case isNull(raw):
		return "", false, nil
	case !isString(raw):
		return "", false, invalid("%q must be a string or null", key)
	}
	err = json.Unmarshal(raw, &prefix)
	return prefix, true, err
}

// valuesOf decodes the map at key: name → value, null values left out. A
// string is decoded; an object (when objects is set) is kept as written.
func valuesOf(top map[string]json.RawMessage, key string, objects bool) (map[string]string, error) {
	raw, ok := top[key]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var named map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &named) != nil {
		return nil, invalid("%q must be an object or null", key)
	}
	out := make(map[string]string, len(named))
	for name, v := range named {
		switch {
		case isNull(v):
		case isString(v):
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, err
			}
			out[name] = s
		case objects && v[0] == '{':
			out[name] = string(v) // json.RawMessage: the text exactly as written
		case objects:
			return nil, invalid("%s: the value of %q must be a string, an object or null", key, name)
		default:
			return nil, invalid("%s: the value of %q must be a string or null", key, name)
		}
	}
	return out, nil
}

// A json.RawMessage value starts at its first character.
func isNull(raw json.RawMessage) bool   { return string(raw) == "null" }
func isString(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '"' }

// invalid is a kwargs error: INVALID_ARGUMENT. Messages name keys, never values.
func invalid(format string, args ...any) error {
	return fmt.Errorf("jsondoc: "+format+": %w", append(args, secretpath.ErrInvalidArgument)...)
}
