package resolver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/secretpath/secretpath/resolver/connection"
)

// Resolver looks connections, variables and configs up through an ordered
// search path of backends. It is safe for concurrent use.
//
// The search path is every backend given with WithBackend, in order, then
// every WithFallback tier (Airflow: custom backend, then the environment,
// then the metastore). The first tier that answers wins.
type Resolver struct {
	tiers       []tier // configured backends then fallbacks
	configured  int    // tiers[:configured] answer Config lookups
	names       []string
	logger      *slog.Logger
	failClosed  bool
	tierTimeout time.Duration // 0: none
	staleGrace  int64         // nanoseconds; 0: never serve stale
	cache       *cache        // nil when off
	honoured    int           // tiers[:honoured] all honour ctx (Backend's HonoursContext)
	tel         *telemetry    // nil when neither traces nor metrics are on
	sources     changeSources // the tiers' ChangeSources, run while there is a cache or a Watcher
	watchers    watcherSet
}

// New returns a Resolver with the given options. With no backends at all,
// every lookup reports not found.
func New(opts ...Option) *Resolver {
	o := collect(opts)
	r := &Resolver{
		tiers:       append(append([]tier(nil), o.tiers...), o.fallbacks...),
		configured:  len(o.tiers),
		logger:      o.logger,
		failClosed:  o.failClosed,
		tierTimeout: o.tierTimeout,
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	for _, t := range r.tiers {
		r.names = append(r.names, t.name)
	}
	for r.honoured < len(r.tiers) && r.tiers[r.honoured].honours {
		r.honoured++
	}
	for i, t := range r.tiers {
		if _, ok := t.b.(ChangeSource); ok {
			r.sources.tiers = append(r.sources.tiers, i)
		}
	}
	if o.cacheTTL > 0 {
		r.cache = newCache(o.cacheTTL, o.cacheSize, o.now)
		r.staleGrace = int64(o.staleGrace)
		r.cache.grace = r.staleGrace
	}
	r.tel = newTelemetry(o.tracerProvider, o.meterProvider, r.names)
	return r
}

// Tiers returns the names of the search path's tiers, in order.
func (r *Resolver) Tiers() []string { return append([]string(nil), r.names...) }

// result is one lookup's answer.
type result struct {
	conn  connection.Connection
	val   connection.Secret
	tier  int  // index of the tier that answered; -1 for none
	hit   bool // answered from the cache
	stale bool // a cached answer past its TTL, served because every tier failed
	// expires is when the value stops being valid (Answer.Expires); zero
	// when unknown.
	expires time.Time
}

// Connection returns connection connID (for no team) from the first tier
// that holds it. When no tier does, the error matches ErrNotFound and is a
// *NotFoundError carrying every tier's failure. A context error is
// returned as is.
func (r *Resolver) Connection(ctx context.Context, connID string) (connection.Connection, error) {
	// A hit is answered here rather than through LookupConnection: each
	// call level copies the ~160-byte Connection once more, and the
	// copies were half of a hit.
	if r.cache != nil && r.tel == nil {
		if e := r.cache.hit(KindConnection, "", connID); e != nil {
			return e.conn, nil
		}
	}
	res, err := r.lookup(ctx, Request{Kind: KindConnection, ID: connID}, len(r.tiers)) // not LookupConnection: the cache was asked
	return res.conn, err
}

// Variable returns variable key (for no team) from the first tier that
// holds it. Errors are as for Connection.
func (r *Resolver) Variable(ctx context.Context, key string) (connection.Secret, error) {
	return r.LookupValue(ctx, Request{Kind: KindVariable, ID: key})
}

// Config returns the config value key (Airflow's `[section] option_secret =
// key`) from the configured backends only. Unlike connections and
// variables, a configured backend's failure stops the search and is
// returned: config has defaults, and silently falling back to them is
// dangerous.
func (r *Resolver) Config(ctx context.Context, key string) (connection.Secret, error) {
	return r.LookupValue(ctx, Request{Kind: KindConfig, ID: key})
}

// LookupConnection is Connection for a full request (a team, ...).
// req.Kind must be KindConnection or zero.
func (r *Resolver) LookupConnection(ctx context.Context, req Request) (connection.Connection, error) {
	if req.Kind == 0 {
		req.Kind = KindConnection
	}
	if r.cache != nil && r.tel == nil && req.Kind == KindConnection { // the hot path: no closure, no allocation
		if e := r.cache.hit(KindConnection, req.Team, req.ID); e != nil {
			return e.conn, nil
		}
	}
	if req.Kind != KindConnection {
		return connection.Connection{}, fmt.Errorf("resolver: LookupConnection of a %s request", req.Kind)
	}
	res, err := r.lookup(ctx, req, len(r.tiers))
	return res.conn, err
}

// LookupValue is Variable or Config (as req.Kind says) for a full request.
func (r *Resolver) LookupValue(ctx context.Context, req Request) (connection.Secret, error) {
	if r.cache != nil && r.tel == nil {
		if e, ok := r.cache.get(keyOf(req)); ok && e.found && req.Kind != KindConnection {
			return e.val, nil
		}
	}
	ntiers := len(r.tiers)
	switch req.Kind {
	case KindVariable:
	case KindConfig:
		ntiers = r.configured
	default:
		return connection.Secret{}, fmt.Errorf("resolver: LookupValue of a %s request", req.Kind)
	}
	res, err := r.lookup(ctx, req, ntiers)
	return res.val, err
}

// lookup runs one lookup through the cache (when on) and the tiers, with
// its span, metrics and debug log record.
func (r *Resolver) lookup(ctx context.Context, req Request, ntiers int) (result, error) {
	kind, id := req.Kind, req.ID
	if len(id) > maxIDLength {
		return result{tier: -1}, idTooLong(kind, id)
	}
	if len(req.Team) > maxIDLength {
		return result{tier: -1}, fmt.Errorf("%w: team name of %d bytes is longer than %d", ErrInvalidID, len(req.Team), maxIDLength)
	}
	ctx, span := r.tel.startLookup(ctx, kind, id)
	debug := r.logger.Enabled(ctx, slog.LevelDebug)
	var start time.Time
	if debug {
		start = time.Now()
	}
	var res result
	var err error
	if r.cache == nil {
		res, err = r.find(ctx, req, ntiers, nil)
	} else {
		res, err = r.cached(ctx, req, ntiers)
	}
	o := outcomeOf(err)
	if res.stale {
		o = OutcomeStale
	}
	if r.tel != nil {
		if r.cache != nil {
			if res.hit {
				r.tel.cacheHit(ctx, kind)
			} else {
				r.tel.cacheMiss(ctx, kind)
			}
		}
		tierIdx := -1
		if err == nil {
			tierIdx = res.tier
		}
		r.tel.lookupDone(ctx, kind, tierIdx, o)
		endSpan(span, o, err, attribute.String("secretpath.answered_by", r.tierName(tierIdx)),
			attribute.Bool("secretpath.cache_hit", res.hit))
	}
	if debug && !res.hit {
		r.logger.LogAttrs(ctx, slog.LevelDebug, "secret lookup",
			slog.String("kind", kind.String()), slog.String("id", id), slog.String("team", req.Team),
			slog.String("outcome", o.String()), slog.String("answered_by", r.tierName(res.tier)),
			slog.Duration("took", time.Since(start)))
	}
	if err != nil {
		return result{tier: -1}, err
	}
	return res, nil
}

func idTooLong(kind Kind, id string) error {
	return fmt.Errorf("%w: %s id of %d bytes is longer than %d (it starts %q)", ErrInvalidID, kind, len(id), maxIDLength, id[:32])
}

func (r *Resolver) tierName(i int) string {
	if i < 0 || i >= len(r.names) {
		return "none"
	}
	return r.names[i]
}

// call is one search shared by every concurrent lookup of its key (our
// own small flight group: golang.org/x/sync/singleflight's DoChan spawns a
// goroutine and allocates a channel, a closure, a string key and boxed
// results per miss, ~4 µs and 8 allocations around a 0.5 µs backend).
// Its entry is what the cache keeps, so a miss allocates the call and the
// map's entry; a channel when someone waits for it; and, when it runs in a
// worker (see cached), the detached context.
type call struct {
	e     cacheEntry    // the search's answer, which the cache keeps
	done  chan struct{} // closed when landed; made (under cache.mu) when someone waits
	ans   *cacheEntry   // the answer: &e, or an older entry served stale; nil with err
	stale bool
	err   error
	// abandoned: the search ran with its leader's own ctx, which ended
	// before it answered; err is that ctx's error, for the leader only.
	abandoned bool

	// The search, for the goroutine that runs it (cleared when it lands).
	r      *Resolver
	ctx    context.Context // the leader's ctx, or its values without its cancellation in a worker
	key    cacheKey
	req    Request
	ntiers int
}

// errFlightPanicked is what the callers waiting on a search get when the
// search panicked (the panic goes on in the goroutine that ran it).
var errFlightPanicked = errors.New("resolver: the shared lookup panicked")

// cached answers from the cache, or runs the search once for all
// concurrent callers of one key and caches its answer or clean not-found.
// A negative entry comes back as a *NotFoundError. Every caller returns as
// soon as its own ctx is done, and one caller giving up does not fail the
// others. The first caller (the leader) runs the search in its own
// goroutine with its own ctx when that ctx can never end
// (context.Background) or when every tier the search asks honours ctx
// (Backend's HonoursContext): if the leader's ctx ends, the search ends
// with its error, nothing is cached, and each caller that joined searches
// again (one of them leads) unless its own ctx ended too. Otherwise the
// search runs with the leader's values but not its cancellation in a
// worker goroutine (flightWorker), which the leader waits for like any
// other caller: a backend that ignores ctx cannot hold a caller past its
// ctx. With a stale grace, a search in which every tier failed serves the
// last answer if it expired less than the grace ago.
func (r *Resolver) cached(ctx context.Context, req Request, ntiers int) (result, error) {
	kind, id := req.Kind, req.ID
	key := keyOf(req)
	if !r.sources.started.Load() {
		r.startSources() // before the first answer is cached: see ChangeSource
	}
	mayEnd := ctx.Done() != nil
	inline := !mayEnd || ntiers <= r.honoured
	for {
		if e, ok := r.cache.get(key); ok {
			if !e.found {
				return result{tier: -1, hit: true}, r.notFound(kind, id, nil)
			}
			return result{conn: e.conn, val: e.val, tier: int(e.tier), hit: true, expires: r.cache.wall(e.expires)}, nil
		}
		if err := ctx.Err(); err != nil {
			return result{tier: -1}, err
		}
		c, lead, e := r.cache.join(key, !inline)
		switch {
		case e != nil: // a search landed between our miss and join
			return r.answer(&call{ans: e}, kind, id)
		case lead && inline:
			c.r, c.ctx, c.req, c.ntiers = r, ctx, req, ntiers
			c.fly()
			return r.answer(c, kind, id)
		case lead:
			c.r, c.ctx, c.req, c.ntiers = r, context.WithoutCancel(ctx), req, ntiers
			handOff(c)
		}
		select {
		case <-c.done:
		case <-ctx.Done():
			return result{tier: -1}, ctx.Err()
		}
		if !c.abandoned {
			return r.answer(c, kind, id)
		}
		// Its leader gave up: the error is the leader's ctx's, not ours.
	}
}

// join returns the search under way for k, or a new one that the caller
// leads (lead), or k's entry if a search landed since the caller's miss.
// The call has its channel when the caller will wait on it: always when
// it joins, and when it leads with wait.
func (c *cache) join(k cacheKey, wait bool) (_ *call, lead bool, _ *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.flights[k]
	if !ok {
		if e, ok := c.get(k); ok {
			return nil, false, e
		}
		f = &call{key: k}
		c.flights[k] = f
	}
	if (ok || wait) && f.done == nil {
		f.done = make(chan struct{})
	}
	return f, !ok, nil
}

// Searches that must not run in their first caller's goroutine run in a
// worker's: a goroutine that, its search landed, waits for another on
// flightHandoff (unbuffered: a send succeeds only to a worker waiting). A
// new goroutine per search would start on a small stack and grow it on
// every miss (copying it: a quarter of a miss's CPU in a profile); a
// worker's stack has grown once. A reaper (a self-re-arming
// time.AfterFunc, armed while workers live) retires the idle workers once
// flightWorkerIdle passes with no hand-off, so they are gone within
// 2×flightWorkerIdle of the last search: tests checking for leaked
// goroutines (goleak waits ~0.4 s) see none. Idle workers wait on the
// channel alone, without a timer of their own: a timer reset and a timer
// case in every worker's select cost ~0.3 µs per miss.
var flightHandoff = make(chan *call)

const flightWorkerIdle = 50 * time.Millisecond

var flightWorkers struct {
	handoffs atomic.Uint64 // searches handed to a waiting worker

	mu     sync.Mutex
	n      int    // workers alive
	seen   uint64 // handoffs at the reaper's last run
	reaper *time.Timer
}

// handOff runs c in a waiting worker, or in a new one.
func handOff(c *call) {
	select {
	case flightHandoff <- c:
		flightWorkers.handoffs.Add(1)
		return
	default:
	}
	w := &flightWorkers
	w.mu.Lock()
	if w.n++; w.n == 1 {
		if w.reaper == nil {
			w.reaper = time.AfterFunc(flightWorkerIdle, reapFlightWorkers)
		} else {
			w.reaper.Reset(flightWorkerIdle)
		}
	}
	w.mu.Unlock()
	go flightWorker(c)
}

func flightWorker(c *call) {
	for c != nil { // nil: retired by the reaper
		c.fly()
		c = <-flightHandoff
	}
}

// reapFlightWorkers retires every idle worker if nothing was handed off
// since its last run, and runs again while workers live.
func reapFlightWorkers() {
	w := &flightWorkers
	h := w.handoffs.Load()
	w.mu.Lock()
	defer w.mu.Unlock()
	if h == w.seen {
	retire:
		for w.n > 0 {
			select {
			case flightHandoff <- nil:
				w.n--
			default: // the others are busy
				break retire
			}
		}
	}
	w.seen = h
	if w.n > 0 {
		w.reaper.Reset(flightWorkerIdle)
	}
}

// answer is a landed search's result for one caller.
func (r *Resolver) answer(c *call, kind Kind, id string) (result, error) {
	if c.err != nil {
		return result{tier: -1}, c.err
	}
	e := c.ans
	if !e.found {
		return result{tier: -1}, r.notFound(kind, id, nil)
	}
	return result{conn: e.conn, val: e.val, tier: int(e.tier), stale: c.stale, expires: r.cache.wall(e.expires)}, nil
}

// fly runs c's search, caches its answer or clean not-found, and lands:
// the callers waiting on c wake.
func (c *call) fly() {
	r := c.r
	landed := false
	defer func() {
		if !landed { // the search panicked (or called runtime.Goexit)
			c.err, c.ans = errFlightPanicked, nil
			r.cache.land(c, false)
		}
	}()
	res, err := r.find(c.ctx, c.req, c.ntiers, nil)
	keep := c.settle(r, c.ctx, res, err)
	c.r, c.ctx, c.req = nil, nil, Request{} // the cache may keep c: not these
	landed = true
	r.cache.land(c, keep)
}

// settle sets c's answer from its search's result and reports whether
// the cache keeps it: an answer, or a clean not-found (a miss that a
// failing tier caused is not cached: the next lookup asks again). With a
// stale grace, a search in which every tier failed answers with the last
// answer if it expired less than the grace ago. An error of a search whose
// ctx ended marks c abandoned: the search did not finish, whatever err
// says (only a leader's own ctx can end; a worker's cannot).
func (c *call) settle(r *Resolver, ctx context.Context, res result, err error) (keep bool) {
	switch {
	case err != nil && ctx.Err() != nil:
		c.err, c.abandoned = err, true
	case err == nil:
		c.e = cacheEntry{found: true, conn: res.conn, val: res.val, tier: int32(res.tier), expires: r.cache.deadline(res.expires)}
		c.ans, keep = &c.e, true
	case isCleanNotFound(err):
		c.e = cacheEntry{tier: -1}
		c.ans, keep = &c.e, true
	case r.staleGrace > 0 && staleable(err):
		if old, age, ok := r.cache.getStale(c.key); ok {
			req := c.req
			r.logger.LogAttrs(ctx, slog.LevelWarn, "every tier failed; serving the cached answer past its TTL",
				slog.String("kind", req.Kind.String()), slog.String("id", req.ID), slog.String("team", req.Team),
				slog.Duration("age", time.Duration(age)), slog.String("error", err.Error()))
			c.ans, c.stale = old, true
			break
		}
		c.err = err
	default:
		c.err = err
	}
	return keep
}

func isCleanNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf) && len(nf.Errs) == 0
}

