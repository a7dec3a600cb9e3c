package resolver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// countClockReads makes exactNow count its reads for the rest of the test.
func countClockReads(t *testing.T) *atomic.Int64 {
	var n atomic.Int64
	old := exactNow
	exactNow = func() int64 { n.Add(1); return monotonic() }
	t.Cleanup(func() { exactNow = old })
	return &n
}

// TestHitReadsNoClock: with a TTL of a second or more, a hit reads the
// coarse clock, never the clock itself; a shorter TTL reads the clock on
// every hit (the control: the counter sees reads).
func TestHitReadsNoClock(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ttl       time.Duration
		wantReads bool
	}{
		{"an hour: coarse clock", time.Hour, false},
		{"a second: coarse clock", time.Second, false},
		{"under a second: exact clock", 500 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reads := countClockReads(t)
			r := New(WithBackend("b", &countingBackend{}), WithCache(tc.ttl, 0))
			ctx := context.Background()
			_, err := r.Connection(ctx, "c") // a miss: saved with the exact time
			require.NoError(t, err)
			_, err = r.Variable(ctx, "k")
			require.NoError(t, err)
			_, err = r.Connection(ctx, "c") // starts the coarse clock if it was stopped
			require.NoError(t, err)
			before := reads.Load()
			for range 1000 {
				_, err = r.Connection(ctx, "c")
				require.NoError(t, err)
				_, err = r.Variable(ctx, "k")
				require.NoError(t, err)
			}
			if tc.wantReads {
				assert.GreaterOrEqual(t, reads.Load()-before, int64(2000))
			} else {
				assert.Zero(t, reads.Load()-before, "clock reads on 2,000 hits")
			}
		})
	}
}

// TestCoarseClock: it never runs ahead of the clock, it stops when unread
// (no timer left armed) and restarts on the next read.
func TestCoarseClock(t *testing.T) {
	for range 100 {
		c := coarseNow()
		require.LessOrEqual(t, c, monotonic(), "the coarse clock is a past reading")
	}
	require.Eventually(t, func() bool { return coarseClock.state.Load() == clockStopped },
		30*time.Second, 50*time.Millisecond, "the clock stops once unread for %d ticks", coarseIdle)
	before := monotonic()
	c := coarseNow() // restarts it with a fresh reading
	assert.GreaterOrEqual(t, c, before, "a restarted clock is read afresh, not stale")
	assert.NotEqual(t, clockStopped, coarseClock.state.Load())
}

// TestCacheTTLPrecision: with the real clocks an entry is never dropped
// before its TTL, and is dropped once the TTL (and the coarse clock's
// tick) have passed.
func TestCacheTTLPrecision(t *testing.T) {
	b := &countingBackend{}
	r := New(WithBackend("b", b), WithCache(time.Second, 0))
	ctx := context.Background()
	_, err := r.Variable(ctx, "k")
	require.NoError(t, err)
	saved := monotonic()
	for monotonic()-saved < int64(900*time.Millisecond) { // the wait is the point, not a bound
		_, err = r.Variable(ctx, "k")
		require.NoError(t, err)
		time.Sleep(5 * time.Millisecond)
	}
	assert.Equal(t, int64(1), b.calls.Load(), "not dropped before its TTL")
	require.Eventually(t, func() bool {
		_, _ = r.Variable(ctx, "k")
		return b.calls.Load() == 2
	}, 30*time.Second, 5*time.Millisecond, "expired after its TTL")
}

// TestInvalidateDuringSearch: a search under way when its key is
// invalidated still answers its callers, but its answer (which may
// predate the change) is not cached, and a lookup after the invalidation
// does not wait for it.
func TestInvalidateDuringSearch(t *testing.T) {
	for _, all := range []bool{false, true} {
		t.Run(fmt.Sprintf("all=%t", all), func(t *testing.T) {
			b := &countingBackend{gate: make(chan struct{})}
			r := newCached(b, &fakeClock{t: time.Unix(1, 0)}, 0)
			first := make(chan error, 1)
			go func() {
				v, err := r.Variable(t.Context(), "k")
				if err == nil && v.Reveal() != "v-k" {
					err = errors.New("wrong value")
				}
				first <- err
			}()
			for b.calls.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			if all {
				r.InvalidateAll()
			} else {
				r.Invalidate(Request{Kind: KindVariable, ID: "k"})
			}
			second := make(chan error, 1)
			go func() { _, err := r.Variable(t.Context(), "k"); second <- err }()
			for b.calls.Load() < 2 {
				time.Sleep(time.Millisecond) // the second lookup searches on its own
			}
			close(b.gate)
			require.NoError(t, <-first)
			require.NoError(t, <-second)
			assert.Equal(t, int64(2), b.calls.Load())
			_, err := r.Variable(t.Context(), "k")
			require.NoError(t, err)
			assert.Equal(t, int64(2), b.calls.Load(), "the search begun after the invalidation was cached")
		})
	}
}

