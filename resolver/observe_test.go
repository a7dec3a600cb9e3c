package resolver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/secretpath/secretpath/resolver/config"
)

// stallBackend never answers: every call waits for its context.
type stallBackend struct{ calls int }

func (s *stallBackend) ConnectionValue(ctx context.Context, id string) (string, error) {
	s.calls++
	<-ctx.Done()
	return "", ctx.Err()
}

func (s *stallBackend) Variable(ctx context.Context, key string) (string, error) {
	return s.ConnectionValue(ctx, key)
}

// staticBackend answers from fixed maps and describes where it looks.
type staticBackend struct {
	vars map[string]string
	err  error
}

func (s *staticBackend) ConnectionValue(ctx context.Context, id string) (string, error) {
	return s.Variable(ctx, id)
}

func (s *staticBackend) Variable(_ context.Context, key string) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	if v, ok := s.vars[key]; ok {
		return v, nil
	}
	return "", ErrNotFound
}

func (s *staticBackend) Describe(req Request) string {
	return "static " + req.Kind.String() + " " + req.ID
}

func TestTierTimeoutFallsThrough(t *testing.T) {
	slow := &stallBackend{}
	next := &staticBackend{vars: map[string]string{"k": "v"}}
	var logs bytes.Buffer
	r := New(WithBackend("slow", slow), WithFallback("next", next), WithTierTimeout(20*time.Millisecond),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))

	v, err := r.Variable(context.Background(), "k")
	require.NoError(t, err)
	assert.Equal(t, "v", v.Reveal())
	assert.Contains(t, logs.String(), "backend=slow")
	assert.Contains(t, logs.String(), "tier timeout")

	_, err = r.Variable(context.Background(), "missing")
	require.ErrorIs(t, err, ErrNotFound)
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "the caller's context did not expire")
	assert.Contains(t, err.Error(), "slow: no answer within the tier timeout of 20ms")
	assert.Equal(t, 2, slow.calls)

	// The caller's own deadline is still reported as such.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err = New(WithBackend("slow", slow)).Variable(ctx, "k")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestStaleGrace(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b := &staticBackend{vars: map[string]string{"k": "v1"}}
	down := errors.New("connection refused")
	var logs bytes.Buffer
	r := New(WithBackend("b", b), WithCache(10*time.Second, 0), WithStaleGrace(time.Minute),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		func(o *options) { o.now = func() int64 { return clock.now().UnixNano() } })
	ctx := context.Background()

	v, err := r.Variable(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "v1", v.Reveal())

	b.err = down
	clock.advance(11 * time.Second) // expired, within the grace
	v, err = r.Variable(ctx, "k")
	require.NoError(t, err, "served stale while the backend is down")
	assert.Equal(t, "v1", v.Reveal())
	assert.Contains(t, logs.String(), "serving the cached answer past its TTL")
	assert.Contains(t, logs.String(), "connection refused")
	assert.NotContains(t, logs.String(), "v1")

	clock.advance(time.Minute) // past TTL + grace
	_, err = r.Variable(ctx, "k")
	require.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, err, down)

	// Back up: the fresh answer replaces the old one.
	b.err = nil
	b.vars["k"] = "v2"
	v, err = r.Variable(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Reveal())

	// A clean "not found" is never covered by a stale answer.
	clock.advance(11 * time.Second)
	delete(b.vars, "k")
	_, err = r.Variable(ctx, "k")
	assert.ErrorIs(t, err, ErrNotFound)

	// Nor is a fail-closed permission refusal.
	rc := New(WithBackend("b", b), WithCache(10*time.Second, 0), WithStaleGrace(time.Minute), WithFailClosed(),
		func(o *options) { o.now = func() int64 { return clock.now().UnixNano() } })
	b.vars["k"] = "v3"
	_, err = rc.Variable(ctx, "k")
	require.NoError(t, err)
	clock.advance(11 * time.Second)
	b.err = ErrPermissionDenied
	_, err = rc.Variable(ctx, "k")
	assert.ErrorIs(t, err, ErrPermissionDenied)

	// Nor is an access-denied answer, fail-closed or not; and it is not
	// cached: the next lookup asks again.
	b.err = nil
	b.vars["k"] = "v4"
	_, err = r.Variable(ctx, "k")
	require.NoError(t, err)
	clock.advance(11 * time.Second)
	b.err = fmt.Errorf("403: %w", ErrAccessDenied)
	_, err = r.Variable(ctx, "k")
	assert.ErrorIs(t, err, ErrAccessDenied)
	assert.NotErrorIs(t, err, ErrNotFound)
	b.err = nil
	v, err = r.Variable(ctx, "k")
	require.NoError(t, err, "the refusal was not cached")
	assert.Equal(t, "v4", v.Reveal())
	assert.Equal(t, codes.PermissionDenied, Code(fmt.Errorf("x: %w", ErrAccessDenied)))
}

