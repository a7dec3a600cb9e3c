package wasmhost_test

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/config"
)

// TestFileURLModuleRefs: a file:// reference loads exactly the file it
// names. A host part other than empty or "localhost" (which net/url would
// otherwise drop, so that file://modules/x.wasm loaded /x.wasm), and parts
// a file path cannot have, are refused with an error naming the reference.
func TestFileURLModuleRefs(t *testing.T) {
	abs, err := filepath.Abs("testdata/reference.wasm")
	require.NoError(t, err)
	escaped := (&url.URL{Path: abs}).EscapedPath()
	tests := []struct {
		name    string
		ref     string
		wantErr []string // empty: loads
	}{
		{name: "empty host", ref: "file://" + escaped},
		{name: "localhost", ref: "file://localhost" + escaped},
		{name: "localhost in capitals", ref: "file://LOCALHOST" + escaped},
		{name: "percent-encoded path", ref: "file://" + escaped[:len(escaped)-len("reference.wasm")] + "%72eference.wasm"},
		{name: "relative path read as a host", ref: "file://testdata/reference.wasm", wantErr: []string{`host "testdata"`}},
		{name: "relative host and absolute rest", ref: "file://modules" + escaped, wantErr: []string{`host "modules"`}},
		{name: "remote host", ref: "file://files.example.com" + escaped, wantErr: []string{`host "files.example.com"`}},
		{name: "loopback address", ref: "file://127.0.0.1" + escaped, wantErr: []string{`host "127.0.0.1"`}},
		{name: "localhost with a port", ref: "file://localhost:80" + escaped, wantErr: []string{`host "localhost:80"`}},
		{name: "dot host", ref: "file://." + escaped, wantErr: []string{`host "."`}},
		{name: "user info", ref: "file://user@localhost" + escaped, wantErr: []string{"user"}},
		{name: "query", ref: "file://" + escaped + "?v=2", wantErr: []string{"query"}},
		{name: "fragment", ref: "file://" + escaped + "#x.wasm", wantErr: []string{"fragment"}},
		{name: "no path", ref: "file://localhost", wantErr: []string{"no path"}},
	}
	// A password in a reference is not repeated in the error.
	secretRefs := []struct{ ref, shown string }{
		{ref: "file://user:Pl4nted-S3cret@localhost" + escaped, shown: "file://user:xxxxx@localhost" + escaped},
		{ref: "https://user:Pl4nted-S3cret@127.0.0.1:1/m.wasm", shown: "https://user:xxxxx@127.0.0.1:1/m.wasm"},
		{ref: "https://user:Pl4nted-S3cret@127.0.0.1:bad/m.wasm", shown: "https://user:xxxxx@127.0.0.1:bad/m.wasm"},
		{ref: "ftp://user:Pl4nted-S3cret@example.com/m.wasm", shown: "ftp://user:xxxxx@example.com/m.wasm"},
	}
	pinned := wasmConfig(t, map[string]string{"sha256": strings.Repeat("ab", 32)}) // past the pin check, to the URL's own errors
	for _, sr := range secretRefs {
		t.Run("password in "+sr.shown, func(t *testing.T) {
			for _, cfg := range []*config.File{wasmConfig(t, nil), pinned} {
				b, err := openRef(t, sr.ref, `{}`, cfg)
				closeBackend(b)
				require.Error(t, err)
				assert.Contains(t, err.Error(), sr.shown)
				assert.NotContains(t, err.Error(), "Pl4nted")
				assert.NotContains(t, err.Error(), "S3cret")
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := openRef(t, tt.ref, `{"c:x": "mysql://h"}`, wasmConfig(t, nil))
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				defer closeBackend(b)
				v, err := b.Lookup(t.Context(), connReq("x"))
				require.NoError(t, err)
				assert.Equal(t, "mysql://h", v)
				return
			}
			require.Error(t, err)
			closeBackend(b)
			assert.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), tt.ref, "the error names the reference")
			for _, s := range tt.wantErr {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}
