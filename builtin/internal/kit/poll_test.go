package kit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
)

func TestPoller(t *testing.T) {
	a := resolver.Request{Kind: resolver.KindVariable, ID: "a"}
	b := resolver.Request{Kind: resolver.KindVariable, ID: "b", Team: "t"}
	var mu sync.Mutex
	versions := map[resolver.Request]string{a: "1", b: "1"}
	polls := 0
	var asked [][]resolver.Request
	p := Poller{Interval: time.Millisecond, Jitter: -1, Versions: func(_ context.Context, reqs []resolver.Request) (map[resolver.Request]string, error) {
		mu.Lock()
		defer mu.Unlock()
		polls++
		asked = append(asked, append([]resolver.Request(nil), reqs...))
		out := map[resolver.Request]string{}
		for _, r := range reqs {
			if v, ok := versions[r]; ok {
				out[r] = v
			}
		}
		return out, nil
	}}
	events := make(chan resolver.Event, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- p.Run(ctx, func() []resolver.Request { return []resolver.Request{a, b, a} }, func(ev resolver.Event) { events <- ev })
	}()
	next := func() resolver.Event {
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return resolver.Event{}
		}
	}
	assert.Equal(t, resolver.Event{All: true}, next(), "established after the first poll")
	mu.Lock()
	versions[b] = "2"
	mu.Unlock()
	assert.Equal(t, resolver.Event{Kind: resolver.KindVariable, ID: "b", Team: "t"}, next())
	mu.Lock()
	delete(versions, a)
	mu.Unlock()
	assert.Equal(t, resolver.Event{Kind: resolver.KindVariable, ID: "a"}, next(), "a deletion is a change")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []resolver.Request{a, b}, asked[0], "each request asked once a poll")

	// A failing poll ends Run with its error.
	p.Versions = func(context.Context, []resolver.Request) (map[resolver.Request]string, error) {
		return nil, errors.New("throttled")
	}
	err := p.Run(t.Context(), func() []resolver.Request { return []resolver.Request{a} }, func(resolver.Event) {})
	assert.EqualError(t, err, "throttled")
}
