package awscommon

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// TestVersionsFold: a request's version is its name's; a team's request
// folds the team's and the global name's; a request no lookup makes has
// no entry, one whose names are all missing "".
func TestVersionsFold(t *testing.T) {
	places, err := Scheme("test", "/", [3]string{"c", "v", "cfg"}).Compile(kit.Locations{})
	require.NoError(t, err)
	name := func(p *kit.Place, id string) string { return p.Prefix + "/" + id }
	store := map[string]string{"v/a": "1", "v/t--a": "7", "v/b": "2"}
	var asked []string
	fetch := func(_ context.Context, names []string) (map[string]string, error) {
		asked = names
		return store, nil
	}
	v := func(id, team string) resolver.Request {
		return resolver.Request{Kind: resolver.KindVariable, ID: id, Team: team}
	}
	reqs := []resolver.Request{v("a", ""), v("a", "t"), v("b", "t"), v("missing", ""), v("missing", "t"), v("x--y", ""), v("", "")}
	got, err := Teams{MultiTeam: true}.Versions(t.Context(), &places, reqs, name, fetch)
	require.NoError(t, err)
	assert.Equal(t, map[resolver.Request]string{
		v("a", ""):        "1",
		v("a", "t"):       `team:"7"|global:"1"`,
		v("b", "t"):       `team:""|global:"2"`,
		v("missing", ""):  "",
		v("missing", "t"): "",
	}, got)
	assert.ElementsMatch(t, []string{"v/a", "v/t--a", "v/t--b", "v/b", "v/missing", "v/t--missing"}, asked, "each name once; none for refused ids")

	_, err = Teams{}.Versions(t.Context(), &places, reqs[:1], name, func(context.Context, []string) (map[string]string, error) {
		return nil, errors.New("boom")
	})
	assert.EqualError(t, err, "boom")
}

// TestEachChunk: every chunk once, size items at most; the first error is
// returned and the chunks not started are skipped.
func TestEachChunk(t *testing.T) {
	var items atomic.Int64
	require.NoError(t, EachChunk(t.Context(), 121, 50, func(_ context.Context, lo, hi int) error {
		assert.LessOrEqual(t, hi-lo, 50)
		items.Add(int64(hi - lo))
		return nil
	}))
	assert.Equal(t, int64(121), items.Load())

	boom := errors.New("boom")
	var calls atomic.Int64
	err := EachChunk(t.Context(), 1000, 1, func(ctx context.Context, lo, _ int) error {
		calls.Add(1)
		if lo == 0 {
			return boom
		}
		<-ctx.Done() // the others wait for the failure to cancel them
		return ctx.Err()
	})
	assert.ErrorIs(t, err, boom)
	assert.LessOrEqual(t, calls.Load(), int64(BatchParallel), "no chunk started after the failure")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, EachChunk(ctx, 3, 1, func(context.Context, int, int) error { return nil }), context.Canceled)
}
