package gcpsecretmanager

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDecodeAccessDeepNesting: an answer of maxBody bytes of "[" (a proxy's
// or a hostile endpoint's) is refused as undecodable without the stack
// growth of a recursive validator (gjson's took ~226 MiB for 1 MiB).
func TestDecodeAccessDeepNesting(t *testing.T) {
	for _, open := range []string{"[", "{\"a\":"} {
		body := bytes.Repeat([]byte(open), maxBody/len(open))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := decodeAccess(body)
		runtime.ReadMemStats(&after)
		assert.ErrorIs(t, err, errDecode, open)
		assert.Less(t, int64(after.StackInuse)-int64(before.StackInuse), int64(16<<20), "stack grew while checking %q nesting", open)
	}
}
