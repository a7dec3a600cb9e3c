package wasmhost_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/wasmhost"
)

// otherUID stands for another local user: root can chown to it.
const otherUID = 12345

// needRoot skips a case that simulates another user's files (or fails it
// under SECRETPATH_REQUIRE_ALL=1, as in CI, which runs as root).
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.Missing(t, "root, to chown a directory to uid %d (another local user)", otherUID)
	}
}

// realTempDir is t.TempDir with symbolic links resolved, as the host names
// directories in its errors.
func realTempDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	return d
}

func mkdirMode(t *testing.T, path string, mode os.FileMode) string {
	t.Helper()
	require.NoError(t, os.Mkdir(path, 0o700))
	require.NoError(t, os.Chmod(path, mode)) // past the umask
	return path
}

// wazeroSubdir fills dir as a first, legitimate run would and returns the
// subdirectory wazero keeps its native code in.
func wazeroSubdir(t *testing.T, dir string) string {
	t.Helper()
	h, err := wasmhost.New(context.Background(), wasmhost.Options{CacheDir: dir})
	require.NoError(t, err)
	_, err = h.Load(context.Background(), readFixture(t, "reference"))
	require.NoError(t, err)
	require.NoError(t, h.Close(context.Background()))
	subs, err := filepath.Glob(filepath.Join(dir, "wazero-*"))
	require.NoError(t, err)
	require.Len(t, subs, 1, "wazero keeps its files in one wazero-<version>-<arch>-<os> directory")
	entries, err := os.ReadDir(subs[0])
	require.NoError(t, err)
	require.NotEmpty(t, entries, "compiled code was cached")
	return subs[0]
}

