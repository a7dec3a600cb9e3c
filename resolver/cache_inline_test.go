package resolver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ctxBackend answers every id with "v-"+id. With a gate, a call waits for
// the gate or for its ctx (returning ctx.Err()): it honours ctx, and says
// so when honours is set. It records whether the ctx it was given could
// end.
type ctxBackend struct {
	honours     bool
	gate        chan struct{}
	calls       atomic.Int64
	cancellable atomic.Int64 // calls whose ctx could end
}

func (b *ctxBackend) HonoursContext() bool { return b.honours }

func (b *ctxBackend) Lookup(ctx context.Context, req Request) (string, error) {
	b.calls.Add(1)
	if ctx.Done() != nil {
		b.cancellable.Add(1)
	}
	if b.gate != nil {
		select {
		case <-b.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return "v-" + req.ID, nil
}

// wrapped hides every optional method of the backend it holds.
type wrapped struct{ b Backend }

func (w wrapped) Lookup(ctx context.Context, req Request) (string, error) {
	return w.b.Lookup(ctx, req)
}

// TestSearchContext: the search runs with its first caller's own ctx when
// every tier it asks honours ctx (a config asks the configured tiers
// only), and with a ctx that cannot end (in a worker) otherwise.
func TestSearchContext(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tiers     func(honouring, other Backend) []Option
		kind      Kind
		ownCtx    bool // the backend sees the caller's ctx
		honouring int  // tiers[:honouring] of New's search path declare the promise
	}{
		{"one tier, honours", func(h, _ Backend) []Option { return []Option{WithBackend("h", h)} }, KindVariable, true, 1},
		{"two tiers, both honour", func(h, _ Backend) []Option {
			return []Option{WithBackend("h", h), WithFallback("h2", &ctxBackend{honours: true})}
		}, KindVariable, true, 2},
		{"one tier, says it does not", func(_, o Backend) []Option { return []Option{WithBackend("o", o)} }, KindVariable, false, 0},
		{"one tier, says nothing", func(h, _ Backend) []Option { return []Option{WithBackend("w", wrapped{h})} }, KindVariable, false, 0},
		{"honours, then one that does not", func(h, o Backend) []Option {
			return []Option{WithBackend("h", h), WithFallback("o", o)}
		}, KindVariable, false, 1},
		{"a config asks only the configured tier, which honours", func(h, o Backend) []Option {
			return []Option{WithBackend("h", h), WithFallback("o", o)}
		}, KindConfig, true, 1},
		{"honours, then a role not linked", func(h, _ Backend) []Option {
			return []Option{WithBackend("h", h), WithFallback("metastore (not linked)", notLinked{RoleDatabase})}
		}, KindVariable, true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &ctxBackend{honours: true}
			o := &ctxBackend{honours: false}
			for _, b := range []*ctxBackend{h, o} {
				b.gate = make(chan struct{})
				close(b.gate)
			}
			r := New(append(tc.tiers(h, o), WithCache(time.Hour, 0))...)
			assert.Equal(t, tc.honouring, r.honoured)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			v, err := r.LookupValue(ctx, Request{Kind: tc.kind, ID: "k"})
			require.NoError(t, err)
			assert.Equal(t, "v-k", v.Reveal())
			calls, own := h.calls.Load()+o.calls.Load(), h.cancellable.Load()+o.cancellable.Load()
			require.Equal(t, int64(1), calls, "the first tier answers")
			if tc.ownCtx {
				assert.Equal(t, int64(1), own, "the search ran with the caller's ctx")
			} else {
				assert.Zero(t, own, "the search ran detached from the caller's ctx")
			}
		})
	}
}

