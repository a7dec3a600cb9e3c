package resolver

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Event says that a tier's answer to an id may have changed. It carries
// the kind, id and team, never a value.
type Event struct {
	Kind Kind
	ID   string
	// Team is the team whose value changed; "" for a value every team
	// may see (a team's lookup falls back to it), so an event without a
	// team concerns the id for every team.
	Team string
	// All says that any of the tier's answers may have changed (a file
	// replaced as a whole, a stream established or resynced); Kind, ID
	// and Team are then ignored.
	All bool
}

// ChangeSource is implemented by backends that can tell when their values
// change: pushed by the store where it can push (inotify, PostgreSQL
// NOTIFY, a Kubernetes watch), else by cheap polls of version metadata.
// The resolver runs Changes while it has a cache or a [Watcher], from the
// first lookup that may fill the cache (or the first Watcher) until Close.
//
// Changes calls emit for each change until ctx ends (it then returns
// ctx.Err()) or its stream breaks (it returns another error). emit never
// blocks for long and may be called from any goroutine, but not after
// Changes returned. Once its stream is established, Changes calls emit
// with Event{All: true}: what was read before may predate it. watched
// returns the requests the resolver wants news of now (cached answers and
// watched ids): a source that polls per id polls those; one that pushes
// may ignore it.
//
// When Changes returns an error, the resolver drops every cached answer
// the tier gave and every cached miss (the changes in the gap are unknown),
// logs the break, and calls Changes again after a back-off (1 s doubling to
// 1 min, with jitter): the new call is the resync.
//
// "Drops" means that the next lookup asks the tiers again; with a stale
// grace ([WithStaleGrace]) the answer is kept as if its TTL had passed, so
// that it still covers an outage of every tier (a change source's stream
// often breaks because its store is down).
type ChangeSource interface {
	Changes(ctx context.Context, watched func() []Request, emit func(Event)) error
}

// changeSources runs the tiers' ChangeSources.
type changeSources struct {
	tiers   []int // the tiers that are ChangeSources
	once    sync.Once
	started atomic.Bool
	mu      sync.Mutex // guards cancel and stopped
	cancel  context.CancelFunc
	stopped bool
	wg      sync.WaitGroup
	breaks  atomic.Int64 // streams broken, for tests and logs
}

// Source back-off after a broken stream.
const (
	sourceBackoffMin = time.Second
	sourceBackoffMax = time.Minute
)

// startSources starts the tiers' change streams, once.
func (r *Resolver) startSources() {
	s := &r.sources
	if len(s.tiers) == 0 || s.started.Load() {
		return
	}
	s.once.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.stopped {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		s.cancel = cancel
		for _, i := range s.tiers {
			cs := r.tiers[i].b.(ChangeSource)
			s.wg.Go(func() { r.runSource(ctx, i, cs) })
		}
		s.started.Store(true)
	})
}

// stopSources ends the change streams and waits for them.
func (r *Resolver) stopSources() {
	s := &r.sources
	s.mu.Lock()
	s.stopped = true
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
}

func (r *Resolver) runSource(ctx context.Context, i int, cs ChangeSource) {
	t := &r.tiers[i]
	backoff := sourceBackoffMin
	watched := func() []Request { return r.watchedFor(i) }
	emit := func(ev Event) { r.changed(i, ev) }
	for {
		began := time.Now()
		err := cs.Changes(ctx, watched, emit)
		if ctx.Err() != nil {
			return
		}
		r.sources.breaks.Add(1)
		r.tel.streamBroke(ctx, i)
		r.changed(i, Event{All: true})
		msg := "change stream ended; the tier's cached answers are dropped and the stream resynced"
		if err != nil {
			r.logger.LogAttrs(ctx, slog.LevelWarn, msg, slog.String("backend", t.name), slog.String("error", err.Error()))
		} else {
			r.logger.LogAttrs(ctx, slog.LevelWarn, msg, slog.String("backend", t.name))
		}
		if time.Since(began) > sourceBackoffMax {
			backoff = sourceBackoffMin // it ran well for a while
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(2*backoff, sourceBackoffMax)
	}
}

// changed handles tier i's event: the cached answers it may have changed
// are dropped (an answer from tier i or a later one, and a miss: a tier
// gaining an id changes what a miss found), and the watchers of the id
// look again.
func (r *Resolver) changed(i int, ev Event) {
	if r.cache != nil {
		r.cache.dropChanged(i, ev)
	}
	r.watchers.notify(ev)
}

// watchedFor returns what tier i's source should watch: every watched
// request, and the cached answers it could change.
func (r *Resolver) watchedFor(i int) []Request {
	reqs := r.watchers.requests()
	if r.cache != nil {
		reqs = append(reqs, r.cache.requestsFrom(i)...)
	}
	return reqs
}

// dropChanged invalidates the entries tier's event may have changed (see
// invalidateLocked: with a stale grace an answer stays to cover an
// outage), and forgets the searches under way for them (their answers may
// predate it).
func (c *cache) dropChanged(tier int, ev Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stale := func(e *cacheEntry) bool { return !e.found || int(e.tier) >= tier }
	if ev.All {
		for j := len(c.all) - 1; j >= 0; j-- {
			if e := c.all[j]; stale(e) {
				c.invalidateLocked(e)
			}
		}
		clear(c.flights)
		return
	}
	if int(ev.Kind) >= len(c.noTeam.kinds) {
		return
	}
	drop := func(team string) {
		k := cacheKey{kind: ev.Kind, team: team, id: ev.ID}
		if e, ok := c.load(k); ok && stale(e) {
			c.invalidateLocked(e)
		}
		delete(c.flights, k)
	}
	if ev.Team != "" {
		drop(ev.Team)
		return
	}
	// A value without a team is every team's fallback.
	drop("")
	for team := range c.teamN {
		drop(team)
	}
	for k := range c.flights {
		if k.kind == ev.Kind && k.id == ev.ID {
			delete(c.flights, k)
		}
	}
}

// requestsFrom returns the requests of the entries that tier's changes
// could change.
func (c *cache) requestsFrom(tier int) []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	var reqs []Request
	for _, e := range c.all {
		if !e.found || int(e.tier) >= tier {
			reqs = append(reqs, Request{Kind: e.key.kind, ID: e.key.id, Team: e.key.team})
		}
	}
	return reqs
}
