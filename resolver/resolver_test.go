package resolver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

const planted = "Pl4nted-S3cret"

func TestSearchOrder(t *testing.T) {
	boom := errors.New("backend exploded")
	denied := fmt.Errorf("access to the store: %w", resolver.ErrPermissionDenied)
	tests := []struct {
		name       string
		first      func(*memBackend)
		second     func(*memBackend)
		failClosed bool
		wantHost   string // "" = expect an error
		wantErrIs  []error
		wantCalls  [2]int64
		wantInErr  []string
	}{
		{
			name:      "first tier wins and the second is not asked",
			first:     func(m *memBackend) { m.conns["c"] = "http://first" },
			second:    func(m *memBackend) { m.conns["c"] = "http://second" },
			wantHost:  "first",
			wantCalls: [2]int64{1, 0},
		},
		{
			name:      "not found falls through",
			second:    func(m *memBackend) { m.conns["c"] = "http://second" },
			wantHost:  "second",
			wantCalls: [2]int64{1, 1},
		},
		{
			name:      "an error falls through",
			first:     func(m *memBackend) { m.err = boom },
			second:    func(m *memBackend) { m.conns["c"] = "http://second" },
			wantHost:  "second",
			wantCalls: [2]int64{1, 1},
		},
		{
			name:      "permission denied falls through by default",
			first:     func(m *memBackend) { m.err = denied },
			second:    func(m *memBackend) { m.conns["c"] = "http://second" },
			wantHost:  "second",
			wantCalls: [2]int64{1, 1},
		},
		{
			name:       "permission denied stops the search when fail-closed",
			first:      func(m *memBackend) { m.err = denied },
			second:     func(m *memBackend) { m.conns["c"] = "http://second" },
			failClosed: true,
			wantErrIs:  []error{resolver.ErrPermissionDenied},
			wantCalls:  [2]int64{1, 0},
			wantInErr:  []string{"one: access to the store: permission denied"},
		},
		{
			name: "access denied stops the search even when not fail-closed",
			first: func(m *memBackend) {
				m.err = fmt.Errorf("execution API: 403 from the server: %w", resolver.ErrAccessDenied)
			},
			second:    func(m *memBackend) { m.conns["c"] = "http://second" },
			wantErrIs: []error{resolver.ErrAccessDenied, resolver.ErrPermissionDenied},
			wantCalls: [2]int64{1, 0},
			wantInErr: []string{"one: execution API: 403 from the server: access denied"},
		},
		{
			name:      "nobody has it: not found naming the tiers",
			wantErrIs: []error{resolver.ErrNotFound},
			wantCalls: [2]int64{1, 1},
			wantInErr: []string{`connection "c" not found (searched: one, two)`},
		},
		{
			name:      "the final not-found carries the tier errors",
			first:     func(m *memBackend) { m.err = boom },
			wantErrIs: []error{resolver.ErrNotFound, boom},
			wantCalls: [2]int64{1, 1},
			wantInErr: []string{"one: backend exploded"},
		},
		{
			name:      "an unparsable value is that tier's error",
			first:     func(m *memBackend) { m.conns["c"] = "x://u:" + planted + "@h:99999" },
			second:    func(m *memBackend) { m.conns["c"] = "http://second" },
			wantHost:  "second",
			wantCalls: [2]int64{1, 1},
		},
		{
			name:      "an empty value is no connection",
			first:     func(m *memBackend) { m.conns["c"] = "" },
			second:    func(m *memBackend) { m.conns["c"] = "http://second" },
			wantHost:  "second",
			wantCalls: [2]int64{1, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			one, two := newMem("one"), newMem("two")
			if tt.first != nil {
				tt.first(one)
			}
			if tt.second != nil {
				tt.second(two)
			}
			var logs bytes.Buffer
			opts := []resolver.Option{
				resolver.WithBackend("", one), resolver.WithFallback("", two),
				resolver.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
			}
			if tt.failClosed {
				opts = append(opts, resolver.WithFailClosed())
			}
			r := resolver.New(opts...)
			assert.Equal(t, []string{"one", "two"}, r.Tiers())

			c, err := r.Connection(t.Context(), "c")
			if tt.wantHost != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantHost, c.Host)
				assert.Equal(t, "c", c.ConnID)
			} else {
				require.Error(t, err)
				for _, target := range tt.wantErrIs {
					assert.ErrorIs(t, err, target)
				}
				for _, s := range tt.wantInErr {
					assert.Contains(t, err.Error(), s)
				}
				assert.NotContains(t, err.Error(), planted)
			}
			assert.Equal(t, tt.wantCalls, [2]int64{one.calls.Load(), two.calls.Load()}, "backend calls")
			assert.NotContains(t, logs.String(), planted, "logs must not carry values")
		})
	}
}

