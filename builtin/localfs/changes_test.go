package localfs_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/resolver"
)

// hang bounds every wait for a change: a hang detector, not a timing
// assertion.
const hang = 10 * time.Second

// replaceFile replaces path as editors do: a temporary file in the same
// directory, renamed over it.
func replaceFile(t testing.TB, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

// watchedResolver returns a resolver with a 1 h cache over b, once b's
// change stream is established (so that a change made after it returns
// is reported id by id).
func watchedResolver(t testing.TB, b *localfs.Backend) *resolver.Resolver {
	t.Helper()
	before := localfs.Established()
	r := resolver.New(resolver.WithBackend("files", b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "-starts-the-stream-"})
	require.Eventually(t, func() bool { return localfs.Established() > before }, hang, time.Millisecond, "the change stream is established")
	require.NoError(t, w.Close())
	return r
}

// waitFor calls w.Watch until got(res) is want.
func waitFor(t testing.TB, w *resolver.Watcher, want string, got func(resolver.Result) string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	for {
		res, err := w.Watch(ctx)
		require.NoError(t, err, "waiting for %q", want)
		if got(res) == want {
			return
		}
	}
}

func host(res resolver.Result) string {
	if res.Err != nil {
		return "error: " + res.Err.Error()
	}
	return res.Conn.Host
}

func value(res resolver.Result) string {
	if res.Err != nil {
		return "error: " + res.Err.Error()
	}
	return res.Value.Reveal()
}

func connsJSON(hosts map[string]string) string {
	var parts []string
	for id, h := range hosts {
		parts = append(parts, fmt.Sprintf("%q: \"postgres://u:p@%s:5432/db\"", id, h))
	}
	slices.Sort(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}

func TestChangesRenameOver(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "conns.json")
	require.NoError(t, os.WriteFile(path, []byte(connsJSON(map[string]string{"a": "a1", "b": "b1"})), 0o600))
	b, err := localfs.New(localfs.Options{ConnectionsFile: path, ReloadInterval: localfs.NeverReload})
	require.NoError(t, err)
	r := watchedResolver(t, b)

	w := r.Watcher(resolver.Request{ID: "a"})
	defer w.Close()
	waitFor(t, w, "a1", host)
	for _, id := range []string{"a", "b"} {
		_, err := r.Connection(ctx, id)
		require.NoError(t, err)
		require.True(t, r.Explain(ctx, resolver.Request{Kind: resolver.KindConnection, ID: id}).Cached, "%s cached", id)
	}

	replaceFile(t, path, connsJSON(map[string]string{"a": "a2", "b": "b1"}))
	waitFor(t, w, "a2", host)
	c, err := r.Connection(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "a2", c.Host, "the cached answer was dropped")
	assert.True(t, r.Explain(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "b"}).Cached, "b did not change: still cached")
}

// The kubelet's layout of a ConfigMap or Secret volume, and its swap.
func TestChangesConfigMapSwap(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	writeData := func(name, h string) {
		require.NoError(t, os.Mkdir(filepath.Join(dir, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name, "conns.json"), []byte(connsJSON(map[string]string{"db": h})), 0o644))
	}
	writeData("..2026_a", "old")
	require.NoError(t, os.Symlink("..2026_a", filepath.Join(dir, "..data")))
	require.NoError(t, os.Symlink("..data/conns.json", filepath.Join(dir, "conns.json")))
	b, err := localfs.New(localfs.Options{ConnectionsFile: filepath.Join(dir, "conns.json"), ReloadInterval: localfs.NeverReload})
	require.NoError(t, err)
	r := watchedResolver(t, b)
	w := r.Watcher(resolver.Request{ID: "db"})
	defer w.Close()
	waitFor(t, w, "old", host)

	writeData("..2026_b", "new")
	require.NoError(t, os.Symlink("..2026_b", filepath.Join(dir, "..data_tmp")))
	require.NoError(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "..2026_a")))

	waitFor(t, w, "new", host)
	c, err := r.Connection(ctx, "db")
	require.NoError(t, err)
	assert.Equal(t, "new", c.Host)
}

