package azurekeyvault_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
)

// eventually bounds every wait: a hang detector, not a timing assertion.
const eventually = 10 * time.Second

// pollFast is the poll interval of these tests.
const pollFast = 50 * time.Millisecond

func watchCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), eventually)
	t.Cleanup(cancel)
	return ctx
}

// newPolling builds the backend against f with fast polls, and a resolver
// with a cache over it.
func newPolling(t *testing.T, f *azurefake.Server, o azurekeyvault.Options) *resolver.Resolver {
	t.Helper()
	o.ChangesPollInterval = pollFast
	b := newGo(t, f, o)
	r := resolver.New(resolver.WithBackend(azurekeyvault.Name, b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// lists counts the Get Secret Versions requests for secret (first pages:
// the requests without a $skiptoken).
func lists(f *azurefake.Server, secret string) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Kind == azurefake.KindListVersions && strings.EqualFold(r.Name, secret) && r.Query.Get("$skiptoken") == "" && r.Authorized {
			n++
		}
	}
	return n
}

// polled waits until secret's versions have been listed n more times.
func polled(t *testing.T, f *azurefake.Server, secret string, n int) {
	t.Helper()
	want := lists(f, secret) + n
	require.Eventually(t, func() bool { return lists(f, secret) >= want }, eventually, time.Millisecond)
}

// A new version reaches a Watcher and the cache, with the versions listed
// over several pages in an order that is not their age.
func TestChangesRotation(t *testing.T) {
	f := newFake(t)
	f.SetPageSize(2)
	const secret = "airflow-connections-db"
	for _, pw := range []string{"zero", "half", "one"} {
		f.SetSecret(secret, "postgres://u:"+pw+"@db.example/app")
	}
	r := newPolling(t, f, azurekeyvault.Options{})
	w := r.Watcher(resolver.Request{Kind: resolver.KindConnection, ID: "db"})
	defer w.Close()

	res, err := w.Watch(watchCtx(t))
	require.NoError(t, err)
	require.NoError(t, res.Err)
	require.Equal(t, "one", res.Conn.Password.Reveal())
	// Two polls: the versions are known, and the re-read the first poll's
	// "established" event caused is over; the rotation is then seen by a
	// poll alone.
	polled(t, f, secret, 2)

	f.SetSecret(secret, "postgres://u:two@db.example/app")
	res, err = w.Watch(watchCtx(t))
	require.NoError(t, err)
	require.NoError(t, res.Err)
	assert.Equal(t, "two", res.Conn.Password.Reveal())

	c, err := r.Connection(t.Context(), "db")
	require.NoError(t, err)
	assert.Equal(t, "two", c.Password.Reveal(), "the cached answer was dropped")

	pages := 0
	for _, req := range f.Requests() {
		if req.Kind == azurefake.KindListVersions && req.Query.Get("$skiptoken") != "" {
			pages++
		}
	}
	assert.Positive(t, pages, "the next pages were read")
}

// While nothing changes, polls list versions only: no value is fetched
// after the Watcher's first lookup.
func TestChangesPollsMetadataOnly(t *testing.T) {
	f := newFake(t)
	const secret = "airflow-variables-v"
	f.SetSecret(secret, "value")
	f.SetSecret("airflow-variables-warm", "w")
	r := newPolling(t, f, azurekeyvault.Options{})
	// A cached lookup starts the change stream. Once a poll has listed the
	// cached answer's versions, the first poll's "established" event
	// (which drops the cache and makes every Watcher look again) is behind
	// us. Looked up again until then: that event may drop it.
	require.Eventually(t, func() bool {
		_, err := r.Variable(t.Context(), "warm")
		require.NoError(t, err)
		return lists(f, "airflow-variables-warm") > 0
	}, eventually, time.Millisecond)

	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	defer w.Close()
	res, err := w.Watch(watchCtx(t))
	require.NoError(t, err)
	require.NoError(t, res.Err)
	require.Equal(t, "value", res.Value.Reveal())
	// The first poll that sees the watched id makes it be read once more
	// (kit.Poller: its version when first read is not known).
	before := f.Count(azurefake.KindGetSecret)
	polled(t, f, secret, 1)
	require.Eventually(t, func() bool { return f.Count(azurefake.KindGetSecret) >= before+1 }, eventually, time.Millisecond)
	polled(t, f, secret, 1)
	gets := f.Count(azurefake.KindGetSecret)

	const polls = 5
	polled(t, f, secret, polls)
	assert.Equal(t, gets, f.Count(azurefake.KindGetSecret), "polls fetched a value")
}

// A deleted secret is delivered as not found; a disabled new version is a
// change too (GetSecret then answers 403).
func TestChangesDeleteAndDisable(t *testing.T) {
	const secret = "airflow-variables-gone"
	tests := []struct {
		name   string
		change func(f *azurefake.Server)
		check  func(t *testing.T, res resolver.Result)
	}{
		{"deleted", func(f *azurefake.Server) { f.Delete(secret) },
			func(t *testing.T, res resolver.Result) { assert.ErrorIs(t, res.Err, resolver.ErrNotFound) }},
		{"disabled", func(f *azurefake.Server) { f.Put(secret, azurefake.Secret{Value: "off", Disabled: true}) },
			func(t *testing.T, res resolver.Result) { assert.ErrorIs(t, res.Err, resolver.ErrPermissionDenied) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret(secret, "here")
			r := newPolling(t, f, azurekeyvault.Options{})
			w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "gone"})
			defer w.Close()
			res, err := w.Watch(watchCtx(t))
			require.NoError(t, err)
			require.Equal(t, "here", res.Value.Reveal())
			polled(t, f, secret, 2)

			tt.change(f)
			res, err = w.Watch(watchCtx(t))
			require.NoError(t, err)
			tt.check(t, res)
		})
	}
}

