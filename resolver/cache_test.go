package resolver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingBackend answers every variable key "k<n>" with "v<n>" and
// connection "c" with a URI, counting calls; gate, when set, holds calls.
type countingBackend struct {
	calls atomic.Int64
	gate  chan struct{}
	fail  atomic.Bool
	value atomic.Value
}

func (b *countingBackend) ConnectionValue(ctx context.Context, id string) (string, error) {
	b.calls.Add(1)
	if id != "c" {
		return "", ErrNotFound
	}
	return "postgres://u:pw@db:5432/x", nil
}

func (b *countingBackend) Variable(ctx context.Context, key string) (string, error) {
	b.calls.Add(1)
	if b.gate != nil {
		<-b.gate
	}
	if b.fail.Load() {
		return "", errors.New("down")
	}
	if v, ok := b.value.Load().(string); ok {
		return v, nil
	}
	if key == "missing" {
		return "", ErrNotFound
	}
	return "v-" + key, nil
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newCached(b Backend, clock *fakeClock, size int) *Resolver {
	return New(WithBackend("b", b), WithCache(10*time.Second, size), func(o *options) { o.now = func() int64 { return clock.now().UnixNano() } })
}

func TestCacheTTL(t *testing.T) {
	b := &countingBackend{}
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	r := newCached(b, clock, 0)
	ctx := t.Context()

	for range 3 {
		v, err := r.Variable(ctx, "a")
		require.NoError(t, err)
		assert.Equal(t, "v-a", v.Reveal())
	}
	assert.Equal(t, int64(1), b.calls.Load(), "hits do not call the backend")

	clock.advance(10 * time.Second) // age == ttl: still fresh (Airflow expires when age > ttl)
	_, _ = r.Variable(ctx, "a")
	assert.Equal(t, int64(1), b.calls.Load())

	clock.advance(time.Nanosecond)
	_, _ = r.Variable(ctx, "a")
	assert.Equal(t, int64(2), b.calls.Load(), "an expired entry is fetched again")
}

func TestCacheNegativeAndFailures(t *testing.T) {
	b := &countingBackend{}
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	r := newCached(b, clock, 0)
	ctx := t.Context()

	for range 3 {
		_, err := r.Variable(ctx, "missing")
		require.ErrorIs(t, err, ErrNotFound)
	}
	assert.Equal(t, int64(1), b.calls.Load(), "a clean miss is cached")

	b.fail.Store(true)
	for range 3 {
		_, err := r.Variable(ctx, "other")
		require.ErrorIs(t, err, ErrNotFound)
		assert.Contains(t, err.Error(), "b: down")
	}
	assert.Equal(t, int64(4), b.calls.Load(), "a miss caused by a failing tier is not cached")

	b.fail.Store(false)
	v, err := r.Variable(ctx, "other")
	require.NoError(t, err)
	assert.Equal(t, "v-other", v.Reveal())
}

func TestCacheKindsAndInvalidate(t *testing.T) {
	b := &countingBackend{}
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	r := newCached(b, clock, 0)
	ctx := t.Context()

	c, err := r.Connection(ctx, "c")
	require.NoError(t, err)
	c.Host = "mutated by the caller"
	c2, err := r.Connection(ctx, "c")
	require.NoError(t, err)
	assert.Equal(t, "db", c2.Host, "callers get copies")
	assert.Equal(t, "pw", c2.Password.Reveal())
	_, err = r.Variable(ctx, "c")
	require.NoError(t, err)
	assert.Equal(t, int64(2), b.calls.Load(), "a connection and a variable with one id are separate entries")

	b.value.Store("new")
	r.Invalidate(Request{Kind: KindVariable, ID: "c"})
	v, err := r.Variable(ctx, "c")
	require.NoError(t, err)
	assert.Equal(t, "new", v.Reveal())
	_, _ = r.Connection(ctx, "c")
	assert.Equal(t, int64(3), b.calls.Load(), "invalidating a variable leaves the connection cached")

	r.InvalidateAll()
	_, _ = r.Connection(ctx, "c")
	assert.Equal(t, int64(4), b.calls.Load())
}

func TestCacheBounded(t *testing.T) {
	b := &countingBackend{}
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	r := newCached(b, clock, 100)
	ctx := t.Context()
	for i := range 1000 {
		_, err := r.Variable(ctx, fmt.Sprintf("k%d", i))
		require.NoError(t, err)
	}
	assert.Equal(t, 100, r.cache.len())

	// A key read often survives a flood of one-off keys.
	for i := range 1000 {
		_, _ = r.Variable(ctx, "hot")
		_, _ = r.Variable(ctx, fmt.Sprintf("cold%d", i))
	}
	before := b.calls.Load()
	_, _ = r.Variable(ctx, "hot")
	assert.Equal(t, before, b.calls.Load(), "the hot key is still cached")
}

func TestSingleflight(t *testing.T) {
	b := &countingBackend{gate: make(chan struct{})}
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	r := newCached(b, clock, 0)
	ctx := t.Context()

	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			v, err := r.Variable(ctx, "shared")
			if err == nil && v.Reveal() != "v-shared" {
				err = errors.New("wrong value")
			}
			errs <- err
		})
	}
	for b.calls.Load() == 0 {
		time.Sleep(time.Millisecond) // wait for the one backend call, not a timing assertion
	}
	close(b.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int64(1), b.calls.Load(), "1000 concurrent misses make one backend call")
}

