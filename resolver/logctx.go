package resolver

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/metric"
)

type loggerKey struct{}

// ContextWithLogger returns ctx carrying l for backend constructors (the
// Factory's ctx): a backend that logs on its own (a renewed token, a
// lookup answered as "not found" after a refusal, a guest's log line)
// keeps LoggerFromContext(ctx) and logs there. secretpath.Open passes the
// resolver's logger (WithLogger) this way.
func ContextWithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// LoggerFromContext returns the logger ctx carries (see ContextWithLogger),
// or slog.Default(). Never nil.
func LoggerFromContext(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}

// LoggerOf returns the logger opts set with WithLogger (the last one wins),
// or slog.Default(); a nil logger means one that discards.
func LoggerOf(opts ...Option) *slog.Logger {
	o := collect(opts)
	if o.logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.logger
}

type meterKey struct{}

// ContextWithMeterProvider returns ctx carrying mp for backend
// constructors, as ContextWithLogger does for the logger: a backend with
// metrics of its own (the WebAssembly host's traps and timeouts) records
// them there. secretpath.Open passes the resolver's WithMeterProvider.
func ContextWithMeterProvider(ctx context.Context, mp metric.MeterProvider) context.Context {
	return context.WithValue(ctx, meterKey{}, mp)
}

// MeterProviderFromContext returns the MeterProvider ctx carries, or nil.
func MeterProviderFromContext(ctx context.Context) metric.MeterProvider {
	mp, _ := ctx.Value(meterKey{}).(metric.MeterProvider)
	return mp
}

// MeterProviderOf returns the MeterProvider opts set with
// WithMeterProvider, or nil.
func MeterProviderOf(opts ...Option) metric.MeterProvider {
	return collect(opts).meterProvider
}
