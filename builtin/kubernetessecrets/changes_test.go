package kubernetessecrets_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/internal/k8sfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
)

// hang bounds each wait of these tests: a hang detector, not a timing
// assertion.
const hang = 10 * time.Second

const (
	connLabel = kubernetessecrets.DefaultConnectionsLabel
	varLabel  = kubernetessecrets.DefaultVariablesLabel
	cfgLabel  = kubernetessecrets.DefaultConfigLabel
	teamLabel = kubernetessecrets.DefaultTeamLabel
)

// changes runs b.Changes until the test ends; events receives what it
// emits, done its return.
type changes struct {
	events chan resolver.Event
	done   chan error
}

func runChanges(t *testing.T, b resolver.ChangeSource) *changes {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &changes{events: make(chan resolver.Event, 64), done: make(chan error, 1)}
	go func() { c.done <- b.Changes(ctx, nil, func(ev resolver.Event) { c.events <- ev }) }()
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

func (c *changes) next(t *testing.T) resolver.Event {
	t.Helper()
	select {
	case ev := <-c.events:
		return ev
	case err := <-c.done:
		c.done <- err
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
		c.done <- err
		return err
	case <-time.After(hang):
		t.Fatal("Changes did not return")
	}
	return nil
}

// quiet checks that no event is pending.
func (c *changes) quiet(t *testing.T) {
	t.Helper()
	select {
	case ev := <-c.events:
		t.Errorf("unexpected event %+v", ev)
	default:
	}
}

// waitWatches waits until n watch streams are open.
func waitWatches(t *testing.T, f *k8sfake.Server, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return f.OpenWatches() == n }, hang, time.Millisecond, "%d open watches", n)
}

// lists counts the change stream's lists (of every secret carrying a
// label: not the lookups' selectors); watches returns its watches.
func lists(f *k8sfake.Server) (n int) {
	for _, r := range f.Requests() {
		if !r.Watch && (r.LabelSelector == connLabel || r.LabelSelector == varLabel || r.LabelSelector == cfgLabel) {
			n++
		}
	}
	return n
}

func watches(f *k8sfake.Server) []k8sfake.Request {
	var out []k8sfake.Request
	for _, r := range f.Requests() {
		if r.Watch {
			out = append(out, r)
		}
	}
	return out
}

// varsOnly are kwargs that look variables up alone: one list, one watch.
var varsOnly = map[string]any{"connections_label": nil, "config_label": nil}

func varEvent(id string) resolver.Event {
	return resolver.Event{Kind: resolver.KindVariable, ID: id}
}

func watchNext(t *testing.T, w *resolver.Watcher) resolver.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hang)
	defer cancel()
	res, err := w.Watch(ctx)
	require.NoError(t, err)
	return res
}