func TestSingleflightCallerCancels(t *testing.T) {
	b := &countingBackend{gate: make(chan struct{})}
	r := newCached(b, &fakeClock{t: time.Unix(1, 0)}, 0)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { _, err := r.Variable(ctx, "k"); done <- err }()
	for b.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled, "a caller returns when its own context ends")
	close(b.gate)
	v, err := r.Variable(t.Context(), "k") // the shared call finished and was cached
	require.NoError(t, err)
	assert.Equal(t, "v-k", v.Reveal())
}

func TestCacheHammer(t *testing.T) {
	b := &countingBackend{}
	r := newCached(b, &fakeClock{t: time.Unix(1, 0)}, 50)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				key := fmt.Sprintf("k%d", (g*31+i)%200)
				v, err := r.Variable(t.Context(), key)
				if err != nil || v.Reveal() != "v-"+key {
					t.Errorf("%s: %v", key, err)
					return
				}
				if i%97 == 0 {
					r.Invalidate(Request{Kind: KindVariable, ID: key})
				}
				if i%501 == 0 {
					r.InvalidateAll()
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, r.cache.len(), 50)
}

func BenchmarkCachedConnection(b *testing.B) {
	r := New(WithBackend("b", &countingBackend{}), WithCache(time.Hour, 0))
	ctx := context.Background()
	if _, err := r.Connection(ctx, "c"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Connection(ctx, "c"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCachedVariable(b *testing.B) {
	r := New(WithBackend("b", &countingBackend{}), WithCache(time.Hour, 0))
	ctx := context.Background()
	if _, err := r.Variable(ctx, "k"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Variable(ctx, "k"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMapFloor is the floor the cached lookups are measured against: a
// read-locked Go map lookup of the same key.
func BenchmarkMapFloor(b *testing.B) {
	var mu sync.RWMutex
	m := map[cacheKey]*cacheEntry{{kind: KindConnection, id: "c"}: {found: true}}
	key := cacheKey{kind: KindConnection, id: "c"}
	b.ReportAllocs()
	for b.Loop() {
		mu.RLock()
		e := m[key]
		mu.RUnlock()
		if e == nil {
			b.Fatal("missing")
		}
	}
}

// TestCachedHitAllocatesNothing pins the hot path's allocation count (a
// count, not a time: deterministic on a noisy machine).
func TestCachedHitAllocatesNothing(t *testing.T) {
	r := New(WithBackend("b", &countingBackend{}), WithCache(time.Hour, 0))
	ctx := context.Background()
	_, err := r.Connection(ctx, "c")
	require.NoError(t, err)
	_, err = r.Variable(ctx, "k")
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = r.Connection(ctx, "c")
		_, _ = r.Variable(ctx, "k")
	})
	assert.Zero(t, allocs)
}

func (b *countingBackend) Lookup(ctx context.Context, req Request) (string, error) {
	switch req.Kind {
	case KindConnection:
		return b.ConnectionValue(ctx, req.ID)
	case KindVariable:
		return b.Variable(ctx, req.ID)
	}
	return "", ErrNotFound
}

// workBackend answers every variable after ~0.5 µs of work (hashing), the
// backend of the miss benchmarks.
type workBackend struct{}

func (workBackend) Lookup(_ context.Context, req Request) (string, error) {
	return "v-" + strconv.Itoa(int(spin(req.ID, 400))), nil
}

func BenchmarkMiss(b *testing.B) {
	for _, bc := range []struct {
		name string
		ctx  func(b *testing.B) context.Context
	}{
		{"background", func(*testing.B) context.Context { return context.Background() }},
		{"cancellable", func(b *testing.B) context.Context { return b.Context() }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := New(WithBackend("w", workBackend{}), WithCache(time.Hour, 0))
			ctx := bc.ctx(b)
			req := Request{Kind: KindVariable, ID: "k"}
			b.ReportAllocs()
			for b.Loop() {
				r.Invalidate(req)
				if _, err := r.LookupValue(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("backend", func(b *testing.B) {
		ctx := context.Background()
		req := Request{Kind: KindVariable, ID: "k"}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (workBackend{}).Lookup(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// spin hashes s rounds times (FNV-1a): work the compiler cannot remove.
func spin(s string, rounds int) uint32 {
	h := uint32(2166136261)
	for range rounds {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint32(s[i])) * 16777619
		}
	}
	return h
}
