package localfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/connection"
)

// TestFileBatches: OpenConnections + Each hand over what ReadConnections
// returns, in batches of at most n, with Len counting them; a file with a
// problem reports, after the last batch, the error ReadConnections reports
// (path:line, no value), and a syntax error is reported at open.
func TestFileBatches(t *testing.T) {
	var js, env strings.Builder
	js.WriteString("{")
	for i := range 1234 {
		if i > 0 {
			js.WriteString(",\n")
		}
		fmt.Fprintf(&js, `"c%d": "postgres://u:p%d@h/d"`, i, i)
		fmt.Fprintf(&env, "c%d=postgres://u:p%d@h/d\n", i, i)
	}
	js.WriteString(`, "empty": "", "none": [], "obj": {"conn_type": "http", "host": "x"}}`)
	tests := []struct {
		name, file, content string
		openErr, eachErr    string
	}{
		{name: "json", file: "a.json", content: js.String()},
		{name: "env", file: "a.env", content: env.String()},
		{name: "yaml, read whole", file: "a.yaml", content: "a: http://h\nb: {conn_type: x, host: y}\n"},
		{name: "repeated key, read whole", file: "a.json", content: `{"a": "http://x", "b": "http://y", "a": "http://z"}`},
		{name: "syntax error", file: "a.json", content: "{\n\"a\": Pl4nted}", openErr: "a.json:2: Expecting value"},
		{name: "bad connection", file: "a.env", content: "a=http://h\nb=postgres://u:Pl4nted@h:99999/d\n", eachErr: "a.env:2: "},
		{name: "bad line, reported at open", file: "a.env", content: "a=http://h\nnope\n", openErr: "a.env:2: " + msgNoEquals},
		{name: "env key twice", file: "a.env", content: "a=http://h\na=http://i\n", openErr: "a.env:2: Found multiple values for a (lines 1, 2)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			f, err := OpenConnections(path)
			if tt.openErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.openErr)
				assert.NotContains(t, err.Error(), "Pl4nted")
				return
			}
			require.NoError(t, err)
			got := map[string]connection.Connection{}
			for _, n := range []int{1, 7, 500} {
				clear(got)
				err = f.Each(n, func(batch []connection.Connection) error {
					assert.LessOrEqual(t, len(batch), n)
					for _, c := range batch {
						got[c.ConnID] = c
					}
					return nil
				})
				if tt.eachErr != "" {
					require.Error(t, err)
					assert.Contains(t, err.Error(), tt.eachErr)
					assert.NotContains(t, err.Error(), "Pl4nted")
					continue
				}
				require.NoError(t, err)
				want, err := ReadConnections(path)
				require.NoError(t, err)
				assert.Equal(t, want, got)
				assert.Equal(t, len(want), f.Len())
			}
		})
	}
}

// TestFileVariableBatches: OpenVariables + EachVariable hand over what
// ReadVariables returns.
func TestFileVariableBatches(t *testing.T) {
	for _, tt := range []struct{ file, content string }{
		{"v.json", `{"a": "x", "b": 1, "n": null, "o": {"k": [1]}}`},
		{"v.env", "a=x\nb=1\n"},
		{"v.yaml", "a: x\nb: 1\n"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			f, err := OpenVariables(path)
			require.NoError(t, err)
			got := map[string]string{}
			require.NoError(t, f.EachVariable(1, func(keys, values []string) error {
				for i := range keys {
					got[keys[i]] = values[i]
				}
				return nil
			}))
			want, err := ReadVariables(path)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.Equal(t, len(want), f.Len())
		})
	}
}

// TestFileBatchesWholeSorted: a file read whole (YAML, a repeated key) is
// handed out sorted by id, as imports always wrote, not in map order.
func TestFileBatchesWholeSorted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.yaml")
	require.NoError(t, os.WriteFile(path, []byte("c: http://h\na: http://h\nb: http://h\nd: http://h\n"), 0o600))
	f, err := OpenConnections(path)
	require.NoError(t, err)
	for range 5 {
		var ids []string
		require.NoError(t, f.Each(2, func(batch []connection.Connection) error {
			for _, c := range batch {
				ids = append(ids, c.ConnID)
			}
			return nil
		}))
		assert.Equal(t, []string{"a", "b", "c", "d"}, ids)
	}
	vpath := filepath.Join(t.TempDir(), "v.yaml")
	require.NoError(t, os.WriteFile(vpath, []byte("z: 1\nx: 2\ny: 3\n"), 0o600))
	v, err := OpenVariables(vpath)
	require.NoError(t, err)
	var keys []string
	require.NoError(t, v.EachVariable(2, func(k, _ []string) error { keys = append(keys, k...); return nil }))
	assert.Equal(t, []string{"x", "y", "z"}, keys)
}
