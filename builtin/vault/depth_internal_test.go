package vault

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestKVDataDeepNesting: a KV answer of deeply nested JSON is refused as
// malformed without the stack growth of a recursive validator (gjson's
// took ~226 MiB for 1 MiB of "["; maxBody of it would crash the process).
func TestKVDataDeepNesting(t *testing.T) {
	for _, open := range []string{"[", "{\"a\":"} {
		body := bytes.Repeat([]byte(open), (4<<20)/len(open))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := kvData(body, true)
		runtime.ReadMemStats(&after)
		assert.ErrorIs(t, err, errMalformed, open)
		assert.Less(t, int64(after.StackInuse)-int64(before.StackInuse), int64(16<<20), "stack grew while checking %q nesting", open)
	}
}
