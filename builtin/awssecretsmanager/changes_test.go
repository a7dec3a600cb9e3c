package awssecretsmanager_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
)

// hang bounds every wait of these tests: a hang detector, not a timing
// assertion.
const hang = 10 * time.Second

const pollEvery = 50 * time.Millisecond

func watch(t *testing.T, w *resolver.Watcher) resolver.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hang)
	defer cancel()
	res, err := w.Watch(ctx)
	require.NoError(t, err, "no answer from the Watcher")
	return res
}

func newResolver(t *testing.T, b resolver.Backend) *resolver.Resolver {
	t.Helper()
	r := resolver.New(resolver.WithBackend("sm", b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// valueFetches counts the requests that read a value.
func valueFetches(f *awsfake.Server) int {
	return f.Count(awsfake.TargetGetSecretValue) + f.Count(awsfake.TargetBatchGetSecretValue)
}

// TestChangesRotation: built from backend_kwargs with a poll every 50 ms,
// a Watcher of a (JSON) connection delivers the secret's new version's
// value, and a cached lookup returns it.
func TestChangesRotation(t *testing.T) {
	f := newFake(t)
	const name = "airflow/connections/db"
	f.PutSecret(name, `{"conn_type": "postgres", "user": "u", "password": "first", "host": "db.example.com"}`)
	b := mustOpen(t, fakeKwargs(f, map[string]any{"changes_poll_interval_seconds": pollEvery.Seconds()}))
	r := newResolver(t, b)
	w := r.Watcher(resolver.Request{Kind: resolver.KindConnection, ID: "db"})
	defer w.Close()
	res := watch(t, w)
	require.NoError(t, res.Err)
	require.Equal(t, "first", res.Conn.Password.Reveal())

	require.NotEmpty(t, f.RotateSecret(name, `{"conn_type": "postgres", "user": "u", "password": "second", "host": "db.example.com"}`))
	res = watch(t, w)
	require.NoError(t, res.Err)
	assert.Equal(t, "second", res.Conn.Password.Reveal(), "the Watcher delivers the new version")
	c, err := r.Connection(t.Context(), "db")
	require.NoError(t, err)
	assert.Equal(t, "second", c.Password.Reveal(), "the cached answer was dropped")
}

// TestChangesPollsMetadataOnly: while nothing changes, polls ask
// DescribeSecret only: after the Watcher's first lookup, N polls read no
// value.
func TestChangesPollsMetadataOnly(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow/variables/v", "value")
	r := newResolver(t, newGo(t, f, awssecretsmanager.Options{ChangesPollInterval: pollEvery}))
	// A lookup starts the stream; its first poll's All event drops what
	// was cached before it: look until a second poll has asked for v.
	require.Eventually(t, func() bool {
		_, err := r.Variable(t.Context(), "v")
		return err == nil && f.Count(awsfake.TargetDescribeSecret) >= 2
	}, hang, time.Millisecond)
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	defer w.Close()
	res := watch(t, w)
	require.NoError(t, res.Err)
	require.Equal(t, "value", res.Value.Reveal())

	fetched := valueFetches(f)
	const polls = 5
	start := f.Count(awsfake.TargetDescribeSecret)
	require.Eventually(t, func() bool { return f.Count(awsfake.TargetDescribeSecret) >= start+polls }, hang, time.Millisecond)
	assert.Equal(t, fetched, valueFetches(f), "no value read by %d polls", polls)
	assert.Subset(t, []string{"airflow/variables/v"}, f.Names(awsfake.TargetDescribeSecret))
}

// TestChangesDeleted: a secret scheduled for deletion (DescribeSecret
// still describes it, with a DeletedDate) is delivered as not found; put
// again, it is delivered again.
func TestChangesDeleted(t *testing.T) {
	f := newFake(t)
	const name = "airflow/variables/v"
	f.PutSecret(name, "one")
	r := newResolver(t, newGo(t, f, awssecretsmanager.Options{ChangesPollInterval: pollEvery}))
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	defer w.Close()
	require.Equal(t, "one", watch(t, w).Value.Reveal())

	require.True(t, f.DeleteSecret(name))
	assert.ErrorIs(t, watch(t, w).Err, resolver.ErrNotFound)

	f.PutSecret(name, "again")
	res := watch(t, w)
	require.NoError(t, res.Err)
	assert.Equal(t, "again", res.Value.Reveal())
}

// TestChangesTeams: with multi_team on, a team's request depends on the
// team's secret and the global one.
func TestChangesTeams(t *testing.T) {
	f := newFake(t)
	const global, team = "airflow/variables/v", "airflow/variables/team_a--v"
	f.PutSecret(global, "global")
	r := newResolver(t, newGo(t, f, awssecretsmanager.Options{ChangesPollInterval: pollEvery, MultiTeam: true}))
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team_a"})
	defer w.Close()
	require.Equal(t, "global", watch(t, w).Value.Reveal())

	f.PutSecret(team, "team's")
	assert.Equal(t, "team's", watch(t, w).Value.Reveal(), "the team's secret appeared")

	f.Remove(team)
	f.RotateSecret(global, "global 2")
	assert.Equal(t, "global 2", watch(t, w).Value.Reveal(), "back to the global secret")
	assert.Subset(t, f.Names(awsfake.TargetDescribeSecret), []string{team, global}, "a poll describes both names")
}

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

func run(t *testing.T, b resolver.ChangeSource, reqs []resolver.Request, rec *recorder) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Changes(ctx, func() []resolver.Request { return reqs }, rec.emit) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		case <-time.After(hang):
			t.Fatal("Changes did not end with its context")
			return nil
		}
	}
}

