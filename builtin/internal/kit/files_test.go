package kit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadFile: a regular file (also through a symbolic link, as a pod's
// projected files are) is read whole up to the limit; anything else is an
// error naming the file and never quoting its content.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	small := write("small", "tok-123\n")
	exact := write("exact", strings.Repeat("a", 16))
	big := write("big", "hidden-content-"+strings.Repeat("b", 16))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(small, link))

	tests := []struct {
		name    string
		path    string
		want    string
		wantIs  error
		wantErr string
	}{
		{name: "a small file", path: small, want: "tok-123\n"},
		{name: "exactly the limit", path: exact, want: strings.Repeat("a", 16)},
		{name: "a symbolic link to a file", path: link, want: "tok-123\n"},
		{name: "over the limit", path: big, wantIs: ErrFileTooLarge, wantErr: "read " + big + ": file too large (more than 16 bytes)"},
		{name: "a directory", path: dir, wantIs: ErrNotRegular, wantErr: "read " + dir + ": not a regular file (a directory)"},
		{name: "missing", path: filepath.Join(dir, "nope"), wantIs: fs.ErrNotExist, wantErr: filepath.Join(dir, "nope")},
		{name: "a character device", path: os.DevNull, wantIs: ErrNotRegular, wantErr: "not a regular file (a character device)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFile(tt.path, 16)
			if tt.wantIs == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, string(got))
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.wantIs)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "hidden-content")
			var pe *fs.PathError
			assert.True(t, errors.As(err, &pe), "a *fs.PathError")
		})
	}
}
