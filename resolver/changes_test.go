package resolver_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/secretpath/secretpath/resolver"
)

// sourceMem is a memBackend that is a ChangeSource: a test sends events
// (or a stream break) through it.
type sourceMem struct {
	*memBackend
	events  chan resolver.Event
	breaks  chan error
	mu      sync.Mutex
	runs    int
	watched func() []resolver.Request
}

func newSourceMem(name string) *sourceMem {
	return &sourceMem{memBackend: newMem(name), events: make(chan resolver.Event, 16), breaks: make(chan error, 1)}
}

func (s *sourceMem) Changes(ctx context.Context, watched func() []resolver.Request, emit func(resolver.Event)) error {
	emit(resolver.Event{All: true}) // established
	s.mu.Lock()
	s.runs++
	s.watched = watched
	s.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-s.breaks:
			return err
		case ev := <-s.events:
			emit(ev)
		}
	}
}

func (s *sourceMem) set(kind resolver.Kind, id, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.vars
	if kind == resolver.KindConnection {
		m = s.conns
	}
	s.memBackend.mu.Lock()
	if v == "" {
		delete(m, id)
	} else {
		m[id] = v
	}
	s.memBackend.mu.Unlock()
}

func (s *sourceMem) runCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs
}

const eventually = 10 * time.Second // a hang detector, not a timing assertion

func TestChangeEventsInvalidateTheCache(t *testing.T) {
	ctx := t.Context()
	src := newSourceMem("src")
	src.set(resolver.KindVariable, "a", "one")
	later := newMem("later")
	later.vars["b"] = "from later"
	r := resolver.New(resolver.WithBackend("src", src), resolver.WithFallback("later", later), resolver.WithCache(time.Hour, 0))
	defer r.Close()

	get := func(id string) string {
		v, err := r.Variable(ctx, id)
		if err != nil {
			return "error: " + err.Error()
		}
		return v.Reveal()
	}
	require.Equal(t, "one", get("a"))
	require.Eventually(t, func() bool { return src.runCount() == 1 }, eventually, time.Millisecond, "the source starts with the first miss")
	require.Equal(t, "one", get("a"))
	require.Equal(t, "from later", get("b"))
	require.Contains(t, get("c"), "not found")

	// A change of a: its entry goes, the next lookup asks again.
	src.set(resolver.KindVariable, "a", "two")
	assert.Equal(t, "one", get("a"), "cached until the event")
	src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "a"}
	assert.Eventually(t, func() bool { return get("a") == "two" }, eventually, time.Millisecond)

	// The source gaining b (answered by a later tier) and c (a miss).
	src.set(resolver.KindVariable, "b", "from src")
	src.set(resolver.KindVariable, "c", "now here")
	src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "b"}
	src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "c"}
	assert.Eventually(t, func() bool { return get("b") == "from src" && get("c") == "now here" }, eventually, time.Millisecond)

	// Another kind's event leaves the variable alone.
	src.set(resolver.KindVariable, "a", "three")
	src.events <- resolver.Event{Kind: resolver.KindConnection, ID: "a"}
	src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "unrelated"}
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, "two", get("a"))
}

// An event of a later tier does not drop what an earlier tier answered.
func TestChangeEventOfALaterTier(t *testing.T) {
	ctx := t.Context()
	first := newMem("first")
	first.vars["a"] = "first"
	src := newSourceMem("src")
	src.set(resolver.KindVariable, "a", "src")
	r := resolver.New(resolver.WithBackend("first", first), resolver.WithFallback("src", src), resolver.WithCache(time.Hour, 0))
	defer r.Close()
	v, err := r.Variable(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "first", v.Reveal())
	require.Eventually(t, func() bool { return src.runCount() == 1 }, eventually, time.Millisecond)
	_, err = r.Variable(ctx, "a") // cached after the stream was established
	require.NoError(t, err)
	calls := first.calls.Load()
	src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "a"}
	src.events <- resolver.Event{All: true}
	time.Sleep(20 * time.Millisecond)
	_, err = r.Variable(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, calls, first.calls.Load(), "still cached")
}

// A broken stream drops the tier's entries and is resynced.
func TestChangeStreamBreaks(t *testing.T) {
	ctx := t.Context()
	src := newSourceMem("src")
	src.set(resolver.KindVariable, "a", "one")
	r := resolver.New(resolver.WithBackend("src", src), resolver.WithCache(time.Hour, 0))
	defer r.Close()
	_, err := r.Variable(ctx, "a")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return src.runCount() == 1 }, eventually, time.Millisecond)
	src.set(resolver.KindVariable, "a", "changed while the stream was down")
	src.breaks <- errors.New("connection reset")
	assert.Eventually(t, func() bool {
		v, err := r.Variable(ctx, "a")
		return err == nil && v.Reveal() == "changed while the stream was down"
	}, eventually, time.Millisecond, "the tier's entries are dropped when its stream breaks")
	assert.Eventually(t, func() bool { return src.runCount() == 2 }, eventually, 10*time.Millisecond, "and the stream is resynced")
}

