package secretpath_test

import (
	"context"
	"log"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/secretpath/secretpath"
	"github.com/secretpath/secretpath/resolver"
)

// Example_telemetry wires OpenTelemetry's stdout exporters and a debug
// logger: each lookup then prints a span per lookup and per tier, and the
// lookup counters, cache counters and backend latency histogram when the
// meter provider shuts down. Nothing printed holds a secret value. A
// service would pass its own providers (or otel.GetTracerProvider() and
// otel.GetMeterProvider()) instead.
func Example_telemetry() {
	ctx := context.Background()
	spanOut, err := stdouttrace.New(stdouttrace.WithPrettyPrint())
	if err != nil {
		log.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spanOut))
	defer tp.Shutdown(ctx)
	metricOut, err := stdoutmetric.New()
	if err != nil {
		log.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricOut)))
	defer mp.Shutdown(ctx) // exports the metrics once more

	r, err := secretpath.OpenFile(ctx, "testdata/quickstart/secretpath.cfg",
		resolver.WithTracerProvider(tp),
		resolver.WithMeterProvider(mp),
		resolver.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Connection(ctx, "smtp_default"); err != nil {
		log.Fatal(err)
	}
}