// staleable reports whether err is an outage a stale answer may cover:
// every tier failed (not a clean not-found, not the caller's context, not
// a fail-closed permission refusal).
func staleable(err error) bool {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return len(nf.Errs) > 0
	}
	var te *TierError
	return errors.As(err, &te) && !errors.Is(err, ErrPermissionDenied) && !errors.Is(err, ErrNotFound)
}

// find asks the first ntiers tiers in order. rec, when not nil, gets one
// Step per tier (for Explain).
func (r *Resolver) find(ctx context.Context, req Request, ntiers int, rec []Step) (result, error) {
	kind, id := req.Kind, req.ID
	var errs []*TierError
	for i := range r.tiers[:ntiers] {
		t := &r.tiers[i]
		if err := ctx.Err(); err != nil {
			return result{tier: -1}, err
		}
		res, err := r.ask(ctx, i, req, rec)
		if err == nil {
			res.tier = i
			return res, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return result{tier: -1}, ctxErr
		}
		if kind == KindConfig && !errors.Is(err, ErrNotFound) {
			return result{tier: -1}, &TierError{Tier: t.name, Err: err}
		}
		if stop, err := r.failed(ctx, t, req, err, &errs); stop {
			return result{tier: -1}, err
		}
	}
	return result{tier: -1}, r.notFound(kind, id, errs)
}

