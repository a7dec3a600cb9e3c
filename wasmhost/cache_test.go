package wasmhost_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/wasmhost"
)

// cacheFiles lists the files under dir's wazero-* directories (compiled
// code), relative to dir.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	subs, err := filepath.Glob(filepath.Join(dir, "wazero-*", "*"))
	require.NoError(t, err)
	for i, s := range subs {
		subs[i], _ = filepath.Rel(dir, s)
	}
	sort.Strings(subs)
	return subs
}

// TestDefaultCompilationCache: a module opened from a config keeps its
// compiled code in os.UserCacheDir()/secretpath/wasm unless [wasm]
// cache_dir or $SECRETPATH_CACHE_DIR says otherwise ("none": no cache on
// disk); without a home directory it runs uncached; a default directory
// another user could write to is not used (a warning says so), while one
// that was chosen (cache_dir, $SECRETPATH_CACHE_DIR) is an error.
func TestDefaultCompilationCache(t *testing.T) {
	ref, err := filepath.Abs("testdata/reference.wasm")
	require.NoError(t, err)
	type env struct{ home, xdg, cacheEnv string }
	tests := []struct {
		name    string
		env     func(t *testing.T, base string) env
		opts    func(t *testing.T, base string) map[string]string
		want    func(base string) string // the cache directory in force, "" for none
		wantLog string                   // in the warnings logged
		wantErr string
	}{
		{name: "default: the user cache directory",
			env:  func(t *testing.T, base string) env { return env{home: base + "/home", xdg: base + "/xdg"} },
			want: func(base string) string { return base + "/xdg/secretpath/wasm" }},
		{name: "default under $HOME/.cache",
			env:  func(t *testing.T, base string) env { return env{home: base + "/home"} },
			want: func(base string) string { return base + "/home/.cache/secretpath/wasm" }},
		{name: "env override",
			env:  func(t *testing.T, base string) env { return env{home: base + "/home", cacheEnv: base + "/env-cache"} },
			want: func(base string) string { return base + "/env-cache" }},
		{name: "env none",
			env:  func(t *testing.T, base string) env { return env{home: base + "/home", cacheEnv: "none"} },
			want: func(string) string { return "" }},
		{name: "cache_dir wins over the env",
			env: func(t *testing.T, base string) env { return env{home: base + "/home", cacheEnv: base + "/env-cache"} },
			opts: func(t *testing.T, base string) map[string]string {
				return map[string]string{"cache_dir": base + "/mine"}
			},
			want: func(base string) string { return base + "/mine" }},
		{name: "cache_dir = none",
			env:  func(t *testing.T, base string) env { return env{home: base + "/home", cacheEnv: base + "/env-cache"} },
			opts: func(*testing.T, string) map[string]string { return map[string]string{"cache_dir": "none"} },
			want: func(string) string { return "" }},
		{name: "no home: uncached",
			env:  func(t *testing.T, base string) env { return env{} },
			want: func(string) string { return "" }},
		{name: "insecure default: warning, uncached",
			env: func(t *testing.T, base string) env {
				mkdirMode(t, base+"/shared", 0o777) // another user could plant code
				return env{home: base + "/home", xdg: base + "/shared"}
			},
			want:    func(string) string { return "" },
			wantLog: "the default compilation cache is not used"},
		{name: "insecure env: error",
			env: func(t *testing.T, base string) env {
				return env{home: base + "/home", cacheEnv: mkdirMode(t, base+"/shared", 0o777)}
			},
			wantErr: "env SECRETPATH_CACHE_DIR: "},
		{name: "insecure cache_dir: error",
			env: func(t *testing.T, base string) env { return env{home: base + "/home"} },
			opts: func(t *testing.T, base string) map[string]string {
				return map[string]string{"cache_dir": mkdirMode(t, base+"/shared", 0o777)}
			},
			wantErr: "airflow.cfg:2: [wasm] cache_dir: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := realTempDir(t)
			e := tt.env(t, base)
			for k, v := range map[string]string{"HOME": e.home, "XDG_CACHE_HOME": e.xdg, wasmhost.CacheDirEnv: e.cacheEnv} {
				t.Setenv(k, v)
			}
			var opts map[string]string
			if tt.opts != nil {
				opts = tt.opts(t, base)
			}
			var logs bytes.Buffer
			b, err := resolver.OpenBackend(t.Context(), ref, resolver.Env{
				Kwargs: kwargs(t, `{"v:k": "value"}`), Config: wasmConfig(t, opts),
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
			})
			if tt.wantErr != "" {
				closeBackend(b)
				require.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), base+"/shared: mode 0777", "the error names the directory")
				return
			}
			require.NoError(t, err)
			defer closeBackend(b)
			v, err := b.Lookup(t.Context(), varReq("k"))
			require.NoError(t, err)
			assert.Equal(t, "value", v)
			dir, max := wasmhost.CacheOf(b)
			assert.Equal(t, tt.want(base), dir)
			if dir != "" {
				assert.Equal(t, int64(wasmhost.DefaultCacheMaxBytes), max)
				assert.NotEmpty(t, cacheFiles(t, dir), "compiled code is kept in %s", dir)
			}
			if tt.wantLog != "" {
				assert.Contains(t, logs.String(), tt.wantLog)
				assert.Contains(t, logs.String(), base+"/shared", "the warning names the directory")
				entries, err := os.ReadDir(base + "/shared")
				require.NoError(t, err)
				assert.Empty(t, entries, "nothing was created in the directory another user could write to")
			} else {
				assert.Empty(t, logs.String())
			}
			// Nothing was written anywhere else under base (the home
			// directory stays empty unless it holds the cache).
			if home := e.home; home != "" && !strings.HasPrefix(dir, home) {
				_, err := os.Stat(home)
				assert.True(t, os.IsNotExist(err), "nothing written under $HOME")
			}
		})
	}
}

