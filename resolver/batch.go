package resolver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secretpath/secretpath/resolver/connection"
)

// Result is one id's answer in a batch lookup ([Resolver.LookupMany]).
type Result struct {
	// ID is the id asked for, as given.
	ID string
	// Conn is the connection (connection requests).
	Conn connection.Connection
	// Value is the variable's or config's value (other requests).
	Value connection.Secret
	// Tier is the name of the tier that answered ("" with Err).
	Tier string
	// Expires is when the value stops being valid, as the store said
	// (Answer.Expires); zero when unknown.
	Expires time.Time
	// Err is what a single lookup of the id would return: a
	// *NotFoundError (matching ErrNotFound) when no tier holds it, a
	// context error, a *TierError.
	Err error
}

// batchParallel is how many single lookups a batch runs at once on a tier
// that is not a BatchBackend.
const batchParallel = 8

// Connections looks up many connections (for no team) in one batch: see
// LookupMany. The results are in the order of ids.
func (r *Resolver) Connections(ctx context.Context, ids ...string) []Result {
	return r.LookupMany(ctx, Request{Kind: KindConnection}, ids)
}

// Variables looks up many variables (for no team) in one batch: see
// LookupMany. The results are in the order of keys.
func (r *Resolver) Variables(ctx context.Context, keys ...string) []Result {
	return r.LookupMany(ctx, Request{Kind: KindVariable}, keys)
}

// Prefetch looks ids up as LookupMany does, to fill the cache before
// lookups that follow (a scheduler about to parse many DAG files). It
// returns the failures other than not found, joined; without a cache
// (WithCache) it does nothing and returns nil.
func (r *Resolver) Prefetch(ctx context.Context, kind Kind, ids ...string) error {
	if r.cache == nil {
		return nil
	}
	var errs []error
	for _, res := range r.LookupMany(ctx, Request{Kind: kind}, ids) {
		if res.Err != nil && !isCleanNotFound(res.Err) {
			errs = append(errs, res.Err)
		}
	}
	return errors.Join(errs...)
}

// LookupMany looks up ids, each as req (its Kind and Team; its ID is
// ignored) with that id would be looked up alone, and returns one Result
// per id, in the order of ids; an id given twice is looked up once. The
// search goes tier by tier with the ids no earlier tier answered: a tier
// that implements BatchBackend is asked for them all in one LookupBatch
// (which splits them as its store requires: SSM 10 names a request,
// Secrets Manager 20, the metastore one query), any other tier one id at
// a time, up to 8 at once. The per-id rules are the single lookup's:
// not-found goes on to the next tier, fail-closed and access denied stop
// that id, configs are asked of the configured backends only.
//
// With a cache, cached answers are served, the answers found are cached,
// and the lookups of the same ids that other goroutines start meanwhile
// wait for this batch rather than ask the backends again. As for a single
// lookup, LookupMany returns when ctx ends even if a backend does not
// (the ids not answered by then carry ctx's error).
func (r *Resolver) LookupMany(ctx context.Context, req Request, ids []string) []Result {
	if req.Kind == 0 {
		req.Kind = KindConnection
	}
	results := make([]Result, len(ids))
	for i, id := range ids {
		results[i].ID = id
	}
	ntiers := len(r.tiers)
	switch req.Kind {
	case KindConnection, KindVariable:
	case KindConfig:
		ntiers = r.configured
	default:
		err := fmt.Errorf("resolver: LookupMany of a %s request", req.Kind)
		for i := range results {
			results[i].Err = err
		}
		return results
	}
	if len(req.Team) > maxIDLength {
		err := fmt.Errorf("%w: team name of %d bytes is longer than %d", ErrInvalidID, len(req.Team), maxIDLength)
		for i := range results {
			results[i].Err = err
		}
		return results
	}

	if r.cache != nil && !r.sources.started.Load() {
		r.startSources()
	}
	b := batch{r: r, ctx: ctx, kind: req.Kind, team: req.Team, ntiers: ntiers, results: results}
	first := make(map[string]int, len(ids))
	var dups [][2]int // {index, index of its first occurrence}
	for i, id := range ids {
		if j, ok := first[id]; ok {
			dups = append(dups, [2]int{i, j})
			continue
		}
		first[id] = i
		if len(id) > maxIDLength {
			results[i].Err = idTooLong(req.Kind, id)
			continue
		}
		b.add(i)
	}
	b.search()
	b.await()
	if r.tel != nil {
		b.count(len(ids) - len(dups))
	}
	for _, d := range dups {
		results[d[0]] = results[d[1]]
		results[d[0]].ID = ids[d[0]]
	}
	return results
}