// Other ways a file changes: written in place, deleted then re-created.
func TestChangesInPlace(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, path, content string)
	}{
		{"truncate and write", func(t *testing.T, path, content string) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			require.NoError(t, err)
			_, err = f.WriteString(content)
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}},
		{"deleted and re-created", func(t *testing.T, path, content string) {
			require.NoError(t, os.Remove(path))
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vars.json")
			require.NoError(t, os.WriteFile(path, []byte(`{"k": "one"}`), 0o600))
			b, err := localfs.New(localfs.Options{VariablesFile: path, ReloadInterval: localfs.NeverReload})
			require.NoError(t, err)
			r := watchedResolver(t, b)
			w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "k"})
			defer w.Close()
			waitFor(t, w, "one", value)
			tc.change(t, path, `{"k": "second value"}`)
			waitFor(t, w, "second value", value)
			v, err := r.Variable(t.Context(), "k")
			require.NoError(t, err)
			assert.Equal(t, "second value", v.Reveal())
		})
	}
}

// A file rewritten in place with its size and modification time kept (cp
// -p, install -p, rsync --inplace -t, tar with normalised timestamps):
// inotify reports it, and the recheck must tell it changed although its
// size, mtime, mode and inode are the same; the inode change time (ctime)
// tells. Found in review: the cache served the old value for its TTL.
func TestChangesSameSizeSameMtime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vars.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"k": "one"}`), 0o600))
	mtime := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) // SOURCE_DATE_EPOCH-style
	require.NoError(t, os.Chtimes(path, mtime, mtime))
	before, err := os.Stat(path)
	require.NoError(t, err)
	if _, _, ok := localfs.ChangeTime(before); !ok {
		t.Skip("no inode change time on this system: such a rewrite is not seen (documented)")
	}
	b, err := localfs.New(localfs.Options{VariablesFile: path, ReloadInterval: localfs.NeverReload})
	require.NoError(t, err)
	r := watchedResolver(t, b)
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "k"})
	defer w.Close()
	waitFor(t, w, "one", value)

	copyKeepingTimes(t, path, `{"k": "two"}`, before)
	waitFor(t, w, "two", value)
	v, err := r.Variable(t.Context(), "k")
	require.NoError(t, err)
	assert.Equal(t, "two", v.Reveal())
}

// The same rewrite is seen by a lookup that stats the file, without a
// change stream, for a path and through os.DirFS.
func TestReloadSameSizeSameMtime(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(dir string) localfs.Options
	}{
		{"path", func(dir string) localfs.Options {
			return localfs.Options{VariablesFile: filepath.Join(dir, "vars.json")}
		}},
		{"os.DirFS", func(dir string) localfs.Options {
			return localfs.Options{FS: os.DirFS(dir), VariablesFile: "vars.json"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "vars.json")
			require.NoError(t, os.WriteFile(path, []byte(`{"k": "one"}`), 0o600))
			mtime := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			require.NoError(t, os.Chtimes(path, mtime, mtime))
			before, err := os.Stat(path)
			require.NoError(t, err)
			if _, _, ok := localfs.ChangeTime(before); !ok {
				t.Skip("no inode change time on this system: such a rewrite is not seen (documented)")
			}
			opts := tc.opts(dir)
			opts.ReloadInterval = localfs.StatEveryLookup
			b, err := localfs.New(opts)
			require.NoError(t, err)
			req := resolver.Request{Kind: resolver.KindVariable, ID: "k"}
			v, err := b.Lookup(t.Context(), req)
			require.NoError(t, err)
			require.Equal(t, "one", v)

			copyKeepingTimes(t, path, `{"k": "two"}`, before)
			v, err = b.Lookup(t.Context(), req)
			require.NoError(t, err)
			assert.Equal(t, "two", v)
		})
	}
}

// copyKeepingTimes rewrites path in place with content, of the same size,
// and sets its modification time back to old's, as cp -p does. The inode
// change time is the one thing that differs from old: a rewrite within
// the same tick of the filesystem's clock would keep even that, so the
// times are set again until the kernel reports a new change time.
func copyKeepingTimes(t testing.TB, path, content string, old os.FileInfo) {
	t.Helper()
	require.EqualValues(t, old.Size(), len(content), "same size")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	require.NoError(t, err)
	_, err = f.WriteString(content)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	oldSec, oldNsec, _ := localfs.ChangeTime(old)
	deadline := time.Now().Add(hang)
	var info os.FileInfo
	for {
		require.NoError(t, os.Chtimes(path, old.ModTime(), old.ModTime()))
		info, err = os.Stat(path)
		require.NoError(t, err)
		if sec, nsec, _ := localfs.ChangeTime(info); sec != oldSec || nsec != oldNsec {
			break
		}
		require.True(t, time.Now().Before(deadline), "the inode change time never moved")
		time.Sleep(time.Millisecond)
	}
	require.Equal(t, old.Size(), info.Size())
	require.True(t, old.ModTime().Equal(info.ModTime()), "mtime kept")
	require.True(t, os.SameFile(old, info), "same inode")
}

// Every format and kind is watched.
func TestChangesFormats(t *testing.T) {
	for _, tc := range []struct {
		file        string
		kind        resolver.Kind
		before, now string
		got         func(resolver.Result) string
		want        string
	}{
		{"conns.env", resolver.KindConnection, "c=postgres://u:p@one/db\n", "c=postgres://u:p@two/db\n", host, "two"},
		{"vars.yaml", resolver.KindVariable, "c: one\n", "c: two\n", value, "two"},
		{"vars.env", resolver.KindVariable, "c=one\n", "c=two\n", value, "two"},
		{"configs.yml", resolver.KindConfig, "c: one\n", "c: two\n", value, "two"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			require.NoError(t, os.WriteFile(path, []byte(tc.before), 0o600))
			o := localfs.Options{ReloadInterval: localfs.NeverReload}
			switch tc.kind {
			case resolver.KindConnection:
				o.ConnectionsFile = path
			case resolver.KindVariable:
				o.VariablesFile = path
			case resolver.KindConfig:
				o.ConfigsFile = path
			}
			b, err := localfs.New(o)
			require.NoError(t, err)
			r := watchedResolver(t, b)
			w := r.Watcher(resolver.Request{Kind: tc.kind, ID: "c"})
			defer w.Close()
			waitFor(t, w, "one", tc.got)
			replaceFile(t, path, tc.now)
			waitFor(t, w, tc.want, tc.got)
		})
	}
}

// recorder collects a Changes call's events.
type recorder struct {
	mu     sync.Mutex
	events []resolver.Event
}

func (r *recorder) emit(ev resolver.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// take returns the events so far and forgets them.
func (r *recorder) take() []resolver.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.events
	r.events = nil
	return evs
}

// runChanges runs b.Changes until the test ends. wait returns what it
// returned (failing the test after the hang bound).
func runChanges(t *testing.T, b *localfs.Backend, rec *recorder) (cancel context.CancelFunc, wait func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- b.Changes(ctx, nil, rec.emit) }()
	wait = sync.OnceValue(func() error {
		select {
		case err := <-ch:
			return err
		case <-time.After(hang):
			t.Error("Changes did not return")
			return nil
		}
	})
	t.Cleanup(func() {
		cancel()
		_ = wait()
	})
	return cancel, wait
}

// The events emitted for each change: the ids changed, appeared and
// vanished, and Event{All: true} when the file turns bad or good again.
func TestChangesEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vars.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"same": "s", "changed": "1", "vanishes": "v"}`), 0o600))
	b, err := localfs.New(localfs.Options{VariablesFile: path})
	require.NoError(t, err)
	rec := &recorder{}
	runChanges(t, b, rec)
	require.Eventually(t, func() bool { return rec.len() > 0 }, hang, time.Millisecond)
	assert.Equal(t, []resolver.Event{{All: true}}, rec.take(), "established")

	all := []resolver.Event{{All: true}}
	for _, step := range []struct {
		content string
		want    []resolver.Event
	}{
		{`{"same": "s", "changed": "2", "appears": "a"}`, []resolver.Event{
			{Kind: resolver.KindVariable, ID: "changed"}, {Kind: resolver.KindVariable, ID: "vanishes"}, {Kind: resolver.KindVariable, ID: "appears"},
		}},
		{`{"same": "s", "changed": `, all}, // invalid: lookups fail
		{`{"same": "s", "changed": "3"}`, all},
	} {
		replaceFile(t, path, step.content)
		var got []resolver.Event
		require.Eventually(t, func() bool {
			got = append(got, rec.take()...)
			return len(got) >= len(step.want)
		}, hang, time.Millisecond, "events for %s", step.content)
		assert.ElementsMatch(t, step.want, got, "events for %s", step.content)
	}
}