// TestInvalidateOtherKeyDuringSearch: invalidating another key (or a team's
// key of the same id) while a search is under way does not stop that
// search's answer from being cached.
func TestInvalidateOtherKeyDuringSearch(t *testing.T) {
	for _, other := range []Request{
		{Kind: KindVariable, ID: "other"},
		{Kind: KindConnection, ID: "k"},
		{Kind: KindVariable, ID: "k", Team: "t"},
	} {
		t.Run(fmt.Sprintf("%s/%s/%s", other.Kind, other.Team, other.ID), func(t *testing.T) {
			b := &countingBackend{gate: make(chan struct{})}
			r := newCached(b, &fakeClock{t: time.Unix(1, 0)}, 0)
			first := make(chan error, 1)
			go func() { _, err := r.Variable(t.Context(), "k"); first <- err }()
			for b.calls.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			r.Invalidate(other)
			close(b.gate)
			require.NoError(t, <-first)
			_, err := r.Variable(t.Context(), "k")
			require.NoError(t, err)
			assert.Equal(t, int64(1), b.calls.Load(), "the search's answer was cached")
		})
	}
}

// panicBackend panics on its first call, after gate opens.
type panicBackend struct {
	countingBackend
	panicked atomic.Bool
}

func (b *panicBackend) Lookup(ctx context.Context, req Request) (string, error) {
	b.calls.Add(1)
	<-b.gate
	if b.panicked.CompareAndSwap(false, true) {
		panic("backend bug")
	}
	return "v-" + req.ID, nil
}

// TestSearchPanics: a search that panics re-panics in its leader's
// goroutine, the callers waiting on it get an error (no value, no hang),
// and the next lookup searches again.
func TestSearchPanics(t *testing.T) {
	b := &panicBackend{countingBackend: countingBackend{gate: make(chan struct{})}}
	r := newCached(b, &fakeClock{t: time.Unix(1, 0)}, 0)
	leader := make(chan any, 1)
	go func() {
		defer func() { leader <- recover() }()
		_, _ = r.Variable(context.Background(), "k") // the search runs in this goroutine
	}()
	for b.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	waiter := make(chan error, 1)
	go func() { _, err := r.Variable(t.Context(), "k"); waiter <- err }()
	for !waiting(r, Request{Kind: KindVariable, ID: "k"}) {
		time.Sleep(time.Millisecond)
	}
	close(b.gate)
	assert.Equal(t, "backend bug", <-leader)
	err := <-waiter
	require.ErrorIs(t, err, errFlightPanicked)
	assert.NotContains(t, err.Error(), "v-k")
	v, err := r.Variable(t.Context(), "k")
	require.NoError(t, err)
	assert.Equal(t, "v-k", v.Reveal())
	assert.Equal(t, int64(2), b.calls.Load())
}

// waiting reports whether someone waits on the search for req.
func waiting(r *Resolver, req Request) bool {
	r.cache.mu.Lock()
	defer r.cache.mu.Unlock()
	f := r.cache.flights[keyOf(req)]
	return f != nil && f.done != nil
}

// checkCache checks the cache's bookkeeping: all holds exactly the maps'
// entries, each at its slot and under its key; no team without entries
// keeps its maps; no search is left under way.
func checkCache(t *testing.T, c *cache) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.all {
		require.Equal(t, i, e.slot, "slot of %v", e.key)
		got, ok := c.load(e.key)
		require.True(t, ok, "%v is in all but not in the maps", e.key)
		require.Same(t, e, got, "%v", e.key)
	}
	count := func(ms *idMaps) int {
		n := 0
		for i := range ms.kinds {
			if m := ms.kinds[i].Load(); m != nil {
				n += m.Size()
			}
		}
		return n
	}
	n := count(&c.noTeam)
	teams := 0
	for team, ms := range c.teams.All() {
		tn := count(ms)
		assert.NotZero(t, tn, "team %q has maps and no entry", team)
		assert.Equal(t, c.teamN[team], tn, "team %q's count", team)
		n += tn
		teams++
	}
	assert.Len(t, c.teamN, teams, "a count for every team with maps, no other")
	assert.Equal(t, len(c.all), n, "entries in the maps")
	assert.LessOrEqual(t, len(c.all), c.max)
	assert.Empty(t, c.flights, "searches left under way")
}

