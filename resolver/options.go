package resolver

import (
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// defaultCacheSize is the most entries a cache holds unless told otherwise.
const defaultCacheSize = 10_000

// Option configures a Resolver.
type Option func(*options)

type options struct {
	tiers          []tier // configured backends, in order
	fallbacks      []tier // env, metastore: after every configured backend
	logger         *slog.Logger
	cacheTTL       time.Duration
	cacheSize      int
	failClosed     bool
	tierTimeout    time.Duration
	staleGrace     time.Duration
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	now            func() int64 // the cache's monotonic clock in nanoseconds; nil = real
}

// collect applies opts to the defaults New starts from.
func collect(opts []Option) options {
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithBackend appends a configured backend to the search path, named name
// in logs and errors ("" = its Name method, or its Go type). Configured
// backends are asked in the order given, before every fallback, and they
// alone answer Config lookups.
func WithBackend(name string, b Backend) Option {
	return func(o *options) { o.tiers = append(o.tiers, newTier(name, b)) }
}

// WithFallback appends a tier that is asked after every configured backend:
// the environment and the metastore in Airflow's search path. Fallbacks do
// not answer Config lookups.
func WithFallback(name string, b Backend) Option {
	return func(o *options) { o.fallbacks = append(o.fallbacks, newTier(name, b)) }
}

// WithLogger sets the logger for tier failures (default slog.Default()).
// Records name the backend, the kind and id looked up and the error; never a
// value.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithCache turns on the lookup cache: answers and "not found" outcomes are
// kept for ttl (Airflow's use_cache and cache_ttl_seconds; an entry expires
// once it is older than ttl), at most maxEntries of them (<= 0 means
// 10,000), and concurrent misses on one key make one backend call.
// A ttl <= 0 leaves the cache off.
//
// With a cache, the tiers that report changes (ChangeSource: local files,
// the metastore, the remote backends' version polls) run from the first
// miss until Close, so that a change drops the answers it makes stale:
// a goroutine per such tier, and what its store needs (an inotify
// instance, a LISTEN connection, a poll a minute per watched id). Close a
// Resolver with a cache when done with it.
func WithCache(ttl time.Duration, maxEntries int) Option {
	return func(o *options) {
		o.cacheTTL = ttl
		o.cacheSize = maxEntries
	}
}

// WithFailClosed makes a backend's permission-denied error (one matching
// ErrPermissionDenied) stop the search and be returned, instead of being
// logged and skipped.
func WithFailClosed() Option {
	return func(o *options) { o.failClosed = true }
}

// WithTierTimeout bounds the time each tier has to answer one lookup: a
// tier still busy after d is abandoned (its context is cancelled), its
// failure is logged and recorded, and the search goes on to the next tier.
// A backend's own timeout (a kwarg) may be shorter. d <= 0 means no bound
// beyond the caller's context.
func WithTierTimeout(d time.Duration) Option {
	return func(o *options) { o.tierTimeout = d }
}

// WithStaleGrace lets a cached answer outlive its TTL by up to grace while
// the backends are down: when a lookup's every tier fails (errors, not a
// clean "not found"; not a fail-closed refusal, not the caller's context)
// and the cache holds an answer that expired less than grace ago, that
// answer is returned and a warning logged. Each such lookup asks the tiers
// again first. It needs WithCache; grace <= 0 turns it off.
func WithStaleGrace(grace time.Duration) Option {
	return func(o *options) { o.staleGrace = grace }
}

// WithTracerProvider makes the resolver start a span per lookup
// ("secretpath.lookup": kind, id, outcome, the tier that answered, cache
// hit) and per tier asked ("secretpath.tier": tier, outcome, and the
// backend's error message on failure). Spans carry no secret value. Pass
// otel.GetTracerProvider() to use the global provider. Without this option
// the resolver makes no spans.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

// WithMeterProvider makes the resolver record metrics:
//
//   - secretpath.lookups {secretpath.kind, secretpath.tier, secretpath.outcome}:
//     lookups by the tier that answered ("none" when none did) and outcome
//     (found, not_found, error, stale);
//   - secretpath.cache.hits and secretpath.cache.misses {secretpath.kind};
//   - secretpath.backend.duration (seconds, histogram) {secretpath.kind,
//     secretpath.tier, secretpath.outcome}: each tier's time per lookup;
//   - secretpath.changes.breaks {secretpath.tier}: a tier's change stream
//     broke (its cached answers were dropped and the stream resynced; see
//     ChangeSource).
//
// Pass otel.GetMeterProvider() to use the global provider. Without this
// option the resolver records nothing.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = mp }
}
