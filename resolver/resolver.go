package resolver

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"golang.org/x/sync/singleflight"
)

// Resolver looks connections, variables and configs up through an ordered
// search path of backends. It is safe for concurrent use.
//
// The search path is every backend given with WithBackend, in order, then
// every WithFallback tier (Airflow: custom backend, then the environment,
// then the metastore). The first tier that answers wins.
type Resolver struct {
	tiers      []tier // configured backends then fallbacks
	configured int    // tiers[:configured] answer Config lookups
	names      []string
	logger     *slog.Logger
	failClosed bool
	cache      *cache // nil when off
	group      singleflight.Group
}

// New returns a Resolver with the given options. With no backends at all,
// every lookup reports not found.
func New(opts ...Option) *Resolver {
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	r := &Resolver{
		tiers:      append(append([]tier(nil), o.tiers...), o.fallbacks...),
		configured: len(o.tiers),
		logger:     o.logger,
		failClosed: o.failClosed,
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	for _, t := range r.tiers {
		r.names = append(r.names, t.name)
	}
	if o.cacheTTL > 0 {
		r.cache = newCache(o.cacheTTL, o.cacheSize, o.now)
	}
	return r
}

// Tiers returns the names of the search path's tiers, in order.
func (r *Resolver) Tiers() []string { return append([]string(nil), r.names...) }

// Connection returns connection connID from the first tier that holds it.
// When no tier does, the error matches ErrNotFound and is a *NotFoundError
// carrying every tier's failure. A context error is returned as is.
func (r *Resolver) Connection(ctx context.Context, connID string) (Connection, error) {
	if r.cache == nil {
		return r.findConnection(ctx, connID)
	}
	key := cacheKey{kind: KindConnection, id: connID}
	if e, ok := r.cache.get(key); ok && e.found { // the hot path: no closure, no allocation
		return e.conn, nil
	}
	e, err := r.cached(ctx, key, func(ctx context.Context) (*cacheEntry, error) {
		c, err := r.findConnection(ctx, connID)
		if err != nil {
			return nil, err
		}
		return &cacheEntry{found: true, conn: c}, nil
	})
	if err != nil {
		return Connection{}, err
	}
	return e.conn, nil
}

// Variable returns variable key from the first tier that holds it.
// Errors are as for Connection.
func (r *Resolver) Variable(ctx context.Context, key string) (Secret, error) {
	return r.value(ctx, KindVariable, key, len(r.tiers))
}

// Config returns the config value key (Airflow's `[section] option_secret =
// key`) from the configured backends only. Unlike connections and
// variables, a configured backend's failure stops the search and is
// returned: config has defaults, and silently falling back to them is
// dangerous.
func (r *Resolver) Config(ctx context.Context, key string) (Secret, error) {
	return r.value(ctx, KindConfig, key, r.configured)
}

func (r *Resolver) value(ctx context.Context, kind Kind, id string, ntiers int) (Secret, error) {
	if r.cache == nil {
		return r.findValue(ctx, kind, id, ntiers)
	}
	key := cacheKey{kind: kind, id: id}
	if e, ok := r.cache.get(key); ok && e.found {
		return e.val, nil
	}
	e, err := r.cached(ctx, key, func(ctx context.Context) (*cacheEntry, error) {
		s, err := r.findValue(ctx, kind, id, ntiers)
		if err != nil {
			return nil, err
		}
		return &cacheEntry{found: true, val: s}, nil
	})
	if err != nil {
		return Secret{}, err
	}
	return e.val, nil
}

// cached answers key from the cache, or runs find once for all concurrent
// callers of key and caches its answer or clean not-found. A negative entry
// comes back as a *NotFoundError. The shared call runs with ctx's values but
// not its cancellation, so one caller giving up does not fail the others;
// each caller still returns as soon as its own ctx is done.
func (r *Resolver) cached(ctx context.Context, key cacheKey, find func(context.Context) (*cacheEntry, error)) (*cacheEntry, error) {
	e, ok := r.cache.get(key)
	if !ok {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		detached := context.WithoutCancel(ctx)
		ch := r.group.DoChan(key.String(), func() (any, error) {
			// A flight that ended between our cache miss and this one
			// has filled the entry: do not ask the backends again.
			if e, ok := r.cache.get(key); ok {
				return e, nil
			}
			e, err := find(detached)
			switch {
			case err == nil:
				r.cache.put(key, e)
			case isCleanNotFound(err):
				// Cache the miss. A miss that a failing tier caused is
				// not cached: the next lookup asks again.
				r.cache.put(key, &cacheEntry{})
			}
			return e, err
		})
		select {
		case res := <-ch:
			if res.Err != nil {
				return nil, res.Err
			}
			e = res.Val.(*cacheEntry)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if !e.found {
		return nil, r.notFound(key.kind, key.id, nil)
	}
	return e, nil
}

func isCleanNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf) && len(nf.Errs) == 0
}

func (r *Resolver) findConnection(ctx context.Context, id string) (Connection, error) {
	var errs []*TierError
	for i := range r.tiers {
		t := &r.tiers[i]
		if err := ctx.Err(); err != nil {
			return Connection{}, err
		}
		c, err := t.connection(ctx, id)
		if err == nil {
			return c, nil
		}
		if stop, err := r.failed(ctx, t, KindConnection, id, err, &errs); stop {
			return Connection{}, err
		}
	}
	return Connection{}, r.notFound(KindConnection, id, errs)
}

func (r *Resolver) findValue(ctx context.Context, kind Kind, id string, ntiers int) (Secret, error) {
	var errs []*TierError
	for i := range r.tiers[:ntiers] {
		t := &r.tiers[i]
		if err := ctx.Err(); err != nil {
			return Secret{}, err
		}
		v, err := t.value(ctx, kind, id)
		if err == nil {
			return NewSecret(v), nil
		}
		if kind == KindConfig && !errors.Is(err, ErrNotFound) {
			return Secret{}, &TierError{Tier: t.name, Err: err}
		}
		if stop, err := r.failed(ctx, t, kind, id, err, &errs); stop {
			return Secret{}, err
		}
	}
	return Secret{}, r.notFound(kind, id, errs)
}

// failed handles a tier's error: not found goes on silently; a context error
// stops; permission denied stops when fail-closed; anything else is logged
// and recorded, and the search goes on.
func (r *Resolver) failed(ctx context.Context, t *tier, kind Kind, id string, err error, errs *[]*TierError) (stop bool, _ error) {
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return true, ctxErr
	}
	te := &TierError{Tier: t.name, Err: err}
	if r.failClosed && errors.Is(err, ErrPermissionDenied) {
		return true, te
	}
	r.logger.LogAttrs(ctx, slog.LevelWarn, "secrets backend failed; trying the next tier",
		slog.String("backend", t.name), slog.String("kind", kind.String()),
		slog.String("id", id), slog.String("error", err.Error()))
	*errs = append(*errs, te)
	return false, nil
}

func (r *Resolver) notFound(kind Kind, id string, errs []*TierError) error {
	return &NotFoundError{Kind: kind, ID: id, Searched: r.names, Errs: errs}
}

// Invalidate drops the cached answer for one id of one kind, so the next
// lookup asks the backends again.
func (r *Resolver) Invalidate(kind Kind, id string) {
	if r.cache != nil {
		r.cache.remove(cacheKey{kind: kind, id: id})
	}
}

// InvalidateAll empties the cache.
func (r *Resolver) InvalidateAll() {
	if r.cache != nil {
		r.cache.clear()
	}
}

// Close closes every backend that implements io.Closer and returns their
// errors joined. The Resolver must not be used afterwards.
func (r *Resolver) Close() error {
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
