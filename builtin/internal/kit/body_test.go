package kit

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBody(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		limit    int
		over     bool
	}{
		{"empty", "", 4, false},
		{"under", "abc", 4, false},
		{"at the limit", "abcd", 4, false},
		{"over", "abcde", 4, true},
		{"far over", strings.Repeat("x", 1000), 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := GetBody()
			defer b.Put()
			over, err := b.Read(strings.NewReader(tc.in), tc.limit)
			require.NoError(t, err)
			assert.Equal(t, tc.over, over)
			if !tc.over {
				assert.Equal(t, tc.in, string(b.Bytes()))
			} else {
				assert.Len(t, b.Bytes(), tc.limit+1, "reads one byte past the limit, no more")
			}
		})
	}
	b := GetBody()
	_, err := b.Read(iotest.ErrReader(errors.New("broken")), 4)
	assert.EqualError(t, err, "broken")
	b.Put()
	b = GetBody()
	assert.Empty(t, b.Bytes(), "a Body from the pool is empty")
	b.Put()
}
