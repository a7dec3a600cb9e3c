package resolver

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the tracer and meter of this package.
const instrumentationName = "github.com/secretpath/secretpath/resolver"

// Outcome is how one tier, or a whole lookup, ended.
type Outcome uint8

// The outcomes of a lookup or of one tier's part in it.
const (
	OutcomeNotAsked Outcome = iota // an earlier tier answered, or the search stopped
	OutcomeFound                   // the tier answered
	OutcomeNotFound                // the tier does not hold the id
	OutcomeError                   // the tier failed (logged; the search went on unless fail-closed)
	OutcomeStale                   // every tier failed; a cached answer within the stale grace was served
)

// String returns "not_asked", "found", "not_found", "error" or "stale".
func (o Outcome) String() string {
	switch o {
	case OutcomeNotAsked:
		return "not_asked"
	case OutcomeFound:
		return "found"
	case OutcomeNotFound:
		return "not_found"
	case OutcomeError:
		return "error"
	case OutcomeStale:
		return "stale"
	}
	return "unknown"
}

// outcomeOf classifies a tier's error, or a lookup's.
func outcomeOf(err error) Outcome {
	if err == nil {
		return OutcomeFound
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		if len(nf.Errs) == 0 {
			return OutcomeNotFound
		}
		return OutcomeError
	}
	if errors.Is(err, ErrNotFound) {
		return OutcomeNotFound
	}
	return OutcomeError
}

// telemetry holds the OpenTelemetry instruments of one Resolver; nil
// fields are off. Attribute sets are built once so that recording a
// measurement allocates nothing.
type telemetry struct {
	tracer trace.Tracer // nil: no spans

	lookups  metric.Int64Counter     // secretpath.lookups {kind, tier, outcome}
	hits     metric.Int64Counter     // secretpath.cache.hits {kind}
	misses   metric.Int64Counter     // secretpath.cache.misses {kind}
	duration metric.Float64Histogram // secretpath.backend.duration {kind, tier, outcome}
	breaks   metric.Int64Counter     // secretpath.changes.breaks {tier}
	meterOn  bool
	tiers    []string // the tiers' names, for breaks

	// kindOpts[kind] = {kind}; tierOpts[kind][tier][outcome] = {kind, tier, outcome}
	// with tier == len(tiers) meaning "none" (no tier answered).
	kindOpts [4][]metric.AddOption
	tierOpts [4][][5][]metric.AddOption
	recOpts  [4][][5][]metric.RecordOption
}

func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider, names []string) *telemetry {
	if tp == nil && mp == nil {
		return nil
	}
	t := &telemetry{}
	if tp != nil {
		t.tracer = tp.Tracer(instrumentationName)
	}
	if mp == nil {
		return t
	}
	m := mp.Meter(instrumentationName)
	var err error
	// The API's instruments never fail to build with these static
	// arguments; a broken SDK returning an error gets a no-op instead.
	if t.lookups, err = m.Int64Counter("secretpath.lookups", metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups by kind, the tier that answered (\"none\" when none did) and outcome.")); err != nil {
		return t
	}
	if t.hits, err = m.Int64Counter("secretpath.cache.hits", metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups answered from the cache.")); err != nil {
		return t
	}
	if t.misses, err = m.Int64Counter("secretpath.cache.misses", metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups the cache could not answer.")); err != nil {
		return t
	}
	if t.duration, err = m.Float64Histogram("secretpath.backend.duration", metric.WithUnit("s"),
		metric.WithDescription("Time one tier took to answer one lookup, by tier and outcome.")); err != nil {
		return t
	}
	if t.breaks, err = m.Int64Counter("secretpath.changes.breaks", metric.WithUnit("{break}"),
		metric.WithDescription("Change streams of a tier that broke (its cached answers were dropped and the stream resynced).")); err != nil {
		return t
	}
	t.meterOn = true
	t.tiers = names
	tierNames := append(append([]string(nil), names...), "none")
	for _, k := range []Kind{KindConnection, KindVariable, KindConfig} {
		kattr := attribute.String("secretpath.kind", k.String())
		t.kindOpts[k] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kattr))}
		t.tierOpts[k] = make([][5][]metric.AddOption, len(tierNames))
		t.recOpts[k] = make([][5][]metric.RecordOption, len(tierNames))
		for i, tn := range tierNames {
			for o := OutcomeFound; o <= OutcomeStale; o++ {
				set := attribute.NewSet(kattr, attribute.String("secretpath.tier", tn),
					attribute.String("secretpath.outcome", o.String()))
				opt := metric.WithAttributeSet(set)
				t.tierOpts[k][i][o] = []metric.AddOption{opt}
				t.recOpts[k][i][o] = []metric.RecordOption{opt}
			}
		}
	}
	return t
}

func (t *telemetry) cacheHit(ctx context.Context, kind Kind) {
	if t != nil && t.meterOn {
		t.hits.Add(ctx, 1, t.kindOpts[kind]...)
	}
}

func (t *telemetry) cacheMiss(ctx context.Context, kind Kind) {
	if t != nil && t.meterOn {
		t.misses.Add(ctx, 1, t.kindOpts[kind]...)
	}
}

// lookupDone counts one lookup; tier is the index of the tier that
// answered, or -1.
func (t *telemetry) lookupDone(ctx context.Context, kind Kind, tier int, o Outcome) {
	if t == nil || !t.meterOn {
		return
	}
	if tier < 0 {
		tier = len(t.tierOpts[kind]) - 1
	}
	t.lookups.Add(ctx, 1, t.tierOpts[kind][tier][o]...)
}

// streamBroke counts a broken change stream of tier i (rare: the
// attribute set is built here).
func (t *telemetry) streamBroke(ctx context.Context, i int) {
	if t == nil || !t.meterOn {
		return
	}
	t.breaks.Add(ctx, 1, metric.WithAttributes(attribute.String("secretpath.tier", t.tiers[i])))
}

func (t *telemetry) tierDone(ctx context.Context, kind Kind, tier int, o Outcome, d time.Duration) {
	if t == nil || !t.meterOn {
		return
	}
	t.duration.Record(ctx, d.Seconds(), t.recOpts[kind][tier][o]...)
}

// startLookup starts the span of one lookup; it returns ctx and a nil span
// when tracing is off.
func (t *telemetry) startLookup(ctx context.Context, kind Kind, id string) (context.Context, trace.Span) {
	if t == nil || t.tracer == nil {
		return ctx, nil
	}
	return t.tracer.Start(ctx, "secretpath.lookup", trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.String("secretpath.kind", kind.String()), attribute.String("secretpath.id", id)))
}

func (t *telemetry) startTier(ctx context.Context, name string) (context.Context, trace.Span) {
	if t == nil || t.tracer == nil {
		return ctx, nil
	}
	return t.tracer.Start(ctx, "secretpath.tier", trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.String("secretpath.tier", name)))
}

// endSpan ends span (nil: tracing off) with the outcome and, for a
// failure, the error's message: errors never carry secret values.
func endSpan(span trace.Span, o Outcome, err error, attrs ...attribute.KeyValue) {
	if span == nil {
		return
	}
	span.SetAttributes(append(attrs, attribute.String("secretpath.outcome", o.String()))...)
	if o == OutcomeError && err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