func TestTracesAndMetrics(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	first := &staticBackend{vars: map[string]string{}}
	second := &staticBackend{vars: map[string]string{"k": "secret-value-1"}}
	broken := &staticBackend{err: errors.New("503 from upstream")}
	r := New(WithBackend("first", first), WithBackend("broken", broken), WithFallback("second", second),
		WithCache(time.Minute, 0), WithTracerProvider(tp), WithMeterProvider(mp), WithLogger(slog.New(slog.DiscardHandler)))
	ctx := context.Background()

	for range 3 {
		v, err := r.Variable(ctx, "k")
		require.NoError(t, err)
		require.Equal(t, "secret-value-1", v.Reveal())
	}
	_, err := r.Variable(ctx, "nope")
	require.ErrorIs(t, err, ErrNotFound)

	ended := spans.Ended()
	var lookups, tiers int
	for _, s := range ended {
		for _, kv := range s.Attributes() {
			assert.NotContains(t, kv.Value.String(), "secret-value-1")
		}
		switch s.Name() {
		case "secretpath.lookup":
			lookups++
		case "secretpath.tier":
			tiers++
			assert.True(t, s.Parent().IsValid(), "a tier span is a child of its lookup span")
		}
	}
	assert.Equal(t, 4, lookups, "one span per lookup, hits included")
	assert.Equal(t, 6, tiers, "three tiers asked for each of the two misses")
	attrs := map[string]string{}
	for _, kv := range ended[3].Attributes() { // the first lookup ends after its tiers
		attrs[string(kv.Key)] = kv.Value.String()
	}
	assert.Equal(t, "second", attrs["secretpath.answered_by"])
	assert.Equal(t, "found", attrs["secretpath.outcome"])

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	got := map[string]int64{}
	hist := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					tier, _ := p.Attributes.Value("secretpath.tier")
					outcome, _ := p.Attributes.Value("secretpath.outcome")
					got[m.Name+"/"+tier.String()+"/"+outcome.String()] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					hist += int(p.Count)
				}
			}
		}
	}
	assert.Equal(t, map[string]int64{
		"secretpath.lookups/second/found": 3,
		"secretpath.lookups/none/error":   1, // "nope": the broken tier failed
		"secretpath.cache.hits//":         2,
		"secretpath.cache.misses//":       2,
	}, got)
	assert.Equal(t, 6, hist, "one duration per tier asked")
}

func TestExplain(t *testing.T) {
	r := New(
		WithBackend("first", &staticBackend{vars: map[string]string{}}),
		WithBackend("broken", &staticBackend{err: errors.New("503 from upstream")}),
		WithFallback("second", &staticBackend{vars: map[string]string{"k": "secret-value-1"}}),
		WithFallback("last", &staticBackend{vars: map[string]string{"k": "other"}}),
		WithCache(time.Minute, 0),
		WithLogger(slog.New(slog.DiscardHandler)),
	)
	x := r.Explain(context.Background(), Request{Kind: KindVariable, ID: "k"})
	require.NoError(t, x.Err)
	assert.Equal(t, "second", x.AnsweredBy)
	assert.False(t, x.Cached)
	require.Len(t, x.Steps, 4)
	want := []Outcome{OutcomeNotFound, OutcomeError, OutcomeFound, OutcomeNotAsked}
	for i, s := range x.Steps {
		assert.Equal(t, want[i], s.Outcome, s.Tier)
		assert.Equal(t, "static variable k", s.Asked)
	}
	assert.EqualError(t, x.Steps[1].Err, "503 from upstream")
	assert.Zero(t, x.Steps[3].Took)

	// Explain neither reads nor fills the cache.
	_, err := r.Variable(context.Background(), "k")
	require.NoError(t, err)
	assert.True(t, r.Explain(context.Background(), Request{Kind: KindVariable, ID: "k"}).Cached)

	x = r.Explain(context.Background(), Request{Kind: KindConfig, ID: "k"})
	require.Len(t, x.Steps, 2, "configs come from the configured backends only")
	assert.ErrorIs(t, x.Err, ErrNotFound, "these backends hold no configs")
}

func TestConfigTimeoutAndGrace(t *testing.T) {
	c, err := config.Parse("a.cfg", []byte("[secrets]\nuse_cache = true\ntier_timeout_seconds = 3\n"), []string{"AIRFLOW__SECRETS__STALE_GRACE_SECONDS=600"})
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, c.TierTimeout)
	assert.Equal(t, 10*time.Minute, c.StaleGrace)

	_, err = config.Parse("a.cfg", []byte("[secrets]\n\ntier_timeout_seconds = soon\n"), nil)
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.ErrorContains(t, err, "a.cfg:3:")
	assert.ErrorContains(t, err, "tier_timeout_seconds")
}

func TestOversizedID(t *testing.T) {
	b := &staticBackend{vars: map[string]string{}}
	for _, r := range []*Resolver{New(WithBackend("b", b)), New(WithBackend("b", b), WithCache(time.Minute, 0))} {
		long := strings.Repeat("k", maxIDLength+1)
		_, err := r.Variable(context.Background(), long)
		require.ErrorIs(t, err, ErrInvalidID)
		assert.NotErrorIs(t, err, ErrNotFound)
		assert.Less(t, len(err.Error()), 200, "the error does not repeat the id")
		_, err = r.Connection(context.Background(), long)
		assert.ErrorIs(t, err, ErrInvalidID)
		assert.ErrorIs(t, r.Explain(context.Background(), Request{Kind: KindConfig, ID: long}).Err, ErrInvalidID)
		_, err = r.Variable(context.Background(), long[:maxIDLength])
		assert.ErrorIs(t, err, ErrNotFound, "an id of exactly maxIDLength bytes is asked for")
	}
}

func (b *stallBackend) Lookup(ctx context.Context, req Request) (string, error) {
	switch req.Kind {
	case KindConnection:
		return b.ConnectionValue(ctx, req.ID)
	case KindVariable:
		return b.Variable(ctx, req.ID)
	}
	return "", ErrNotFound
}

func (b *staticBackend) Lookup(ctx context.Context, req Request) (string, error) {
	switch req.Kind {
	case KindConnection:
		return b.ConnectionValue(ctx, req.ID)
	case KindVariable:
		return b.Variable(ctx, req.ID)
	}
	return "", ErrNotFound
}