// batch is one LookupMany call.
type batch struct {
	r       *Resolver
	ctx     context.Context
	kind    Kind
	team    string
	ntiers  int
	results []Result

	mine    []int   // indices of results this batch searches for
	flights []*call // with a cache: the flight it leads for each of mine
	joined  []int   // indices of results another search is answering
	joinedC []*call
}

// add takes result i: from the cache, or into the batch's own search, or
// waiting for a search under way.
func (b *batch) add(i int) {
	r := b.r
	req := Request{Kind: b.kind, ID: b.results[i].ID, Team: b.team}
	if r.cache == nil {
		b.mine = append(b.mine, i)
		return
	}
	key := keyOf(req)
	if e, ok := r.cache.get(key); ok {
		b.fill(i, e)
		return
	}
	c, lead, e := r.cache.join(key, true)
	switch {
	case e != nil:
		b.fill(i, e)
	case lead:
		c.req = req
		b.mine = append(b.mine, i)
		b.flights = append(b.flights, c)
	default:
		b.joined = append(b.joined, i)
		b.joinedC = append(b.joinedC, c)
	}
}

// fill sets result i from a cache entry.
func (b *batch) fill(i int, e *cacheEntry) {
	res := &b.results[i]
	if !e.found {
		res.Err = b.r.notFound(b.kind, res.ID, nil)
		return
	}
	res.Conn, res.Value, res.Tier, res.Expires = e.conn, e.val, b.r.tierName(int(e.tier)), b.r.cache.wall(e.expires)
}

// search runs the batch's own search, in the caller's goroutine when
// every tier asked honours ctx (or ctx cannot end), else in a goroutine
// that the caller waits for until ctx ends.
func (b *batch) search() {
	if len(b.mine) == 0 {
		return
	}
	r := b.r
	reqs := make([]Request, len(b.mine))
	for k, i := range b.mine {
		reqs[k] = Request{Kind: b.kind, ID: b.results[i].ID, Team: b.team}
	}
	if b.ctx.Done() == nil || b.ntiers <= r.honoured {
		outs, errs := b.run(b.ctx, reqs)
		b.take(outs, errs)
		return
	}
	type answers struct {
		outs []result
		errs []error
	}
	done := make(chan answers, 1)
	wctx := context.WithoutCancel(b.ctx) // its answers land in the cache for the others
	if r.cache == nil {
		wctx = b.ctx // nobody would use the answers: stop when the caller leaves
	}
	go func() {
		outs, errs := b.run(wctx, reqs)
		done <- answers{outs, errs}
	}()
	select {
	case a := <-done:
		b.take(a.outs, a.errs)
	case <-b.ctx.Done():
		// The search goes on in its goroutine and lands the flights
		// (callers that joined them get its answers); this caller leaves.
		for _, i := range b.mine {
			b.results[i].Err = b.ctx.Err()
		}
	}
}

// run searches reqs and, with a cache, settles and lands the flights.
func (b *batch) run(ctx context.Context, reqs []Request) (outs []result, errs []error) {
	r := b.r
	landed := false
	if r.cache != nil {
		defer func() {
			if !landed { // the search panicked
				for _, c := range b.flights {
					c.err, c.ans = errFlightPanicked, nil
					r.cache.land(c, false)
				}
			}
		}()
	}
	outs, errs = r.findMany(ctx, reqs, b.ntiers)
	if r.cache != nil {
		for k, c := range b.flights {
			keep := c.settle(r, ctx, outs[k], errs[k])
			if c.ans != nil && c.stale {
				outs[k] = result{conn: c.ans.conn, val: c.ans.val, tier: int(c.ans.tier), stale: true, expires: r.cache.wall(c.ans.expires)}
				errs[k] = nil
			}
			c.req = Request{}
			r.cache.land(c, keep)
		}
		landed = true
	}
	return outs, errs
}

