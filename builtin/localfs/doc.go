// Package localfs is the local files backend: Airflow's
// LocalFilesystemBackend (airflow.secrets.local_filesystem), reading
// connections, variables and configs from .env, JSON and YAML files.
//
// Importing the package registers it as "localfs" (alias
// airflow.secrets.local_filesystem.LocalFilesystemBackend), with the
// backend_kwargs connections_file_path, variables_file_path and
// configs_file_path (null or "" switch a kind off) and our
// reload_interval_seconds (default 1; 0 stats the files on every lookup, a
// negative number reads them once). Other keys are errors. In Go:
//
//	b, err := localfs.New(localfs.Options{
//		ConnectionsFile: "/etc/airflow/connections.yaml",
//		VariablesFile:   "/etc/airflow/variables.env",
//		// ReloadInterval 0: DefaultReloadInterval
//	})
//
// # Files
//
// The format follows the extension, compared lower-cased: .env, .json,
// .yaml or .yml. A .env file holds KEY=value lines, split at the first '=',
// kept exactly as written (no trimming, no unquoting); empty lines and lines
// starting with optional whitespace and '#' are skipped; a repeated key
// holds several values. A JSON or YAML file holds one object (mapping)
// whose keys are the ids.
//
// A connection is a string (a URI, or Airflow's JSON form when it starts
// with '{'), an object of Connection fields (conn_id, conn_type,
// description, host, login, password, schema, port, extra, uri, team_name,
// or extra_dejson instead of extra), or a list of one of those. As in
// Airflow, an object's conn_type is kept as written (Connection(**fields)
// does not turn "postgresql" into "postgres"; a URI or the JSON form in a
// string does). A variable
// or a config is a string, taken as is, or any other value, returned as
// compact JSON; null means absent. A config given as a list must have
// exactly one element.
//
// # Errors
//
// Every problem in a file is reported, each as "path:line: message" with a
// 1-based line, in one [*ParseError]. Airflow numbers YAML lines from 0
// (PyYAML's marks); we number every format from 1. Messages never contain
// a value from the file. A missing or unreadable file is an error that
// wraps the fs error (fs.ErrNotExist for a missing one), not
// resolver.ErrNotFound: the resolver logs it and goes on, as Airflow does
// with FileNotFoundError. An id the file does not define is
// resolver.ErrNotFound.
//
// # Reloading
//
// Airflow reads and parses the file on every lookup. This backend parses a
// file once and keeps the result; a lookup stats the file at most once per
// Options.ReloadInterval (DefaultReloadInterval, 1 s, when it is 0) and
// re-reads it when its size, modification time, mode or (for OS files)
// device, inode and inode change time (ctime) changed. Two special values
// change that: [StatEveryLookup] stats the file on every lookup, so an edit
// is seen by the next lookup, as in Airflow, for one stat per lookup;
// [NeverReload] reads each file once and never looks at it again. The
// inode change time is set by the kernel on every write and cannot be set
// back, so a file rewritten in place with its size and modification time
// kept (cp -p, install -p, rsync --inplace -t, tar with fixed timestamps)
// is seen on Linux, the BSDs, macOS and Solaris. Elsewhere (Windows), and
// for files of an fs.FS other than os.DirFS, such a rewrite is not seen;
// nor, anywhere, are two same-size writes within one tick of the
// filesystem's clock. A file that turns bad
// after a good load makes lookups fail with its error rather than serve the
// old contents. Under a resolver with a cache or a Watcher, changes are
// also seen as they happen (see Change events).
//
// # Change events
//
// A Backend is a [resolver.ChangeSource]: while a resolver has a cache or
// a [resolver.Watcher], it runs [Backend.Changes], which watches the files
// through inotify and reports which ids changed, so a cached answer is dropped
// when its file changes rather than when its TTL ends, and a Watcher sees
// the new value.
//
// What is watched is the directory of each file, not the file: an editor
// saves by writing a temporary file and renaming it over the old one, and
// a Kubernetes ConfigMap or Secret volume is updated by pointing its
// "..data" symlink at a new timestamped directory (the file name is a
// symlink through "..data", whose directory entry never changes), so a
// watch on the file's inode would miss both. After the first event in a
// watched directory, Changes waits 50 ms for the rest of the burst, then
// stats each file and, if its size, modification time, mode, device,
// inode or inode change time changed, re-reads it at once, whatever the ReloadInterval
// (NeverReload included: a watched Backend does not serve a file it knows
// changed). It compares the new contents with the last ones it reported
// and emits one event per id whose value changed, appeared or vanished. A
// file that becomes unreadable or invalid (or valid again), or a change of
// more than 10,000 ids, is one Event{All: true}: the tier's every cached
// answer is dropped, and since lookups of a bad file fail, the resolver
// then goes on to later tiers, as it does without a cache. Measured on
// Linux, a rename is seen by a Watcher in another process about 52 ms
// later, 50 of them the debounce.
//
// A process has one inotify instance for every Backend and every
// resolver: the first Changes call creates it, the last one to return
// closes it, and a directory holding several watched files (of one Backend
// or of several) is watched once, its watch removed when its last user
// leaves. Linux limits inotify per user: fs.inotify.max_user_instances
// (often 128) and fs.inotify.max_user_watches (one per directory here);
// hitting either makes Changes fail with an error naming the limit, and
// the resolver retries it with back-off (1 s to 1 min) while lookups go on
// checking the files every ReloadInterval. When the kernel's event queue
// overflows (fs.inotify.max_queued_events), or a watched directory is
// removed or renamed, events were lost: Changes returns an error, the
// resolver drops every cached answer of the tier and calls Changes again,
// which re-reads the files and emits Event{All: true}. A directory that
// does not exist is such an error too, until it does.
//
// Elsewhere than Linux, fsnotify's other backends (kqueue, FEN, Windows)
// are used; they build, but are not tested here, and kqueue takes a file
// descriptor per file of a watched directory.
//
// A Backend on an fs.FS (Options.FS) cannot be watched, not even one from
// os.DirFS: its Changes reports nothing and returns when its context ends;
// its files are seen to change by lookups alone, every ReloadInterval.
//
// # Deliberate differences from Airflow
//
//   - YAML line numbers are 1-based (see Errors); every problem of a file is
//     reported at once, connection and uniqueness errors included (Airflow
//     raises the first).
//   - A string connection value starting with '{' is Airflow's JSON form, as
//     it is for every other backend (Airflow would parse it as a URI); an
//     empty string defines no connection (Airflow makes an empty one).
//   - An unsupported extension is reported by New, not at the first lookup.
//     A file named just ".env" is a .env file (Airflow refuses it: pathlib
//     sees no suffix).
//   - A leading UTF-8 byte order mark is skipped. A file that is not UTF-8
//     is a parse error with its line.
//   - YAML is read by a YAML 1.2 parser (yaml.v3), PyYAML by YAML 1.1:
//     yes/no/on/off are strings here, 1e3 is a float, timestamps stay text.
//     Quote such values to mean the same to both. Non-string scalar keys
//     (1:, true:) are ids as written, where PyYAML would make them
//     unreachable ints and booleans. Unknown tags and recursive anchors are
//     errors.
//   - YAML aliases may expand a file's values to at most 8 bytes of JSON
//     text per byte of the file, plus 4 MiB (PyYAML has no bound): a file
//     whose aliases of a large value go beyond that is a parse error at
//     the outermost alias's line.
//   - JSON NaN and Infinity literals, which Python accepts, are syntax
//     errors.
//   - Error messages do not echo values: the conn_id mismatch does not show
//     the field's value; JSON and YAML syntax errors give the line (and for
//     JSON the column) and the kind of problem only.
//   - Team-scoped keys (<team>___<id>, Airflow 3.2 multi-team) are not
//     supported: a request's Team is ignored, and the id is looked up as
//     if there were none.
package localfs
