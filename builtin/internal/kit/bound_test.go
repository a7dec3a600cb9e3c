package kit

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBound(t *testing.T) {
	bg := context.Background()
	soon, cancelSoon := context.WithTimeout(bg, time.Minute)
	defer cancelSoon()
	late, cancelLate := context.WithTimeout(bg, time.Hour)
	defer cancelLate()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		d    time.Duration
		same bool          // Bound returns ctx itself
		want time.Duration // else: the deadline is about now + want
	}{
		{name: "no bound", ctx: bg, d: 0, same: true},
		{name: "negative: no bound", ctx: bg, d: -1, same: true},
		{name: "background gets the timeout", ctx: bg, d: 10 * time.Second, want: 10 * time.Second},
		{name: "caller's deadline sooner: ctx as it is", ctx: soon, d: 10 * time.Minute, same: true},
		{name: "caller's deadline later: the timeout", ctx: late, d: 10 * time.Second, want: 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now()
			got, release := Bound(tc.ctx, tc.d)
			defer release()
			if tc.same {
				if got != tc.ctx {
					t.Fatalf("Bound made a new context; want ctx itself")
				}
				return
			}
			if got == tc.ctx {
				t.Fatalf("Bound returned ctx; want a context bounded by %v", tc.d)
			}
			dl, ok := got.Deadline()
			if !ok || dl.Before(before.Add(tc.want)) || dl.After(time.Now().Add(tc.want)) {
				t.Fatalf("deadline %v (set %v); want now + %v", dl, ok, tc.want)
			}
		})
	}
}

// A context Bound returned unchanged still ends the lookup, with the
// caller's error; one it made ends with DeadlineExceeded and is released.
func TestBoundEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	got, release := Bound(ctx, time.Hour)
	defer release()
	<-got.Done()
	if !errors.Is(got.Err(), context.DeadlineExceeded) {
		t.Fatalf("err %v; want DeadlineExceeded", got.Err())
	}

	got, release = Bound(context.Background(), 20*time.Millisecond)
	<-got.Done()
	if !errors.Is(got.Err(), context.DeadlineExceeded) {
		t.Fatalf("err %v; want DeadlineExceeded", got.Err())
	}
	release()

	got, release = Bound(context.Background(), time.Hour)
	release()
	if !errors.Is(got.Err(), context.Canceled) {
		t.Fatalf("after release: err %v; want Canceled", got.Err())
	}
}
