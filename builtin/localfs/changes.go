package localfs

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.ChangeSource = (*Backend)(nil)

// debounce is how long Changes waits after the first event in a watched
// directory before it looks at the files: a rename-over or a ConfigMap
// swap is several events, an editor's save more.
const debounce = 50 * time.Millisecond

// maxChangeEvents is the largest diff Changes reports id by id; a bigger
// one is one Event{All: true}.
const maxChangeEvents = 10_000

// established counts the Changes calls that established their stream, for
// tests: a test changes a file after this, to see the change reported id
// by id rather than folded into the establishing Event{All: true}.
var established atomic.Int64

// Changes reports the changes of the Backend's files (see "Change events"
// in the package doc): it watches the files' directories through the
// process's one inotify instance, emits Event{All: true} once the watches
// are in place, then, after each burst of events in a directory, stats
// the files, re-reads those that changed (whatever the ReloadInterval,
// NeverReload included) and emits one event per id whose value changed,
// appeared or vanished (Team ""), or Event{All: true} when a file became
// unreadable or invalid, became good again, or changed more than 10,000
// ids. It returns ctx.Err() when ctx ends, and an error when events were
// lost (inotify's queue overflowed) or a watched directory was removed or
// renamed; a directory that cannot be watched (missing, or over the
// inotify limits) is an error at once.
//
// A Backend on an fs.FS (Options.FS) cannot be watched: Changes emits
// nothing and returns ctx.Err() when ctx ends; such a Backend's files are
// checked by lookups alone, at most once per ReloadInterval. So is a
// Backend without files. watched is not used: every id of the files is
// watched.
func (b *Backend) Changes(ctx context.Context, _ func() []resolver.Request, emit func(resolver.Event)) error {
	srcs := b.sources()
	if len(srcs) == 0 || srcs[0].fsys != nil {
		<-ctx.Done()
		return ctx.Err()
	}
	var dirs []string
	for _, s := range srcs {
		d, err := filepath.Abs(filepath.Dir(s.path))
		if err != nil {
			return fmt.Errorf("localfs: watching the %s file's directory: %w", s.kind, err)
		}
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	sub, err := shared.subscribe(dirs)
	if err != nil {
		return fmt.Errorf("localfs: %w", err)
	}
	defer shared.unsubscribe(sub)

	// What was read before the watches were in place may predate them.
	base := make([]*snapshot, len(srcs))
	for i, s := range srcs {
		base[i] = s.recheck()
	}
	emit(resolver.Event{All: true})
	established.Add(1)

	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-sub.broken:
			return fmt.Errorf("localfs: change stream of %s: %w", describeFiles(srcs), err)
		case <-sub.notify:
			if fire == nil {
				fire = time.After(debounce)
			}
		case <-fire:
			fire = nil
			for i, s := range srcs {
				snap := s.recheck()
				emitDiff(s.kind, base[i], snap, emit)
				base[i] = snap
			}
		}
	}
}

// sources returns the Backend's configured files.
func (b *Backend) sources() []*source {
	var srcs []*source
	for _, s := range []*source{b.conns, b.vars, b.cfgs} {
		if s != nil {
			srcs = append(srcs, s)
		}
	}
	return srcs
}

// describeFiles names the files, for errors.
func describeFiles(srcs []*source) string {
	var paths []string
	for _, s := range srcs {
		if !slices.Contains(paths, s.path) {
			paths = append(paths, s.path)
		}
	}
	if len(paths) == 1 {
		return paths[0]
	}
	return fmt.Sprint(paths)
}

// emitDiff emits the events that turn old into cur: one per id of kind
// whose value changed, appeared or vanished, or one Event{All: true} when
// either snapshot is an error (lookups fail with it, or failed and now
// answer: every answer of the tier changed) or the diff is huge.
func emitDiff(kind resolver.Kind, old, cur *snapshot, emit func(resolver.Event)) {
	if old == cur {
		return
	}
	if old.err != nil || cur.err != nil {
		if old.err == nil || cur.err == nil || old.err.Error() != cur.err.Error() {
			emit(resolver.Event{All: true})
		}
		return
	}
	ids := diffIDs(kind, old, cur)
	if len(ids) > maxChangeEvents {
		emit(resolver.Event{All: true})
		return
	}
	for _, id := range ids {
		emit(resolver.Event{Kind: kind, ID: id})
	}
}

// diffIDs returns the ids whose value differs between two good snapshots,
// stopping once there are more than maxChangeEvents.
func diffIDs(kind resolver.Kind, old, cur *snapshot) []string {
	var ids []string
	if kind == resolver.KindConnection {
		var e connEntry
		for id, o := range old.conns.all() {
			if !cur.conns.getInto(id, &e) || e.value != o.value || e.conn != o.conn {
				if ids = append(ids, id); len(ids) > maxChangeEvents {
					return ids
				}
			}
		}
		for id := range cur.conns.all() {
			if !old.conns.getInto(id, &e) {
				if ids = append(ids, id); len(ids) > maxChangeEvents {
					return ids
				}
			}
		}
		return ids
	}
	for id, o := range old.values {
		if v, ok := cur.values[id]; !ok || v != o {
			if ids = append(ids, id); len(ids) > maxChangeEvents {
				return ids
			}
		}
	}
	for id := range cur.values {
		if _, ok := old.values[id]; !ok {
			if ids = append(ids, id); len(ids) > maxChangeEvents {
				return ids
			}
		}
	}
	return ids
}