// A Backend on an fs.FS cannot be watched: Changes emits nothing and ends
// with its ctx.
func TestChangesFSNotWatched(t *testing.T) {
	b, err := localfs.New(localfs.Options{FS: fstest.MapFS{"vars.json": {Data: []byte(`{"a": "1"}`)}}, VariablesFile: "vars.json"})
	require.NoError(t, err)
	rec := &recorder{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Changes(ctx, nil, rec.emit) }()
	_, subs, _ := localfs.SharedWatch()
	assert.Zero(t, subs)
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(hang):
		t.Fatal("Changes did not return")
	}
	assert.Empty(t, rec.take())
}

// inotifyInstances counts the process's inotify file descriptors.
func inotifyInstances(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == "anon_inode:inotify" {
			n++
		}
	}
	return n
}

// Two Backends with files in one directory share one inotify instance and
// one watch; the watch goes with the last user, and so does the instance.
func TestChangesSharedInotify(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "conns.json"), filepath.Join(dir, "vars.json"), filepath.Join(other, "vars.json")} {
		require.NoError(t, os.WriteFile(p, []byte(`{}`), 0o600))
	}
	require.Zero(t, inotifyInstances(t), "no instance before")
	created, _, _ := localfs.SharedWatch()

	// One Backend with two files in dir, one with a file in dir and one in other.
	b1, err := localfs.New(localfs.Options{ConnectionsFile: filepath.Join(dir, "conns.json"), VariablesFile: filepath.Join(dir, "vars.json")})
	require.NoError(t, err)
	b2, err := localfs.New(localfs.Options{ConnectionsFile: filepath.Join(dir, "conns.json"), VariablesFile: filepath.Join(other, "vars.json")})
	require.NoError(t, err)
	rec1, rec2 := &recorder{}, &recorder{}
	cancel1, wait1 := runChanges(t, b1, rec1)
	cancel2, wait2 := runChanges(t, b2, rec2)
	require.Eventually(t, func() bool { _, subs, _ := localfs.SharedWatch(); return subs == 2 }, hang, time.Millisecond)

	now, subs, dirs := localfs.SharedWatch()
	assert.Equal(t, created+1, now, "one instance created")
	assert.Equal(t, 2, subs)
	assert.ElementsMatch(t, []string{dir, other}, dirs, "each directory watched once")
	assert.Equal(t, 1, inotifyInstances(t), "one inotify instance in the process")

	cancel2()
	assert.ErrorIs(t, wait2(), context.Canceled)
	_, subs, dirs = localfs.SharedWatch()
	assert.Equal(t, 1, subs)
	assert.Equal(t, []string{dir}, dirs, "other's watch removed with its last user")

	cancel1()
	assert.ErrorIs(t, wait1(), context.Canceled)
	_, subs, dirs = localfs.SharedWatch()
	assert.Zero(t, subs)
	assert.Empty(t, dirs)
	assert.Zero(t, inotifyInstances(t), "the instance is closed with its last user")
}

