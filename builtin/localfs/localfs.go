package localfs

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"time"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// Name is the backend's registry name.
const Name = "localfs"

// DefaultReloadInterval is how often, at most, a lookup checks whether a
// file changed when Options.ReloadInterval is 0, or when the backend is
// built from backend_kwargs without reload_interval_seconds. A check is
// one stat (measured at about 1 µs and two allocations on Linux); a lookup
// that does not check costs under 100 ns and allocates nothing.
const DefaultReloadInterval = time.Second

// The special values of Options.ReloadInterval. They are the only negative
// intervals New accepts.
const (
	// StatEveryLookup stats each file on every lookup (and re-reads it
	// when it changed), as fresh as Airflow, which re-reads the file on
	// every lookup, at the price of one stat per lookup.
	// reload_interval_seconds 0 means it.
	StatEveryLookup time.Duration = -2

	// NeverReload reads each file once, at the first lookup of its kind,
	// and never looks at it again; a file that could not be read (missing,
	// unreadable) is retried at the next lookup, one that was read is not,
	// even when it did not parse. A negative reload_interval_seconds means
	// it. It is -1, which read once when every negative interval did.
	NeverReload time.Duration = -1
)

// DefaultMaxFileSize is the largest file read when Options.MaxFileSize is 0.
const DefaultMaxFileSize = 64 << 20

// Options configure a Backend.
type Options struct {
	// FS holds the files. nil means the operating system's filesystem, with
	// paths used as given (relative to the working directory, as in
	// Airflow). With an fs.FS (embed.FS, fstest.MapFS, os.DirFS), paths
	// are fs.FS paths: slash-separated, unrooted, no "." or ".." elements.
	FS fs.FS

	// The files, each chosen by its extension (.env, .json, .yaml or .yml,
	// in any case). "" means the backend holds nothing of that kind.
	ConnectionsFile string
	VariablesFile   string
	ConfigsFile     string

	// ReloadInterval is how long a lookup trusts the parsed file before
	// it stats the file again (and re-reads it if its size, modification
	// time, mode or identity changed). 0 means DefaultReloadInterval;
	// StatEveryLookup checks on every lookup, as Airflow re-reads on
	// every lookup; NeverReload reads each file once. Any other negative
	// value is an error.
	ReloadInterval time.Duration

	// MaxFileSize is the largest file read, in bytes; 0 means
	// DefaultMaxFileSize.
	MaxFileSize int64
}

// Backend serves connections, variables and configs from local files, as
// Airflow's LocalFilesystemBackend does. It is safe for concurrent use.
//
// The zero Backend holds nothing.
type Backend struct {
	conns, vars, cfgs *source // nil: that kind holds nothing
}

// The not-found errors of a kind without a file.
var (
	errNoConnFile   = fmt.Errorf("localfs: no connections file configured: %w", resolver.ErrNotFound)
	errNoVarFile    = fmt.Errorf("localfs: no variables file configured: %w", resolver.ErrNotFound)
	errNoConfigFile = fmt.Errorf("localfs: no configs file configured: %w", resolver.ErrNotFound)
)

// Interface checks.
var (
	_ resolver.Backend           = (*Backend)(nil)
	_ resolver.ConnectionBackend = (*Backend)(nil)
	_ resolver.Named             = (*Backend)(nil)
	_ resolver.Describer         = (*Backend)(nil)
)

// New returns a Backend reading the files in o. It checks the options (an
// unsupported extension is an error naming the file, a negative
// ReloadInterval other than StatEveryLookup and NeverReload an error too)
// but reads nothing: each
// file is read at the first lookup of its kind, so a missing file is a
// lookup error, as in Airflow. Errors match config.ErrInvalid.
func New(o Options) (*Backend, error) {
	if o.MaxFileSize < 0 {
		return nil, fmt.Errorf("%w: localfs: MaxFileSize must not be negative", config.ErrInvalid)
	}
	if o.MaxFileSize == 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	interval, err := reloadInterval(o.ReloadInterval)
	if err != nil {
		return nil, err
	}
	b := &Backend{}
	epoch := time.Now()
	for _, f := range []struct {
		path string
		kind resolver.Kind
		src  **source
	}{
		{o.ConnectionsFile, resolver.KindConnection, &b.conns},
		{o.VariablesFile, resolver.KindVariable, &b.vars},
		{o.ConfigsFile, resolver.KindConfig, &b.cfgs},
	} {
		if f.path == "" {
			continue
		}
		format, ok := formatOf(f.path)
		if !ok {
			return nil, fmt.Errorf("%w: localfs: %s file %s: unsupported file format, the file must have one of the following extensions: %s",
				config.ErrInvalid, f.kind, f.path, extensions)
		}
		if o.FS != nil && !fs.ValidPath(f.path) {
			return nil, fmt.Errorf("%w: localfs: %s file %q is not a valid fs.FS path (slash-separated, unrooted, no . or .. elements)",
				config.ErrInvalid, f.kind, f.path)
		}
		*f.src = &source{
			notFound: fmt.Errorf("localfs: %s not in %s: %w", f.kind, f.path, resolver.ErrNotFound),
			kind:     f.kind,
			path:     f.path,
			format:   format,
			fsys:     o.FS,
			maxSize:  o.MaxFileSize,
			interval: interval,
			epoch:    epoch,
		}
	}
	return b, nil
}

