package localfs

import (
	"fmt"
	"os"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// ReadConnections reads a connections file (.env, .json, .yaml or .yml) once,
// as the backend reads it, and returns its connections by id. Problems are
// reported as the backend reports them: a *ParseError listing every one as
// "path:line: message", never with a value. The metastore's import uses it.
func ReadConnections(path string) (map[string]connection.Connection, error) {
	data, f, err := readOnce(path, resolver.KindConnection)
	if err != nil {
		return nil, err
	}
	entries, _, err := parseKind(data, f, resolver.KindConnection, path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]connection.Connection, entries.len())
	for id, e := range entries.all() {
		c := e.conn
		c.ConnID = id
		out[id] = c
	}
	return out, nil
}

// ReadVariables reads a variables file once, as the backend reads it:
// strings as they are, other JSON or YAML values as compact JSON, null
// absent. Errors are as for ReadConnections.
func ReadVariables(path string) (map[string]string, error) {
	data, f, err := readOnce(path, resolver.KindVariable)
	if err != nil {
		return nil, err
	}
	_, values, err := parseKind(data, f, resolver.KindVariable, path)
	return values, err
}

func readOnce(path string, kind resolver.Kind) ([]byte, format, error) {
	f, ok := formatOf(path)
	if !ok {
		return nil, 0, fmt.Errorf("%w: localfs: %s file %s: unsupported file format, the file must have one of the following extensions: %s",
			config.ErrInvalid, kind, path, extensions)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, 0, fmt.Errorf("localfs: reading %s file: %w", kind, err)
	}
	if info.Size() > DefaultMaxFileSize {
		return nil, 0, fmt.Errorf("localfs: %s file %s is larger than the limit of %d bytes", kind, path, DefaultMaxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("localfs: reading %s file: %w", kind, err)
	}
	return data, f, nil
}