func TestFailureIsLogged(t *testing.T) {
	one := newMem("flaky")
	one.err = errors.New("connection refused")
	var logs bytes.Buffer
	r := resolver.New(resolver.WithBackend("", one), resolver.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, err := r.Variable(t.Context(), "k")
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, logs.String(), "backend=flaky")
	assert.Contains(t, logs.String(), "connection refused")
	assert.Contains(t, logs.String(), "level=WARN")
}

func TestVariableIsSecret(t *testing.T) {
	m := newMem("m")
	m.vars["token"] = planted
	r := resolver.New(resolver.WithBackend("", m))
	v, err := r.Variable(t.Context(), "token")
	require.NoError(t, err)
	assert.Equal(t, planted, v.Reveal())
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%+v %#v %s %q %x", v, v, v, v, v), v.String()} {
		assert.NotContains(t, s, planted)
	}
}

func TestConfigOnlyAsksConfiguredBackendsAndSurfacesErrors(t *testing.T) {
	custom, env := newMem("custom"), newMem("env")
	env.cfgs["k"] = "from-env"
	r := resolver.New(resolver.WithBackend("", custom), resolver.WithFallback("", env))
	_, err := r.Config(t.Context(), "k")
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Equal(t, int64(0), env.calls.Load(), "fallbacks never answer configs")

	custom.cfgs["k"] = "from-custom"
	v, err := r.Config(t.Context(), "k")
	require.NoError(t, err)
	assert.Equal(t, "from-custom", v.Reveal())

	second := newMem("second")
	second.cfgs["k"] = "from-second"
	custom.err = errors.New("vault sealed")
	r = resolver.New(resolver.WithBackend("", custom), resolver.WithBackend("", second))
	_, err = r.Config(t.Context(), "k")
	require.Error(t, err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound, "a config lookup does not fall through a failure")
	assert.Contains(t, err.Error(), "custom: vault sealed")
	assert.Equal(t, int64(0), second.calls.Load())
}

func TestNoTiers(t *testing.T) {
	_, err := resolver.New().Connection(t.Context(), "x")
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), "no tiers configured")
}

func TestContextCanceledStopsSearch(t *testing.T) {
	one, two := newMem("one"), newMem("two")
	two.vars["k"] = "v"
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, cached := range []bool{false, true} {
		opts := []resolver.Option{resolver.WithBackend("", one), resolver.WithFallback("", two)}
		if cached {
			opts = append(opts, resolver.WithCache(config.DefaultCacheTTL, 0))
		}
		_, err := resolver.New(opts...).Variable(ctx, "k")
		assert.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, resolver.ErrNotFound)
	}
	assert.Equal(t, int64(0), two.calls.Load())
}

func TestCloseClosesBackends(t *testing.T) {
	a, b := &closer{memBackend: newMem("a")}, &closer{memBackend: newMem("b"), err: errors.New("close failed")}
	r := resolver.New(resolver.WithBackend("", a), resolver.WithFallback("", b))
	err := r.Close()
	assert.True(t, a.closed)
	assert.True(t, b.closed)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "b: close failed")
}

type closer struct {
	*memBackend
	closed bool
	err    error
}

