package awscommon

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// The kwargs of the AWS backends' change polls.
const (
	PollIntervalKey = kit.PollIntervalKey
	PollJitterKey   = kit.PollJitterKey
)

// Poll is how a backend polls its watched ids' version metadata (its
// resolver.ChangeSource).
type Poll struct {
	// Interval between polls: 0 means kit.DefaultPollInterval (a minute);
	// < 0 switches polling off.
	Interval time.Duration
	// Jitter is the most a poll moves earlier or later at random: 0 means
	// Interval/10, < 0 none.
	Jitter time.Duration
}

// parsePoll reads changes_poll_interval_seconds and
// changes_poll_jitter_seconds (kit.ReadPollKwargs).
func parsePoll(kw *config.Kwargs) (Poll, error) {
	o, err := kit.ReadPollKwargs(kw)
	return Poll{Interval: o.Interval, Jitter: o.Jitter}, err
}

// Check returns an error wrapping config.ErrInvalid when the jitter
// exceeds the interval.
func (p Poll) Check() error {
	interval := p.Interval
	if interval == 0 {
		interval = kit.DefaultPollInterval
	}
	if interval > 0 && p.Jitter > interval {
		return fmt.Errorf("%w: the change poll's jitter (%v) exceeds its interval (%v)", config.ErrInvalid, p.Jitter, interval)
	}
	return nil
}

// Poller returns the kit.Poller of p asking versions, or nil when polling
// is off.
func (p Poll) Poller(versions func(ctx context.Context, reqs []resolver.Request) (map[resolver.Request]string, error)) *kit.Poller {
	if p.Interval < 0 {
		return nil
	}
	return &kit.Poller{Interval: p.Interval, Jitter: p.Jitter, Versions: versions}
}

// Changes runs poller as a resolver.ChangeSource's Changes; a nil poller
// (polling off) emits the All event and waits for ctx to end.
func Changes(ctx context.Context, poller *kit.Poller, watched func() []resolver.Request, emit func(resolver.Event)) error {
	if poller == nil {
		emit(resolver.Event{All: true})
		<-ctx.Done()
		return ctx.Err()
	}
	return poller.Run(ctx, watched, emit)
}

// VersionDenied is the version of a name whose metadata the service
// refuses to show (AccessDeniedException for that name alone): a stable
// string, so that the poll neither fails nor reports a change while the
// refusal lasts.
const VersionDenied = "denied"

// VersionFetch returns the version metadata of names (no values): a
// version string per name the store holds; a name absent from the map,
// or "", is not found. An error fails the whole poll.
type VersionFetch func(ctx context.Context, names []string) (map[string]string, error)

// Versions is a kit.Poller's Versions for a backend naming an id as name
// does at places: it fetches, in one call of fetch, the names the lookup
// of each request reads (as Names gives them, without its warnings), and
// gives each request the version of its name; a team's request reads the
// team's name and falls back on the global one, so its version is
// "team:<v1>|global:<v2>" (an event when either changes). A request that
// makes no request (kind off, pattern, team rule, unserved kind) has no
// entry; a request none of whose names exists has "".
func (t Teams) Versions(ctx context.Context, places *kit.Places, reqs []resolver.Request,
	name func(p *kit.Place, id string) string, fetch VersionFetch) (map[resolver.Request]string, error) {
	names := make([][]string, len(reqs))
	var all []string
	seen := map[string]bool{}
	for i, req := range reqs {
		p, ok := places.For(req.Kind)
		if !ok {
			continue
		}
		ns, skip, _ := t.names(p, req, name)
		if skip != "" {
			continue
		}
		names[i] = ns
		for _, n := range ns {
			if !seen[n] {
				seen[n] = true
				all = append(all, n)
			}
		}
	}
	out := make(map[resolver.Request]string, len(reqs))
	if len(all) == 0 {
		return out, nil
	}
	got, err := fetch(ctx, all)
	if err != nil {
		return nil, err
	}
	for i, ns := range names {
		switch len(ns) {
		case 0:
		case 1:
			out[reqs[i]] = got[ns[0]]
		default:
			if team, global := got[ns[0]], got[ns[1]]; team != "" || global != "" {
				out[reqs[i]] = "team:" + strconv.Quote(team) + "|global:" + strconv.Quote(global)
			} else {
				out[reqs[i]] = ""
			}
		}
	}
	return out, nil
}

// EachChunk calls fn for the chunks [lo, hi) of n items, size items a
// chunk, BatchParallel at once, and returns the first error; that error
// cancels the ctx of the calls under way, and chunks not started are
// skipped.
func EachChunk(ctx context.Context, n, size int, fn func(ctx context.Context, lo, hi int) error) error {
	chunks := (n + size - 1) / size
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(BatchParallel, chunks) {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, c*size, min((c+1)*size, n)); err != nil {
					once.Do(func() { first = err })
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		return context.Cause(ctx) // the caller's ctx ended: the chunks may be incomplete
	}
	return first
}