// With multi_team on, a team's request follows the team's secret and the
// global one: the team's appearing changes the answer.
func TestChangesTeamSecretAppears(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-variables-v", "global")
	r := newPolling(t, f, azurekeyvault.Options{MultiTeam: true})
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team_a"})
	defer w.Close()
	res, err := w.Watch(watchCtx(t))
	require.NoError(t, err)
	require.Equal(t, "global", res.Value.Reveal())
	polled(t, f, "airflow-variables-team-a--v", 2)

	f.SetSecret("airflow-variables-team-a--v", "team's own")
	res, err = w.Watch(watchCtx(t))
	require.NoError(t, err)
	assert.Equal(t, "team's own", res.Value.Reveal())
}

// changesRun is a call of Changes in a goroutine.
type changesRun struct {
	done   chan error
	cancel context.CancelFunc
	mu     sync.Mutex
	events []resolver.Event
}

func startChanges(t *testing.T, b *azurekeyvault.Backend, reqs ...resolver.Request) *changesRun {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	run := &changesRun{done: make(chan error, 1), cancel: cancel}
	go func() {
		run.done <- b.Changes(ctx, func() []resolver.Request { return reqs }, func(ev resolver.Event) {
			run.mu.Lock()
			defer run.mu.Unlock()
			run.events = append(run.events, ev)
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-run.done:
		case <-time.After(eventually):
			t.Error("Changes did not return after its context ended")
		}
	})
	return run
}

func (run *changesRun) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-run.done:
		run.done <- err // for the cleanup
		return err
	case <-time.After(eventually):
		t.Fatal("Changes did not return")
		return nil
	}
}

func (run *changesRun) established() bool {
	run.mu.Lock()
	defer run.mu.Unlock()
	return len(run.events) > 0 && run.events[0].All
}

