package resolver_test

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

	"github.com/secretpath/secretpath/resolver"
)

// batchMem is a memBackend that is also a BatchBackend: it records the
// ids of each LookupBatch call.
type batchMem struct {
	*memBackend
	mu      sync.Mutex
	batches [][]string
}

func (b *batchMem) LookupBatch(ctx context.Context, reqs []resolver.Request, answers []resolver.Answer) {
	ids := make([]string, len(reqs))
	for i, req := range reqs {
		ids[i] = req.ID
	}
	b.mu.Lock()
	b.batches = append(b.batches, ids)
	b.mu.Unlock()
	for i, req := range reqs {
		answers[i].Value, answers[i].Err = b.memBackend.Lookup(ctx, req)
	}
}

func (b *batchMem) calls() [][]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]string(nil), b.batches...)
}

// concurrencyMem is a memBackend that records how many lookups run at once.
type concurrencyMem struct {
	*memBackend
	now, max atomic.Int64
}

func (c *concurrencyMem) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(time.Millisecond) // let the others start
	return c.memBackend.Lookup(ctx, req)
}

func TestLookupManyTierByTier(t *testing.T) {
	ctx := t.Context()
	first := &batchMem{memBackend: newMem("first")}
	first.vars["a"], first.vars["c"] = "a1", "c1"
	second := &batchMem{memBackend: newMem("second")}
	second.vars["b"], second.vars["c"] = "b2", "c2"
	r := resolver.New(resolver.WithBackend("first", first), resolver.WithFallback("second", second))

	res := r.Variables(ctx, "a", "b", "c", "missing", "a")
	require.Len(t, res, 5)
	want := []struct{ id, val, tier string }{{"a", "a1", "first"}, {"b", "b2", "second"}, {"c", "c1", "first"}, {"missing", "", ""}, {"a", "a1", "first"}}
	for i, w := range want {
		assert.Equal(t, w.id, res[i].ID, "result %d", i)
		assert.Equal(t, w.tier, res[i].Tier, "result %d", i)
		if w.val == "" {
			assert.ErrorIs(t, res[i].Err, resolver.ErrNotFound, "result %d", i)
			var nf *resolver.NotFoundError
			require.ErrorAs(t, res[i].Err, &nf)
			assert.Equal(t, "missing", nf.ID)
			continue
		}
		require.NoError(t, res[i].Err, "result %d", i)
		assert.Equal(t, w.val, res[i].Value.Reveal(), "result %d", i)
	}
	// One call per tier; the second asked only for what the first lacked;
	// the duplicate id was asked once.
	assert.Equal(t, [][]string{{"a", "b", "c", "missing"}}, first.calls())
	assert.Equal(t, [][]string{{"b", "missing"}}, second.calls())
}

func TestLookupManyConnections(t *testing.T) {
	ctx := t.Context()
	m := &batchMem{memBackend: newMem("m")}
	m.conns["pg"] = "postgres://u:p@db:5432/x"
	m.conns["empty"] = "" // Airflow: a falsy value is no connection
	m.conns["bad"] = `{"conn_type": "x", "password": "s3cr3t-VALUE"`
	r := resolver.New(resolver.WithBackend("m", m))
	res := r.Connections(ctx, "pg", "empty", "bad")
	require.NoError(t, res[0].Err)
	assert.Equal(t, "db", res[0].Conn.Host)
	assert.ErrorIs(t, res[1].Err, resolver.ErrNotFound)
	require.Error(t, res[2].Err)
	assert.NotContains(t, res[2].Err.Error(), "s3cr3t-VALUE", "a value must not reach an error")
}