// A watched directory removed breaks the stream (the resolver resyncs).
func TestChangesDirectoryRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	require.NoError(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "vars.json")
	require.NoError(t, os.WriteFile(path, []byte(`{}`), 0o600))
	b, err := localfs.New(localfs.Options{VariablesFile: path})
	require.NoError(t, err)
	rec := &recorder{}
	_, wait := runChanges(t, b, rec)
	require.Eventually(t, func() bool { return len(rec.take()) > 0 }, hang, time.Millisecond)
	require.NoError(t, os.RemoveAll(dir))
	err = wait()
	assert.ErrorContains(t, err, "removed or renamed")
	assert.ErrorContains(t, err, dir)

	// A directory that does not exist is an error at once.
	err = b.Changes(t.Context(), nil, rec.emit)
	assert.ErrorContains(t, err, dir)
}

// inotify's queue overflowing breaks the stream.
func TestChangesOverflow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vars.json")
	require.NoError(t, os.WriteFile(path, []byte(`{}`), 0o600))
	b, err := localfs.New(localfs.Options{VariablesFile: path})
	require.NoError(t, err)
	rec := &recorder{}
	_, wait := runChanges(t, b, rec)
	require.Eventually(t, func() bool { return len(rec.take()) > 0 }, hang, time.Millisecond)

	overflowInotify(t, dir, func() {})
	err = wait()
	assert.ErrorIs(t, err, fsnotify.ErrEventOverflow)
	assert.ErrorContains(t, err, path)
}

