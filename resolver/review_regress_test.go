package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
)

// R1: with a stale grace and the real (coarse) clock, a change event's
// invalidation does not take effect for hits until the next coarse tick;
// the Watcher, notified synchronously, re-looks within that window, gets
// the old answer from the cache and never delivers the change.
func TestRegressWatcherMissesChangeWithStaleGrace(t *testing.T) {
	for _, grace := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprint("grace=", grace), func(t *testing.T) {
			ctx := t.Context()
			src := newSourceMem("src")
			src.set(resolver.KindVariable, "a", "one")
			opts := []resolver.Option{resolver.WithBackend("src", src), resolver.WithCache(time.Hour, 0)}
			if grace > 0 {
				opts = append(opts, resolver.WithStaleGrace(grace))
			}
			r := resolver.New(opts...)
			defer r.Close()
			w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "a"})
			defer w.Close()
			res, err := w.Watch(ctx)
			require.NoError(t, err)
			require.Equal(t, "one", res.Value.Reveal())
			require.Eventually(t, func() bool { return src.runCount() == 1 }, eventually, time.Millisecond)
			time.Sleep(100 * time.Millisecond)
			_, _ = r.Variable(ctx, "a") // a fresh entry
			time.Sleep(30 * time.Millisecond)

			src.set(resolver.KindVariable, "a", "two")
			src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "a"}
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			res, err = w.Watch(wctx)
			require.NoError(t, err, "the change was never delivered")
			assert.Equal(t, "two", res.Value.Reveal())
		})
	}
}

// R1b: the same without a Watcher: a lookup right after the event (the
// event handled synchronously before we look) still gets the old value.
func TestRegressLookupAfterEventWithStaleGrace(t *testing.T) {
	ctx := t.Context()
	src := newSourceMem("src")
	src.set(resolver.KindVariable, "a", "one")
	r := resolver.New(resolver.WithBackend("src", src), resolver.WithCache(time.Hour, 0), resolver.WithStaleGrace(time.Hour))
	defer r.Close()
	_, _ = r.Variable(ctx, "a")
	require.Eventually(t, func() bool { return src.runCount() == 1 }, eventually, time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	_, _ = r.Variable(ctx, "a")
	stale := 0
	for range 50 {
		src.set(resolver.KindVariable, "a", "new")
		calls := src.calls.Load()
		src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "a"}
		// wait until the source goroutine handled it: poll-free, use Invalidate-free way:
		time.Sleep(time.Millisecond)
		v, _ := r.Variable(ctx, "a")
		if v.Reveal() != "new" && src.calls.Load() == calls {
			stale++
		}
		src.set(resolver.KindVariable, "a", "one")
		src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "a"}
		time.Sleep(20 * time.Millisecond)
		_, _ = r.Variable(ctx, "a")
		time.Sleep(5 * time.Millisecond)
	}
	assert.Zero(t, stale, "lookups 1 ms after a handled change event served the pre-change value from the cache")
}

// permMem: "x" is refused (permission denied) at once; "y" answers only
// when released, after the tier timeout.
type permMem struct{ release chan struct{} }

func (p *permMem) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	switch req.ID {
	case "x":
		return "", fmt.Errorf("vault: %w", resolver.ErrPermissionDenied)
	case "nf":
		return "", resolver.ErrNotFound
	case "y":
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-p.release:
			return "y-from-tier0", nil
		}
	}
	return "", resolver.ErrNotFound
}
func (p *permMem) HonoursContext() bool { return true }

// R2: in a batch, one slow id makes the shared tier timeout wrap every
// other id's error; tierTimeoutError has no Unwrap, so permission denied
// (fail-closed) and not-found lose their meaning.
func TestRegressBatchTierTimeoutWrapsOtherIdsErrors(t *testing.T) {
	ctx := t.Context()
	env := newMem("env")
	env.vars["x"] = "x-from-env"
	mk := func() *resolver.Resolver {
		return resolver.New(resolver.WithBackend("vault", &permMem{release: make(chan struct{})}),
			resolver.WithFallback("env", env), resolver.WithFailClosed(), resolver.WithTierTimeout(50*time.Millisecond))
	}
	r := mk()
	_, err := r.Variable(ctx, "x")
	require.ErrorIs(t, err, resolver.ErrPermissionDenied, "single lookup: fail-closed stops")
	_, err = r.Variable(ctx, "nf")
	var nf *resolver.NotFoundError
	require.ErrorAs(t, err, &nf)
	require.Empty(t, nf.Errs, "single lookup: a clean not-found")

	res := mk().Variables(ctx, "x", "y", "nf")
	assert.ErrorIs(t, res[0].Err, resolver.ErrPermissionDenied, "batch: x must fail closed as alone; got value %q from tier %q", res[0].Value.Reveal(), res[0].Tier)
	if assert.ErrorAs(t, res[2].Err, &nf) {
		assert.Empty(t, nf.Errs, "batch: nf should be a clean not-found, got %v", res[2].Err)
	}
}

// slowMem answers every id after d (honouring ctx).
type slowMem struct {
	d time.Duration
}

func (s *slowMem) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(s.d):
		return "tier0", nil
	}
}
func (s *slowMem) HonoursContext() bool { return true }

// R3: the tier timeout covers the whole batch on a tier, not each id: a
// batch of ids that each answer well within it falls through to a later
// tier (a lower-priority value), which is then cached.
func TestRegressBatchTierTimeoutIsPerBatch(t *testing.T) {
	ctx := t.Context()
	env := newMem("env")
	var ids []string
	for i := range 40 {
		id := fmt.Sprint("v", i)
		ids = append(ids, id)
		env.vars[id] = "env"
	}
	r := resolver.New(resolver.WithBackend("slow", &slowMem{d: 30 * time.Millisecond}),
		resolver.WithFallback("env", env), resolver.WithTierTimeout(100*time.Millisecond), resolver.WithCache(time.Hour, 0))
	defer r.Close()
	v, err := resolver.New(resolver.WithBackend("slow", &slowMem{d: 30 * time.Millisecond}),
		resolver.WithFallback("env", env), resolver.WithTierTimeout(100*time.Millisecond)).Variable(ctx, "v39")
	require.NoError(t, err)
	require.Equal(t, "tier0", v.Reveal(), "alone, each id answers from tier 0")
	wrong := 0
	for _, res := range r.Variables(ctx, ids...) {
		if res.Tier != "slow" {
			wrong++
		}
	}
	assert.Zero(t, wrong, "ids answered by the later tier in a batch")
	v, _ = r.Variable(ctx, "v39")
	assert.Equal(t, "tier0", v.Reveal(), "and the wrong tier's answer is cached")
}

var _ = errors.New
var _ sync.Mutex