// TestCacheDirRefusedUnlessPrivate: wazero's compilation cache holds native
// code that the host maps and runs, protected by a CRC only, and the sha256
// pin of a module does not cover it. A cache directory that another local
// user can write to (or could swap through a parent directory) is refused
// with an error naming the directory at fault and what is wrong with it.
func TestCacheDirRefusedUnlessPrivate(t *testing.T) {
	tests := []struct {
		name string
		root bool // simulates another user with chown
		// setup returns the configured cache_dir and the path the error
		// must name.
		setup func(t *testing.T) (dir, culprit string)
		want  []string
	}{
		{name: "world-writable 0777", setup: func(t *testing.T) (string, string) {
			d := mkdirMode(t, filepath.Join(realTempDir(t), "cache"), 0o777)
			return d, d
		}, want: []string{"mode 0777", "writable by group and others"}},
		{name: "group-writable 0770", setup: func(t *testing.T) (string, string) {
			d := mkdirMode(t, filepath.Join(realTempDir(t), "cache"), 0o770)
			return d, d
		}, want: []string{"mode 0770", "writable by group"}},
		{name: "world-writable sticky cache dir itself", setup: func(t *testing.T) (string, string) {
			d := mkdirMode(t, filepath.Join(realTempDir(t), "cache"), os.ModeSticky|0o777)
			return d, d
		}, want: []string{"mode 1777", "writable by group and others"}},
		{name: "under a world-writable parent that is not sticky", setup: func(t *testing.T) (string, string) {
			p := mkdirMode(t, filepath.Join(realTempDir(t), "shared"), 0o777)
			return mkdirMode(t, filepath.Join(p, "cache"), 0o700), p
		}, want: []string{"mode 0777", "writable by group and others"}},
		{name: "under a group-writable grandparent", setup: func(t *testing.T) (string, string) {
			g := mkdirMode(t, filepath.Join(realTempDir(t), "team"), 0o770)
			p := mkdirMode(t, filepath.Join(g, "apps"), 0o755)
			return mkdirMode(t, filepath.Join(p, "cache"), 0o700), g
		}, want: []string{"mode 0770", "writable by group"}},
		{name: "owned by another user", root: true, setup: func(t *testing.T) (string, string) {
			d := mkdirMode(t, filepath.Join(realTempDir(t), "cache"), 0o700)
			require.NoError(t, os.Chown(d, otherUID, otherUID))
			return d, d
		}, want: []string{fmt.Sprintf("owned by uid %d", otherUID)}},
		{name: "parent owned by another user", root: true, setup: func(t *testing.T) (string, string) {
			p := mkdirMode(t, filepath.Join(realTempDir(t), "theirs"), 0o755)
			require.NoError(t, os.Chown(p, otherUID, otherUID))
			return mkdirMode(t, filepath.Join(p, "cache"), 0o700), p
		}, want: []string{fmt.Sprintf("owned by uid %d", otherUID)}},
		{name: "sticky parent owned by another user", root: true, setup: func(t *testing.T) (string, string) {
			p := mkdirMode(t, filepath.Join(realTempDir(t), "theirtmp"), os.ModeSticky|0o777)
			require.NoError(t, os.Chown(p, otherUID, otherUID))
			return mkdirMode(t, filepath.Join(p, "cache"), 0o700), p
		}, want: []string{fmt.Sprintf("owned by uid %d", otherUID), "mode 1777"}},
		{name: "planted file in a group-writable wazero subdirectory", setup: func(t *testing.T) (string, string) {
			d := mkdirMode(t, filepath.Join(realTempDir(t), "cache"), 0o700)
			sub := wazeroSubdir(t, d)
			require.NoError(t, os.WriteFile(filepath.Join(sub, "planted"), []byte("native code"), 0o600))
			require.NoError(t, os.Chmod(sub, 0o770))
			return d, sub
		}, want: []string{"mode 0770", "writable by group"}},
		{name: "cached file writable by others", setup: func(t *testing.T) (string, string) {
			d := mkdirMode(t, filepath.Join(realTempDir(t), "cache"), 0o700)
			sub := wazeroSubdir(t, d)
			entries, err := os.ReadDir(sub)
			require.NoError(t, err)
			f := filepath.Join(sub, entries[0].Name())
			require.NoError(t, os.Chmod(f, 0o666))
			return d, f
		}, want: []string{"mode 0666", "writable by group and others"}},
		{name: "cached file owned by another user", root: true, setup: func(t *testing.T) (string, string) {
			d := mkdirMode(t, filepath.Join(realTempDir(t), "cache"), 0o700)
			sub := wazeroSubdir(t, d)
			f := filepath.Join(sub, "planted")
			require.NoError(t, os.WriteFile(f, []byte("native code"), 0o600))
			require.NoError(t, os.Chown(f, otherUID, otherUID))
			return d, f
		}, want: []string{fmt.Sprintf("owned by uid %d", otherUID)}},
		{name: "symbolic link in the wazero subdirectory", setup: func(t *testing.T) (string, string) {
			d := mkdirMode(t, filepath.Join(realTempDir(t), "cache"), 0o700)
			sub := wazeroSubdir(t, d)
			bad := mkdirMode(t, filepath.Join(realTempDir(t), "elsewhere"), 0o777)
			l := filepath.Join(sub, "0123abcd")
			require.NoError(t, os.Symlink(filepath.Join(bad, "code"), l))
			return d, l
		}, want: []string{"symbolic link"}},
		{name: "wazero subdirectory is a symbolic link", setup: func(t *testing.T) (string, string) {
			d := mkdirMode(t, filepath.Join(realTempDir(t), "cache"), 0o700)
			sub := wazeroSubdir(t, d)
			bad := mkdirMode(t, filepath.Join(realTempDir(t), "elsewhere"), 0o777)
			require.NoError(t, os.RemoveAll(sub))
			require.NoError(t, os.Symlink(bad, sub))
			return d, sub
		}, want: []string{"symbolic link"}},
		{name: "symlinked cache dir pointing to a world-writable dir", setup: func(t *testing.T) (string, string) {
			base := realTempDir(t)
			bad := mkdirMode(t, filepath.Join(base, "bad"), 0o777)
			link := filepath.Join(base, "cache")
			require.NoError(t, os.Symlink(bad, link))
			return link, bad
		}, want: []string{"mode 0777", "writable by group and others"}},
		{name: "symlinked cache dir pointing under a world-writable parent", setup: func(t *testing.T) (string, string) {
			base := realTempDir(t)
			p := mkdirMode(t, filepath.Join(base, "shared"), 0o777)
			target := mkdirMode(t, filepath.Join(p, "cache"), 0o700)
			link := filepath.Join(base, "cache")
			require.NoError(t, os.Symlink(target, link))
			return link, p
		}, want: []string{"mode 0777", "writable by group and others"}},
		{name: "not a directory", setup: func(t *testing.T) (string, string) {
			f := filepath.Join(realTempDir(t), "file")
			require.NoError(t, os.WriteFile(f, nil, 0o600))
			return f, f
		}, want: []string{"not a directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root {
				needRoot(t)
			}
			dir, culprit := tt.setup(t)
			h, err := wasmhost.New(context.Background(), wasmhost.Options{CacheDir: dir})
			if err == nil {
				_ = h.Close(context.Background())
			}
			require.Error(t, err, "the cache directory is refused")
			assert.Contains(t, err.Error(), dir, "the error names the configured directory")
			assert.Contains(t, err.Error(), culprit+":", "the error names the directory or file at fault")
			for _, s := range tt.want {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

// TestCacheDirAcceptedWhenPrivate: a private directory is used, wherever
// it lives under directories only root or the user can change (a sticky,
// root-owned /tmp included); a missing one is created 0700; a symbolic
// link is followed once and its target used.
func TestCacheDirAcceptedWhenPrivate(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the configured cache_dir and where the code must land.
		setup func(t *testing.T) (dir, real string)
	}{
		{name: "0700 directly under /tmp", setup: func(t *testing.T) (string, string) {
			tmp, err := filepath.EvalSymlinks("/tmp")
			require.NoError(t, err)
			fi, err := os.Stat(tmp)
			require.NoError(t, err)
			require.NotZero(t, fi.Mode()&os.ModeSticky, "precondition: /tmp is sticky")
			require.Equal(t, os.ModePerm, fi.Mode().Perm(), "precondition: /tmp is world-writable")
			d, err := os.MkdirTemp(tmp, "secretpath-cache-*")
			require.NoError(t, err)
			t.Cleanup(func() { _ = os.RemoveAll(d) })
			return d, d
		}},
		{name: "0755, readable by others", setup: func(t *testing.T) (string, string) {
			d := mkdirMode(t, filepath.Join(realTempDir(t), "cache"), 0o755)
			return d, d
		}},
		{name: "missing, created 0700 with its parents", setup: func(t *testing.T) (string, string) {
			d := filepath.Join(realTempDir(t), "new", "cache")
			return d, d
		}},
		{name: "symbolic link to a private directory", setup: func(t *testing.T) (string, string) {
			base := realTempDir(t)
			target := mkdirMode(t, filepath.Join(base, "target"), 0o700)
			link := filepath.Join(base, "link")
			require.NoError(t, os.Symlink(target, link))
			return link, target
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, real := tt.setup(t)
			wazeroSubdir(t, dir) // twice: the second run reads the cache
			wazeroSubdir(t, dir)
			subs, err := filepath.Glob(filepath.Join(real, "wazero-*"))
			require.NoError(t, err)
			assert.Len(t, subs, 1, "the compiled code is in the real directory")
			fi, err := os.Stat(real)
			require.NoError(t, err)
			assert.Zero(t, fi.Mode().Perm()&0o022, "not writable by group or others")
			if tt.name == "missing, created 0700 with its parents" {
				assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "created private")
				parent, err := os.Stat(filepath.Dir(real))
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o700), parent.Mode().Perm())
			}
		})
	}
}
