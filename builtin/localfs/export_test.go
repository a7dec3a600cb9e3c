package localfs

// ChangeTime is changeTime: a file's inode change time, if the system
// reports one.
var ChangeTime = changeTime

// Established returns how many Changes calls have established their
// stream (emitted their first Event{All: true}).
func Established() int64 { return established.Load() }

// SharedWatch reports the process's shared inotify watcher: how many
// instances were created so far, and, for the open one (if any), its
// subscribers and the directories inotify watches (fsnotify's list).
func SharedWatch() (created, subscribers int, dirs []string) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.inst == nil {
		return shared.created, 0, nil
	}
	return shared.created, len(shared.inst.subs), shared.inst.w.WatchList()
}

// HoldDispatch stops the delivery of the shared watcher's events until
// release is called, so that a test can overflow inotify's queue.
func HoldDispatch() (release func()) {
	shared.mu.Lock()
	return shared.mu.Unlock
}
