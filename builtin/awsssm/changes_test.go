package awsssm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// hang bounds every wait of these tests: a hang detector, not a timing
// assertion.
const hang = 10 * time.Second

const pollEvery = 50 * time.Millisecond

// watch returns the Watcher's next answer, failing the test if none comes
// within the hang bound.
func watch(t *testing.T, w *resolver.Watcher) resolver.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hang)
	defer cancel()
	res, err := w.Watch(ctx)
	require.NoError(t, err, "no answer from the Watcher")
	return res
}

// newResolver is a resolver with b as its only tier and a cache of an
// hour: only change events make it look again.
func newResolver(t *testing.T, b resolver.Backend) *resolver.Resolver {
	t.Helper()
	r := resolver.New(resolver.WithBackend("ssm", b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// TestChangesRotation: built from backend_kwargs with a poll every 50 ms,
// a Watcher of a connection delivers the parameter's new value after a
// rotation (a new version), and a cached lookup returns it.
func TestChangesRotation(t *testing.T) {
	f := newFake(t)
	const name = "/airflow/connections/db"
	f.PutParameter(name, "postgres://u:first@db.example.com/app", awsfake.SecureString)
	b := mustOpen(t, fakeKwargs(f, map[string]any{"changes_poll_interval_seconds": pollEvery.Seconds()}))
	r := newResolver(t, b)
	w := r.Watcher(resolver.Request{Kind: resolver.KindConnection, ID: "db"})
	defer w.Close()

	res := watch(t, w)
	require.NoError(t, res.Err)
	require.Equal(t, "first", res.Conn.Password.Reveal())
	c, err := r.Connection(t.Context(), "db")
	require.NoError(t, err)
	require.Equal(t, "first", c.Password.Reveal())

	require.Equal(t, int64(2), f.RotateParameter(name, "postgres://u:second@db.example.com/app"))
	res = watch(t, w)
	require.NoError(t, res.Err)
	assert.Equal(t, "second", res.Conn.Password.Reveal(), "the Watcher delivers the rotated value")
	c, err = r.Connection(t.Context(), "db")
	require.NoError(t, err)
	assert.Equal(t, "second", c.Password.Reveal(), "the cached answer was dropped")
}

// TestChangesPollsMetadataOnly: while nothing changes, polls ask
// DescribeParameters only: after the Watcher's first lookup, N polls make
// no value fetch, and no poll asks for decryption. (The stream is
// established first, by a lookup: its All event makes every Watcher look
// again, once.)
func TestChangesPollsMetadataOnly(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/variables/v", "value", awsfake.SecureString)
	b := newGo(t, f, awsssm.Options{ChangesPollInterval: pollEvery})
	r := newResolver(t, b)
	// A lookup starts the stream; its first poll's All event drops what
	// was cached before it, so look until a second poll has asked for v
	// (which starts after the first emitted its All event).
	require.Eventually(t, func() bool {
		_, err := r.Variable(t.Context(), "v")
		return err == nil && f.Count(awsfake.TargetDescribeParameters) >= 2
	}, hang, time.Millisecond)

	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	defer w.Close()
	res := watch(t, w)
	require.NoError(t, res.Err)
	require.Equal(t, "value", res.Value.Reveal())

	values := func() int { return f.Count(awsfake.TargetGetParameter) + f.Count(awsfake.TargetGetParameters) }
	fetched := values()
	const polls = 5
	start := f.Count(awsfake.TargetDescribeParameters)
	require.Eventually(t, func() bool { return f.Count(awsfake.TargetDescribeParameters) >= start+polls }, hang, time.Millisecond)
	assert.Equal(t, fetched, values(), "no value fetched by %d polls", polls)
	for _, req := range f.Requests() {
		if req.Target == awsfake.TargetDescribeParameters {
			assert.Equal(t, []string{"/airflow/variables/v"}, req.Names)
			assert.NotContains(t, string(req.Body), "WithDecryption")
		}
	}
}

// TestChangesDeleted: a parameter deleted is delivered as not found; made
// again (version 1 again), it is delivered again.
func TestChangesDeleted(t *testing.T) {
	f := newFake(t)
	const name = "/airflow/variables/v"
	f.PutParameter(name, "one", awsfake.String)
	r := newResolver(t, newGo(t, f, awsssm.Options{ChangesPollInterval: pollEvery}))
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	defer w.Close()
	require.Equal(t, "one", watch(t, w).Value.Reveal())

	f.Remove(name)
	res := watch(t, w)
	assert.ErrorIs(t, res.Err, resolver.ErrNotFound)

	f.PutParameter(name, "again", awsfake.String)
	res = watch(t, w)
	require.NoError(t, res.Err)
	assert.Equal(t, "again", res.Value.Reveal())
}

// TestChangesTeams: with multi_team on, a team's request depends on the
// team's parameter and the global one: the team's parameter appearing,
// then the global one changing (hidden by the team's), then the team's
// going away are each seen.
func TestChangesTeams(t *testing.T) {
	f := newFake(t)
	const global, team = "/airflow/variables/v", "/airflow/variables/team_a--v"
	f.PutParameter(global, "global", awsfake.String)
	r := newResolver(t, newGo(t, f, awsssm.Options{ChangesPollInterval: pollEvery, MultiTeam: true}))
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team_a"})
	defer w.Close()
	require.Equal(t, "global", watch(t, w).Value.Reveal())

	f.PutParameter(team, "team's", awsfake.String)
	assert.Equal(t, "team's", watch(t, w).Value.Reveal(), "the team's parameter appeared")

	f.Remove(team)
	f.RotateParameter(global, "global 2")
	assert.Equal(t, "global 2", watch(t, w).Value.Reveal(), "back to the global parameter")

	var names []string
	for _, req := range f.Requests() {
		if req.Target == awsfake.TargetDescribeParameters {
			names = req.Names
		}
	}
	assert.ElementsMatch(t, []string{team, global}, names, "a poll asks for both names")
}

// recorder collects a source's events.
type recorder struct {
	mu     sync.Mutex
	events []resolver.Event
}

func (r *recorder) emit(ev resolver.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) has(ev resolver.Event) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e == ev {
			return true
		}
	}
	return false
}

func (r *recorder) all() []resolver.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]resolver.Event(nil), r.events...)
}