// take copies the search's answers into the results.
func (b *batch) take(outs []result, errs []error) {
	for k, i := range b.mine {
		res := &b.results[i]
		if errs[k] != nil {
			res.Err = errs[k]
			continue
		}
		res.Conn, res.Value, res.Tier, res.Expires = outs[k].conn, outs[k].val, b.r.tierName(outs[k].tier), outs[k].expires
	}
}

// await waits for the searches the batch joined; one whose leader gave up
// is looked up again, alone.
func (b *batch) await() {
	for k, i := range b.joined {
		c := b.joinedC[k]
		res := &b.results[i]
		select {
		case <-c.done:
		case <-b.ctx.Done():
			res.Err = b.ctx.Err()
			continue
		}
		var got result
		var err error
		if c.abandoned {
			got, err = b.r.lookup(b.ctx, Request{Kind: b.kind, ID: res.ID, Team: b.team}, b.ntiers)
		} else {
			got, err = b.r.answer(c, b.kind, res.ID)
		}
		if err != nil {
			res.Err = err
			continue
		}
		res.Conn, res.Value, res.Tier, res.Expires = got.conn, got.val, b.r.tierName(got.tier), got.expires
	}
}

// count records the batch's lookups in the metrics: n of them, one per
// distinct id (each counted as a single lookup would be; a batch has no
// span of its own, each tier call has one).
func (b *batch) count(n int) {
	tel := b.r.tel
	seen := 0
	for i := range b.results {
		if seen == n {
			break
		}
		res := &b.results[i]
		if res.Tier == "" && res.Err == nil {
			continue
		}
		seen++
		tier := -1
		for t, name := range b.r.names {
			if name == res.Tier {
				tier = t
				break
			}
		}
		tel.lookupDone(b.ctx, b.kind, tier, outcomeOf(res.Err))
	}
}

// findMany is find for many requests of one kind and team: tier by tier,
// each asked for the requests no earlier tier answered.
func (r *Resolver) findMany(ctx context.Context, reqs []Request, ntiers int) ([]result, []error) {
	outs := make([]result, len(reqs))
	errs := make([]error, len(reqs))
	tierErrs := make([][]*TierError, len(reqs))
	left := make([]int, len(reqs))
	for k := range left {
		left[k] = k
		outs[k].tier = -1
	}
	for i := range r.tiers[:ntiers] {
		if len(left) == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			for _, k := range left {
				errs[k] = err
			}
			return outs, errs
		}
		t := &r.tiers[i]
		got, gotErrs := r.askMany(ctx, i, reqs, left)
		next := left[:0]
		for j, k := range left {
			err := gotErrs[j]
			if err == nil {
				outs[k] = got[j]
				outs[k].tier = i
				continue
			}
			if ctxErr := ctx.Err(); ctxErr != nil {
				errs[k] = ctxErr
				continue
			}
			if reqs[k].Kind == KindConfig && !errors.Is(err, ErrNotFound) {
				errs[k] = &TierError{Tier: t.name, Err: err}
				continue
			}
			if stop, err := r.failed(ctx, t, reqs[k], err, &tierErrs[k]); stop {
				errs[k] = err
				continue
			}
			next = append(next, k)
		}
		left = next
	}
	for _, k := range left {
		errs[k] = r.notFound(reqs[k].Kind, reqs[k].ID, tierErrs[k])
	}
	return outs, errs
}

