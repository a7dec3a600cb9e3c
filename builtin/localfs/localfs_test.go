package localfs

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

//go:embed testdata/embed
var embedded embed.FS

func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: []byte(data), ModTime: time.Unix(1_700_000_000, 0)}
	}
	return m
}

// connReq, varReq and cfgReq are lookups of one kind, without a team.
func connReq(id string) resolver.Request {
	return resolver.Request{Kind: resolver.KindConnection, ID: id}
}

func varReq(key string) resolver.Request {
	return resolver.Request{Kind: resolver.KindVariable, ID: key}
}

func cfgReq(key string) resolver.Request {
	return resolver.Request{Kind: resolver.KindConfig, ID: key}
}

func newBackend(t *testing.T, o Options) *Backend {
	t.Helper()
	b, err := New(o)
	require.NoError(t, err)
	return b
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want []string // substrings of the error
	}{
		{
			name: "unsupported extension", o: Options{VariablesFile: "/etc/vars.txt"},
			want: []string{"/etc/vars.txt", "unsupported file format", "must have one of the following extensions: .env .json .yaml .yml"},
		},
		{name: "no extension", o: Options{ConnectionsFile: "conns"}, want: []string{"conns", "unsupported file format"}},
		{name: "configs file checked too", o: Options{ConfigsFile: "c.ini"}, want: []string{"config file c.ini"}},
		{name: "invalid fs.FS path", o: Options{FS: fstest.MapFS{}, ConnectionsFile: "/abs/c.json"}, want: []string{`"/abs/c.json" is not a valid fs.FS path`}},
		{name: "dot-dot fs.FS path", o: Options{FS: fstest.MapFS{}, ConnectionsFile: "../c.json"}, want: []string{"not a valid fs.FS path"}},
		{name: "negative size limit", o: Options{MaxFileSize: -1}, want: []string{"MaxFileSize must not be negative"}},
		{name: "negative reload interval", o: Options{ReloadInterval: -time.Second}, want: []string{"ReloadInterval -1s is negative (use StatEveryLookup or NeverReload)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.o)
			require.Error(t, err)
			assert.Nil(t, b)
			assert.ErrorIs(t, err, config.ErrInvalid)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	ctx := t.Context()
	fsys := mapFS(map[string]string{
		"conns.json": `{"uri": "mysql://u:p@h:3306/s", "obj": {"conn_type": "postgres", "host": "db", "password": "pw", "port": 5432}}`,
		"vars.yaml":  "plain: text\nnum: 1\nnothing: null\nobj: {a: [1, 2]}\n",
		"cfgs.env":   "sql_alchemy_conn=postgresql://x\n",
	})
	b := newBackend(t, Options{FS: fsys, ConnectionsFile: "conns.json", VariablesFile: "vars.yaml", ConfigsFile: "cfgs.env"})
	assert.Equal(t, "localfs", b.Name())

	c, err := b.Connection(ctx, connReq("uri"))
	require.NoError(t, err)
	assert.Equal(t, "mysql", c.ConnType)
	assert.Equal(t, "p", c.Password.Reveal())
	v, err := b.Lookup(ctx, connReq("uri"))
	require.NoError(t, err)
	assert.Equal(t, "mysql://u:p@h:3306/s", v)

	c, err = b.Connection(ctx, connReq("obj"))
	require.NoError(t, err)
	assert.Equal(t, "obj", c.ConnID)
	assert.Equal(t, 5432, c.Port)
	v, err = b.Lookup(ctx, connReq("obj"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"conn_id": "obj", "conn_type": "postgres", "description": null, "host": "db", "schema": null, "login": null, "password": "pw", "port": 5432, "extra": null}`, v)
	back, err := connection.Parse("obj", v)
	require.NoError(t, err)
	assert.Equal(t, c, back)

	for id, want := range map[string]string{"plain": "text", "num": "1", "obj": `{"a":[1,2]}`} {
		got, err := b.Lookup(ctx, varReq(id))
		require.NoError(t, err, id)
		assert.Equal(t, want, got, id)
	}
	got, err := b.Lookup(ctx, cfgReq("sql_alchemy_conn"))
	require.NoError(t, err)
	assert.Equal(t, "postgresql://x", got)

	// Not found, in every kind; null is absent.
	for _, f := range []func() error{
		func() error { _, err := b.Connection(ctx, connReq("nope")); return err },
		func() error { _, err := b.Lookup(ctx, connReq("nope")); return err },
		func() error { _, err := b.Lookup(ctx, varReq("nope")); return err },
		func() error { _, err := b.Lookup(ctx, varReq("nothing")); return err },
		func() error { _, err := b.Lookup(ctx, cfgReq("nope")); return err },
		func() error { _, err := b.Lookup(ctx, varReq("uri")); return err }, // kinds are separate
	} {
		err := f()
		assert.ErrorIs(t, err, resolver.ErrNotFound)
	}
}

func TestKindsSwitchedOff(t *testing.T) {
	ctx := t.Context()
	var zero Backend // holds nothing, like New(Options{})
	_, err := zero.Lookup(ctx, varReq("a"))
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	b := newBackend(t, Options{})
	_, err = b.Connection(ctx, connReq("a"))
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	_, err = b.Lookup(ctx, connReq("a"))
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	_, err = b.Lookup(ctx, varReq("a"))
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	_, err = b.Lookup(ctx, cfgReq("a"))
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), "no configs file configured")
}

func TestEmbedFS(t *testing.T) {
	ctx := t.Context()
	sub, err := fs.Sub(embedded, "testdata/embed")
	require.NoError(t, err)
	b := newBackend(t, Options{
		FS:              sub,
		ConnectionsFile: "connections.yaml",
		VariablesFile:   "variables.env",
		ConfigsFile:     "configs.json",
		ReloadInterval:  NeverReload,
	})
	c, err := b.Connection(ctx, connReq("postgres_default"))
	require.NoError(t, err)
	assert.Equal(t, "embed-db-pass", c.Password.Reveal())
	assert.JSONEq(t, `{"sslmode": "require"}`, c.Extra)
	c, err = b.Connection(ctx, connReq("smtp_default"))
	require.NoError(t, err)
	assert.Equal(t, "relay.example.com", c.Host)
	v, err := b.Lookup(ctx, varReq("hello"))
	require.NoError(t, err)
	assert.Equal(t, "world", v)
	v, err = b.Lookup(ctx, cfgReq("sql_alchemy_conn"))
	require.NoError(t, err)
	assert.Equal(t, "postgresql://airflow@db/airflow", v)
}

func TestMissingFile(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "missing.json")
	b := newBackend(t, Options{ConnectionsFile: path, VariablesFile: path, ReloadInterval: StatEveryLookup})
	_, err := b.Connection(ctx, connReq("a"))
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), path)
	_, err = b.Lookup(ctx, varReq("a"))
	assert.ErrorIs(t, err, fs.ErrNotExist)

	// The file appears: the next check reads it.
	require.NoError(t, os.WriteFile(path, []byte(`{"a": "x://h"}`), 0o600))
	_, err = b.Connection(ctx, connReq("a"))
	require.NoError(t, err)

	b = newBackend(t, Options{FS: fstest.MapFS{}, VariablesFile: "v.env"})
	_, err = b.Lookup(ctx, varReq("a"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "v.env")
}

func TestLookupReturnsParseError(t *testing.T) {
	ctx := t.Context()
	b := newBackend(t, Options{FS: mapFS(map[string]string{"dir/v.env": "A=1\nbroken\n=x"}), VariablesFile: "dir/v.env"})
	_, err := b.Lookup(ctx, varReq("A"))
	require.Error(t, err)
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "dir/v.env", pe.Path)
	assert.Equal(t, []LineError{{2, msgNoEquals}, {3, msgEmptyKey}}, pe.Errors)
	assert.Equal(t, "dir/v.env:2: "+msgNoEquals+"\ndir/v.env:3: "+msgEmptyKey, err.Error())
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
}

func TestSizeLimit(t *testing.T) {
	ctx := t.Context()
	b := newBackend(t, Options{FS: mapFS(map[string]string{"v.env": "A=123456789"}), VariablesFile: "v.env", MaxFileSize: 10})
	_, err := b.Lookup(ctx, varReq("A"))
	require.Error(t, err)
	assert.Equal(t, "localfs: variable file v.env is larger than the limit of 10 bytes", err.Error())

	b = newBackend(t, Options{FS: mapFS(map[string]string{"v.env": "A=12345678"}), VariablesFile: "v.env", MaxFileSize: 10})
	v, err := b.Lookup(ctx, varReq("A"))
	require.NoError(t, err)
	assert.Equal(t, "12345678", v)
}

func TestDirectoryIsAnError(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d.env"), 0o700))
	b := newBackend(t, Options{VariablesFile: filepath.Join(dir, "d.env")})
	_, err := b.Lookup(t.Context(), varReq("a"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a directory")
}

func TestContextDone(t *testing.T) {
	b := newBackend(t, Options{FS: mapFS(map[string]string{"v.env": "A=1", "c.env": "C=x://h"}), VariablesFile: "v.env", ConnectionsFile: "c.env", ConfigsFile: "v.env"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := b.Lookup(ctx, varReq("A"))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = b.Lookup(ctx, cfgReq("A"))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = b.Connection(ctx, connReq("C"))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = b.Lookup(ctx, connReq("C"))
	assert.ErrorIs(t, err, context.Canceled)

	dctx, dcancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer dcancel()
	_, err = b.Lookup(dctx, varReq("A"))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestReloadMapFS(t *testing.T) {
	ctx := t.Context()
	fsys := mapFS(map[string]string{"v.json": `{"a": "one"}`})
	b := newBackend(t, Options{FS: fsys, VariablesFile: "v.json", ReloadInterval: StatEveryLookup})
	get := func() (string, error) { return b.Lookup(ctx, varReq("a")) }

	v, err := get()
	require.NoError(t, err)
	assert.Equal(t, "one", v)

	// Same size, new modification time.
	fsys["v.json"] = &fstest.MapFile{Data: []byte(`{"a": "two"}`), ModTime: time.Unix(1_700_000_001, 0)}
	v, err = get()
	require.NoError(t, err)
	assert.Equal(t, "two", v)

	// New size, same modification time.
	fsys["v.json"] = &fstest.MapFile{Data: []byte(`{"a": "three"}`), ModTime: time.Unix(1_700_000_001, 0)}
	v, err = get()
	require.NoError(t, err)
	assert.Equal(t, "three", v)

	// Unchanged stat: not re-read (the documented blind spot).
	fsys["v.json"] = &fstest.MapFile{Data: []byte(`{"a": "tree!"}`), ModTime: time.Unix(1_700_000_001, 0)}
	v, err = get()
	require.NoError(t, err)
	assert.Equal(t, "three", v)

	// A file that turns bad is reported, not silently replaced by the
	// old contents; fixing it recovers.
	fsys["v.json"] = &fstest.MapFile{Data: []byte(`{"a": `), ModTime: time.Unix(1_700_000_002, 0)}
	_, err = get()
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	fsys["v.json"] = &fstest.MapFile{Data: []byte(`{"a": "four"}`), ModTime: time.Unix(1_700_000_003, 0)}
	v, err = get()
	require.NoError(t, err)
	assert.Equal(t, "four", v)

	// Deleted: an error, then back.
	delete(fsys, "v.json")
	_, err = get()
	assert.ErrorIs(t, err, fs.ErrNotExist)
	fsys["v.json"] = &fstest.MapFile{Data: []byte(`{"a": "five"}`), ModTime: time.Unix(1_700_000_004, 0)}
	v, err = get()
	require.NoError(t, err)
	assert.Equal(t, "five", v)
}

// TestReloadIntervalOptions: the interval each Options.ReloadInterval
// stands for, for every kind's file.
func TestReloadIntervalOptions(t *testing.T) {
	tests := []struct {
		name string
		in   time.Duration
		want time.Duration // the effective interval
		err  string        // a substring of New's error, which matches config.ErrInvalid
	}{
		{name: "zero is the default", in: 0, want: DefaultReloadInterval},
		{name: "the default", in: DefaultReloadInterval, want: DefaultReloadInterval},
		{name: "one nanosecond", in: time.Nanosecond, want: time.Nanosecond},
		{name: "a quarter second", in: 250 * time.Millisecond, want: 250 * time.Millisecond},
		{name: "an hour", in: time.Hour, want: time.Hour},
		{name: "the longest", in: math.MaxInt64, want: math.MaxInt64},
		{name: "StatEveryLookup", in: StatEveryLookup, want: StatEveryLookup},
		{name: "NeverReload", in: NeverReload, want: NeverReload},
		{name: "minus a second", in: -time.Second, err: "ReloadInterval -1s is negative (use StatEveryLookup or NeverReload)"},
		{name: "minus three nanoseconds", in: -3, err: "ReloadInterval -3ns is negative"},
		{name: "most negative", in: math.MinInt64, err: "is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := mapFS(map[string]string{"c.env": "C=x://h", "v.env": "A=1", "g.env": "G=1"})
			b, err := New(Options{FS: fsys, ConnectionsFile: "c.env", VariablesFile: "v.env", ConfigsFile: "g.env", ReloadInterval: tt.in})
			if tt.err != "" {
				require.Error(t, err)
				assert.Nil(t, b)
				assert.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			for _, s := range []*source{b.conns, b.vars, b.cfgs} {
				assert.Equal(t, tt.want, s.interval, s.kind.String())
			}
			if tt.want >= time.Second {
				// After a load, the next check is due one interval later.
				_, err := b.Lookup(t.Context(), varReq("A"))
				require.NoError(t, err)
				due := time.Duration(b.vars.next.Load()) - time.Since(b.vars.epoch)
				assert.Positive(t, due)
				assert.LessOrEqual(t, due, tt.want)
			}
		})
	}
}

func TestReloadInterval(t *testing.T) {
	ctx := t.Context()
	fsys := mapFS(map[string]string{"v.env": "A=1"})
	b := newBackend(t, Options{FS: fsys, VariablesFile: "v.env", ReloadInterval: time.Hour})
	v, err := b.Lookup(ctx, varReq("A"))
	require.NoError(t, err)
	assert.Equal(t, "1", v)

	fsys["v.env"] = &fstest.MapFile{Data: []byte("A=22"), ModTime: time.Unix(1_800_000_000, 0)}
	v, err = b.Lookup(ctx, varReq("A"))
	require.NoError(t, err)
	assert.Equal(t, "1", v, "within the interval the file is not looked at")

	b.vars.next.Store(0) // the interval has passed
	v, err = b.Lookup(ctx, varReq("A"))
	require.NoError(t, err)
	assert.Equal(t, "22", v)

	// An interval too long to add to the clock is never due: it does not
	// wrap around into a stat on every lookup.
	fsys["long.env"] = &fstest.MapFile{Data: []byte("L=1"), ModTime: time.Unix(1_800_000_000, 0)}
	long := newBackend(t, Options{FS: fsys, VariablesFile: "long.env", ReloadInterval: math.MaxInt64})
	v, err = long.Lookup(ctx, varReq("L"))
	require.NoError(t, err)
	assert.Equal(t, "1", v)
	fsys["long.env"] = &fstest.MapFile{Data: []byte("L=22"), ModTime: time.Unix(1_850_000_000, 0)}
	v, err = long.Lookup(ctx, varReq("L"))
	require.NoError(t, err)
	assert.Equal(t, "1", v)

	// NeverReload reads the file once.
	once := newBackend(t, Options{FS: fsys, VariablesFile: "v.env", ReloadInterval: NeverReload})
	v, err = once.Lookup(ctx, varReq("A"))
	require.NoError(t, err)
	assert.Equal(t, "22", v)
	fsys["v.env"] = &fstest.MapFile{Data: []byte("A=333"), ModTime: time.Unix(1_900_000_000, 0)}
	v, err = once.Lookup(ctx, varReq("A"))
	require.NoError(t, err)
	assert.Equal(t, "22", v)

	// ... but retries a file it could not read.
	missing := newBackend(t, Options{FS: fsys, ConfigsFile: "c.env", ReloadInterval: NeverReload})
	_, err = missing.Lookup(ctx, cfgReq("A"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	fsys["c.env"] = &fstest.MapFile{Data: []byte("A=c")}
	v, err = missing.Lookup(ctx, cfgReq("A"))
	require.NoError(t, err)
	assert.Equal(t, "c", v)
}

func TestReloadOSFile(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "conns.env")
	require.NoError(t, os.WriteFile(path, []byte("C=mysql://one"), 0o600))
	b := newBackend(t, Options{ConnectionsFile: path, ReloadInterval: StatEveryLookup})
	host := func() string {
		t.Helper()
		c, err := b.Connection(ctx, connReq("C"))
		require.NoError(t, err)
		return c.Host
	}
	assert.Equal(t, "one", host())

	// Edited in place (new size).
	require.NoError(t, os.WriteFile(path, []byte("C=mysql://three"), 0o600))
	assert.Equal(t, "three", host())

	// Replaced by rename with the same size and modification time: the
	// inode tells.
	info, err := os.Stat(path)
	require.NoError(t, err)
	tmp := filepath.Join(dir, "new.env")
	require.NoError(t, os.WriteFile(tmp, []byte("C=mysql://seven"), 0o600))
	require.NoError(t, os.Chtimes(tmp, info.ModTime(), info.ModTime()))
	require.NoError(t, os.Rename(tmp, path))
	assert.Equal(t, "seven", host())

	// Through a symlink that is switched (Kubernetes ConfigMap style).
	link := filepath.Join(dir, "link.env")
	require.NoError(t, os.Symlink(path, link))
	b = newBackend(t, Options{ConnectionsFile: link, ReloadInterval: StatEveryLookup})
	assert.Equal(t, "seven", host())
	other := filepath.Join(dir, "other.env")
	require.NoError(t, os.WriteFile(other, []byte("C=mysql://eight"), 0o600))
	require.NoError(t, os.Remove(link))
	require.NoError(t, os.Symlink(other, link))
	assert.Equal(t, "eight", host())
}

// With os.DirFS the inode is compared too.
func TestReloadDirFSRename(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "v.env")
	require.NoError(t, os.WriteFile(path, []byte("A=one"), 0o600))
	b := newBackend(t, Options{FS: os.DirFS(dir), VariablesFile: "v.env", ReloadInterval: StatEveryLookup})
	v, err := b.Lookup(ctx, varReq("A"))
	require.NoError(t, err)
	assert.Equal(t, "one", v)

	info, err := os.Stat(path)
	require.NoError(t, err)
	tmp := filepath.Join(dir, "tmp.env")
	require.NoError(t, os.WriteFile(tmp, []byte("A=two"), 0o600))
	require.NoError(t, os.Chtimes(tmp, info.ModTime(), info.ModTime()))
	require.NoError(t, os.Rename(tmp, path))
	v, err = b.Lookup(ctx, varReq("A"))
	require.NoError(t, err)
	assert.Equal(t, "two", v)
}

// TestConcurrentLookups hammers the backend while the file is replaced
// (atomically, by rename): every lookup sees one whole version. Run with
// -race.
func TestConcurrentLookups(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "v.json")
	write := func(i int) {
		tmp := filepath.Join(dir, fmt.Sprintf("tmp%d.json", i))
		require.NoError(t, os.WriteFile(tmp, []byte(fmt.Sprintf(`{"a": "v%d", "b": "v%d"}`, i, i)), 0o600))
		require.NoError(t, os.Rename(tmp, path))
	}
	write(0)
	b := newBackend(t, Options{VariablesFile: path, ReloadInterval: StatEveryLookup})

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				a, err := b.Lookup(ctx, varReq("a"))
				if !assert.NoError(t, err) {
					return
				}
				assert.True(t, strings.HasPrefix(a, "v"))
			}
		})
	}
	for i := 1; i <= 200; i++ {
		write(i)
	}
	close(stop)
	wg.Wait()
	v, err := b.Lookup(ctx, varReq("a"))
	require.NoError(t, err)
	assert.Equal(t, "v200", v)
}

// TestConcurrentFirstLoad: many goroutines ask at once before anything was
// loaded; all get the answer.
func TestConcurrentFirstLoad(t *testing.T) {
	ctx := t.Context()
	b := newBackend(t, Options{FS: mapFS(map[string]string{"c.yaml": "c: mysql://h\n"}), ConnectionsFile: "c.yaml", ReloadInterval: time.Hour})
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			c, err := b.Connection(ctx, connReq("c"))
			assert.NoError(t, err)
			assert.Equal(t, "h", c.Host)
		})
	}
	wg.Wait()
}

func TestKwargs(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	conns := filepath.Join(dir, "c.json")
	vars := filepath.Join(dir, "v.env")
	require.NoError(t, os.WriteFile(conns, []byte(`{"c": "mysql://h"}`), 0o600))
	require.NoError(t, os.WriteFile(vars, []byte("v=1"), 0o600))
	q := func(s string) string { return fmt.Sprintf("%q", s) }

	tests := []struct {
		name     string
		backend  string
		kwargs   string
		interval time.Duration
		conns    bool
		vars     bool
		err      []string // substrings; the error matches config.ErrInvalid
	}{
		{name: "both", backend: "localfs", kwargs: `{"connections_file_path": ` + q(conns) + `, "variables_file_path": ` + q(vars) + `}`, interval: DefaultReloadInterval, conns: true, vars: true},
		{name: "Airflow class path", backend: "airflow.secrets.local_filesystem.LocalFilesystemBackend", kwargs: `{"variables_file_path": ` + q(vars) + `}`, interval: DefaultReloadInterval, vars: true},
		{name: "null switches off", backend: "localfs", kwargs: `{"connections_file_path": null, "variables_file_path": ` + q(vars) + `, "configs_file_path": null}`, interval: DefaultReloadInterval, vars: true},
		{name: "empty string switches off", backend: "localfs", kwargs: `{"connections_file_path": ""}`, interval: DefaultReloadInterval},
		{name: "no kwargs", backend: "localfs", kwargs: ``, interval: DefaultReloadInterval},
		{name: "reload interval", backend: "localfs", kwargs: `{"reload_interval_seconds": 0.25}`, interval: 250 * time.Millisecond},
		{name: "reload interval as a string", backend: "localfs", kwargs: `{"reload_interval_seconds": "2"}`, interval: 2 * time.Second},
		{name: "reload interval zero", backend: "localfs", kwargs: `{"reload_interval_seconds": 0}`, interval: StatEveryLookup},
		{name: "reload interval below a nanosecond", backend: "localfs", kwargs: `{"reload_interval_seconds": 1e-10}`, interval: StatEveryLookup},
		{name: "reload interval one nanosecond", backend: "localfs", kwargs: `{"reload_interval_seconds": 1e-9}`, interval: time.Nanosecond},
		{name: "reload interval negative", backend: "localfs", kwargs: `{"reload_interval_seconds": -1}`, interval: NeverReload},
		{name: "reload interval negative, as a string", backend: "localfs", kwargs: `{"reload_interval_seconds": "-0.5"}`, interval: NeverReload},
		{name: "unknown key", backend: "localfs", kwargs: `{"variables_file_path": "v.env", "variable_file_path": "x"}`, err: []string{"unknown backend_kwargs key(s): variable_file_path"}},
		{name: "not a string", backend: "localfs", kwargs: `{"variables_file_path": 1}`, err: []string{`"variables_file_path" must be a string`}},
		{name: "bad extension", backend: "localfs", kwargs: `{"configs_file_path": "c.toml"}`, err: []string{"c.toml", "unsupported file format"}},
		{name: "interval not a number", backend: "localfs", kwargs: `{"reload_interval_seconds": "soon"}`, err: []string{`"reload_interval_seconds" must be a number`}},
		{name: "interval NaN", backend: "localfs", kwargs: `{"reload_interval_seconds": "NaN"}`, err: []string{`"reload_interval_seconds" must be a finite number of seconds`}},
		{name: "interval huge", backend: "localfs", kwargs: `{"reload_interval_seconds": 1e300}`, err: []string{"finite number of seconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kw, err := config.ParseKwargs([]byte(tt.kwargs))
			require.NoError(t, err)
			rb, err := resolver.OpenBackend(ctx, tt.backend, resolver.Env{Kwargs: kw})
			if tt.err != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, config.ErrInvalid)
				for _, w := range tt.err {
					assert.Contains(t, err.Error(), w)
				}
				return
			}
			require.NoError(t, err)
			b, ok := rb.(*Backend)
			require.True(t, ok)
			for _, s := range []*source{b.conns, b.vars, b.cfgs} {
				if s != nil {
					assert.Equal(t, tt.interval, s.interval)
				}
			}
			_, err = b.Connection(ctx, connReq("c"))
			if tt.conns {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, resolver.ErrNotFound)
			}
			_, err = b.Lookup(ctx, varReq("v"))
			if tt.vars {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, resolver.ErrNotFound)
			}
			_, err = b.Lookup(ctx, cfgReq("x"))
			assert.ErrorIs(t, err, resolver.ErrNotFound)
		})
	}
}

// plant is a secret placed in value positions of broken files; no error may
// contain it.
const plant = "PLANTED-s3cr3t"

func TestErrorsNeverContainValues(t *testing.T) {
	files := map[string]string{
		"a.env":  "A=" + plant + "\n" + plant + "\n=" + plant + "\nC=" + plant + "\nC=" + plant + "2\n" + plant + " # not a comment",
		"b.env":  "C=mysql://u:" + plant + "@h:" + plant + "/s\nD=mysql://u:" + plant + "@h:99999\nE={\"conn_type\": \"x\", \"password\": \"" + plant + "\", \"port\": \"" + plant + "\"}",
		"c.json": `{"a": "` + plant,
		"d.json": `{"a": ` + plant + `}`,
		"e.json": `{"a": "` + plant + `\q"}`,
		"f.json": `{"a": "` + plant + "\x01" + `"}`,
		"g.json": `{"a": "` + plant + `" "b": 1}`,
		"h.json": `{"a": "x"} ` + plant,
		"i.json": `{"a": {"conn_id": "` + plant + `"}, "b": {"password": "` + plant + `", "port": "` + plant + `", "conn_type": "x"}, "c": {"extra": "` + plant + `", "conn_type": "x"}, "d": {"uri": "` + plant + `://x", "password": "` + plant + `"}, "e": {"uri": "x://u:` + plant + `@h:` + plant + `"}, "f": {"conn_type": "x", "extra": ["` + plant + `"]}, "g": ["` + plant + `", "` + plant + `"], "h": [1, "` + plant + `"], "i": {"conn_type": "x", "extra_dejson": "` + plant + `"}}`,
		"j.json": "[\"" + plant + "\"]",
		"k.yaml": "a: !!int " + plant + "\n",
		"l.yaml": "a: *" + plant + "\n",
		"m.yaml": "a: \"" + plant + "\\q\"\n",
		"n.yaml": "a: " + plant + "\n  b: " + plant + "\n",
		"o.yaml": "a: !" + plant + " " + plant + "\n",
		"p.yaml": "a: &" + plant + " [*" + plant + "]\n",
		"q.yaml": "a: " + plant + "\n---\nb: " + plant + "\n",
		"r.yaml": "a: [" + plant + ", " + plant + "\n",
		"s.yaml": "a: \"" + plant + "\x01\"\n",
		"t.yaml": plant + "\n",
		"u.yaml": "a: {b: " + plant + "}\nc:\n  password: " + plant + "\n  port: " + plant + "\n  conn_type: x\nd: [" + plant + ", " + plant + "]\n",
		"v.yaml": "a: !!binary " + plant + "\n",
		"w.yaml": "a: '" + plant + "\n",
		"x.yaml": "a: |\n  " + plant + "\n b: " + plant + "\n",
		"y.yaml": "%TAG !e! tag:" + plant + ":\n---\na: !e!x b\n",
		"z.yaml": "a: b\n\t" + plant + ": c\n",
	}
	ctx := t.Context()
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			fsys := mapFS(map[string]string{name: content})
			b := newBackend(t, Options{FS: fsys, ConnectionsFile: name, VariablesFile: name, ConfigsFile: name})
			failed := 0
			for _, f := range []func() error{
				func() error { _, err := b.Connection(ctx, connReq("a")); return err },
				func() error { _, err := b.Lookup(ctx, connReq("a")); return err },
				func() error { _, err := b.Lookup(ctx, varReq("a")); return err },
				func() error { _, err := b.Lookup(ctx, cfgReq("a")); return err },
			} {
				err := f()
				if err == nil || errors.Is(err, resolver.ErrNotFound) {
					continue
				}
				failed++
				assert.NotContains(t, err.Error(), "PLANTED", "the error quotes a value")
				assert.NotContains(t, err.Error(), "s3cr3t", "the error quotes a value")
			}
			assert.NotZero(t, failed, "the file should be broken for some kind")
		})
	}
}

func TestRegistration(t *testing.T) {
	var reg *resolver.Registration
	for _, r := range resolver.Registered() {
		if r.Name == Name {
			reg = &r
		}
	}
	require.NotNil(t, reg, "localfs is registered")
	assert.Equal(t, []string{"airflow.secrets.local_filesystem.LocalFilesystemBackend"}, reg.Aliases)
	assert.Zero(t, reg.Role, "localfs fills no role: it is asked only when configured")
	assert.NotEmpty(t, reg.Doc)
	assert.NotContains(t, reg.Doc, "\n", "Doc is one line")
}

func TestDescribe(t *testing.T) {
	b := newBackend(t, Options{ConnectionsFile: "/etc/airflow/conns.yaml", ConfigsFile: "cfg.env"})
	for _, tt := range []struct {
		req  resolver.Request
		want string
	}{
		{connReq("pg"), `file "/etc/airflow/conns.yaml", key "pg"`},
		{resolver.Request{Kind: resolver.KindConnection, ID: "pg", Team: "t"}, `file "/etc/airflow/conns.yaml", key "pg"`},
		{varReq("v"), "no lookup (no variables_file_path)"},
		{cfgReq("c"), `file "cfg.env", key "c"`},
		{resolver.Request{ID: "x"}, "no lookup (Kind(0) is not a kind localfs serves)"},
	} {
		assert.Equal(t, tt.want, b.Describe(tt.req), "%+v", tt.req)
	}
}

// A kind localfs does not serve is not found, without reading a file; a
// done context is still reported.
func TestUnknownKind(t *testing.T) {
	b := newBackend(t, Options{FS: fstest.MapFS{}, ConnectionsFile: "c.env", VariablesFile: "v.env", ConfigsFile: "g.env"})
	_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.Kind(99), ID: "a"})
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	assert.NotErrorIs(t, err, fs.ErrNotExist)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = b.Lookup(ctx, resolver.Request{Kind: resolver.Kind(99), ID: "a"})
	assert.ErrorIs(t, err, context.Canceled)
}