// run runs b.Changes in the background; stop ends it and returns its
// error.
func run(t *testing.T, b resolver.ChangeSource, reqs []resolver.Request, rec *recorder) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Changes(ctx, func() []resolver.Request { return reqs }, rec.emit) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(hang):
			t.Fatal("Changes did not end with its context")
			return nil
		}
	}
}

// TestChangesBatchesNames: 120 watched ids (and ids no lookup asks for:
// a kind switched off, an id the pattern refuses) are polled with 3
// DescribeParameters requests of at most 50 names, every page read (the
// fake answering 7 parameters a page); a rotation gives one event, for
// its id only.
func TestChangesBatchesNames(t *testing.T) {
	f := newFake(t)
	f.SetDescribePageSize(7)
	var reqs []resolver.Request
	for i := range 120 {
		id := fmt.Sprintf("v%03d", i)
		f.PutParameter("/airflow/variables/"+id, "value", awsfake.String)
		reqs = append(reqs, resolver.Request{Kind: resolver.KindVariable, ID: id})
	}
	reqs = append(reqs,
		resolver.Request{Kind: resolver.KindConfig, ID: "off"},
		resolver.Request{Kind: resolver.KindVariable, ID: "not-v"},
		resolver.Request{Kind: resolver.KindVariable, ID: "v-missing"})
	b := newGo(t, f, awsssm.Options{
		ChangesPollInterval: pollEvery,
		Configs:             awsssm.Kind{Off: true},
		Variables:           awsssm.Kind{LookupPattern: "^v"},
	})
	rec := &recorder{}
	stop := run(t, b, reqs, rec)
	require.Eventually(t, func() bool { return rec.has(resolver.Event{All: true}) }, hang, time.Millisecond)

	f.RotateParameter("/airflow/variables/v042", "new")
	want := resolver.Event{Kind: resolver.KindVariable, ID: "v042"}
	require.Eventually(t, func() bool { return rec.has(want) }, hang, time.Millisecond)
	require.NoError(t, ignoreCanceled(stop()))
	assert.Equal(t, []resolver.Event{{All: true}, want}, rec.all(), "one event, for the rotated id")

	// The first poll (its requests precede the next poll's): 121 names
	// (v-missing included) in requests of 50, 50 and 21 names, read in
	// pages of 7: 8, 8 and 3 requests.
	var first []awsfake.Request
	for _, req := range f.Requests() {
		if req.Target == awsfake.TargetDescribeParameters && len(first) < 19 {
			first = append(first, req)
		}
	}
	sizes := map[int]int{}
	names := map[string]bool{}
	for _, req := range first {
		sizes[len(req.Names)]++
		for _, n := range req.Names {
			names[n] = true
		}
	}
	assert.Equal(t, map[int]int{50: 16, 21: 3}, sizes)
	assert.Len(t, names, 121)
	assert.True(t, names["/airflow/variables/v-missing"])
	assert.False(t, names["/airflow/config/off"], "a kind switched off is not asked for")
	assert.False(t, names["/airflow/variables/not-v"], "nor an id the lookup pattern refuses")
	assert.Zero(t, f.Count(awsfake.TargetGetParameter)+f.Count(awsfake.TargetGetParameters), "no value read")
}