// TestChangesRotation: a rotated secret reaches a Watcher and the cache
// through the watch.
func TestChangesRotation(t *testing.T) {
	p := newPod(t)
	p.fake.Put(secret("db", map[string]string{connLabel: "db"}, "postgres://u:old@h/db"))
	b := mustOpen(t, p.kwargs(nil), "")
	r := resolver.New(resolver.WithBackend(kubernetessecrets.Name, b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	w := r.Watcher(resolver.Request{ID: "db"})
	t.Cleanup(func() { _ = w.Close() })
	res := watchNext(t, w)
	require.NoError(t, res.Err)
	require.Equal(t, "old", res.Conn.Password.Reveal())
	waitWatches(t, p.fake, 3) // connections, variables, configs

	p.fake.Put(secret("db", map[string]string{connLabel: "db"}, "postgres://u:new@h/db"))
	res = watchNext(t, w)
	require.NoError(t, res.Err)
	assert.Equal(t, "new", res.Conn.Password.Reveal(), "the Watcher delivers the rotated value")
	c, err := r.Connection(t.Context(), "db")
	require.NoError(t, err)
	assert.Equal(t, "new", c.Password.Reveal(), "the cached lookup returns it")
}

// TestChangesEvents: which secret changes make which events.
func TestChangesEvents(t *testing.T) {
	tests := []struct {
		name   string
		cfg    string
		kw     map[string]any
		before []k8sfake.Secret
		change func(f *k8sfake.Server)
		want   []resolver.Event
	}{
		{
			name:   "a new variable",
			change: func(f *k8sfake.Server) { f.Put(secret("s", map[string]string{varLabel: "v"}, "1")) },
			want:   []resolver.Event{varEvent("v")},
		},
		{
			name:   "a variable updated",
			before: []k8sfake.Secret{secret("s", map[string]string{varLabel: "v"}, "1")},
			change: func(f *k8sfake.Server) { f.Put(secret("s", map[string]string{varLabel: "v"}, "2")) },
			want:   []resolver.Event{varEvent("v")},
		},
		{
			name:   "a variable deleted",
			before: []k8sfake.Secret{secret("s", map[string]string{varLabel: "v"}, "1")},
			change: func(f *k8sfake.Server) { f.Delete(namespace, "s") },
			want:   []resolver.Event{varEvent("v")},
		},
		{
			name:   "a label value changed: the old id and the new",
			before: []k8sfake.Secret{secret("s", map[string]string{varLabel: "old"}, "1")},
			change: func(f *k8sfake.Server) { f.Put(secret("s", map[string]string{varLabel: "new"}, "1")) },
			want:   []resolver.Event{varEvent("old"), varEvent("new")},
		},
		{
			name:   "the label removed: the id lost its secret",
			before: []k8sfake.Secret{secret("s", map[string]string{varLabel: "v"}, "1")},
			change: func(f *k8sfake.Server) { f.Put(secret("s", map[string]string{"other": "x"}, "1")) },
			want:   []resolver.Event{varEvent("v")},
		},
		{
			name:   "a secret without the label: no event",
			change: func(f *k8sfake.Server) { f.Put(secret("s", map[string]string{"app": "web"}, "1")) },
		},
		{
			name: "a team's secret appearing, multi_team on", cfg: multiTeam,
			change: func(f *k8sfake.Server) {
				f.Put(secret("s", map[string]string{varLabel: "v", teamLabel: "team_a"}, "1"))
			},
			want: []resolver.Event{{Kind: resolver.KindVariable, ID: "v", Team: "team_a"}},
		},
		{
			name: "a secret given a team: the global id and the team's", cfg: multiTeam,
			before: []k8sfake.Secret{secret("s", map[string]string{varLabel: "v"}, "1")},
			change: func(f *k8sfake.Server) {
				f.Put(secret("s", map[string]string{varLabel: "v", teamLabel: "team_a"}, "1"))
			},
			want: []resolver.Event{varEvent("v"), {Kind: resolver.KindVariable, ID: "v", Team: "team_a"}},
		},
		{
			name: "the team label with multi_team off: a global event",
			change: func(f *k8sfake.Server) {
				f.Put(secret("s", map[string]string{varLabel: "v", teamLabel: "team_a"}, "1"))
			},
			want: []resolver.Event{varEvent("v")},
		},
		{
			name: "a config has no team", cfg: multiTeam, kw: map[string]any{"variables_label": nil, "config_label": cfgLabel},
			change: func(f *k8sfake.Server) {
				f.Put(secret("s", map[string]string{cfgLabel: "c", teamLabel: "team_a"}, "1"))
			},
			want: []resolver.Event{{Kind: resolver.KindConfig, ID: "c"}},
		},
		{
			name: "another namespace: no event",
			change: func(f *k8sfake.Server) {
				f.Put(k8sfake.Secret{Namespace: "other", Name: "s", Labels: map[string]string{varLabel: "v"}})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			for _, s := range tt.before {
				p.fake.Put(s)
			}
			kw := map[string]any{"connections_label": nil, "config_label": nil}
			for k, v := range tt.kw {
				kw[k] = v
			}
			b := mustOpen(t, p.kwargs(kw), tt.cfg)
			c := runChanges(t, b)
			require.Equal(t, resolver.Event{All: true}, c.next(t), "established")
			waitWatches(t, p.fake, 1)
			tt.change(p.fake)
			for _, want := range tt.want {
				assert.Equal(t, want, c.next(t))
			}
			// A marker change shows every event of the change came.
			p.fake.Put(secret("marker", map[string]string{varLabel: "marker", cfgLabel: "marker"}, "1"))
			marker := c.next(t)
			assert.Equal(t, "marker", marker.ID, "no other event before the marker's")
			for _, r := range p.fake.Requests() {
				assert.True(t, r.MetadataOnly, "%s asked for metadata only (watch %v)", r.Path, r.Watch)
			}
		})
	}
}

// TestChangesGone: a 410 Gone, on an open stream or when a watch is
// re-opened, as an ERROR event or an HTTP status, makes a new list and an
// All event without ending Changes, and a change made between the 410 and
// the new list is delivered (through the All event to a Watcher); the
// watch then goes on from the new list's resourceVersion.
func TestChangesGone(t *testing.T) {
	tests := []struct {
		name    string
		asEvent bool
		force   func(f *k8sfake.Server) int
	}{
		{name: "ERROR event on the open stream", force: (*k8sfake.Server).ExpireWatches},
		{name: "HTTP 410 when the closed stream is re-opened", force: func(f *k8sfake.Server) int {
			f.Compact()
			return f.CloseWatches()
		}},
		{name: "ERROR event when the closed stream is re-opened", asEvent: true, force: func(f *k8sfake.Server) int {
			f.Compact()
			return f.CloseWatches()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			p.fake.GoneAsEvent(tt.asEvent)
			p.fake.Put(secret("s", map[string]string{varLabel: "v"}, "one"))
			b := mustOpen(t, p.kwargs(varsOnly), "")
			r := resolver.New(resolver.WithBackend(kubernetessecrets.Name, b), resolver.WithCache(time.Hour, 0))
			t.Cleanup(func() { _ = r.Close() })
			w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "v"})
			t.Cleanup(func() { _ = w.Close() })
			require.Equal(t, "one", watchNext(t, w).Value.Reveal())
			waitWatches(t, p.fake, 1)
			listed := lists(p.fake)

			release := p.fake.HoldLists()
			t.Cleanup(release)
			require.Equal(t, 1, tt.force(p.fake))
			// The stream lists again; while that list waits, the secret
			// changes: the change is in no watch the client sees.
			require.Eventually(t, func() bool { return lists(p.fake) > listed }, hang, time.Millisecond, "a new list")
			p.fake.Put(secret("s", map[string]string{varLabel: "v"}, "two"))
			release()
			res := watchNext(t, w)
			require.NoError(t, res.Err)
			assert.Equal(t, "two", res.Value.Reveal(), "the change made between the 410 and the list")

			waitWatches(t, p.fake, 1)
			ws := watches(p.fake)
			assert.Equal(t, strconv.FormatInt(p.fake.ResourceVersion(), 10), ws[len(ws)-1].ResourceVersion, "watching from the new list's resourceVersion")
			p.fake.Put(secret("s", map[string]string{varLabel: "v"}, "three"))
			assert.Equal(t, "three", watchNext(t, w).Value.Reveal(), "the stream goes on")
		})
	}
}

