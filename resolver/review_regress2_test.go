package resolver_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
)

// R4: Watch returns an answer equal to the one it last returned when the
// answer went A -> error -> A between two Watch calls.
func TestRegressWatchRedeliversSameAnswer(t *testing.T) {
	ctx := t.Context()
	src := newSourceMem("src")
	src.set(resolver.KindVariable, "a", "A")
	r := resolver.New(resolver.WithBackend("src", src))
	defer r.Close()
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "a"})
	defer w.Close()
	res, err := w.Watch(ctx)
	require.NoError(t, err)
	require.Equal(t, "A", res.Value.Reveal())
	require.Eventually(t, func() bool { return src.runCount() == 1 }, eventually, time.Millisecond)
	time.Sleep(50 * time.Millisecond)

	src.memBackend.mu.Lock()
	src.memBackend.err = errors.New("store down")
	src.memBackend.mu.Unlock()
	src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "a"}
	time.Sleep(50 * time.Millisecond)
	src.memBackend.mu.Lock()
	src.memBackend.err = nil
	src.memBackend.mu.Unlock()
	src.events <- resolver.Event{Kind: resolver.KindVariable, ID: "a"}
	time.Sleep(50 * time.Millisecond)

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	res, err = w.Watch(short)
	if err == nil {
		t.Errorf("Watch returned %q (err %v), the same answer it last returned", res.Value.Reveal(), res.Err)
	}
}

// readThenWait reads the value, then waits on gate before answering.
type readThenWait struct {
	mu    sync.Mutex
	v     string
	gate  chan struct{}
	calls atomic.Int64
}

func (b *readThenWait) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	b.calls.Add(1)
	b.mu.Lock()
	v := b.v
	b.mu.Unlock()
	if b.calls.Load() == 1 {
		<-b.gate
	}
	return v, nil
}

// R1c: Invalidate during a search: with a stale grace, the search's
// (pre-invalidation) answer is served as fresh right after it lands.
func TestRegressInvalidateDuringSearchWithGrace(t *testing.T) {
	ctx := t.Context()
	// Any cache hit in the process keeps the (global) coarse clock ticking.
	warm := newMem("warm")
	warm.vars["w"] = "w"
	rw := resolver.New(resolver.WithBackend("warm", warm), resolver.WithCache(time.Hour, 0))
	_, _ = rw.Variable(ctx, "w")

	b := &readThenWait{v: "old", gate: make(chan struct{})}
	r := resolver.New(resolver.WithBackend("b", b), resolver.WithCache(time.Hour, 0), resolver.WithStaleGrace(time.Hour))
	defer r.Close()
	done := make(chan struct{})
	go func() { _, _ = r.Variable(context.Background(), "a"); close(done) }()
	require.Eventually(t, func() bool { _, _ = rw.Variable(ctx, "w"); return b.calls.Load() == 1 }, eventually, time.Millisecond)
	b.mu.Lock()
	b.v = "new"
	b.mu.Unlock()
	r.Invalidate(resolver.Request{Kind: resolver.KindVariable, ID: "a"}) // the change is announced
	_, _ = rw.Variable(ctx, "w")
	close(b.gate) // the search answers "old", read before the change
	<-done
	v, err := r.Variable(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "new", v.Reveal(), "a lookup after Invalidate got the answer of the search Invalidate forgot (backend calls: %d)", b.calls.Load())
}
