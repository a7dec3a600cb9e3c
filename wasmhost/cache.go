package wasmhost

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/secretpath/secretpath/resolver/config"
)

// CacheDirEnv names the environment variable that replaces the default
// compilation cache directory of a module opened from a config file
// ([wasm] cache_dir not set): a directory, or "none" for no cache on disk.
// Tests point it at a temporary directory.
const CacheDirEnv = "SECRETPATH_CACHE_DIR"

// DefaultCacheMaxBytes is the size a compilation cache directory is pruned
// to when Options.CacheMaxBytes (or [wasm] cache_max_bytes) is not set.
const DefaultCacheMaxBytes = 1 << 30

// cacheNone is the value of [wasm] cache_dir (and of CacheDirEnv) that
// switches the cache on disk off.
const cacheNone = "none"

// defaultCacheDir returns the compilation cache directory a module opened
// from a config file uses when [wasm] cache_dir is not set, checked by
// secureCacheDir, or "" for none:
//   - $SECRETPATH_CACHE_DIR when set: "none" means none; a directory that
//     fails the checks is an error (it was chosen, as cache_dir is);
//   - else os.UserCacheDir()/secretpath/wasm (~/.cache/secretpath/wasm on
//     Linux): without a home directory, none (logged at debug level); a
//     directory that fails the checks is logged as a warning and not used.
func defaultCacheDir(logger *slog.Logger) (string, error) {
	if v := strings.TrimSpace(os.Getenv(CacheDirEnv)); v != "" {
		if strings.EqualFold(v, cacheNone) {
			return "", nil
		}
		dir, err := secureCacheDir(v)
		if err != nil {
			if !strings.Contains(err.Error(), filepath.Clean(v)) {
				err = fmt.Errorf("%s: %w", v, err)
			}
			return "", fmt.Errorf("%w: env %s: %v", config.ErrInvalid, CacheDirEnv, err)
		}
		return dir, nil
	}
	if !cacheDirsCheckable {
		logger.Debug("wasmhost: no compilation cache on disk: the owner and mode of a directory cannot be checked on this system; every start compiles the module")
		return "", nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		logger.Debug("wasmhost: no compilation cache on disk: there is no user cache directory; every start compiles the module", "error", err.Error())
		return "", nil
	}
	want := filepath.Join(base, "secretpath", "wasm")
	dir, err := secureCacheDir(want)
	if err != nil {
		logger.Warn("wasmhost: the default compilation cache is not used, every start compiles the module: set [wasm] cache_dir to a private directory, or cache_dir = none",
			"dir", want, "error", err.Error())
		return "", nil
	}
	return dir, nil
}

// staleTemp is how old an unfinished write (*.tmp) in a cache directory
// must be before pruneCache counts and removes it: a younger one may be
// another process's write in progress (wazero writes a file under a
// temporary name and renames it; removing it midway fails that compile).
const staleTemp = time.Hour

// pruneCache removes the oldest files (by modification time) of a cache
// directory until what remains is at most max bytes. It counts the files
// it owns: compiled code in every wazero-* directory (other wazero
// versions' too, which nothing reads any more) and downloaded modules
// (module-*.wasm); anything else in dir is left alone. It returns how many
// files it removed and the bytes that remain. Files another process
// removes meanwhile are skipped.
func pruneCache(dir string, max int64) (removed int, size int64, err error) {
	type file struct {
		path string
		size int64
		mod  time.Time
	}
	var files []file
	now := time.Now()
	add := func(path string, fi fs.FileInfo) {
		if !fi.Mode().IsRegular() {
			return
		}
		if strings.HasSuffix(path, ".tmp") && now.Sub(fi.ModTime()) < staleTemp {
			return
		}
		files = append(files, file{path, fi.Size(), fi.ModTime()})
		size += fi.Size()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "wazero-") && e.IsDir():
			sub := filepath.Join(dir, name)
			inner, err := os.ReadDir(sub)
			if err != nil {
				continue
			}
			for _, f := range inner {
				if fi, err := f.Info(); err == nil {
					add(filepath.Join(sub, f.Name()), fi)
				}
			}
		case strings.HasPrefix(name, "module-") && (strings.HasSuffix(name, ".wasm") || strings.HasSuffix(name, ".wasm.tmp")):
			if fi, err := e.Info(); err == nil {
				add(filepath.Join(dir, name), fi)
			}
		}
	}
	if size <= max {
		return 0, size, nil
	}
	slices.SortFunc(files, func(a, b file) int { return a.mod.Compare(b.mod) })
	var errs []error
	for _, f := range files {
		if size <= max {
			break
		}
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed++
		size -= f.size
	}
	return removed, size, errors.Join(errs...)
}

// prune prunes the host's cache directory, if it has one, to its cap;
// a failure is logged.
func (h *Host) prune() {
	if h.cacheDir == "" || h.cacheMax < 0 {
		return
	}
	n, size, err := pruneCache(h.cacheDir, h.cacheMax)
	if err != nil {
		h.logger.Warn("wasmhost: pruning the compilation cache", "dir", h.cacheDir, "error", err.Error())
	}
	if n > 0 {
		h.logger.Debug("wasmhost: pruned the compilation cache", "dir", h.cacheDir, "removed", n, "bytes", size, "max_bytes", h.cacheMax)
	}
}