// reloadInterval returns the interval Options.ReloadInterval d stands for:
// DefaultReloadInterval for 0, d itself when it is positive or one of the
// special values, else an error.
func reloadInterval(d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return DefaultReloadInterval, nil
	case d > 0, d == StatEveryLookup, d == NeverReload:
		return d, nil
	}
	return 0, fmt.Errorf("%w: localfs: ReloadInterval %v is negative (use StatEveryLookup or NeverReload)", config.ErrInvalid, d)
}

func init() {
	resolver.Register(resolver.Registration{
		Name:    Name,
		Aliases: []string{"airflow.secrets.local_filesystem.LocalFilesystemBackend"},
		Doc:     "local .env, JSON and YAML files of connections, variables and configs (Airflow's LocalFilesystemBackend)",
		Factory: open,
	})
}

// open builds a Backend from backend_kwargs: connections_file_path,
// variables_file_path, configs_file_path (a string; null or "" holds
// nothing of that kind) and reload_interval_seconds (a number; default
// DefaultReloadInterval, 0 (or less than a nanosecond) checks on every
// lookup (StatEveryLookup), negative never re-reads (NeverReload)). Any
// other key is an error, as it is for Airflow's constructor.
func open(_ context.Context, env resolver.Env) (resolver.Backend, error) {
	kw := env.Kwargs
	var o Options
	var err error
	for _, k := range []struct {
		key string
		dst *string
	}{
		{"connections_file_path", &o.ConnectionsFile},
		{"variables_file_path", &o.VariablesFile},
		{"configs_file_path", &o.ConfigsFile},
	} {
		if *k.dst, _, err = kw.OptString(k.key, ""); err != nil {
			return nil, err
		}
	}
	secs, err := kw.Float("reload_interval_seconds", DefaultReloadInterval.Seconds())
	if err != nil {
		return nil, err
	}
	if math.IsNaN(secs) || math.IsInf(secs, 0) || math.Abs(secs) > float64(math.MaxInt64)/float64(time.Second) {
		return nil, fmt.Errorf("%w: backend_kwargs key %q must be a finite number of seconds", config.ErrInvalid, "reload_interval_seconds")
	}
	switch d := time.Duration(secs * float64(time.Second)); {
	case d == 0:
		o.ReloadInterval = StatEveryLookup
	case d < 0:
		o.ReloadInterval = NeverReload
	default:
		o.ReloadInterval = d
	}
	if err := kw.CheckUnused(Name); err != nil {
		return nil, err
	}
	return New(o)
}

// Name returns "localfs".
func (b *Backend) Name() string { return Name }

// Lookup returns req's value from the file of req's kind: for a connection
// its value as written in the file (a URI, or Airflow's JSON form) or, for
// an object, Airflow's JSON form of the parsed connection (password
// included); for a variable or a config a string as written, any other
// JSON or YAML value as compact JSON text (null is absent). An id the file
// does not define, or a kind without a file, is resolver.ErrNotFound.
// req.Team is ignored.
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	switch req.Kind {
	case resolver.KindConnection:
		var e connEntry
		err := b.connEntry(ctx, req.ID, &e)
		return e.value, err
	case resolver.KindVariable:
		return lookup(ctx, b.vars, req.ID, errNoVarFile)
	case resolver.KindConfig:
		return lookup(ctx, b.cfgs, req.ID, errNoConfigFile)
	}
	if err := ctx.Err(); err != nil {
		return "", ctxError(err)
	}
	return "", fmt.Errorf("localfs: %s lookups are not served: %w", req.Kind, resolver.ErrNotFound)
}

// Connection returns connection req.ID, parsed when its file was loaded.
// This is the resolver's fast path: a lookup that does not stat the file
// copies a struct and allocates nothing. req.Team is ignored.
func (b *Backend) Connection(ctx context.Context, req resolver.Request) (connection.Connection, error) {
	var e connEntry
	err := b.connEntry(ctx, req.ID, &e)
	return e.conn, err
}

// connEntry writes connection connID into e, or returns why it cannot.
func (b *Backend) connEntry(ctx context.Context, connID string, e *connEntry) error {
	if err := ctx.Err(); err != nil {
		return ctxError(err)
	}
	if b.conns == nil {
		return errNoConnFile
	}
	snap := b.conns.current()
	if snap.err != nil {
		return snap.err
	}
	if !snap.conns.getInto(connID, e) {
		return b.conns.notFound
	}
	return nil
}

func lookup(ctx context.Context, s *source, key string, noFile error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", ctxError(err)
	}
	if s == nil {
		return "", noFile
	}
	snap := s.current()
	if snap.err != nil {
		return "", snap.err
	}
	v, ok := snap.values[key]
	if !ok {
		return "", s.notFound
	}
	return v, nil
}

func ctxError(err error) error {
	return fmt.Errorf("localfs: %w", err)
}