func TestLookupManyParallelSingles(t *testing.T) {
	ctx := t.Context()
	m := &concurrencyMem{memBackend: newMem("slow")}
	var ids []string
	for i := range 40 {
		id := fmt.Sprintf("v%d", i)
		m.vars[id] = "x" + id
		ids = append(ids, id)
	}
	r := resolver.New(resolver.WithBackend("slow", m))
	res := r.Variables(ctx, ids...)
	for i, got := range res {
		require.NoError(t, got.Err)
		assert.Equal(t, "x"+ids[i], got.Value.Reveal())
	}
	assert.EqualValues(t, 40, m.calls.Load())
	assert.LessOrEqual(t, m.max.Load(), int64(8), "at most 8 single lookups at once")
	assert.Greater(t, m.max.Load(), int64(1), "single lookups run in parallel")
}

func TestLookupManyCache(t *testing.T) {
	ctx := t.Context()
	m := &batchMem{memBackend: newMem("m")}
	m.vars["a"], m.vars["b"] = "A", "B"
	r := resolver.New(resolver.WithBackend("m", m), resolver.WithCache(time.Hour, 0))

	require.NoError(t, r.Prefetch(ctx, resolver.KindVariable, "a", "b", "nope"))
	require.Len(t, m.calls(), 1)
	before := m.memBackend.calls.Load()
	v, err := r.Variable(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "A", v.Reveal())
	_, err = r.Variable(ctx, "nope")
	assert.ErrorIs(t, err, resolver.ErrNotFound, "the clean miss is cached too")
	res := r.Variables(ctx, "b", "a", "nope")
	assert.Equal(t, "B", res[0].Value.Reveal())
	assert.Equal(t, "m", res[0].Tier)
	assert.ErrorIs(t, res[2].Err, resolver.ErrNotFound)
	assert.Equal(t, before, m.memBackend.calls.Load(), "every answer came from the cache")
	assert.Len(t, m.calls(), 1)

	// A failing tier's miss is not cached.
	m.err = errors.New("store down")
	r2 := resolver.New(resolver.WithBackend("m", m), resolver.WithCache(time.Hour, 0))
	err = r2.Prefetch(ctx, resolver.KindVariable, "a")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "store down")
	m.err = nil
	v, err = r2.Variable(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "A", v.Reveal())
}

// A single lookup of an id that a batch is searching for waits for the
// batch instead of asking the backend again.
func TestLookupManySingleJoinsBatch(t *testing.T) {
	ctx := t.Context()
	m := &batchMem{memBackend: newMem("m")}
	m.vars["a"] = "A"
	m.gate = make(chan struct{})
	r := resolver.New(resolver.WithBackend("m", m), resolver.WithCache(time.Hour, 0))
	var wg sync.WaitGroup
	var batchRes []resolver.Result
	wg.Go(func() { batchRes = r.Variables(ctx, "a", "b") })
	require.Eventually(t, func() bool { return m.memBackend.calls.Load() == 1 }, 10*time.Second, time.Millisecond)
	var single string
	wg.Go(func() {
		v, err := r.Variable(ctx, "a")
		assert.NoError(t, err)
		single = v.Reveal()
	})
	time.Sleep(20 * time.Millisecond) // let the single lookup join
	close(m.gate)
	wg.Wait()
	assert.Equal(t, "A", single)
	assert.Equal(t, "A", batchRes[0].Value.Reveal())
	assert.ErrorIs(t, batchRes[1].Err, resolver.ErrNotFound)
	assert.Len(t, m.calls(), 1, "one backend call for both")
}

// A batch returns when its ctx ends even when a tier ignores ctx; the
// search goes on and its answers are cached for the lookups that follow.
func TestLookupManyCallerCancels(t *testing.T) {
	m := &batchMem{memBackend: newMem("m")}
	m.vars["a"] = "A"
	gate := make(chan struct{})
	r := resolver.New(resolver.WithBackend("m", ignoresCtx{m, gate}), resolver.WithCache(time.Hour, 0))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	res := r.Variables(ctx, "a", "b")
	for _, got := range res {
		assert.ErrorIs(t, got.Err, context.Canceled)
	}
	close(gate)
	require.Eventually(t, func() bool {
		v, err := r.Variable(t.Context(), "a")
		return err == nil && v.Reveal() == "A"
	}, 10*time.Second, time.Millisecond)
	assert.Len(t, m.calls(), 1, "the abandoned caller's search landed in the cache")
}