func (c *closer) Close() error { c.closed = true; return c.err }

// TestCacheKeepsTeamsApart: with the cache on, an answer for one team is
// never served to another, nor to a lookup without a team, whether it
// comes from the cache, from a shared in-flight lookup or as a cached miss.
func TestCacheKeepsTeamsApart(t *testing.T) {
	ctx := t.Context()
	m := newMem("store")
	m.vars["k"] = "no-team"
	m.vars["a/k"] = "team-a"
	m.vars["b/k"] = "team-b"
	m.vars["ab/c"] = "ab+c"
	m.vars["a/bc"] = "a+bc"
	m.conns["a/pg"] = "postgres://a@db-a/x"
	m.conns["b/pg"] = "postgres://b@db-b/x"
	r := resolver.New(resolver.WithBackend("", m), resolver.WithCache(time.Hour, 0))

	get := func(team, id string) string {
		t.Helper()
		v, err := r.LookupValue(ctx, resolver.Request{Kind: resolver.KindVariable, ID: id, Team: team})
		if errors.Is(err, resolver.ErrNotFound) {
			return "<not found>"
		}
		require.NoError(t, err)
		return v.Reveal()
	}
	tests := []struct{ team, id, want string }{
		{"a", "k", "team-a"},
		{"b", "k", "team-b"},
		{"", "k", "no-team"},
		{"c", "k", "<not found>"},
		{"ab", "c", "ab+c"},
		{"a", "bc", "a+bc"},
		{"a", "c", "<not found>"},
	}
	for round := range 2 { // the second round is served from the cache
		for _, tt := range tests {
			assert.Equal(t, tt.want, get(tt.team, tt.id), "round %d: team %q id %q", round, tt.team, tt.id)
		}
	}
	assert.EqualValues(t, len(tests), m.calls.Load(), "the second round came from the cache")

	for _, team := range []string{"a", "b"} {
		c, err := r.LookupConnection(ctx, resolver.Request{ID: "pg", Team: team})
		require.NoError(t, err)
		assert.Equal(t, "db-"+team, c.Host)
	}
	_, err := r.Connection(ctx, "pg")
	assert.ErrorIs(t, err, resolver.ErrNotFound, "no team: team a's and b's connections are not answered")

	r.Invalidate(resolver.Request{Kind: resolver.KindVariable, ID: "k", Team: "a"})
	m.mu.Lock()
	m.vars["a/k"] = "team-a-2"
	m.vars["b/k"] = "team-b-2"
	m.mu.Unlock()
	assert.Equal(t, "team-a-2", get("a", "k"), "invalidated for team a")
	assert.Equal(t, "team-b", get("b", "k"), "team b's entry is its own")
}

// TestSharedLookupKeepsTeamsApart: concurrent misses for one id from two
// teams make two backend calls, one per team, each answered its own.
func TestSharedLookupKeepsTeamsApart(t *testing.T) {
	ctx := t.Context()
	m := newMem("store")
	m.gate = make(chan struct{})
	m.vars["a/k"] = "team-a"
	m.vars["b/k"] = "team-b"
	r := resolver.New(resolver.WithBackend("", m), resolver.WithCache(time.Hour, 0))
	const perTeam = 20
	type answer struct{ team, got string }
	answers := make(chan answer, 2*perTeam)
	for i := range 2 * perTeam {
		team := []string{"a", "b"}[i%2]
		go func() {
			v, err := r.LookupValue(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "k", Team: team})
			if err != nil {
				answers <- answer{team, err.Error()}
				return
			}
			answers <- answer{team, v.Reveal()}
		}()
	}
	require.Eventually(t, func() bool { return m.calls.Load() == 2 }, 10*time.Second, time.Millisecond,
		"one in-flight backend call per team")
	close(m.gate)
	for range 2 * perTeam {
		a := <-answers
		assert.Equal(t, "team-"+a.team, a.got)
	}
	assert.EqualValues(t, 2, m.calls.Load())
}
