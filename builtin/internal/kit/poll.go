package kit

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/secretpath/secretpath/resolver"
)

// Poller is a resolver.ChangeSource for a store that cannot push changes:
// every Interval (± Jitter), it asks Versions for the version metadata of
// the requests the resolver watches (never their values) and emits an
// event for each request whose version changed, appeared or vanished
// since the last poll. A backend embeds one in its Changes method:
//
//	func (b *Backend) Changes(ctx context.Context, watched func() []resolver.Request, emit func(resolver.Event)) error {
//		return b.poller.Run(ctx, watched, emit)
//	}
type Poller struct {
	// Interval between polls; <= 0 means DefaultPollInterval.
	Interval time.Duration
	// Jitter is the most a poll is moved earlier or later at random, so
	// that many processes started together do not poll together; < 0
	// means none, 0 means Interval/10.
	Jitter time.Duration
	// Versions returns a version string per request it knows ("" or no
	// entry: the request's id does not exist), in as few requests as the
	// store allows. An error ends Run with it: the resolver drops the
	// tier's cached answers and runs the poller again after a back-off.
	Versions func(ctx context.Context, reqs []resolver.Request) (map[resolver.Request]string, error)
}

// DefaultPollInterval is a Poller's interval when none is set: at most one
// metadata request per watched id (or per batch of ids) a minute.
const DefaultPollInterval = time.Minute

// Run polls until ctx ends (returning ctx.Err()) or Versions fails. It
// emits resolver.Event{All: true} after its first poll: the versions the
// next polls compare with are then known. A request first watched after
// that (a new cached answer, a new Watcher) gets an event at the first
// poll that sees it: its version when it was read is not known, and it may
// have changed since; that costs one more read of it. A version is kept
// for pollRetain after its request stops being watched, so that an
// answer dropped and read again is compared with it rather than being new
// again.
func (p *Poller) Run(ctx context.Context, watched func() []resolver.Request, emit func(resolver.Event)) error {
	interval := p.Interval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	jitter := p.Jitter
	if jitter == 0 {
		jitter = interval / 10
	}
	retain := max(pollRetain, 10*interval)
	type known struct {
		version string
		seen    time.Time // when it was last watched
	}
	last := map[resolver.Request]known{}
	first := true
	for {
		reqs := dedupeRequests(watched())
		if len(reqs) > 0 || first {
			cur, err := p.Versions(ctx, reqs)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
			now := time.Now()
			for _, req := range reqs {
				v := cur[req]
				old, seen := last[req]
				last[req] = known{version: v, seen: now}
				if !first && (!seen || old.version != v) {
					emit(resolver.Event{Kind: req.Kind, ID: req.ID, Team: req.Team})
				}
			}
			for req, k := range last {
				if now.Sub(k.seen) > retain {
					delete(last, req)
				}
			}
		}
		if first {
			emit(resolver.Event{All: true})
			first = false
		}
		wait := interval
		if jitter > 0 {
			wait += time.Duration(rand.Int64N(int64(2*jitter)+1)) - jitter
		}
		t := time.NewTimer(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// pollRetain is how long a Poller keeps the version of a request no longer
// watched (at least 10 intervals).
const pollRetain = time.Hour

func dedupeRequests(reqs []resolver.Request) []resolver.Request {
	seen := make(map[resolver.Request]bool, len(reqs))
	out := reqs[:0:0]
	for _, r := range reqs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// PollVersions calls version for each of names, at most parallel at a
// time, and returns each name's version: the fan-out of a Poller's
// Versions for a store that reads one secret's metadata a request. The
// first failure cancels the calls still running and is returned.
func PollVersions(ctx context.Context, names []string, parallel int, version func(ctx context.Context, name string) (string, error)) (map[string]string, error) {
	out := make(map[string]string, len(names))
	if len(names) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan string)
	for range min(max(parallel, 1), len(names)) {
		wg.Go(func() {
			for name := range next {
				v, err := version(ctx, name)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				out[name] = v
				mu.Unlock()
			}
		})
	}
feed:
	for _, name := range names {
		select {
		case next <- name:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}
