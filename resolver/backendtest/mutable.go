package backendtest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
)

// The cases of mutable backends, run when Capabilities.Mutable.
func init() {
	mutable := func(c Capabilities) bool { return c.Mutable }
	suite = append(suite,
		testCase{name: "MutableConnections", needs: mutable, run: testMutableConnections},
		testCase{name: "MutableVariables", needs: mutable, run: testMutableVariables},
		testCase{name: "MutableDeleteAbsent", needs: mutable, run: testMutableDeleteAbsent},
		testCase{name: "MutableConcurrentWriters", needs: mutable, run: testMutableConcurrentWriters},
	)
}

func mutator(t *testing.T, h Harness, b resolver.Backend) Mutator {
	t.Helper()
	mh, ok := h.(MutableHarness)
	require.True(t, ok, "Capabilities.Mutable but the harness is not a MutableHarness")
	return mh.Mutator(t, b)
}

func testMutableConnections(t *testing.T, h Harness, caps Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Connections: map[string]string{"kept": "http://kept-host"}})
	m := mutator(t, h, b)

	require.NoError(t, m.SetConnection(ctx, "smtp_default", uriValue))
	got, err := connection(ctx, b, "smtp_default")
	require.NoError(t, err)
	assertSameConnection(t, mustParse(t, "smtp_default", uriValue), got)

	values := []string{"mysql://other:pw2@new-host:3307/db2"}
	if caps.JSONConnections {
		values = append(values, jsonValue)
	}
	for _, v := range values {
		require.NoError(t, m.SetConnection(ctx, "smtp_default", v), "overwrite")
		got, err = newResolver(b).Connection(ctx, "smtp_default")
		require.NoError(t, err)
		assertSameConnection(t, mustParse(t, "smtp_default", v), got)
	}

	require.NoError(t, m.DeleteConnection(ctx, "smtp_default"))
	_, err = connection(ctx, b, "smtp_default")
	assert.ErrorIs(t, err, resolver.ErrNotFound, "deleted")
	_, err = connection(ctx, b, "kept")
	assert.NoError(t, err, "other connections stay")
}

func testMutableVariables(t *testing.T, h Harness, caps Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"kept": "x"}})
	m := mutator(t, h, b)
	vals := []string{"first", "grüße ✓", `{"a": [1, 2]}`}
	if caps.MultilineValues {
		vals = append(vals, "line one\nline two\n")
	}
	if caps.EmptyVariables {
		vals = append(vals, "")
	}
	for _, v := range vals {
		require.NoError(t, m.SetVariable(ctx, "hello", v))
		got, err := b.Variable(ctx, "hello")
		require.NoError(t, err)
		assert.Equal(t, v, got)
	}
	require.NoError(t, m.DeleteVariable(ctx, "hello"))
	_, err := b.Variable(ctx, "hello")
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	got, err := b.Variable(ctx, "kept")
	require.NoError(t, err)
	assert.Equal(t, "x", got)
}

func testMutableDeleteAbsent(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"present": "x"}, Connections: map[string]string{"present": "http://h"}})
	m := mutator(t, h, b)
	assert.ErrorIs(t, m.DeleteConnection(ctx, "absent"), resolver.ErrNotFound)
	assert.ErrorIs(t, m.DeleteVariable(ctx, "absent"), resolver.ErrNotFound)
	assert.ErrorIs(t, m.DeleteConnection(ctx, "Present"), resolver.ErrNotFound, "ids are case-sensitive")
}

func testMutableConcurrentWriters(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{})
	m := mutator(t, h, b)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := m.SetVariable(ctx, fmt.Sprintf("v_%d_%d", w, i), fmt.Sprintf("value-%d-%d", w, i)); err != nil {
					errs <- err
					return
				}
				// Every writer also overwrites one shared key.
				if err := m.SetVariable(ctx, "shared", fmt.Sprintf("w%d", w)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range writers {
		for i := range each {
			got, err := b.Variable(ctx, fmt.Sprintf("v_%d_%d", w, i))
			if assert.NoError(t, err) {
				assert.Equal(t, fmt.Sprintf("value-%d-%d", w, i), got)
			}
		}
	}
	shared, err := b.Variable(ctx, "shared")
	require.NoError(t, err)
	assert.Regexp(t, `^w[0-7]$`, shared)
}
