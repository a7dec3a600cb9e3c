package kit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// store: one variable "x" with a value and a version.
type pollStore struct {
	mu     sync.Mutex
	val    string
	ver    int
	poller *kit.Poller
	polls  int
}

func (s *pollStore) Lookup(_ context.Context, req resolver.Request) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.val, nil
}

func (s *pollStore) Changes(ctx context.Context, watched func() []resolver.Request, emit func(resolver.Event)) error {
	return s.poller.Run(ctx, watched, emit)
}

func TestPollerNewEntryChangedBeforeItsFirstPoll(t *testing.T) {
	s := &pollStore{val: "v1", ver: 1}
	s.poller = &kit.Poller{Interval: 200 * time.Millisecond, Jitter: -1, Versions: func(_ context.Context, reqs []resolver.Request) (map[resolver.Request]string, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.polls++
		out := map[resolver.Request]string{}
		for _, r := range reqs {
			out[r] = string(rune('0' + s.ver))
		}
		return out, nil
	}}
	r := resolver.New(resolver.WithBackend("poll", s), resolver.WithCache(24*time.Hour, 0))
	defer r.Close()
	ctx := t.Context()
	// A first lookup starts the source; its first poll establishes it.
	_, _ = r.Variable(ctx, "other")
	time.Sleep(500 * time.Millisecond)
	// Then "x" is looked up and cached: v1 (version 1).
	v, err := r.Variable(ctx, "x")
	if err != nil || v.Reveal() != "v1" {
		t.Fatal(v, err)
	}
	// The value changes before the poller first sees "x" as watched.
	s.mu.Lock()
	s.val, s.ver = "v2", 2
	s.mu.Unlock()
	time.Sleep(1200 * time.Millisecond) // several polls
	s.mu.Lock()
	polls := s.polls
	s.mu.Unlock()
	v, _ = r.Variable(ctx, "x")
	t.Logf("polls=%d, cached value after the change: %q", polls, v.Reveal())
	if v.Reveal() != "v2" {
		t.Errorf("stale forever (until TTL): got %q, want v2", v.Reveal())
	}
}