// overflowInotify fills inotify's queue with events in dir, which must be
// watched, while it holds their delivery, then calls then and lets the
// events go.
func overflowInotify(t *testing.T, dir string, then func()) {
	t.Helper()
	limit := 16384
	if data, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events"); err == nil {
		_, _ = fmt.Sscan(string(data), &limit)
	}
	if limit > 1_000_000 {
		t.Skipf("fs.inotify.max_queued_events is %d: too many events to make", limit)
	}
	touched := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}
	for _, p := range touched {
		require.NoError(t, os.WriteFile(p, nil, 0o600))
	}
	release := localfs.HoldDispatch()
	defer release()
	// One event per touch (inotify merges an event with the same one just
	// before it, hence two files); fsnotify holds at most 4096 more.
	for i := range limit + 4096 + 100 {
		ts := time.Unix(int64(i), 0)
		require.NoError(t, os.Chtimes(touched[i%2], ts, ts))
	}
	then()
}

// syncBuffer is a bytes.Buffer for a logger used by several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// After an overflow the resolver resyncs the stream: a change whose event
// was lost is seen. The queue is filled by events in another Backend's
// directory, so that the resolver's Backend hears of nothing but the
// overflow.
func TestChangesResyncAfterOverflow(t *testing.T) {
	floodDir := t.TempDir()
	floodPath := filepath.Join(floodDir, "vars.json")
	require.NoError(t, os.WriteFile(floodPath, []byte(`{}`), 0o600))
	flood, err := localfs.New(localfs.Options{VariablesFile: floodPath})
	require.NoError(t, err)
	rec := &recorder{}
	runChanges(t, flood, rec)
	require.Eventually(t, func() bool { return rec.len() > 0 }, hang, time.Millisecond)

	path := filepath.Join(t.TempDir(), "vars.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"k": "one"}`), 0o600))
	b, err := localfs.New(localfs.Options{VariablesFile: path, ReloadInterval: localfs.NeverReload})
	require.NoError(t, err)
	logs := &syncBuffer{}
	before := localfs.Established()
	r := resolver.New(resolver.WithBackend("files", b), resolver.WithCache(time.Hour, 0),
		resolver.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	defer r.Close()
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "k"})
	defer w.Close()
	waitFor(t, w, "one", value)
	require.Eventually(t, func() bool { return localfs.Established() > before }, hang, time.Millisecond)

	overflowInotify(t, floodDir, func() {
		replaceFile(t, path, `{"k": "two"}`) // its events are lost: the queue is full
	})
	waitFor(t, w, "two", value)
	assert.Contains(t, logs.String(), fsnotify.ErrEventOverflow.Error(), "seen through the stream's break")
}