// TestCacheBookkeeping runs random lookups (teams, kinds), invalidations,
// clears and evictions, concurrently, and checks the cache's books.
func TestCacheBookkeeping(t *testing.T) {
	b := &countingBackend{}
	r := newCached(b, &fakeClock{t: time.Unix(1, 0)}, 40)
	teams := []string{"", "", "a", "b", "ab"}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range 3000 {
				req := Request{Kind: KindVariable, Team: teams[rng.IntN(len(teams))], ID: fmt.Sprintf("k%d", rng.IntN(60))}
				if rng.IntN(3) == 0 {
					req.Kind, req.ID = KindConnection, "c"
				}
				switch n := rng.IntN(100); {
				case n < 8:
					r.Invalidate(req)
				case n == 8:
					r.InvalidateAll()
				default:
					var err error
					if req.Kind == KindConnection {
						_, err = r.LookupConnection(t.Context(), req)
					} else {
						var v interface{ Reveal() string }
						v, err = r.LookupValue(t.Context(), req)
						if err == nil && v.Reveal() != "v-"+req.ID {
							err = fmt.Errorf("%v: wrong value", req)
						}
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	checkCache(t, r.cache)
	r.InvalidateAll()
	checkCache(t, r.cache)
	assert.Zero(t, r.cache.teams.Size())
}

// TestMissAllocations pins what a cached miss allocates besides the
// backend's work (counts, not times): the search (with the entry the cache
// keeps) and the map's entry; when the caller's context can end and the
// backend does not promise to honour it, also the channel it waits on and
// the detached context.
func TestMissAllocations(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  context.Context
		max  float64
		b    Backend
	}{
		{"background", context.Background(), 3, constBackend{}},
		{"cancellable", t.Context(), 4, constBackend{}},
		{"cancellable, backend honours ctx", t.Context(), 2, honouringConstBackend{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(WithBackend("b", tc.b), WithCache(time.Hour, 0))
			req := Request{Kind: KindVariable, ID: "k"}
			allocs := testing.AllocsPerRun(1000, func() {
				r.Invalidate(req)
				if _, err := r.LookupValue(tc.ctx, req); err != nil {
					t.Fatal(err)
				}
			})
			assert.LessOrEqual(t, allocs, tc.max)
		})
		// A team's only entry expiring and being looked up again: the
		// entry is replaced in place, the team's maps are not rebuilt.
		t.Run(tc.name+"/team-refresh", func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1, 0)}
			r := New(WithBackend("b", tc.b), WithCache(10*time.Second, 0),
				func(o *options) { o.now = func() int64 { return clock.now().UnixNano() } })
			req := Request{Kind: KindVariable, ID: "k", Team: "team_a"}
			_, err := r.LookupValue(tc.ctx, req)
			require.NoError(t, err)
			allocs := testing.AllocsPerRun(1000, func() {
				clock.advance(11 * time.Second)
				if _, err := r.LookupValue(tc.ctx, req); err != nil {
					t.Fatal(err)
				}
			})
			assert.LessOrEqual(t, allocs, tc.max)
		})
	}
}

// constBackend answers every lookup with one constant, allocating nothing.
type constBackend struct{}

func (constBackend) Lookup(context.Context, Request) (string, error) { return "v", nil }

// honouringConstBackend is constBackend that returns ctx.Err() once ctx is
// done, and says so.
type honouringConstBackend struct{}

func (honouringConstBackend) HonoursContext() bool { return true }

func (honouringConstBackend) Lookup(ctx context.Context, _ Request) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return "v", nil
}

// TestSearchWorkersEnd: the goroutines that ran searches for callers whose
// context could end are gone once idle (goleak waits for them).
func TestSearchWorkersEnd(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	r := New(WithBackend("b", &countingBackend{}), WithCache(time.Hour, 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			_, err := r.Variable(ctx, fmt.Sprintf("k%d", i%7))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	goleak.VerifyNone(t, ignore)
}
