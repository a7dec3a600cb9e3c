package kit

import (
	"context"
	"time"
)

// Bound returns ctx bounded by d, for a backend's per-lookup timeout: a
// context ending at the sooner of ctx's deadline and now + d, and the
// function releasing it. d <= 0 means no bound but ctx's.
//
// When ctx already ends at or before now + d, ctx itself is returned with
// a no-op release: the timeout could not end the lookup sooner, and
// context.WithTimeout would still build a cancellable child (which
// net/http then links one more context under). The outcome is the same:
// the lookup ends when ctx does, with ctx's error.
func Bound(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, noRelease
	}
	if dl, ok := ctx.Deadline(); ok && !dl.After(time.Now().Add(d)) {
		return ctx, noRelease
	}
	return context.WithTimeout(ctx, d)
}

// noRelease is Bound's release when it made no context (a package
// function: no closure per call).
func noRelease() {}