// ask asks tier i, within the tier timeout when one is set.
func (r *Resolver) ask(ctx context.Context, i int, req Request, rec []Step) (result, error) {
	kind := req.Kind
	t := &r.tiers[i]
	timed := r.tel != nil || rec != nil
	var start time.Time
	if timed {
		start = time.Now()
	}
	tctx, span := r.tel.startTier(ctx, t.name)
	cancel := context.CancelFunc(func() {})
	if r.tierTimeout > 0 {
		tctx, cancel = context.WithTimeout(tctx, r.tierTimeout)
	}
	var res result
	var err error
	if t.answers != nil {
		res, err = fromAnswer(req, t.answers.Answer(tctx, req))
	} else if kind == KindConnection {
		res.conn, err = t.connection(tctx, req)
	} else {
		var v string
		if v, err = t.b.Lookup(tctx, req); err == nil {
			res.val = connection.NewSecret(v)
		}
	}
	if err != nil && r.tierTimeout > 0 && tctx.Err() != nil && ctx.Err() == nil {
		err = &tierTimeoutError{d: r.tierTimeout, err: err}
	}
	cancel()
	if timed {
		d := time.Since(start)
		o := outcomeOf(err)
		r.tel.tierDone(ctx, kind, i, o, d)
		endSpan(span, o, err)
		if rec != nil {
			rec[i] = Step{Tier: t.name, Asked: t.describe(req), Outcome: o, Err: err, Took: d}
			if o == OutcomeNotFound {
				rec[i].Err = nil
			}
		}
	}
	return res, err
}

