package gcpsecretmanager_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
)

// eventually bounds every wait: a hang detector, not a timing assertion.
const eventually = 10 * time.Second

// pollFast is the poll interval of these tests.
const pollFast = 50 * time.Millisecond

// watchCtx is a context for one Watch, ended by the hang detector.
func watchCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), eventually)
	t.Cleanup(cancel)
	return ctx
}

// newPolling builds the backend against f with fast polls and a resolver
// with a cache over it.
func newPolling(t *testing.T, f *gcpfake.Server, o gcpsecretmanager.Options) (*gcpsecretmanager.Backend, *resolver.Resolver) {
	t.Helper()
	o.ChangesPollInterval = pollFast
	b, _ := newGo(t, f, o)
	r := resolver.New(resolver.WithBackend(gcpsecretmanager.Name, b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	return b, r
}

// polled waits until the fake has answered n more GetSecretVersion
// requests for secret than it had when called.
func polled(t *testing.T, f *gcpfake.Server, secret string, n int) {
	t.Helper()
	want := getVersions(f, secret) + n
	require.Eventually(t, func() bool { return getVersions(f, secret) >= want }, eventually, time.Millisecond)
}

// getVersions counts the GetSecretVersion requests for secret.
func getVersions(f *gcpfake.Server, secret string) int {
	c := 0
	for _, r := range f.RequestsTo(gcpfake.APISecretManager) {
		if r.Route == gcpfake.RouteGetVersion && r.Secret == secret {
			c++
		}
	}
	return c
}

// A new version under "latest" reaches a Watcher and the cache.
func TestChangesRotation(t *testing.T) {
	f := newFake(t)
	const secret = "airflow-connections-db"
	f.PutSecret(secret, "postgres://u:one@db.example/app")
	_, r := newPolling(t, f, gcpsecretmanager.Options{})
	w := r.Watcher(resolver.Request{Kind: resolver.KindConnection, ID: "db"})
	defer w.Close()

	res, err := w.Watch(watchCtx(t))
	require.NoError(t, err)
	require.NoError(t, res.Err)
	require.Equal(t, "one", res.Conn.Password.Reveal())
	// Two polls: the version is known, and the re-read the first poll's
	// "established" event caused is over; the rotation is then seen by a
	// poll alone.
	polled(t, f, secret, 2)

	f.PutSecret(secret, "postgres://u:two@db.example/app")
	res, err = w.Watch(watchCtx(t))
	require.NoError(t, err)
	require.NoError(t, res.Err)
	assert.Equal(t, "two", res.Conn.Password.Reveal())

	c, err := r.Connection(t.Context(), "db")
	require.NoError(t, err)
	assert.Equal(t, "two", c.Password.Reveal(), "the cached answer was dropped")
}

// While nothing changes, polls read metadata only: no payload is fetched
// after the Watcher's first lookup.
func TestChangesPollsMetadataOnly(t *testing.T) {
	f := newFake(t)
	const secret = "airflow-variables-v"
	f.PutSecret(secret, "value")
	f.PutSecret("airflow-variables-warm", "w")
	_, r := newPolling(t, f, gcpsecretmanager.Options{})
	// A cached lookup starts the change stream. Once a poll has read the
	// cached answer's version, the first poll's "established" event (which
	// drops the cache and makes every Watcher look again) is behind us.
	// Looked up again until then: that event may drop it.
	require.Eventually(t, func() bool {
		_, err := r.Variable(t.Context(), "warm")
		require.NoError(t, err)
		return getVersions(f, "airflow-variables-warm") > 0
	}, eventually, time.Millisecond)

	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	defer w.Close()
	res, err := w.Watch(watchCtx(t))
	require.NoError(t, err)
	require.NoError(t, res.Err)
	require.Equal(t, "value", res.Value.Reveal())
	// The first poll that sees the watched id makes it be read once more
	// (kit.Poller: its version when first read is not known).
	before := f.CountRoute(gcpfake.RouteAccess)
	polled(t, f, secret, 1)
	require.Eventually(t, func() bool { return f.CountRoute(gcpfake.RouteAccess) >= before+1 }, eventually, time.Millisecond)
	polled(t, f, secret, 1)
	accesses := f.CountRoute(gcpfake.RouteAccess)

	const polls = 5
	polled(t, f, secret, polls)
	assert.Equal(t, accesses, f.CountRoute(gcpfake.RouteAccess), "polls fetched a payload")
	for _, req := range f.RequestsTo(gcpfake.APISecretManager) {
		if req.Route == gcpfake.RouteGetVersion {
			assert.Equal(t, "latest", req.Version)
			assert.Equal(t, "Bearer "+staticToken, req.Header.Get("Authorization"))
		}
	}
}

// A deleted secret is delivered as not found; a disabled latest version
// is a change too (AccessSecretVersion then refuses it).
func TestChangesDeleteAndDisable(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *gcpfake.Server, secret string)
		check  func(t *testing.T, res resolver.Result)
	}{
		{"deleted", func(f *gcpfake.Server, secret string) { f.DeleteSecret(gcpfake.ProjectID, secret) },
			func(t *testing.T, res resolver.Result) { assert.ErrorIs(t, res.Err, resolver.ErrNotFound) }},
		{"disabled", func(f *gcpfake.Server, secret string) {
			f.SetVersionState(gcpfake.ProjectID, secret, 1, gcpfake.Disabled)
		},
			func(t *testing.T, res resolver.Result) {
				require.Error(t, res.Err)
				assert.Contains(t, res.Err.Error(), "FAILED_PRECONDITION")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			const secret = "airflow-variables-gone"
			f.PutSecret(secret, "here")
			_, r := newPolling(t, f, gcpsecretmanager.Options{})
			w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "gone"})
			defer w.Close()
			res, err := w.Watch(watchCtx(t))
			require.NoError(t, err)
			require.Equal(t, "here", res.Value.Reveal())
			polled(t, f, secret, 2)

			tt.change(f, secret)
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
	f.PutSecret("airflow-variables-v", "global")
	_, r := newPolling(t, f, gcpsecretmanager.Options{MultiTeam: true})
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team_a"})
	defer w.Close()
	res, err := w.Watch(watchCtx(t))
	require.NoError(t, err)
	require.Equal(t, "global", res.Value.Reveal())
	polled(t, f, "airflow-variables-team_a--v", 2)

	f.PutSecret("airflow-variables-team_a--v", "team's own")
	res, err = w.Watch(watchCtx(t))
	require.NoError(t, err)
	assert.Equal(t, "team's own", res.Value.Reveal())
}

// runChanges runs b.Changes on watched until it returns; it returns the
// error and the events seen, and a cancel.
type changesRun struct {
	done   chan error
	cancel context.CancelFunc
	mu     sync.Mutex
	events []resolver.Event
}

func startChanges(t *testing.T, b *gcpsecretmanager.Backend, reqs ...resolver.Request) *changesRun {
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

// A poll that fails (after the retries) ends Changes with an error naming
// the secret, marked unavailable; the next call works.
func TestChangesPollFailure(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow-variables-v", "x")
	b, _ := newGo(t, f, gcpsecretmanager.Options{ChangesPollInterval: pollFast})
	req := resolver.Request{Kind: resolver.KindVariable, ID: "v"}

	f.AddFault(gcpfake.Fault{Route: gcpfake.RouteGetVersion, Status: "UNAVAILABLE", Message: "The service is currently unavailable."})
	err := startChanges(t, b, req).wait(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"airflow-variables-v"`)
	assert.Contains(t, err.Error(), "UNAVAILABLE")
	assert.Equal(t, codes.Unavailable, resolver.Code(err))
	assert.Equal(t, gcpsecretmanager.DefaultMaxAttempts, f.CountRoute(gcpfake.RouteGetVersion), "retried as a lookup is")

	f.ClearFaults()
	run := startChanges(t, b, req)
	require.Eventually(t, run.established, eventually, time.Millisecond)
	polled(t, f, "airflow-variables-v", 2)
	run.cancel()
	assert.ErrorIs(t, run.wait(t), context.Canceled)
}

// PERMISSION_DENIED on the metadata of one secret does not break the
// stream: that secret's version is "denied" (warned of once), the others
// are polled.
func TestChangesPermissionDenied(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow-variables-open", "o")
	f.PutSecret("airflow-variables-closed", "c")
	b, logs := newGo(t, f, gcpsecretmanager.Options{ChangesPollInterval: pollFast})
	f.AddFault(gcpfake.Fault{Route: gcpfake.RouteGetVersion, Secret: "airflow-variables-closed", Status: "PERMISSION_DENIED",
		Message: "Permission 'secretmanager.versions.get' denied for resource 'projects/secretpath-test/secrets/airflow-variables-closed/versions/latest' (or it may not exist)."})
	run := startChanges(t, b,
		resolver.Request{Kind: resolver.KindVariable, ID: "open"},
		resolver.Request{Kind: resolver.KindVariable, ID: "closed"})
	polled(t, f, "airflow-variables-closed", 3)
	polled(t, f, "airflow-variables-open", 1)
	run.cancel()
	assert.ErrorIs(t, run.wait(t), context.Canceled)
	assert.Equal(t, 1, strings.Count(logs.String(), "reading a version's metadata was refused"), logs.String())
	assert.Contains(t, logs.String(), "roles/secretmanager.viewer")
}

// With a negative interval nothing is polled: Changes says its stream is
// established and waits.
func TestChangesPollingOff(t *testing.T) {
	f := newFake(t)
	b, _ := newGo(t, f, gcpsecretmanager.Options{ChangesPollInterval: -1})
	run := startChanges(t, b, resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	require.Eventually(t, run.established, eventually, time.Millisecond)
	run.cancel()
	assert.ErrorIs(t, run.wait(t), context.Canceled)
	assert.Zero(t, f.Count(gcpfake.APISecretManager))
}

// Built from backend_kwargs, the poll kwargs take effect; a bad one is a
// configuration error naming it.
func TestChangesKwargs(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow-variables-v", "one")
	_, err := openKwargs(t, fakeKwargs(f, map[string]any{"changes_poll_interval_seconds": 0}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"changes_poll_interval_seconds"`)

	b := mustOpen(t, fakeKwargs(f, map[string]any{"changes_poll_interval_seconds": 0.05, "changes_poll_jitter_seconds": 0}))
	r := resolver.New(resolver.WithBackend(gcpsecretmanager.Name, b), resolver.WithCache(time.Hour, 0))
	defer r.Close()
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	defer w.Close()
	res, err := w.Watch(watchCtx(t))
	require.NoError(t, err)
	require.Equal(t, "one", res.Value.Reveal())
	polled(t, f, "airflow-variables-v", 2)
	f.PutSecret("airflow-variables-v", "two")
	res, err = w.Watch(watchCtx(t))
	require.NoError(t, err)
	assert.Equal(t, "two", res.Value.Reveal())
}
