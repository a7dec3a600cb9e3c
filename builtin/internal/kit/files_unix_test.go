//go:build unix

package kit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
)

// TestReadFileFifo: a named pipe with no writer is refused at once
// (os.ReadFile would wait for a writer forever).
func TestReadFileFifo(t *testing.T) {
	p := kittest.Fifo(t)
	err := kittest.Returns(t, func() error {
		_, err := kit.ReadFile(p, 1<<20)
		return err
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, kit.ErrNotRegular)
	assert.Contains(t, err.Error(), "read "+p+": not a regular file (a named pipe)")
}