// askMany asks tier i for reqs[k] for every k in left: in one
// LookupBatch when the tier is a BatchBackend, else one request at a time,
// batchParallel at once. The tier timeout bounds each single lookup, as it
// does alone, and a LookupBatch call by the tier timeout times the number
// of ids (never tighter than asking them one by one); only an error of a
// request that ran out of that time is reported as the tier timeout's.
func (r *Resolver) askMany(ctx context.Context, i int, reqs []Request, left []int) ([]result, []error) {
	t := &r.tiers[i]
	kind := reqs[left[0]].Kind
	timed := r.tel != nil
	var start time.Time
	if timed {
		start = time.Now()
	}
	sctx, span := r.tel.startTier(ctx, t.name)
	got := make([]result, len(left))
	errs := make([]error, len(left))
	// bound returns ctx within d of the tier timeout (none when unset).
	bound := func(d time.Duration) (context.Context, context.CancelFunc) {
		if r.tierTimeout <= 0 {
			return sctx, func() {}
		}
		return context.WithTimeout(sctx, d)
	}
	// timedOut wraps err as the tier timeout's when tctx ran out (and
	// not the caller's ctx) and err is that context's.
	timedOut := func(tctx context.Context, err error) error {
		if err != nil && r.tierTimeout > 0 && tctx.Err() != nil && ctx.Err() == nil &&
			(errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
			return &tierTimeoutError{d: r.tierTimeout, err: err}
		}
		return err
	}
	if bb, ok := t.b.(BatchBackend); ok && len(left) > 1 {
		sub := make([]Request, len(left))
		for j, k := range left {
			sub[j] = reqs[k]
		}
		answers := make([]Answer, len(sub))
		tctx, cancel := bound(r.tierTimeout * time.Duration(len(sub)))
		bb.LookupBatch(tctx, sub, answers)
		for j, a := range answers {
			got[j], errs[j] = fromAnswer(sub[j], a)
			errs[j] = timedOut(tctx, errs[j])
		}
		cancel()
	} else {
		one := func(j int) {
			req := reqs[left[j]]
			tctx, cancel := bound(r.tierTimeout)
			defer cancel()
			switch {
			case t.answers != nil:
				got[j], errs[j] = fromAnswer(req, t.answers.Answer(tctx, req))
			case kind == KindConnection:
				got[j].conn, errs[j] = t.connection(tctx, req)
			default:
				v, err := t.b.Lookup(tctx, req)
				if err == nil {
					got[j].val = connection.NewSecret(v)
				}
				errs[j] = err
			}
			if errs[j] != nil && r.tierTimeout > 0 && tctx.Err() != nil && ctx.Err() == nil {
				errs[j] = &tierTimeoutError{d: r.tierTimeout, err: errs[j]} // as ask does
			}
		}
		if len(left) == 1 {
			one(0)
		} else {
			var next atomic.Int64
			var wg sync.WaitGroup
			for range min(batchParallel, len(left)) {
				wg.Go(func() {
					for {
						j := int(next.Add(1) - 1)
						if j >= len(left) {
							return
						}
						one(j)
					}
				})
			}
			wg.Wait()
		}
	}
	worst := OutcomeNotFound
	var worstErr error
	for j := range errs {
		if timed {
			o := outcomeOf(errs[j])
			r.tel.tierDone(ctx, kind, i, o, time.Since(start))
			if o == OutcomeError || (o == OutcomeFound && worst != OutcomeError) {
				worst, worstErr = o, errs[j]
			}
		}
	}
	if timed {
		endSpan(span, worst, worstErr)
	}
	return got, errs
}

// fromAnswer turns a BatchBackend's answer into a tier's result.
func fromAnswer(req Request, a Answer) (result, error) {
	res := result{expires: a.Expires}
	if a.Err != nil {
		return res, a.Err
	}
	switch {
	case req.Kind != KindConnection:
		res.val = connection.NewSecret(a.Value)
	case a.Fields:
		res.conn = a.Conn
	case a.Value == "": // Airflow: a falsy value is no connection
		return res, ErrNotFound
	default:
		c, err := connection.Parse(req.ID, a.Value)
		if err != nil {
			return res, err
		}
		res.conn = c
	}
	return res, nil
}
