package resolver_test

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/secretpath/secretpath/resolver"
)

// memBackend is an in-memory Backend for the resolver's tests: it counts
// calls, can fail with a fixed error, and can block until released.
type memBackend struct {
	name  string
	conns map[string]string
	vars  map[string]string
	cfgs  map[string]string
	err   error         // returned by every call when set
	gate  chan struct{} // when set, calls wait for it to close
	calls atomic.Int64
	mu    sync.Mutex
}

func (m *memBackend) Name() string { return m.name }

func (m *memBackend) get(ctx context.Context, src map[string]string, id string) (string, error) {
	m.calls.Add(1)
	if m.gate != nil {
		select {
		case <-m.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return "", m.err
	}
	v, ok := src[id]
	if !ok {
		return "", resolver.ErrNotFound
	}
	return v, nil
}

// Lookup answers from the map of req's kind. A team's ids are kept under
// "team/id", so a team-aware store can be simulated.
func (m *memBackend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	id := req.ID
	if req.Team != "" {
		id = req.Team + "/" + id
	}
	switch req.Kind {
	case resolver.KindConnection:
		return m.get(ctx, m.conns, id)
	case resolver.KindVariable:
		return m.get(ctx, m.vars, id)
	case resolver.KindConfig:
		return m.get(ctx, m.cfgs, id)
	}
	return "", resolver.ErrNotFound
}

func newMem(name string) *memBackend {
	return &memBackend{name: name, conns: map[string]string{}, vars: map[string]string{}, cfgs: map[string]string{}}
}