// TestLeaderGivesUp: a search that runs with its first caller's own ctx
// ends with that ctx; the leader gets its own ctx's error, nothing is
// cached, and each caller that joined gets the answer of a new search
// (one, however many joined) unless its own ctx ended too, in which case
// it gets its own ctx's error.
func TestLeaderGivesUp(t *testing.T) {
	type joiner int
	const (
		live       joiner = iota // a cancellable ctx that stays live
		background               // a ctx that cannot end
		endsToo                  // cancelled with the leader's
	)
	for _, tc := range []struct {
		name     string
		deadline bool // the leader's ctx ends by its deadline, else by cancel
		joiners  []joiner
	}{
		{"alone", false, nil},
		{"one live joiner", false, []joiner{live}},
		{"a background joiner", false, []joiner{background}},
		{"a joiner whose ctx ends too", false, []joiner{endsToo}},
		{"many joiners, mixed", false, []joiner{live, endsToo, live, background, live, endsToo, live, live}},
		{"deadline, one live joiner", true, []joiner{live}},
		{"deadline, mixed", true, []joiner{endsToo, live, background}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &ctxBackend{honours: true, gate: make(chan struct{})}
			r := newCached(b, &fakeClock{t: time.Unix(1, 0)}, 0)
			req := Request{Kind: KindVariable, ID: "k"}

			leaderCtx, cancelLeader := context.WithCancel(t.Context())
			defer cancelLeader()
			end, wantLeader := cancelLeader, error(context.Canceled)
			if tc.deadline { // a deadline that passes when the test says, not by a timer
				dl := &deadlineCtx{Context: t.Context(), done: make(chan struct{})}
				leaderCtx, end, wantLeader = dl, dl.expire, context.DeadlineExceeded
			}
			leader := make(chan error, 1)
			go func() { _, err := r.LookupValue(leaderCtx, req); leader <- err }()
			for b.calls.Load() == 0 {
				time.Sleep(time.Millisecond) // the leader is in the backend
			}

			jctx, cancelJoiners := context.WithCancel(t.Context())
			defer cancelJoiners()
			results := make([]chan error, len(tc.joiners))
			someLive := false
			for i, j := range tc.joiners {
				ctx := t.Context()
				switch j {
				case background:
					ctx = context.Background()
				case endsToo:
					ctx = jctx
				}
				someLive = someLive || j != endsToo
				results[i] = make(chan error, 1)
				go func() {
					v, err := r.LookupValue(ctx, req)
					if err == nil && v.Reveal() != "v-k" {
						err = errors.New("wrong value")
					}
					results[i] <- err
				}()
			}
			if len(tc.joiners) > 0 {
				for !waiting(r, req) {
					time.Sleep(time.Millisecond) // one joined the leader's search
				}
			}

			cancelJoiners()
			end()
			require.ErrorIs(t, <-leader, wantLeader, "the leader gets its own ctx's error")
			for i, j := range tc.joiners {
				if j == endsToo {
					require.ErrorIs(t, <-results[i], context.Canceled, "joiner %d", i)
				}
			}
			wantCalls := int64(1)
			if someLive {
				wantCalls = 2
				require.Eventually(t, func() bool { return b.calls.Load() == 2 }, 30*time.Second, time.Millisecond,
					"a live joiner leads a new search when the leader gives up") // a bound on a hang, not a timing
			}
			close(b.gate)
			for i, j := range tc.joiners {
				if j != endsToo {
					require.NoError(t, <-results[i], "joiner %d gets the new search's answer, not the leader's error", i)
				}
			}
			assert.Equal(t, wantCalls, b.calls.Load(), "one new search for every live joiner")

			// The given-up search cached nothing; the new one (if any) did.
			v, err := r.LookupValue(t.Context(), req)
			require.NoError(t, err)
			assert.Equal(t, "v-k", v.Reveal())
			if someLive {
				assert.Equal(t, wantCalls, b.calls.Load(), "the new search's answer was cached")
			} else {
				assert.Equal(t, wantCalls+1, b.calls.Load(), "the given-up search's error was not cached")
			}
			checkCache(t, r.cache)
		})
	}
}

// deadlineCtx is a ctx whose deadline passes when expire is called.
type deadlineCtx struct {
	context.Context
	once sync.Once
	done chan struct{}
	err  atomic.Pointer[error]
}

func (c *deadlineCtx) Done() <-chan struct{} { return c.done }

func (c *deadlineCtx) Err() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (c *deadlineCtx) expire() {
	c.once.Do(func() {
		err := context.DeadlineExceeded
		c.err.Store(&err)
		close(c.done)
	})
}

// TestInlineSingleflight: with a backend that honours ctx and callers
// whose ctx can end, 1,000 concurrent misses of one key still make one
// backend call, and every caller gets its answer.
func TestInlineSingleflight(t *testing.T) {
	b := &ctxBackend{honours: true, gate: make(chan struct{})}
	r := newCached(b, &fakeClock{t: time.Unix(1, 0)}, 0)
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			v, err := r.Variable(t.Context(), "shared")
			if err == nil && v.Reveal() != "v-shared" {
				err = fmt.Errorf("wrong value")
			}
			errs <- err
		})
	}
	for b.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(b.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int64(1), b.calls.Load(), "1000 concurrent misses make one backend call")
	assert.Equal(t, int64(1), b.cancellable.Load(), "it ran with its leader's own ctx")
}