// The source is told what the resolver wants news of.
func TestChangeSourceWatched(t *testing.T) {
	ctx := t.Context()
	src := newSourceMem("src")
	src.set(resolver.KindVariable, "a", "one")
	r := resolver.New(resolver.WithBackend("src", src), resolver.WithCache(time.Hour, 0))
	defer r.Close()
	w := r.Watcher(resolver.Request{Kind: resolver.KindConnection, ID: "c", Team: "t"})
	defer w.Close()
	require.Eventually(t, func() bool { return src.runCount() == 1 }, eventually, time.Millisecond)
	_, _ = r.Variable(ctx, "a")
	_, _ = r.Variable(ctx, "missing")
	src.mu.Lock()
	watched := src.watched
	src.mu.Unlock()
	assert.ElementsMatch(t, []resolver.Request{
		{Kind: resolver.KindVariable, ID: "a"}, {Kind: resolver.KindVariable, ID: "missing"},
		{Kind: resolver.KindConnection, ID: "c", Team: "t"},
	}, dedupe(watched()))
}

func dedupe(reqs []resolver.Request) []resolver.Request {
	seen := map[resolver.Request]bool{}
	var out []resolver.Request
	for _, r := range reqs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func TestWatcher(t *testing.T) {
	ctx := t.Context()
	src := newSourceMem("src")
	src.set(resolver.KindConnection, "db", "postgres://u:p1@h:5432/x")
	r := resolver.New(resolver.WithBackend("src", src), resolver.WithCache(time.Hour, 0))
	defer r.Close()
	w := r.Watcher(resolver.Request{ID: "db"})
	defer w.Close()

	res, err := w.Watch(ctx)
	require.NoError(t, err)
	require.NoError(t, res.Err)
	assert.Equal(t, "p1", res.Conn.Password.Reveal())
	assert.Equal(t, "src", res.Tier)

	// An event without a change delivers nothing; a change is delivered.
	src.events <- resolver.Event{Kind: resolver.KindConnection, ID: "db"}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = w.Watch(short)
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded, "no change, nothing delivered")

	src.set(resolver.KindConnection, "db", "postgres://u:p2@h:5432/x")
	src.events <- resolver.Event{Kind: resolver.KindConnection, ID: "db"}
	res, err = w.Watch(ctx)
	require.NoError(t, err)
	require.NoError(t, res.Err)
	assert.Equal(t, "p2", res.Conn.Password.Reveal())

	// Deleted: a not-found answer; Latest keeps the last good one.
	src.set(resolver.KindConnection, "db", "")
	src.events <- resolver.Event{Kind: resolver.KindConnection, ID: "db"}
	res, err = w.Watch(ctx)
	require.NoError(t, err)
	assert.ErrorIs(t, res.Err, resolver.ErrNotFound)
	latest, err := w.Latest(ctx)
	require.NoError(t, err)
	assert.Equal(t, "p2", latest.Conn.Password.Reveal())

	require.NoError(t, w.Close())
	_, err = w.Watch(ctx)
	assert.Error(t, err)
	require.NoError(t, w.Close(), "Close twice")
}

// Close ends a Watch blocked on a Watcher, and the Resolver's Close closes
// its Watchers and sources.
func TestWatcherClose(t *testing.T) {
	src := newSourceMem("src")
	r := resolver.New(resolver.WithBackend("src", src))
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "x"})
	res, err := w.Watch(t.Context())
	require.NoError(t, err)
	assert.ErrorIs(t, res.Err, resolver.ErrNotFound)
	done := make(chan error, 1)
	go func() { _, err := w.Watch(context.Background()); done <- err }()
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, r.Close())
	select {
	case err := <-done:
		assert.Error(t, err)
	case <-time.After(eventually):
		t.Fatal("Watch did not return after Close")
	}
}

// answerMem answers through AnswerBackend with an expiry per id.
type answerMem struct {
	*memBackend
	mu      sync.Mutex
	expires map[string]time.Time
}

func (a *answerMem) Answer(ctx context.Context, req resolver.Request) resolver.Answer {
	v, err := a.memBackend.Lookup(ctx, req)
	a.mu.Lock()
	defer a.mu.Unlock()
	return resolver.Answer{Value: v, Err: err, Expires: a.expires[req.ID]}
}

func (a *answerMem) setExpiry(id string, t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expires[id] = t
}