// ignoreCanceled is err, or nil for the context.Canceled that Changes
// returns when stopped.
func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// TestChangesPollFailure: a poll that fails (throttling after the SDK's
// retries) ends Changes with an error naming the parameters; the next
// call works. A refusal of DescribeParameters (the role lacks
// ssm:DescribeParameters, which takes no resource) fails the poll too.
func TestChangesPollFailure(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault awsfake.Fault
		want  string
	}{
		{"throttled", awsfake.Fault{Target: awsfake.TargetDescribeParameters, Code: "ThrottlingException", Message: "Rate exceeded"}, "ThrottlingException"},
		{"5xx", awsfake.Fault{Target: awsfake.TargetDescribeParameters, Code: "InternalServerError", Status: 500}, "InternalServerError"},
		{"denied", awsfake.Fault{Target: awsfake.TargetDescribeParameters, Code: "AccessDeniedException", Message: "not authorized to perform: ssm:DescribeParameters"}, "AccessDeniedException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.PutParameter("/airflow/variables/v", "value", awsfake.String)
			b := newGo(t, f, awsssm.Options{ChangesPollInterval: pollEvery})
			reqs := []resolver.Request{{Kind: resolver.KindVariable, ID: "v"}}
			f.AddFault(tt.fault)
			ctx, cancel := context.WithTimeout(t.Context(), hang)
			defer cancel()
			rec := &recorder{}
			err := b.Changes(ctx, func() []resolver.Request { return reqs }, rec.emit)
			require.Error(t, err)
			assert.NoError(t, ctx.Err(), "ended by the failure, not the hang bound")
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), `"/airflow/variables/v"`)
			assert.NotContains(t, err.Error(), "value")
			assert.Empty(t, rec.all(), "no event before the stream is established")

			f.ClearFaults()
			stop := run(t, b, reqs, rec)
			require.Eventually(t, func() bool { return rec.has(resolver.Event{All: true}) }, hang, time.Millisecond, "the next call works")
			require.ErrorIs(t, stop(), context.Canceled)
		})
	}
}

// TestChangesOff: a negative interval switches polling off: Changes emits
// the All event, asks nothing and returns when ctx ends.
func TestChangesOff(t *testing.T) {
	f := newFake(t)
	b := mustOpen(t, fakeKwargs(f, map[string]any{"changes_poll_interval_seconds": -1})).(resolver.ChangeSource)
	rec := &recorder{}
	stop := run(t, b, []resolver.Request{{Kind: resolver.KindVariable, ID: "v"}}, rec)
	require.Eventually(t, func() bool { return rec.has(resolver.Event{All: true}) }, hang, time.Millisecond)
	require.ErrorIs(t, stop(), context.Canceled)
	assert.Zero(t, f.Count(""))
}

// TestChangesKwargs: the poll kwargs are checked, and their errors name
// them.
func TestChangesKwargs(t *testing.T) {
	f := newFake(t)
	for _, tt := range []struct {
		name string
		kw   map[string]any
		want string // "" = accepted
	}{
		{"interval", map[string]any{"changes_poll_interval_seconds": 300}, ""},
		{"interval as a string", map[string]any{"changes_poll_interval_seconds": "2.5"}, ""},
		{"interval and jitter", map[string]any{"changes_poll_interval_seconds": 10, "changes_poll_jitter_seconds": 10}, ""},
		{"no jitter", map[string]any{"changes_poll_jitter_seconds": 0}, ""},
		{"off", map[string]any{"changes_poll_interval_seconds": -1, "changes_poll_jitter_seconds": 5}, ""},
		{"null", map[string]any{"changes_poll_interval_seconds": nil, "changes_poll_jitter_seconds": nil}, ""},
		{"zero interval", map[string]any{"changes_poll_interval_seconds": 0}, "changes_poll_interval_seconds"},
		{"interval above a day", map[string]any{"changes_poll_interval_seconds": 86401}, "changes_poll_interval_seconds"},
		{"interval not a number", map[string]any{"changes_poll_interval_seconds": "soon"}, "changes_poll_interval_seconds"},
		{"negative jitter", map[string]any{"changes_poll_jitter_seconds": -1}, "changes_poll_jitter_seconds"},
		{"jitter above the interval", map[string]any{"changes_poll_interval_seconds": 10, "changes_poll_jitter_seconds": 11}, "changes_poll_jitter_seconds"},
		{"jitter above the default interval", map[string]any{"changes_poll_jitter_seconds": 61}, "changes_poll_jitter_seconds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openKwargs(t, fakeKwargs(f, tt.kw))
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, errors.Is(err, config.ErrInvalid) || strings.Contains(err.Error(), "backend_kwargs"), err.Error())
		})
	}
	_, err := awsssm.New(awsssm.Options{AWS: aws.Config{Region: awsfake.Region}, ChangesPollInterval: time.Second, ChangesPollJitter: 2 * time.Second})
	assert.ErrorIs(t, err, config.ErrInvalid, "the Go options are checked too")
}
