//go:build unix

package kittest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Fifo makes a named pipe with no writer under a temp dir and returns its
// path: opening it for reading blocks until a writer comes, and reading
// from it then blocks until the writer writes or closes. When the test
// ends a writer opens and closes it, so that a reader a bug left blocked
// returns.
func Fifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(p, 0o600))
	t.Cleanup(func() {
		// O_NONBLOCK: fails at once (ENXIO) when no reader is blocked.
		if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	})
	return p
}
