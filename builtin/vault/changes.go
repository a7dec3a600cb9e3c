package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

var _ resolver.ChangeSource = (*Backend)(nil)

// DefaultPollInterval is how often Changes reads the watched secrets'
// metadata when Options.PollInterval is 0: one request per watched
// secret's path a minute.
const DefaultPollInterval = kit.DefaultPollInterval

// Version strings of one path (see pathVersion).
const (
	versionDenied = "denied" // the metadata read answered 403, after a login again
)

// Changes reports changes of the watched secrets (see Change events in the
// package doc): with KV version 2 it reads the metadata of each watched
// request's paths every PollInterval (± PollJitter) and emits an event for
// each request whose secret's current version changed, was deleted or
// appeared. With KV version 1 (no versions) or a negative PollInterval it
// emits resolver.Event{All: true} and waits for ctx to end. It returns
// ctx.Err() when ctx ends, or the error of a failed poll.
func (b *Backend) Changes(ctx context.Context, watched func() []resolver.Request, emit func(resolver.Event)) error {
	// The resolver handles an event inside emit: once it returns, what
	// was cached before the stream was established has been dropped.
	counted := func(ev resolver.Event) {
		emit(ev)
		if ev.All {
			b.established.Add(1)
		}
	}
	if !b.v2 || b.poller.Interval < 0 {
		counted(resolver.Event{All: true})
		<-ctx.Done()
		return ctx.Err()
	}
	return b.poller.Run(ctx, watched, counted)
}

// pollParallel bounds the metadata reads a poll has in flight.
const pollParallel = 8

// versions is the poller's Versions: for each request, the versions of
// the paths its lookup reads, in the order it reads them, up to the first
// that holds a live version (the lookup stops there too), joined by "|".
// A path is read once per poll, however many requests read it. The reads
// go in rounds, pollParallel at a time: round n reads the n-th path of
// each request whose earlier paths hold no live version (with a single
// path, the default, there is one round).
func (b *Backend) versions(ctx context.Context, reqs []resolver.Request) (map[resolver.Request]string, error) {
	paths := make([][]string, len(reqs)) // each request's metadata paths, in lookup order
	rounds := 0
	for i, req := range reqs {
		paths[i] = b.metadataPaths(req)
		rounds = max(rounds, len(paths[i]))
	}
	parts := make([][]string, len(reqs))
	ended := make([]bool, len(reqs))
	seen := map[string]string{} // metadata path -> version, this poll
	login := new(pollLogin)
	for n := range rounds {
		var todo []string
		queued := map[string]bool{}
		for i, ps := range paths {
			if ended[i] || n >= len(ps) {
				continue
			}
			if _, done := seen[ps[n]]; !done && !queued[ps[n]] {
				queued[ps[n]] = true
				todo = append(todo, ps[n])
			}
		}
		if err := b.readVersions(ctx, todo, seen, login); err != nil {
			return nil, err
		}
		for i, ps := range paths {
			if ended[i] || n >= len(ps) {
				continue
			}
			v := seen[ps[n]]
			parts[i] = append(parts[i], v)
			if v == versionDenied || (v != "" && !strings.HasSuffix(v, "-deleted")) {
				ended[i] = true // the lookup ends at this path too
			}
		}
	}
	out := make(map[resolver.Request]string, len(reqs))
	for i, req := range reqs {
		out[req] = strings.Join(parts[i], "|")
	}
	return out, nil
}

// metadataPaths returns the metadata paths req's lookup may read, in its
// order: none when it makes no request (a kind switched off, an id the
// team guard or a path refuses).
func (b *Backend) metadataPaths(req resolver.Request) []string {
	ps, ok := b.pathsFor(req.Kind)
	if req.Kind == 0 {
		ps, ok = b.paths[0], true
	}
	if !ok {
		return nil
	}
	team, ok := b.teamSegment(req)
	if !ok || b.teamGuard(req) != "" {
		return nil
	}
	var out []string
	for i := range ps {
		path, ok := b.teamPath(&ps[i], req.ID, team)
		if !ok {
			continue
		}
		if meta, ok := b.metadataPath(path); ok {
			out = append(out, meta)
		}
	}
	return out
}

// readVersions reads the version of each path (see pathVersion) into
// seen, pollParallel at a time; the first failure cancels the others and
// is returned.
func (b *Backend) readVersions(ctx context.Context, paths []string, seen map[string]string, login *pollLogin) error {
	got, err := kit.PollVersions(ctx, paths, pollParallel, func(ctx context.Context, path string) (string, error) {
		return b.pathVersion(ctx, path, login)
	})
	maps.Copy(seen, got)
	return err
}

// metadataPath returns the KV v2 metadata path of the data path (without
// /v1/): <mount>/data/<key> is <mount>/metadata/<key>.
func (b *Backend) metadataPath(dataPath string) (string, bool) {
	if !b.mountFromID {
		key, ok := strings.CutPrefix(dataPath, b.mount+"/data/")
		return b.mount + "/metadata/" + key, ok
	}
	mount, rest, _ := strings.Cut(dataPath, "/")
	key, ok := strings.CutPrefix(rest, "data/")
	return mount + "/metadata/" + key, ok
}

