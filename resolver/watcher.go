package resolver

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// Watcher follows one request's answer through the search path: it looks
// again whenever a tier's ChangeSource reports a change of the id (or of
// everything it holds), and keeps the answer and the last good answer.
// Make one with [Resolver.Watcher]; Close it when done. Its methods are
// safe for concurrent use, but Watch is meant for one caller at a time
// (each change is delivered once).
//
// An idle Watcher costs one goroutine waiting on a channel. A tier without
// a ChangeSource (the environment) reports nothing: a change there is seen
// only when another event makes the Watcher look again.
type Watcher struct {
	r      *Resolver
	req    Request
	ntiers int
	dirty  chan struct{} // capacity 1: something may have changed
	cancel context.CancelFunc
	ended  chan struct{} // closed when the loop returned

	mu      sync.Mutex
	cur     Result // the last answer
	good    Result // the last answer without an error
	hasGood bool
	version uint64        // answers seen; 0 before the first
	seen    uint64        // the version Watch last returned
	given   Result        // what Watch last returned
	gave    bool          // Watch returned something
	changed chan struct{} // closed (and replaced) at each new version
	closed  bool
}

// errWatcherClosed is what a Watcher's methods return after Close.
var errWatcherClosed = errors.New("resolver: watcher closed")

// Watcher returns a Watcher of req (its Kind, ID and Team; Kind 0 is a
// connection) and starts the tiers' change streams if they are not
// running. Unlike lookups, the first answer is looked up in the
// background: Watch and Latest wait for it.
func (r *Resolver) Watcher(req Request) *Watcher {
	if req.Kind == 0 {
		req.Kind = KindConnection
	}
	ntiers := len(r.tiers)
	if req.Kind == KindConfig {
		ntiers = r.configured
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{r: r, req: req, ntiers: ntiers, dirty: make(chan struct{}, 1), cancel: cancel,
		ended: make(chan struct{}), changed: make(chan struct{})}
	r.watchers.add(w)
	r.startSources()
	go w.loop(ctx)
	return w
}

// Watch returns the answer: at the first call the current one (waiting
// for it), then the next one that differs from what it last returned (a
// new value, the id deleted or found again, another tier answering, a
// failure or its end). A lookup's failure is in Result.Err; Watch's own
// error is ctx's, or an error after Close.
func (w *Watcher) Watch(ctx context.Context) (Result, error) {
	for {
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return Result{}, errWatcherClosed
		}
		if w.version > w.seen {
			w.seen = w.version
			res := w.cur
			// A → B → A between two calls is no change for this caller.
			if !w.gave || !sameAnswer(w.req.Kind, w.given, res) {
				w.given, w.gave = res, true
				w.mu.Unlock()
				return res, nil
			}
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case <-w.ended:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
}

// Latest returns the last answer without an error, waiting until there is
// one: while a store is down, the value it gave before is still there.
func (w *Watcher) Latest(ctx context.Context) (Result, error) {
	for {
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return Result{}, errWatcherClosed
		}
		if w.hasGood {
			res := w.good
			w.mu.Unlock()
			return res, nil
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case <-w.ended:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
}

// Close stops the Watcher; its blocked calls return. It returns nil, also
// when called again.
func (w *Watcher) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	w.r.watchers.remove(w)
	w.cancel()
	<-w.ended
	return nil
}

// Watcher retries after a failed lookup (not a clean not-found).
const (
	watchRetryMin = time.Second
	watchRetryMax = time.Minute
)

// loop looks the request up at the start and whenever it is told that
// something may have changed, and after a failure with a back-off.
func (w *Watcher) loop(ctx context.Context) {
	defer close(w.ended)
	retry := watchRetryMin
	lateChecks := 0 // looks since an expiry passed that still got the expired answer
	for {
		got, err := w.r.lookup(ctx, w.req, w.ntiers)
		if ctx.Err() != nil {
			return
		}
		res := Result{ID: w.req.ID, Conn: got.conn, Value: got.val, Tier: w.r.tierName(got.tier), Expires: got.expires, Err: err}
		if err != nil {
			res.Tier, res.Expires = "", time.Time{}
		}
		w.update(res)
		var after <-chan time.Time
		switch {
		case err != nil && !isCleanNotFound(err):
			after = time.After(retry/2 + rand.N(retry/2+1))
			retry = min(2*retry, watchRetryMax)
		case !res.Expires.IsZero():
			// The store said when the value ends (a rotation): look
			// again then, changed or not; a value already past its
			// expiry is looked at again when the cache lets it go
			// (pastExpiryHold), not in a loop. The coarse clock's lag
			// is added, or the cached answer would still be served.
			wait := time.Until(res.Expires)
			switch {
			case wait > 0:
				lateChecks = 0
			case lateChecks < 5:
				// Woken at the expiry, the cache still answered (its
				// coarse clock lags, timers run late on a busy machine):
				// look again shortly, a few times.
				lateChecks++
				wait = 0
			default:
				wait = pastExpiryHold
			}
			after = time.After(wait + 2*coarseTick)
			retry = watchRetryMin
		default:
			retry = watchRetryMin
		}
		select {
		case <-w.dirty:
		case <-after:
		case <-ctx.Done():
			return
		}
	}
}

// update records res as the answer if it differs from the last one.
func (w *Watcher) update(res Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.version > 0 && sameAnswer(w.req.Kind, w.cur, res) {
		return
	}
	w.cur = res
	if res.Err == nil {
		w.good, w.hasGood = res, true
	}
	w.version++
	close(w.changed)
	w.changed = make(chan struct{})
}

// sameAnswer reports whether a and b are the same answer: the same tier
// and value, or errors of the same kind (clean not-found, or the same
// code).
func sameAnswer(kind Kind, a, b Result) bool {
	if (a.Err == nil) != (b.Err == nil) {
		return false
	}
	if a.Err != nil {
		// By kind, not text: an outage's errors carry request ids that
		// differ at each retry.
		return isCleanNotFound(a.Err) == isCleanNotFound(b.Err) && Code(a.Err) == Code(b.Err)
	}
	if a.Tier != b.Tier {
		return false
	}
	if kind != KindConnection {
		return a.Value.Reveal() == b.Value.Reveal()
	}
	ja, errA := a.Conn.RevealedJSON()
	jb, errB := b.Conn.RevealedJSON()
	return errA == nil && errB == nil && bytes.Equal(ja, jb) && a.Conn.Description == b.Conn.Description
}

// watcherSet is a Resolver's live Watchers.
type watcherSet struct {
	mu  sync.Mutex
	set map[*Watcher]struct{}
}

func (s *watcherSet) add(w *Watcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil {
		s.set = make(map[*Watcher]struct{})
	}
	s.set[w] = struct{}{}
}

func (s *watcherSet) remove(w *Watcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.set, w)
}

// all returns the live Watchers.
func (s *watcherSet) all() []*Watcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Watcher, 0, len(s.set))
	for w := range s.set {
		out = append(out, w)
	}
	return out
}

// notify tells the Watchers that ev concerns to look again.
func (s *watcherSet) notify(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for w := range s.set {
		q := w.req
		if ev.All || ev.Kind == q.Kind && ev.ID == q.ID && (ev.Team == "" || ev.Team == q.Team) {
			select {
			case w.dirty <- struct{}{}:
			default: // it will look again anyway
			}
		}
	}
}

// requests returns the watched requests.
func (s *watcherSet) requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	reqs := make([]Request, 0, len(s.set))
	for w := range s.set {
		reqs = append(reqs, w.req)
	}
	return reqs
}