// tierTimeoutError is a tier's failure to answer within the tier timeout.
// It does not match context.DeadlineExceeded: the caller's context did not
// expire.
type tierTimeoutError struct {
	d   time.Duration
	err error
}

func (e *tierTimeoutError) Error() string {
	return fmt.Sprintf("no answer within the tier timeout of %s (%v)", e.d, e.err)
}

// failed handles a tier's error: not found goes on silently; a context error
// stops; access denied stops, and so does permission denied when
// fail-closed; anything else is logged and recorded, and the search goes on.
func (r *Resolver) failed(ctx context.Context, t *tier, req Request, err error, errs *[]*TierError) (stop bool, _ error) {
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return true, ctxErr
	}
	te := &TierError{Tier: t.name, Err: err}
	if errors.Is(err, ErrAccessDenied) || r.failClosed && errors.Is(err, ErrPermissionDenied) {
		return true, te
	}
	r.logger.LogAttrs(ctx, slog.LevelWarn, "secrets backend failed; trying the next tier",
		slog.String("backend", t.name), slog.String("kind", req.Kind.String()),
		slog.String("id", req.ID), slog.String("team", req.Team), slog.String("code", Code(err).String()),
		slog.String("error", err.Error()))
	*errs = append(*errs, te)
	return false, nil
}

func (r *Resolver) notFound(kind Kind, id string, errs []*TierError) error {
	return &NotFoundError{Kind: kind, ID: id, Searched: r.names, Errs: errs}
}

// Invalidate drops the cached answer to req (its kind, id and team), so
// the next such lookup asks the backends again. A search for it already
// under way still answers its callers, but its answer (which may predate
// the change that the invalidation announces) is not cached, and later
// lookups do not wait for it.
func (r *Resolver) Invalidate(req Request) {
	if r.cache == nil {
		return
	}
	r.cache.remove(keyOf(req))
}

// InvalidateAll empties the cache; searches under way are treated as by
// Invalidate.
func (r *Resolver) InvalidateAll() {
	if r.cache == nil {
		return
	}
	r.cache.clear()
}

// Close closes the Watchers, ends the change streams, closes every
// backend that implements io.Closer and returns their errors joined. The
// Resolver must not be used afterwards.
func (r *Resolver) Close() error {
	for _, w := range r.watchers.all() {
		_ = w.Close()
	}
	r.stopSources()
	var errs []error
	for _, t := range r.tiers {
		if c, ok := t.b.(io.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, &TierError{Tier: t.name, Err: err})
			}
		}
	}
	return errors.Join(errs...)
}