// pathVersion reads the metadata at path (GET /v1/<mount>/metadata/<key>,
// never the secret's data) and returns the secret's version: "" when
// there is none (404), "<current_version>@<its created_time>" when that
// version is live, the same with "-deleted" when it is deleted or
// destroyed (a data read answers 404), and versionDenied when Vault
// refuses the read (403) after a login again (see pollLogin; a path
// denied stays denied, without a login at the later polls, until a read
// of it succeeds): the policy may grant read on <mount>/data/ only. Any
// other failure is an error naming the path.
func (b *Backend) pathVersion(ctx context.Context, path string, login *pollLogin) (string, error) {
	ctx, cancel := b.withTimeout(ctx)
	defer cancel()
	st, err := b.sess.current(ctx)
	if err != nil {
		return "", markUnavailable(b.ctxErr(ctx, err))
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer putBuf(buf)
	status, err := b.read(ctx, path, buf)
	_, known := b.deniedPaths.Load(path)
	if status == http.StatusForbidden && b.sess.canLogin() && !known {
		// The token may have expired: log in again, once per poll. Not
		// for a path already denied after a login (the policy's answer),
		// or each poll would log in again for it.
		fresh, aerr := login.again(ctx, b.sess, st)
		switch {
		case aerr == nil && fresh != st:
			buf.Reset()
			status, err = b.read(ctx, path, buf)
		case aerr != nil && !errors.Is(aerr, errSameToken):
			return "", markUnavailable(b.ctxErr(ctx, aerr))
		}
		// fresh == st: this read already had the poll's new token, so
		// the 403 is the policy's answer.
	}
	if status != http.StatusForbidden && known {
		b.deniedPaths.Delete(path) // the policy changed
	}
	switch {
	case status == http.StatusNotFound:
		return "", nil
	case status == http.StatusForbidden:
		b.deniedPaths.Store(path, struct{}{})
		b.deniedOnce.Do(func() {
			b.sess.logger.LogAttrs(ctx, slog.LevelWarn, "vault: reading a secret's metadata is denied: its changes are not seen; grant read on <mount>/metadata/<path>",
				slog.String("backend", Name), slog.String("path", path))
		})
		return versionDenied, nil
	case err != nil:
		return "", markUnavailable(b.ctxErr(ctx, fmt.Errorf("%s: reading the metadata %q: %w", Name, path, err)))
	}
	return metadataVersion(buf.Bytes(), time.Now())
}

// pollLogin is one poll's login again after a metadata read refused with
// 403. Once the poll has a new token, a 403 to a read made with it is the
// policy's answer, not an expired token: without this, each path not yet
// known denied would log in again (sess.current already returns the new
// token, so authenticate sees no stale one), and a policy granting read on
// data/ only would cost one login (a token and its lease) per watched
// path at the first poll.
type pollLogin struct {
	mu   sync.Mutex
	done bool
	st   *authState
	err  error
}

// again returns the token to read again with after failed was refused:
// the first call of the poll logs in again (or takes the token a
// concurrent lookup's login installed); the later ones return its result.
func (p *pollLogin) again(ctx context.Context, s *session, failed *authState) (*authState, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done {
		p.st, p.err = s.authenticate(ctx, failed)
		p.done = true
	}
	return p.st, p.err
}

// metadataVersion returns the version string of a metadata answer (see
// pathVersion): a version whose deletion_time has passed is deleted (a
// delete_version_after sets it in the future).
func metadataVersion(body []byte, now time.Time) (string, error) {
	if !gjson.ValidBytes(body) {
		return "", errors.New("vault: the metadata answer is not JSON")
	}
	cur := gjson.GetBytes(body, "data.current_version")
	if cur.Type != gjson.Number {
		return "", errors.New("vault: the metadata answer has no data.current_version")
	}
	n := strconv.FormatInt(cur.Int(), 10)
	v := gjson.GetBytes(body, "data.versions."+n)
	// The version's created_time tells a secret deleted with its metadata
	// and written again (current_version 1 again) from the one before.
	n += "@" + v.Get("created_time").String()
	if v.Get("destroyed").Bool() {
		return n + "-deleted", nil
	}
	if del := v.Get("deletion_time").String(); del != "" {
		t, err := time.Parse(time.RFC3339Nano, del)
		if err != nil || !t.After(now) {
			return n + "-deleted", nil
		}
	}
	return n, nil
}

// The poll kwargs (see Change events in the package doc).
const (
	pollIntervalKwarg = "changes_poll_interval_seconds"
	pollJitterKwarg   = "changes_poll_jitter_seconds"
)

// pollKwargs reads changes_poll_interval_seconds (seconds > 0, default
// 60; negative: polling off) and changes_poll_jitter_seconds (seconds >=
// 0, default interval/10; 0: none; less than the interval) into o. null
// is the default.
func pollKwargs(kw *config.Kwargs, o *Options) error {
	interval := DefaultPollInterval
	if kw.Has(pollIntervalKwarg) && !kw.IsNull(pollIntervalKwarg) {
		secs, err := kw.Float(pollIntervalKwarg, 0)
		switch {
		case err != nil:
			return err
		case secs < 0:
			o.PollInterval = -1
		case !(secs > 0 && secs <= 1e9): // NaN included
			return kit.KwargError(pollIntervalKwarg, "must be a number of seconds > 0 (or negative: no polling)")
		default:
			o.PollInterval = time.Duration(secs * float64(time.Second))
			interval = o.PollInterval
		}
	} else {
		_, _ = kw.Decode(pollIntervalKwarg, new(any)) // marks null used
	}
	if !kw.Has(pollJitterKwarg) || kw.IsNull(pollJitterKwarg) {
		_, _ = kw.Decode(pollJitterKwarg, new(any))
		return nil
	}
	secs, err := kw.Float(pollJitterKwarg, 0)
	switch {
	case err != nil:
		return err
	case !(secs >= 0 && secs <= 1e9):
		return kit.KwargError(pollJitterKwarg, "must be a number of seconds >= 0")
	case o.PollInterval >= 0 && time.Duration(secs*float64(time.Second)) >= interval:
		return kit.KwargError(pollJitterKwarg, "must be less than "+pollIntervalKwarg)
	case secs == 0:
		o.PollJitter = -1
	default:
		o.PollJitter = time.Duration(secs * float64(time.Second))
	}
	return nil
}