// TestChangesGoneNoError: a 410 does not end Changes: it emits All and
// goes on.
func TestChangesGoneNoError(t *testing.T) {
	p := newPod(t)
	b := mustOpen(t, p.kwargs(varsOnly), "")
	c := runChanges(t, b)
	require.Equal(t, resolver.Event{All: true}, c.next(t))
	waitWatches(t, p.fake, 1)
	require.Equal(t, 1, p.fake.ExpireWatches())
	assert.Equal(t, resolver.Event{All: true}, c.next(t), "relisted")
	waitWatches(t, p.fake, 1)
	p.fake.Put(secret("s", map[string]string{varLabel: "v"}, "1"))
	assert.Equal(t, varEvent("v"), c.next(t))
}

// TestChangesStreamClosed: a watch the server ends is re-opened from the
// last resourceVersion seen (an event's or a bookmark's), without a new
// list, and the changes made while it was closed are delivered.
func TestChangesStreamClosed(t *testing.T) {
	p := newPod(t)
	b := mustOpen(t, p.kwargs(varsOnly), "")
	c := runChanges(t, b)
	require.Equal(t, resolver.Event{All: true}, c.next(t))
	waitWatches(t, p.fake, 1)
	p.fake.Put(secret("s", map[string]string{varLabel: "v"}, "1"))
	require.Equal(t, varEvent("v"), c.next(t))
	seen := p.fake.ResourceVersion()

	release := p.fake.HoldLists() // a new list would hang: there must be none
	t.Cleanup(release)
	require.Equal(t, 1, p.fake.CloseWatches())
	p.fake.Put(secret("s2", map[string]string{varLabel: "while-closed"}, "1"))
	assert.Equal(t, varEvent("while-closed"), c.next(t), "delivered after the re-open")
	ws := watches(p.fake)
	require.Len(t, ws, 2)
	assert.Equal(t, strconv.FormatInt(seen, 10), ws[1].ResourceVersion, "re-opened from the last event's resourceVersion")

	// A bookmark moves the resourceVersion on without an event.
	waitWatches(t, p.fake, 1)
	p.fake.Put(k8sfake.Secret{Namespace: namespace, Name: "unlabelled"})
	p.fake.Bookmark()
	bookmark := p.fake.ResourceVersion()
	require.Eventually(t, func() bool { return p.fake.CloseWatches() == 1 }, hang, time.Millisecond)
	require.Eventually(t, func() bool { return len(watches(p.fake)) == 3 }, hang, time.Millisecond)
	assert.Equal(t, strconv.FormatInt(bookmark, 10), watches(p.fake)[2].ResourceVersion, "re-opened from the bookmark's resourceVersion")
	c.quiet(t)
	assert.Equal(t, 1, lists(p.fake), "no new list")
}