// syncBuffer is a log sink safe for the poller's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestChangesDenied: DescribeSecret refused for one secret gives it the
// version "denied" (logged once), without failing the stream: another
// secret's rotation is still an event, for it alone; a secret never
// stored makes no event.
func TestChangesDenied(t *testing.T) {
	f := newFake(t)
	for _, id := range []string{"a", "b", "denied"} {
		f.PutSecret("airflow/variables/"+id, "value")
	}
	f.AddFault(awsfake.Fault{Target: awsfake.TargetDescribeSecret, Name: "airflow/variables/denied", Code: "AccessDeniedException",
		Message: "is not authorized to perform: secretsmanager:DescribeSecret"})
	var log syncBuffer
	b := newGo(t, f, awssecretsmanager.Options{ChangesPollInterval: pollEvery, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	var reqs []resolver.Request
	for _, id := range []string{"a", "b", "denied", "missing"} {
		reqs = append(reqs, resolver.Request{Kind: resolver.KindVariable, ID: id})
	}
	rec := &recorder{}
	stop := run(t, b, reqs, rec)
	require.Eventually(t, func() bool { return rec.has(resolver.Event{All: true}) }, hang, time.Millisecond)
	polled := f.Count(awsfake.TargetDescribeSecret)
	require.Eventually(t, func() bool { return f.Count(awsfake.TargetDescribeSecret) >= polled+8 }, hang, time.Millisecond, "two more polls")

	f.RotateSecret("airflow/variables/b", "new")
	want := resolver.Event{Kind: resolver.KindVariable, ID: "b"}
	require.Eventually(t, func() bool { return rec.has(want) }, hang, time.Millisecond)
	require.NoError(t, stop())
	assert.Equal(t, []resolver.Event{{All: true}, want}, rec.all())
	assert.Equal(t, 1, strings.Count(log.String(), "DescribeSecret refused"), log.String())
	assert.Contains(t, log.String(), "airflow/variables/denied")
	assert.Zero(t, valueFetches(f))
}

// TestChangesPollFailure: a poll that fails (throttling or a 5xx after
// the SDK's retries, a refusal of the credentials) ends Changes with an
// error naming the secret; the next call works.
func TestChangesPollFailure(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault awsfake.Fault
		want  string
	}{
		{"throttled", awsfake.Fault{Target: awsfake.TargetDescribeSecret, Code: "ThrottlingException", Message: "Rate exceeded"}, "ThrottlingException"},
		{"InternalServiceError", awsfake.Fault{Target: awsfake.TargetDescribeSecret, Code: "InternalServiceError", Status: 500}, "InternalServiceError"},
		{"credentials", awsfake.Fault{Target: awsfake.TargetDescribeSecret, Code: "UnrecognizedClientException", Status: 403}, "UnrecognizedClientException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.PutSecret("airflow/variables/v", "the-value")
			b := newGo(t, f, awssecretsmanager.Options{ChangesPollInterval: pollEvery})
			reqs := []resolver.Request{{Kind: resolver.KindVariable, ID: "v"}}
			f.AddFault(tt.fault)
			ctx, cancel := context.WithTimeout(t.Context(), hang)
			defer cancel()
			rec := &recorder{}
			err := b.Changes(ctx, func() []resolver.Request { return reqs }, rec.emit)
			require.Error(t, err)
			assert.NoError(t, ctx.Err(), "ended by the failure, not the hang bound")
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), `"airflow/variables/v"`)
			assert.NotContains(t, err.Error(), "the-value")
			assert.Empty(t, rec.all())

			f.ClearFaults()
			stop := run(t, b, reqs, rec)
			require.Eventually(t, func() bool { return rec.has(resolver.Event{All: true}) }, hang, time.Millisecond, "the next call works")
			require.NoError(t, stop())
		})
	}
}

// TestChangesManyIDs: every name is described once a poll, up to 4 at
// once: 45 ids, 45 DescribeSecret requests in the first poll.
func TestChangesManyIDs(t *testing.T) {
	f := newFake(t)
	var reqs []resolver.Request
	for i := range 45 {
		id := fmt.Sprintf("v%02d", i)
		f.PutSecret("airflow/variables/"+id, "value")
		reqs = append(reqs, resolver.Request{Kind: resolver.KindVariable, ID: id})
	}
	b := newGo(t, f, awssecretsmanager.Options{ChangesPollInterval: time.Hour})
	rec := &recorder{}
	stop := run(t, b, reqs, rec)
	require.Eventually(t, func() bool { return rec.has(resolver.Event{All: true}) }, hang, time.Millisecond)
	require.NoError(t, stop())
	assert.Equal(t, 45, f.Count(awsfake.TargetDescribeSecret), "one poll (the next is an hour away)")
	assert.Zero(t, valueFetches(f))
}
