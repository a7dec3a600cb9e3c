//go:build unix

package vaultgcp_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
)

// TestGCPKeyFileFifo: a gcp_key_path naming a named pipe is refused at
// once (the login would block on it), with an error naming the path.
func TestGCPKeyFileFifo(t *testing.T) {
	e := newEnv(t)
	// A link named .json (the extension is checked first) to the pipe.
	path := filepath.Join(t.TempDir(), "key.json")
	require.NoError(t, os.Symlink(kittest.Fifo(t), path))
	b, err := open(t, map[string]any{"url": e.vault.URL, "auth_type": "gcp", "role_id": "airflow", "gcp_scopes": scopes[0], "gcp_key_path": path}, nil)
	require.NoError(t, err)
	err = kittest.Returns(t, func() error { _, err := b.Lookup(t.Context(), varReq("hello")); return err })
	require.Error(t, err)
	assert.Contains(t, err.Error(), `reading gcp_key_path "`+path+`": not a regular file`)
}
