package vault_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
)

// hang bounds each wait of these tests: a hang detector, not a timing
// assertion.
const hang = 10 * time.Second

// fastPoll is the kwargs of a backend that polls every 20 ms.
var fastPoll = map[string]any{"changes_poll_interval_seconds": 0.02, "changes_poll_jitter_seconds": 0}

// changes runs b.Changes over watched until the test ends; events
// receives what it emits, done its return.
type changes struct {
	events chan resolver.Event
	done   chan error
	cancel context.CancelFunc
}

func runChanges(t *testing.T, b resolver.ChangeSource, watched ...resolver.Request) *changes {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &changes{events: make(chan resolver.Event, 64), done: make(chan error, 1), cancel: cancel}
	go func() {
		c.done <- b.Changes(ctx, func() []resolver.Request { return watched }, func(ev resolver.Event) { c.events <- ev })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-c.done:
		case <-time.After(hang):
			t.Error("Changes did not return after its ctx ended")
		}
	})
	return c
}

// next returns the next event.
func (c *changes) next(t *testing.T) resolver.Event {
	t.Helper()
	select {
	case ev := <-c.events:
		return ev
	case err := <-c.done:
		t.Fatalf("Changes returned %v", err)
	case <-time.After(hang):
		t.Fatal("no event")
	}
	return resolver.Event{}
}

// end returns what Changes returned by itself.
func (c *changes) end(t *testing.T) error {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err // for the cleanup
		return err
	case <-time.After(hang):
		t.Fatal("Changes did not return")
	}
	return nil
}

// waitCount waits until the fake has seen n requests matching path.
func waitCount(t *testing.T, f *fake, path string, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return f.Count(path) >= n }, hang, time.Millisecond, "%d requests of %s", n, path)
}

func withKw(kw map[string]any, extra map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range kw {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// ev is the event of req.
func ev(req resolver.Request) resolver.Event {
	return resolver.Event{Kind: req.Kind, ID: req.ID, Team: req.Team}
}

// watch returns the Watcher's next answer.
func watch(t *testing.T, w *resolver.Watcher) resolver.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hang)
	defer cancel()
	res, err := w.Watch(ctx)
	require.NoError(t, err)
	return res
}