// TestChangesFailure: a failure ends Changes with an error naming what it
// watches, with the lookups' codes; the next call works.
func TestChangesFailure(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   codes.Code
	}{
		{name: "forbidden", status: http.StatusForbidden, want: codes.PermissionDenied},
		{name: "unavailable", status: http.StatusServiceUnavailable, want: codes.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			b := mustOpen(t, p.kwargs(varsOnly), "")
			c := runChanges(t, b)
			require.Equal(t, resolver.Event{All: true}, c.next(t))
			waitWatches(t, p.fake, 1)
			p.fake.Fault(func(w http.ResponseWriter, _ *http.Request) {
				k8sfake.WriteStatus(w, tt.status, http.StatusText(tt.status), "injected")
			})
			p.fake.CloseWatches() // the re-open meets the fault
			err := c.end(t)
			require.Error(t, err)
			assert.Contains(t, err.Error(), `watching secrets in namespace "airflow" with label selector "`+varLabel+`"`)
			assert.Equal(t, tt.want, resolver.Code(err))
			assert.NotContains(t, err.Error(), saToken)

			c = runChanges(t, b)
			require.Equal(t, resolver.Event{All: true}, c.next(t), "the next call works")
		})
	}
}

// TestChangesOff: with every kind switched off, Changes says the stream is
// established and waits, making no request.
func TestChangesOff(t *testing.T) {
	p := newPod(t)
	b := mustOpen(t, p.kwargs(map[string]any{"connections_label": nil, "variables_label": nil, "config_label": nil}), "")
	c := runChanges(t, b)
	require.Equal(t, resolver.Event{All: true}, c.next(t))
	assert.Zero(t, p.fake.Count())
}
