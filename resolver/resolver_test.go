package resolver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
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
			opts = append(opts, resolver.WithCache(resolver.DefaultCacheTTL, 0))
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
