package localfs

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/fsnotify/fsnotify"
)

// The process's one inotify instance (one fsnotify.Watcher), shared by
// every Backend's Changes: created by the first subscriber, closed with
// the last. Each directory is watched once, however many files and
// Backends need it, and its watch removed when its last subscriber goes.
// Instances are limited per user (fs.inotify.max_user_instances, often
// 128) and so are watches (fs.inotify.max_user_watches): a process with
// many resolvers must not take one instance per Backend.
var shared hub

// hub holds the shared instance.
type hub struct {
	mu      sync.Mutex
	inst    *instance // nil when nobody subscribes
	created int       // instances created, for tests
}

// instance is one fsnotify.Watcher and who uses it.
type instance struct {
	w    *fsnotify.Watcher
	subs map[*subscription]struct{}
	dirs map[string]*dirWatch // by cleaned absolute path, as fsnotify names events
	done chan struct{}        // closed when dispatch returned
}

// dirWatch is one watched directory and its subscribers.
type dirWatch struct {
	path string
	subs map[*subscription]struct{}
}

// subscription is one Changes call's interest in some directories.
type subscription struct {
	inst   *instance
	dirs   []*dirWatch
	notify chan struct{} // capacity 1: something happened in one of the directories
	broken chan error    // capacity 1: the stream broke (overflow, a directory gone, the watcher closed)
}

// errWatcherClosed is a subscription's break when the shared watcher
// closed under it.
var errWatcherClosed = errors.New("inotify watcher closed")

// subscribe watches dirs (cleaned absolute paths, no duplicates) for the
// caller, creating the shared instance if there is none. The caller must
// unsubscribe.
func (h *hub) subscribe(dirs []string) (*subscription, error) {
	h.mu.Lock()
	sub, closeInst, err := h.subscribeLocked(dirs)
	h.mu.Unlock()
	if closeInst != nil {
		closeInst()
	}
	return sub, err
}

// subscribeLocked does subscribe's work under h.mu. On failure it returns
// the closing of an instance nobody else uses, to run without h.mu.
func (h *hub) subscribeLocked(dirs []string) (*subscription, func(), error) {
	if h.inst == nil {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			if errors.Is(err, syscall.EMFILE) {
				return nil, nil, fmt.Errorf("creating an inotify instance (over fs.inotify.max_user_instances?): %w", err)
			}
			return nil, nil, fmt.Errorf("creating an inotify instance: %w", err)
		}
		h.inst = &instance{w: w, subs: map[*subscription]struct{}{}, dirs: map[string]*dirWatch{}, done: make(chan struct{})}
		h.created++
		go h.dispatch(h.inst)
	}
	inst := h.inst
	sub := &subscription{inst: inst, notify: make(chan struct{}, 1), broken: make(chan error, 1)}
	inst.subs[sub] = struct{}{}
	for _, d := range dirs {
		dw := inst.dirs[d]
		if dw == nil {
			if err := inst.w.Add(d); err != nil {
				if errors.Is(err, syscall.ENOSPC) {
					err = fmt.Errorf("over fs.inotify.max_user_watches? %w", err)
				}
				return nil, h.unsubscribeLocked(sub), fmt.Errorf("watching directory %s: %w", d, err)
			}
			dw = &dirWatch{path: d, subs: map[*subscription]struct{}{}}
			inst.dirs[d] = dw
		}
		dw.subs[sub] = struct{}{}
		sub.dirs = append(sub.dirs, dw)
	}
	return sub, nil, nil
}

// unsubscribe ends sub: the directories nobody else watches are no longer
// watched, and the instance is closed when sub was its last user.
func (h *hub) unsubscribe(sub *subscription) {
	h.mu.Lock()
	closeInst := h.unsubscribeLocked(sub)
	h.mu.Unlock()
	if closeInst != nil {
		closeInst()
	}
}

// unsubscribeLocked does unsubscribe's work under h.mu and returns the
// closing of the instance, to run without h.mu, if sub was its last user.
func (h *hub) unsubscribeLocked(sub *subscription) func() {
	inst := sub.inst
	delete(inst.subs, sub)
	for _, dw := range sub.dirs {
		delete(dw.subs, sub)
		if len(dw.subs) == 0 && inst.dirs[dw.path] == dw {
			delete(inst.dirs, dw.path)
			_ = inst.w.Remove(dw.path) // fails when the directory is gone, and its watch with it
		}
	}
	sub.dirs = nil
	if len(inst.subs) > 0 || h.inst != inst {
		return nil
	}
	h.inst = nil
	return func() {
		_ = inst.w.Close()
		<-inst.done
	}
}

// dispatch delivers inst's events to the subscribers of the directory they
// happened in, and its errors (a queue overflow) to every subscriber.
func (h *hub) dispatch(inst *instance) {
	defer close(inst.done)
	for {
		select {
		case ev, ok := <-inst.w.Events:
			if !ok {
				h.fail(inst, errWatcherClosed)
				return
			}
			h.event(inst, ev)
		case err, ok := <-inst.w.Errors:
			if !ok {
				h.fail(inst, errWatcherClosed)
				return
			}
			h.fail(inst, err)
		}
	}
}

// event handles one fsnotify event.
func (h *hub) event(inst *instance, ev fsnotify.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.inst != inst {
		return
	}
	// A watched directory removed or renamed: its watch is gone (the
	// kernel dropped it, or fsnotify did), and what its path names now is
	// unknown. Its subscribers resync, watching the path anew.
	if dw := inst.dirs[ev.Name]; dw != nil && ev.Has(fsnotify.Remove|fsnotify.Rename) {
		delete(inst.dirs, ev.Name)
		for sub := range dw.subs {
			sub.breakWith(fmt.Errorf("directory %s was removed or renamed", ev.Name))
		}
	}
	if dw := inst.dirs[filepath.Dir(ev.Name)]; dw != nil {
		for sub := range dw.subs {
			select {
			case sub.notify <- struct{}{}:
			default: // already told
			}
		}
	}
}

// fail breaks every subscription of inst with err. A queue overflow (or
// another error) means events were lost: every subscriber resyncs, and
// when the last one has left, the next subscriber gets a new instance.
func (h *hub) fail(inst *instance, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.inst != inst {
		return // closed by its last subscriber, or failed already
	}
	if errors.Is(err, errWatcherClosed) {
		h.inst = nil // the next subscriber needs a new one
	}
	for sub := range inst.subs {
		sub.breakWith(err)
	}
}

func (sub *subscription) breakWith(err error) {
	select {
	case sub.broken <- err:
	default: // the first break is enough
	}
}