// TestChangesRotation: a rotated secret reaches a Watcher and the cache,
// through the metadata poll.
func TestChangesRotation(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "connections/db", map[string]any{"conn_uri": "postgres://u:old@h/db"})
	b := mustOpen(t, f.kwargs(fastPoll))
	r := resolver.New(resolver.WithBackend(vault.Name, b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	w := r.Watcher(resolver.Request{ID: "db"})
	t.Cleanup(func() { _ = w.Close() })

	res := watch(t, w)
	require.NoError(t, res.Err)
	require.Equal(t, "old", res.Conn.Password.Reveal())

	f.Put("secret", "connections/db", map[string]any{"conn_uri": "postgres://u:new@h/db"})
	res = watch(t, w)
	require.NoError(t, res.Err)
	assert.Equal(t, "new", res.Conn.Password.Reveal(), "the Watcher delivers the rotated value")
	c, err := r.Connection(t.Context(), "db")
	require.NoError(t, err)
	assert.Equal(t, "new", c.Password.Reveal(), "the cached lookup returns it")
}

// TestChangesPollsMetadataOnly: while nothing changes, polls read the
// metadata and never the data.
func TestChangesPollsMetadataOnly(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/v", map[string]any{"value": "one"})
	b := mustOpen(t, f.kwargs(fastPoll))
	r := resolver.New(resolver.WithBackend(vault.Name, b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	t.Cleanup(func() { _ = w.Close() })
	res := watch(t, w)
	require.NoError(t, res.Err)
	require.Equal(t, "one", res.Value.Reveal())
	// The stream's first event (All: established) makes the Watcher look
	// once more: its first lookups are two reads.
	waitCount(t, f, "secret/data/variables/v", 2)

	reads := f.Count("secret/data/*")
	polls := f.Count("secret/metadata/*")
	const n = 10
	waitCount(t, f, "secret/metadata/variables/v", polls+n)
	assert.Equal(t, reads, f.Count("secret/data/*"), "no value read over %d polls", n)
	assert.Zero(t, f.Count("secret/metadata/*")-f.Count("secret/metadata/variables/v"), "only the watched secret's metadata")
}

// TestChangesDeleted: a deleted secret reaches the Watcher as not found,
// whichever way it is deleted, and a secret put back as found.
func TestChangesDeleted(t *testing.T) {
	tests := []struct {
		name   string
		delete func(f *fake)
	}{
		{name: "soft delete of the current version", delete: func(f *fake) { f.SoftDelete("secret", "variables/v") }},
		{name: "metadata deleted (every version)", delete: func(f *fake) { f.DeleteMetadata("secret", "variables/v") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.Put("secret", "variables/v", map[string]any{"value": "one"})
			b := mustOpen(t, f.kwargs(fastPoll))
			r := resolver.New(resolver.WithBackend(vault.Name, b), resolver.WithCache(time.Hour, 0))
			t.Cleanup(func() { _ = r.Close() })
			w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
			t.Cleanup(func() { _ = w.Close() })
			require.Equal(t, "one", watch(t, w).Value.Reveal())

			tt.delete(f)
			res := watch(t, w)
			assert.ErrorIs(t, res.Err, resolver.ErrNotFound)

			f.Put("secret", "variables/v", map[string]any{"value": "two"})
			res = watch(t, w)
			require.NoError(t, res.Err)
			assert.Equal(t, "two", res.Value.Reveal())
		})
	}
}

// TestChangesEvents: which changes make an event of which request, with
// teams and paths lists.
func TestChangesEvents(t *testing.T) {
	teamConn := resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team_a"}
	conn := resolver.Request{Kind: resolver.KindConnection, ID: "db"}
	tests := []struct {
		name    string
		kw      map[string]any
		cfg     string
		before  map[string]string // path under secret/ -> conn_uri
		watched []resolver.Request
		change  func(f *fake)
		want    resolver.Event
	}{
		{
			name: "a team's secret appearing", cfg: multiTeamOn,
			watched: []resolver.Request{teamConn, conn},
			change:  func(f *fake) { f.Put("secret", "connections/team_a/db", map[string]any{"conn_uri": "a://"}) },
			want:    resolver.Event{Kind: resolver.KindConnection, ID: "db", Team: "team_a"},
		},
		{
			name: "a team's secret rotated", cfg: multiTeamOn,
			before:  map[string]string{"connections/team_a/db": "a://1", "connections/db": "g://"},
			watched: []resolver.Request{conn, teamConn},
			change:  func(f *fake) { f.Put("secret", "connections/team_a/db", map[string]any{"conn_uri": "a://2"}) },
			want:    ev(teamConn),
		},
		{
			name: "use_team_secrets_path false: the team reads the global secret", cfg: multiTeamOn,
			kw:      map[string]any{"use_team_secrets_path": false},
			before:  map[string]string{"connections/db": "g://1"},
			watched: []resolver.Request{teamConn},
			change:  func(f *fake) { f.Put("secret", "connections/db", map[string]any{"conn_uri": "g://2"}) },
			want:    ev(teamConn),
		},
		{
			name:    "paths list: a secret appearing in the first path",
			kw:      map[string]any{"connections_path": []any{"first", "second"}},
			before:  map[string]string{"second/db": "s://"},
			watched: []resolver.Request{conn},
			change:  func(f *fake) { f.Put("secret", "first/db", map[string]any{"conn_uri": "f://"}) },
			want:    ev(conn),
		},
		{
			name:    "paths list: the first path's secret deleted",
			kw:      map[string]any{"connections_path": []any{"first", "second"}},
			before:  map[string]string{"first/db": "f://", "second/db": "s://"},
			watched: []resolver.Request{conn},
			change:  func(f *fake) { f.SoftDelete("secret", "first/db") },
			want:    ev(conn),
		},
		{
			name:    "paths list: the second path rotated while the first is deleted",
			kw:      map[string]any{"connections_path": []any{"first", "second"}},
			before:  map[string]string{"first/db": "f://", "second/db": "s://1"},
			watched: []resolver.Request{conn},
			change: func(f *fake) {
				f.SoftDelete("secret", "first/db")
				f.Put("secret", "second/db", map[string]any{"conn_uri": "s://2"})
			},
			want: ev(conn),
		},
		{
			name:    "mount from the id",
			kw:      map[string]any{"mount_point": nil},
			before:  map[string]string{"connections/db": "m://1"},
			watched: []resolver.Request{{Kind: resolver.KindConnection, ID: "secret/db"}},
			change:  func(f *fake) { f.Put("secret", "connections/db", map[string]any{"conn_uri": "m://2"}) },
			want:    resolver.Event{Kind: resolver.KindConnection, ID: "secret/db"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			for path, uri := range tt.before {
				f.Put("secret", path, map[string]any{"conn_uri": uri})
			}
			b := mustOpenConfig(t, f.kwargs(withKw(fastPoll, tt.kw)), tt.cfg)
			c := runChanges(t, b, tt.watched...)
			require.Equal(t, resolver.Event{All: true}, c.next(t), "established")
			tt.change(f)
			assert.Equal(t, tt.want, c.next(t))
			// Nothing else changed: the next polls are quiet.
			polls := f.Count("secret/metadata/*")
			waitCount(t, f, "secret/metadata/*", polls+3*len(tt.watched))
			select {
			case ev := <-c.events:
				t.Errorf("unexpected event %+v", ev)
			default:
			}
			assert.Zero(t, f.Count("secret/data/*"), "no value read")
		})
	}
}

// TestChangesNoRequest: requests whose lookup makes no request make no
// metadata request either.
func TestChangesNoRequest(t *testing.T) {
	f := newFake(t)
	b := mustOpenConfig(t, f.kwargs(withKw(fastPoll, map[string]any{"variables_path": nil})), multiTeamOn)
	c := runChanges(t, b,
		resolver.Request{Kind: resolver.KindVariable, ID: "off"},                    // kind switched off
		resolver.Request{Kind: resolver.KindConnection, ID: "team_b/x"},             // the team guard
		resolver.Request{Kind: resolver.KindConnection, ID: "x", Team: "a/b"},       // not a path segment
		resolver.Request{Kind: resolver.KindConnection, ID: "../x"},                 // a dot segment
		resolver.Request{Kind: resolver.KindConnection, ID: "here", Team: "team_a"}, // the one read
	)
	require.Equal(t, resolver.Event{All: true}, c.next(t))
	waitCount(t, f, "secret/metadata/*", 3)
	for _, r := range f.reads() {
		assert.Equal(t, "secret/metadata/connections/team_a/here", r)
	}
}

// TestChangesPollFailure: a failed poll ends Changes with an error naming
// the path, marked unavailable; the next call works.
func TestChangesPollFailure(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/v", map[string]any{"value": "one"})
	b := mustOpen(t, f.kwargs(fastPoll))
	req := resolver.Request{Kind: resolver.KindVariable, ID: "v"}
	c := runChanges(t, b, req)
	require.Equal(t, resolver.Event{All: true}, c.next(t))
	f.Fail(vaultfake.Fault{Path: "secret/metadata/variables/v", Status: http.StatusServiceUnavailable, Errors: []string{"Vault is sealed"}, Times: 1})
	err := c.end(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"secret/metadata/variables/v"`)
	assert.Contains(t, err.Error(), "Vault is sealed")
	assert.Equal(t, codes.Unavailable, resolver.Code(err))
	assert.False(t, errors.Is(err, context.Canceled))

	c = runChanges(t, b, req)
	require.Equal(t, resolver.Event{All: true}, c.next(t), "the next call works")
	f.Put("secret", "variables/v", map[string]any{"value": "two"})
	assert.Equal(t, resolver.Event{Kind: resolver.KindVariable, ID: "v"}, c.next(t))
}

// TestChangesDenied: a metadata read refused with 403 is the version
// "denied", not a broken stream: the other ids' changes are still seen,
// and a warning names the path once.
func TestChangesDenied(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/open", map[string]any{"value": "one"})
	f.Put("secret", "variables/closed", map[string]any{"value": "one"})
	tok := f.CreateToken(vaultfake.TokenOptions{Paths: []string{"secret/data/", "secret/metadata/variables/open"}})
	var log logCapture
	b, err := openConfig(t, withKw(f.kwargs(fastPoll), map[string]any{"token": tok}), "", nil, &log)
	require.NoError(t, err)
	open := resolver.Request{Kind: resolver.KindVariable, ID: "open"}
	c := runChanges(t, b, resolver.Request{Kind: resolver.KindVariable, ID: "closed"}, open)
	require.Equal(t, resolver.Event{All: true}, c.next(t))
	f.Put("secret", "variables/closed", map[string]any{"value": "two"})
	f.Put("secret", "variables/open", map[string]any{"value": "two"})
	assert.Equal(t, ev(open), c.next(t), "only the id whose metadata can be read")
	line := log.line("vault: reading a secret's metadata is denied: its changes are not seen; grant read on <mount>/metadata/<path>")
	assert.Contains(t, line, "secret/metadata/variables/closed")
	assert.NotContains(t, log.String(), tok)
}

// TestChangesOff: with KV version 1 or a negative interval, Changes says
// the stream is established and waits, making no request.
func TestChangesOff(t *testing.T) {
	tests := []struct {
		name string
		kw   map[string]any
	}{
		{name: "kv1", kw: map[string]any{"mount_point": "kv1", "kv_engine_version": 1, "changes_poll_interval_seconds": 0.001}},
		{name: "negative interval", kw: map[string]any{"changes_poll_interval_seconds": -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			b := mustOpen(t, f.kwargs(tt.kw))
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			events := make(chan resolver.Event, 4)
			go func() {
				done <- b.Changes(ctx, func() []resolver.Request { return []resolver.Request{varReq("v")} }, func(ev resolver.Event) { events <- ev })
			}()
			select {
			case ev := <-events:
				assert.Equal(t, resolver.Event{All: true}, ev)
			case <-time.After(hang):
				t.Fatal("no event")
			}
			cancel()
			select {
			case err := <-done:
				assert.ErrorIs(t, err, context.Canceled)
			case <-time.After(hang):
				t.Fatal("Changes did not return")
			}
			assert.Empty(t, f.Requests())
		})
	}
}

// TestChangesKwargs: the poll kwargs' values, and errors naming them.
func TestChangesKwargs(t *testing.T) {
	tests := []struct {
		name    string
		kw      map[string]any
		wantErr string // "" = valid
	}{
		{name: "defaults"},
		{name: "null is the default", kw: map[string]any{"changes_poll_interval_seconds": nil, "changes_poll_jitter_seconds": nil}},
		{name: "as strings", kw: map[string]any{"changes_poll_interval_seconds": "30", "changes_poll_jitter_seconds": "1.5"}},
		{name: "off", kw: map[string]any{"changes_poll_interval_seconds": -1}},
		{name: "no jitter", kw: map[string]any{"changes_poll_jitter_seconds": 0}},
		{name: "zero interval", kw: map[string]any{"changes_poll_interval_seconds": 0}, wantErr: `"changes_poll_interval_seconds" must be a number of seconds > 0`},
		{name: "not a number", kw: map[string]any{"changes_poll_interval_seconds": "soon"}, wantErr: `"changes_poll_interval_seconds" must be a number`},
		{name: "negative jitter", kw: map[string]any{"changes_poll_jitter_seconds": -1}, wantErr: `"changes_poll_jitter_seconds" must be a number of seconds >= 0`},
		{name: "jitter as long as the interval", kw: map[string]any{"changes_poll_interval_seconds": 10, "changes_poll_jitter_seconds": 10}, wantErr: `"changes_poll_jitter_seconds" must be less than changes_poll_interval_seconds`},
		{name: "jitter longer than the default interval", kw: map[string]any{"changes_poll_jitter_seconds": 61}, wantErr: `"changes_poll_jitter_seconds" must be less than`},
	}
	f := newFake(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := openKwargs(t, f.kwargs(tt.kw))
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.NoError(t, b.(*vault.Backend).Close())
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

// TestChangesDeniedLogsInOnce: with a login method, metadata paths the
// policy denies (read granted on data/ only) cost one login again per
// poll (the token might have expired), however many paths are watched,
// and none at the later polls: each login creates a token and a lease.
func TestChangesDeniedLogsInOnce(t *testing.T) {
	tests := []struct {
		name    string
		watched int
	}{
		{name: "two paths", watched: 2},
		{name: "forty paths", watched: 40}, // was 41 logins at the first poll
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{Paths: []string{"secret/data/"}})
			f.AddCredential("approle", "role", "right")
			var reqs []resolver.Request
			for i := range tt.watched {
				f.Put("secret", fmt.Sprintf("variables/v%d", i), map[string]any{"value": "one"})
				reqs = append(reqs, varReq(fmt.Sprintf("v%d", i)))
			}
			b := mustOpen(t, f.kwargs(withKw(fastPoll, map[string]any{"auth_type": "approle", "role_id": "role", "secret_id": "right"})))
			c := runChanges(t, b, reqs...)
			require.Equal(t, resolver.Event{All: true}, c.next(t))
			assert.Equal(t, 2, f.Count("auth/approle/login"), "after the first poll: the first login and one login again")
			waitCount(t, f, "secret/metadata/*", 4*tt.watched) // later polls
			assert.Equal(t, 2, f.Count("auth/approle/login"), "no login again at the later polls")
			v, err := b.Lookup(t.Context(), varReq("v0"))
			require.NoError(t, err, "lookups still work")
			assert.Equal(t, "one", v)
		})
	}
}

// TestChangesTokenRevokedMidStream: a poll whose token was revoked logs in
// again once, however many paths it reads, and the stream goes on: the
// metadata reads refused with the old token are read again, not denied.
func TestChangesTokenRevokedMidStream(t *testing.T) {
	f := newFake(t)
	f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{Paths: []string{"secret/data/", "secret/metadata/"}})
	f.AddCredential("approle", "role", "right")
	var reqs []resolver.Request
	for i := range 20 {
		f.Put("secret", fmt.Sprintf("variables/v%d", i), map[string]any{"value": "one"})
		reqs = append(reqs, varReq(fmt.Sprintf("v%d", i)))
	}
	b := mustOpen(t, f.kwargs(withKw(fastPoll, map[string]any{"auth_type": "approle", "role_id": "role", "secret_id": "right"})))
	c := runChanges(t, b, reqs...)
	require.Equal(t, resolver.Event{All: true}, c.next(t))
	require.Equal(t, 1, f.RevokeLoginTokens())
	f.Put("secret", "variables/v7", map[string]any{"value": "two"})
	assert.Equal(t, ev(varReq("v7")), c.next(t), "the change is seen with the new token")
	assert.Equal(t, 2, f.Count("auth/approle/login"), "one login again")
}

// TestChangesPollParallel: a poll has up to 8 metadata reads in flight,
// never more. A loopback proxy in front of the fake holds each read until
// 8 are in flight (or the hang bound passes), and records the most.
func TestChangesPollParallel(t *testing.T) {
	f := newFake(t)
	var reqs []resolver.Request
	for i := range 40 {
		f.Put("secret", fmt.Sprintf("variables/v%d", i), map[string]any{"value": "one"})
		reqs = append(reqs, varReq(fmt.Sprintf("v%d", i)))
	}
	target, err := url.Parse(f.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var (
		mu             sync.Mutex
		inFlight, most int
		fill           sync.Once
	)
	full := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/metadata/") {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			if inFlight == 8 {
				fill.Do(func() { close(full) })
			}
			mu.Unlock()
			select {
			case <-full:
			case <-time.After(hang):
			}
			defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b := mustOpen(t, withKw(f.kwargs(fastPoll), map[string]any{"url": srv.URL}))
	c := runChanges(t, b, reqs...)
	require.Equal(t, resolver.Event{All: true}, c.next(t))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 8, most, "the most metadata reads in flight")
}