// TestCacheMaxBytesOption: [wasm] cache_max_bytes sets the cap; anything
// but a positive whole number is an error naming where it is set.
func TestCacheMaxBytesOption(t *testing.T) {
	ref, err := filepath.Abs("testdata/reference.wasm")
	require.NoError(t, err)
	for _, tt := range []struct {
		value   string
		want    int64
		wantErr string
	}{
		{value: "1048576", want: 1 << 20},
		{value: "0", wantErr: "airflow.cfg:2: [wasm] cache_max_bytes: must be a whole number of bytes over 0"},
		{value: "1GiB", wantErr: "airflow.cfg:2: [wasm] cache_max_bytes: must be"},
		{value: "-5", wantErr: "airflow.cfg:2: [wasm] cache_max_bytes: must be"},
	} {
		t.Run(tt.value, func(t *testing.T) {
			b, err := openRef(t, ref, `{}`, wasmConfig(t, map[string]string{"cache_max_bytes": tt.value}))
			if tt.wantErr != "" {
				closeBackend(b)
				require.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			defer closeBackend(b)
			_, max := wasmhost.CacheOf(b)
			assert.Equal(t, tt.want, max)
		})
	}
}

// TestCachePrune: a cache directory over its cap loses its oldest files
// (by modification time) first, until it fits: compiled code of any
// wazero version and downloaded modules count; files that are not the
// cache's, and unfinished writes younger than an hour (another process's),
// are neither counted nor removed.
func TestCachePrune(t *testing.T) {
	now := time.Now()
	type file struct {
		path string
		size int
		age  time.Duration
	}
	files := []file{
		{"notes.txt", 1000, 5 * time.Hour},                            // not the cache's
		{"wazero-v1.0.0-amd64-linux/old.1234.tmp", 50, 2 * time.Hour}, // an abandoned write
		{"module-aa.wasm", 100, 50 * time.Minute},
		{"wazero-v1.0.0-amd64-linux/a", 100, 40 * time.Minute},
		{"wazero-v1.0.0-amd64-linux/b", 100, 30 * time.Minute},
		{"wazero-v1.0.0-amd64-linux/c", 100, 20 * time.Minute},
		{"wazero-v1.0.0-amd64-linux/d.5678.tmp", 1000, time.Minute}, // being written
	}
	tests := []struct {
		name string
		max  int64
		keep []string
	}{
		{name: "under the cap", max: 450, keep: []string{"a", "b", "c", "d.5678.tmp", "module-aa.wasm", "notes.txt", "old.1234.tmp"}},
		{name: "the newest that fit", max: 250, keep: []string{"b", "c", "d.5678.tmp", "notes.txt"}},
		{name: "the newest alone", max: 100, keep: []string{"c", "d.5678.tmp", "notes.txt"}},
		{name: "never pruned", max: -1, keep: []string{"a", "b", "c", "d.5678.tmp", "module-aa.wasm", "notes.txt", "old.1234.tmp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := realTempDir(t)
			for _, f := range files {
				p := filepath.Join(dir, f.path)
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
				require.NoError(t, os.WriteFile(p, make([]byte, f.size), 0o600))
				require.NoError(t, os.Chtimes(p, now.Add(-f.age), now.Add(-f.age)))
			}
			h, err := wasmhost.New(context.Background(), wasmhost.Options{CacheDir: dir, CacheMaxBytes: tt.max, Logger: slog.New(slog.DiscardHandler)})
			require.NoError(t, err)
			require.NoError(t, h.Close(context.Background()))
			var kept []string
			require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					kept = append(kept, filepath.Base(p))
				}
				return err
			}))
			sort.Strings(kept)
			assert.Equal(t, tt.keep, kept)
		})
	}
	t.Run("after each compile", func(t *testing.T) {
		dir := realTempDir(t)
		h, err := wasmhost.New(context.Background(), wasmhost.Options{CacheDir: dir, CacheMaxBytes: 1, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		defer h.Close(context.Background())
		m, err := h.Load(t.Context(), readFixture(t, "reference"))
		require.NoError(t, err)
		defer m.Close()
		assert.Empty(t, cacheFiles(t, dir), "the compiled module, alone over the cap, was pruned")
	})
}

// TestCacheWriteFails: a cache directory wazero cannot write to any more
// (here its subdirectory is removed after the host opened; a full disk
// fails the same way) costs the cache, not the module: the host logs a
// warning naming the directory and runs the code compiled in memory.
func TestCacheWriteFails(t *testing.T) {
	dir := realTempDir(t)
	var logs bytes.Buffer
	h, err := wasmhost.New(context.Background(), wasmhost.Options{CacheDir: dir, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	require.NoError(t, err)
	defer h.Close(context.Background())
	subs, err := filepath.Glob(filepath.Join(dir, "wazero-*"))
	require.NoError(t, err)
	require.Len(t, subs, 1)
	require.NoError(t, os.RemoveAll(subs[0]))
	m, err := h.Load(t.Context(), readFixture(t, "reference"))
	require.NoError(t, err)
	defer m.Close()
	for _, cfg := range []wasmhost.TenantConfig{{Name: "metered"}, {Name: "trusted", Trusted: true}} {
		cfg.Kwargs = []byte(`{"v:k": "value"}`)
		tn, err := h.NewTenant(t.Context(), m, cfg)
		require.NoError(t, err, cfg.Name)
		v, err := tn.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err, cfg.Name)
		assert.Equal(t, "value", v)
		require.NoError(t, tn.Close())
	}
	assert.Contains(t, logs.String(), "the compilation cache could not be written")
	assert.Contains(t, logs.String(), "dir="+dir)
}

// TestCacheKeys: the cache holds one entry per trust class of a module
// (wazero's key covers the bytes compiled, which for metered tenants are
// the fuel rewriter's output, and the runtime's context checks, which
// tell deadline-only from trusted code), and a second host on the same
// directory compiles nothing new.
func TestCacheKeys(t *testing.T) {
	dir := realTempDir(t)
	run := func() {
		h, err := wasmhost.New(context.Background(), wasmhost.Options{CacheDir: dir, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		defer h.Close(context.Background())
		m, err := h.Load(t.Context(), readFixture(t, "reference"))
		require.NoError(t, err)
		defer m.Close()
		for _, cfg := range []wasmhost.TenantConfig{{Name: "metered"}, {Name: "deadline", DeadlineOnly: true}, {Name: "trusted", Trusted: true}} {
			cfg.Kwargs = []byte(`{"v:k": "value"}`)
			tn, err := h.NewTenant(t.Context(), m, cfg)
			require.NoError(t, err, cfg.Name)
			v, err := tn.Lookup(t.Context(), varReq("k"))
			require.NoError(t, err, cfg.Name)
			assert.Equal(t, "value", v, cfg.Name)
			require.NoError(t, tn.Close())
		}
	}
	run()
	first := cacheFiles(t, dir)
	assert.Len(t, first, 3, "metered, deadline-only and trusted code are cached apart: %v", first)
	run()
	assert.Equal(t, first, cacheFiles(t, dir), "the second host found every class in the cache")
}