// ignoresCtx is a BatchBackend whose batch waits for gate whatever ctx does.
type ignoresCtx struct {
	*batchMem
	gate chan struct{}
}

func (b ignoresCtx) LookupBatch(ctx context.Context, reqs []resolver.Request, answers []resolver.Answer) {
	<-b.gate
	b.batchMem.LookupBatch(context.WithoutCancel(ctx), reqs, answers)
}

func TestLookupManyRules(t *testing.T) {
	ctx := t.Context()
	denied := &batchMem{memBackend: newMem("denied")}
	denied.err = fmt.Errorf("no: %w", resolver.ErrPermissionDenied)
	env := newMem("env")
	env.vars["a"] = "A"
	env.cfgs["k"] = "from env"
	custom := &batchMem{memBackend: newMem("custom")}
	custom.cfgs["k"] = "K"

	t.Run("fail-closed stops each id", func(t *testing.T) {
		r := resolver.New(resolver.WithBackend("denied", denied), resolver.WithFallback("env", env), resolver.WithFailClosed())
		for _, got := range r.Variables(ctx, "a", "b") {
			assert.ErrorIs(t, got.Err, resolver.ErrPermissionDenied)
			var te *resolver.TierError
			require.ErrorAs(t, got.Err, &te)
			assert.Equal(t, "denied", te.Tier)
		}
	})
	t.Run("fail-open goes on and names the failure", func(t *testing.T) {
		r := resolver.New(resolver.WithBackend("denied", denied), resolver.WithFallback("env", env))
		res := r.Variables(ctx, "a", "b")
		require.NoError(t, res[0].Err)
		assert.Equal(t, "env", res[0].Tier)
		var nf *resolver.NotFoundError
		require.ErrorAs(t, res[1].Err, &nf)
		require.Len(t, nf.Errs, 1)
		assert.Equal(t, "denied", nf.Errs[0].Tier)
	})
	t.Run("configs ask the configured backends only", func(t *testing.T) {
		r := resolver.New(resolver.WithBackend("custom", custom), resolver.WithFallback("env", env))
		res := r.LookupMany(ctx, resolver.Request{Kind: resolver.KindConfig}, []string{"k", "other"})
		require.NoError(t, res[0].Err)
		assert.Equal(t, "K", res[0].Value.Reveal())
		assert.ErrorIs(t, res[1].Err, resolver.ErrNotFound)
	})
	t.Run("ids too long fail alone", func(t *testing.T) {
		r := resolver.New(resolver.WithFallback("env", env))
		long := string(make([]byte, 5000))
		res := r.Variables(ctx, long, "a")
		assert.ErrorIs(t, res[0].Err, resolver.ErrInvalidID)
		require.NoError(t, res[1].Err)
	})
	t.Run("teams", func(t *testing.T) {
		m := &batchMem{memBackend: newMem("m")}
		m.vars["a"], m.vars["t1/a"] = "global", "team"
		r := resolver.New(resolver.WithBackend("m", m), resolver.WithCache(time.Hour, 0))
		res := r.LookupMany(ctx, resolver.Request{Kind: resolver.KindVariable, Team: "t1"}, []string{"a"})
		require.NoError(t, res[0].Err)
		assert.Equal(t, "team", res[0].Value.Reveal())
		res = r.Variables(ctx, "a")
		assert.Equal(t, "global", res[0].Value.Reveal(), "one team's answer is never another's")
	})
	t.Run("no ids", func(t *testing.T) {
		r := resolver.New(resolver.WithFallback("env", env))
		assert.Empty(t, r.Variables(ctx))
	})
	t.Run("a bad kind", func(t *testing.T) {
		r := resolver.New(resolver.WithFallback("env", env))
		res := r.LookupMany(ctx, resolver.Request{Kind: resolver.Kind(9)}, []string{"a"})
		require.Error(t, res[0].Err)
	})
}
