package localfs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/connection"
)

// pinEntries is the number of entries of the files of TestKeptValuesDoNotPinFile
// (~4 MiB each; the YAML one is smaller, yaml.v3 being slow).
const pinEntries = 40_000

// pinFile writes a file of pinEntries entries, entry(i) each, between head
// and tail, separated by sep, and returns its path and size.
func pinFile(t *testing.T, name string, n int, head, sep, tail string, entry func(i int) string) (string, int) {
	t.Helper()
	var b strings.Builder
	b.WriteString(head)
	for i := range n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(entry(i))
	}
	b.WriteString(tail)
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path, b.Len()
}

func pinURI(i int) string {
	return fmt.Sprintf("postgres://user%d:pass-%d@host%d.example.com:5432/db%d?sslmode=require&application_name=pin", i, i, i, i)
}

// heapAfterGC returns the bytes of live heap objects after a full
// collection.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestKeptValuesDoNotPinFile: a caller that keeps one connection (and its
// value) or one variable from a parse, and drops the backend (or the map,
// or the batches), keeps that entry, not the file's bytes that the parse
// read its strings from. Every reading path is covered: the one-pass reader
// (one goroutine and the parallel builders: 40,000 entries), the whole-file
// reader (YAML, a repeated key), objects and JSON-form strings, variables
// and configs, and the import API. The check is on the live heap after
// collections (a size, not a time): what is kept must be well under a
// quarter of the file. A control case keeps a string into the file's bytes
// and must see the file kept, so that the measurement can fail.
func TestKeptValuesDoNotPinFile(t *testing.T) {
	ctx := context.Background()
	jsonConns := func(t *testing.T, entry func(i int) string) (string, int) {
		return pinFile(t, "c.json", pinEntries, "{", ",\n", "}", entry)
	}
	uriEntry := func(i int) string { return fmt.Sprintf("%q: %q", fmt.Sprintf("c_%06d", i), pinURI(i)) }
	// backendConn keeps connection c_020000 of a connections file and its
	// value, from a backend it drops.
	backendConn := func(t *testing.T, path string) []any {
		be := newBackend(t, Options{ConnectionsFile: path, ReloadInterval: NeverReload})
		c, err := be.Connection(ctx, connReq("c_020000"))
		require.NoError(t, err)
		v, err := be.Lookup(ctx, connReq("c_020000"))
		require.NoError(t, err)
		assert.Equal(t, "c_020000", c.ConnID)
		assert.Equal(t, "host20000.example.com", c.Host)
		assert.Equal(t, "pass-20000", c.Password.Reveal())
		assert.NotEmpty(t, v)
		return []any{c, v}
	}
	backendValue := func(kind string) func(t *testing.T, path string) []any {
		return func(t *testing.T, path string) []any {
			o, req := Options{VariablesFile: path, ReloadInterval: NeverReload}, varReq
			if kind == "config" {
				o, req = Options{ConfigsFile: path, ReloadInterval: NeverReload}, cfgReq
			}
			be := newBackend(t, o)
			v, err := be.Lookup(ctx, req("v_020000"))
			require.NoError(t, err)
			assert.Contains(t, v, "value-20000")
			w, err := be.Lookup(ctx, req("v_020001")) // compact JSON, but for .env
			require.NoError(t, err)
			assert.Contains(t, w, "value-20001")
			return []any{v, w}
		}
	}
	varEntry := func(i int) string {
		if i%2 == 1 { // a JSON value, written out as compact JSON
			return fmt.Sprintf(`"v_%06d": {"a": "value-%d", "b": [1, 2, 3], "padding": "%s"}`, i, i, strings.Repeat("x", 40))
		}
		return fmt.Sprintf(`"v_%06d": "value-%d-%s"`, i, i, strings.Repeat("x", 60))
	}

	tests := []struct {
		name string
		file func(t *testing.T) (string, int)
		keep func(t *testing.T, path string) []any
	}{
		{
			name: "json URIs, one pass",
			file: func(t *testing.T) (string, int) { return jsonConns(t, uriEntry) },
			keep: backendConn,
		},
		{
			name: "env URIs, one pass",
			file: func(t *testing.T) (string, int) {
				return pinFile(t, "c.env", pinEntries, "", "\n", "\n", func(i int) string { return fmt.Sprintf("c_%06d=%s", i, pinURI(i)) })
			},
			keep: backendConn,
		},
		{
			name: "json objects, empty schema",
			file: func(t *testing.T) (string, int) {
				return jsonConns(t, func(i int) string {
					return fmt.Sprintf(`"c_%06d": {"conn_type": "postgres", "host": "host%d.example.com", "login": "user%d", "password": "pass-%d", "schema": "", "description": "", "extra": "{\"a\": \"b\"}"}`, i, i, i, i)
				})
			},
			keep: backendConn,
		},
		{
			name: "json-form strings",
			file: func(t *testing.T) (string, int) {
				return jsonConns(t, func(i int) string {
					return fmt.Sprintf(`"c_%06d": "{\"conn_type\": \"postgres\", \"host\": \"host%d.example.com\", \"login\": \"user%d\", \"password\": \"pass-%d\", \"schema\": \"\"}"`, i, i, i, i)
				})
			},
			keep: backendConn,
		},
		{
			name: "json with a repeated key, read whole",
			file: func(t *testing.T) (string, int) {
				return pinFile(t, "c.json", pinEntries, "{", ",\n", `, "c_000000": "http://again"}`, uriEntry)
			},
			keep: backendConn,
		},
		{
			name: "yaml, read whole",
			file: func(t *testing.T) (string, int) {
				return pinFile(t, "c.yaml", pinEntries/2+1, "", "\n", "\n", func(i int) string {
					return fmt.Sprintf("c_%06d: %s", 2*i, pinURI(2*i))
				})
			},
			keep: backendConn,
		},
		{
			name: "json variables",
			file: func(t *testing.T) (string, int) { return pinFile(t, "v.json", pinEntries, "{", ",\n", "}", varEntry) },
			keep: backendValue("variable"),
		},
		{
			name: "env variables",
			file: func(t *testing.T) (string, int) {
				return pinFile(t, "v.env", pinEntries, "", "\n", "\n", func(i int) string {
					return fmt.Sprintf("v_%06d=value-%d-%s", i, i, strings.Repeat("x", 80))
				})
			},
			keep: backendValue("variable"),
		},
		{
			name: "json configs",
			file: func(t *testing.T) (string, int) { return pinFile(t, "g.json", pinEntries, "{", ",\n", "}", varEntry) },
			keep: backendValue("config"),
		},
		{
			name: "ReadConnections",
			file: func(t *testing.T) (string, int) { return jsonConns(t, uriEntry) },
			keep: func(t *testing.T, path string) []any {
				m, err := ReadConnections(path)
				require.NoError(t, err)
				c := m["c_020000"]
				assert.Equal(t, "c_020000", c.ConnID)
				assert.Equal(t, "host20000.example.com", c.Host)
				return []any{c}
			},
		},
		{
			name: "ReadVariables",
			file: func(t *testing.T) (string, int) { return pinFile(t, "v.json", pinEntries, "{", ",\n", "}", varEntry) },
			keep: func(t *testing.T, path string) []any {
				m, err := ReadVariables(path)
				require.NoError(t, err)
				for k, v := range m {
					if k == "v_020000" {
						assert.Contains(t, v, "value-20000")
						return []any{k, v}
					}
				}
				t.Fatal("v_020000 not read")
				return nil
			},
		},
		{
			name: "OpenConnections batches",
			file: func(t *testing.T) (string, int) { return jsonConns(t, uriEntry) },
			keep: func(t *testing.T, path string) []any {
				f, err := OpenConnections(path)
				require.NoError(t, err)
				var kept connection.Connection
				require.NoError(t, f.Each(500, func(batch []connection.Connection) error {
					for _, c := range batch {
						if c.ConnID == "c_020000" {
							kept = c
						}
					}
					return nil
				}))
				assert.Equal(t, "host20000.example.com", kept.Host)
				return []any{kept}
			},
		},
		{
			name: "OpenVariables batches",
			file: func(t *testing.T) (string, int) { return pinFile(t, "v.json", pinEntries, "{", ",\n", "}", varEntry) },
			keep: func(t *testing.T, path string) []any {
				f, err := OpenVariables(path)
				require.NoError(t, err)
				var kept []any
				require.NoError(t, f.EachVariable(500, func(keys, values []string) error {
					for i, k := range keys {
						if k == "v_020000" {
							kept = []any{k, values[i]}
						}
					}
					return nil
				}))
				require.Len(t, kept, 2)
				return kept
			},
		},
	}
	t.Run("control: a string into the file's bytes keeps the file", func(t *testing.T) {
		path, size := jsonConns(t, uriEntry)
		base := heapAfterGC()
		kept := func() string {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			return bytesString(data)[10:20]
		}()
		grown := int64(heapAfterGC()) - int64(base)
		runtime.KeepAlive(kept)
		assert.GreaterOrEqual(t, grown, int64(size)/2)
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, size := tt.file(t)
			require.Greater(t, size, 1<<20)
			base := heapAfterGC()
			kept := tt.keep(t, path)
			grown := int64(heapAfterGC()) - int64(base)
			runtime.KeepAlive(kept)
			assert.Less(t, grown, int64(size)/4, "the live heap grew by %d bytes for a file of %d", grown, size)
		})
	}
}