// A cached answer never outlives the value's own expiry, and a Watcher
// looks again when it comes.
func TestExpiryAwareCache(t *testing.T) {
	ctx := t.Context()
	m := &answerMem{memBackend: newMem("m"), expires: map[string]time.Time{}}
	m.vars["short"], m.vars["long"], m.vars["none"] = "s1", "l1", "n1"
	m.setExpiry("short", time.Now().Add(150*time.Millisecond))
	m.setExpiry("long", time.Now().Add(time.Hour))
	m.setExpiry("past", time.Now().Add(-time.Minute))
	m.vars["past"] = "p1"
	r := resolver.New(resolver.WithBackend("m", m), resolver.WithCache(time.Hour, 0))
	defer r.Close()

	res := r.Variables(ctx, "short", "long", "none", "past")
	for _, x := range res {
		require.NoError(t, x.Err)
	}
	assert.WithinDuration(t, time.Now().Add(time.Hour), res[1].Expires, time.Minute)
	assert.True(t, res[2].Expires.IsZero())
	calls := m.calls.Load()
	for _, id := range []string{"short", "long", "none"} {
		_, err := r.Variable(ctx, id)
		require.NoError(t, err)
	}
	assert.Equal(t, calls, m.calls.Load(), "cached before their expiry")
	_, err := r.Variable(ctx, "past")
	require.NoError(t, err)
	assert.Equal(t, calls, m.calls.Load(), "a value already expired is cached, for a minute at most")

	// The rotation: after "short" expires, the next lookup asks again.
	m.memBackend.mu.Lock()
	m.vars["short"] = "s2"
	m.memBackend.mu.Unlock()
	m.setExpiry("short", time.Now().Add(time.Hour))
	assert.Eventually(t, func() bool {
		v, err := r.Variable(ctx, "short")
		return err == nil && v.Reveal() == "s2"
	}, eventually, 10*time.Millisecond)
	v, err := r.Variable(ctx, "long")
	require.NoError(t, err)
	assert.Equal(t, "l1", v.Reveal())
}

// relMem answers with an expiry a fixed time after each answer.
type relMem struct {
	*memBackend
	mu  sync.Mutex
	ttl time.Duration
}

func (a *relMem) Answer(ctx context.Context, req resolver.Request) resolver.Answer {
	v, err := a.memBackend.Lookup(ctx, req)
	a.mu.Lock()
	defer a.mu.Unlock()
	return resolver.Answer{Value: v, Err: err, Expires: time.Now().Add(a.ttl)}
}

func TestWatcherLooksAgainAtExpiry(t *testing.T) {
	ctx := t.Context()
	m := &relMem{memBackend: newMem("m"), ttl: 100 * time.Millisecond}
	m.vars["k"] = "v1"
	r := resolver.New(resolver.WithBackend("m", m), resolver.WithCache(time.Hour, 0))
	defer r.Close()
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "k"})
	res, err := w.Watch(ctx)
	require.NoError(t, err)
	require.Equal(t, "v1", res.Value.Reveal())
	m.memBackend.mu.Lock()
	m.vars["k"] = "v2" // rotated, and no change event
	m.memBackend.mu.Unlock()
	m.mu.Lock()
	m.ttl = time.Hour
	m.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, eventually)
	defer cancel()
	res, err = w.Watch(wctx)
	require.NoError(t, err)
	assert.Equal(t, "v2", res.Value.Reveal())
}

// With a stale grace, an event's invalidation keeps the answer to cover an
// outage: the next lookup asks the tier, and serves the old answer only
// if every tier fails.
func TestChangeEventKeepsStaleGrace(t *testing.T) {
	ctx := t.Context()
	src := newSourceMem("src")
	src.set(resolver.KindVariable, "a", "one")
	r := resolver.New(resolver.WithBackend("src", src), resolver.WithCache(time.Hour, 0), resolver.WithStaleGrace(time.Hour))
	defer r.Close()
	_, err := r.Variable(ctx, "a")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return src.runCount() == 1 }, eventually, time.Millisecond)
	src.memBackend.mu.Lock()
	src.memBackend.err = errors.New("store down")
	src.memBackend.mu.Unlock()
	calls := src.calls.Load()
	src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "a"}
	src.breaks <- errors.New("stream lost")
	assert.Eventually(t, func() bool {
		return src.calls.Load() > calls || func() bool { _, _ = r.Variable(ctx, "a"); return false }()
	}, eventually, time.Millisecond)
	v, err := r.Variable(ctx, "a")
	require.NoError(t, err, "the invalidated answer covers the outage")
	assert.Equal(t, "one", v.Reveal())
	assert.Greater(t, src.calls.Load(), calls, "after asking the tier")
}

// A broken stream is counted in secretpath.changes.breaks {tier}.
func TestChangeStreamBreaksCounted(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	src := newSourceMem("src")
	r := resolver.New(resolver.WithBackend("src", src), resolver.WithCache(time.Hour, 0),
		resolver.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	defer r.Close()
	_, _ = r.Variable(t.Context(), "a")
	require.Eventually(t, func() bool { return src.runCount() == 1 }, eventually, time.Millisecond)
	src.breaks <- errors.New("connection reset")
	breaks := func() int64 {
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(t.Context(), &rm))
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != "secretpath.changes.breaks" {
					continue
				}
				for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
					if tier, _ := p.Attributes.Value("secretpath.tier"); tier.AsString() == "src" {
						return p.Value
					}
				}
			}
		}
		return 0
	}
	assert.Eventually(t, func() bool { return breaks() == 1 }, eventually, time.Millisecond)
}