// A poll that fails (after the SDK's retries) ends Changes with an error
// naming the secret, marked unavailable; the next call works.
func TestChangesPollFailure(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-variables-v", "x")
	b := newGo(t, f, azurekeyvault.Options{ChangesPollInterval: pollFast})
	req := resolver.Request{Kind: resolver.KindVariable, ID: "v"}

	f.AddFault(azurefake.Fault{Kind: azurefake.KindListVersions, Status: 503, Code: "ServiceUnavailable", Message: "The service is unavailable."})
	err := startChanges(t, b, req).wait(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `secret "airflow-variables-v": listing its versions: HTTP 503`)
	assert.Equal(t, codes.Unavailable, resolver.Code(err))
	assert.Equal(t, 1+int(fastRetries.MaxRetries), lists(f, "airflow-variables-v"), "retried by the SDK")

	f.ClearFaults()
	run := startChanges(t, b, req)
	require.Eventually(t, run.established, eventually, time.Millisecond)
	polled(t, f, "airflow-variables-v", 2)
	run.cancel()
	assert.ErrorIs(t, run.wait(t), context.Canceled)
}

// 403 on one secret's versions does not break the stream: that secret's
// version is "denied" (warned of once), the others are polled; 404 is
// "no version".
func TestChangesPermissionDenied(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-variables-open", "o")
	f.SetSecret("airflow-variables-closed", "c")
	logs := &logBuffer{}
	b := newGo(t, f, azurekeyvault.Options{ChangesPollInterval: pollFast, Logger: logs.logger()})
	f.AddFault(azurefake.Fault{Kind: azurefake.KindListVersions, Name: "airflow-variables-closed", Status: 403, Code: "Forbidden", Inner: "AccessDenied",
		Message: "The user, group or application 'appid=00000000-0000-4000-8000-0000000000cc' does not have secrets list permission on key vault 'fake'."})
	f.AddFault(azurefake.Fault{Kind: azurefake.KindListVersions, Name: "airflow-variables-missing", Status: 404, Code: "SecretNotFound", Message: "A secret with (name/id) airflow-variables-missing was not found in this key vault."})
	run := startChanges(t, b,
		resolver.Request{Kind: resolver.KindVariable, ID: "open"},
		resolver.Request{Kind: resolver.KindVariable, ID: "closed"},
		resolver.Request{Kind: resolver.KindVariable, ID: "missing"})
	polled(t, f, "airflow-variables-closed", 3)
	polled(t, f, "airflow-variables-missing", 1)
	polled(t, f, "airflow-variables-open", 1)
	run.cancel()
	assert.ErrorIs(t, run.wait(t), context.Canceled)
	assert.Equal(t, 1, strings.Count(logs.String(), "listing a secret's versions was refused"), logs.String())
	assert.Contains(t, logs.String(), "secrets list permission")
	assert.NotContains(t, logs.String(), azurefake.ClientSecret)
}

// With a negative interval nothing is polled: Changes says its stream is
// established and waits.
func TestChangesPollingOff(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, azurekeyvault.Options{ChangesPollInterval: -1})
	run := startChanges(t, b, resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	require.Eventually(t, run.established, eventually, time.Millisecond)
	run.cancel()
	assert.ErrorIs(t, run.wait(t), context.Canceled)
	assert.Zero(t, f.Count(azurefake.KindListVersions))
}

// Built from backend_kwargs, the poll kwargs take effect; a bad one is a
// configuration error naming it.
func TestChangesKwargs(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-variables-v", "one")
	_, err := openKwargs(t, fakeKwargs(t, f, map[string]any{"changes_poll_jitter_seconds": -2}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"changes_poll_jitter_seconds"`)

	b := mustOpen(t, fakeKwargs(t, f, map[string]any{"changes_poll_interval_seconds": "0.05"}))
	r := resolver.New(resolver.WithBackend(azurekeyvault.Name, b), resolver.WithCache(time.Hour, 0))
	defer r.Close()
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	defer w.Close()
	res, err := w.Watch(watchCtx(t))
	require.NoError(t, err)
	require.Equal(t, "one", res.Value.Reveal())
	polled(t, f, "airflow-variables-v", 2)
	f.SetSecret("airflow-variables-v", "two")
	res, err = w.Watch(watchCtx(t))
	require.NoError(t, err)
	assert.Equal(t, "two", res.Value.Reveal())
}

// logBuffer collects log output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }
