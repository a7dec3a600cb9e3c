//go:build unix

package wasmhost

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// cacheDirsCheckable says that secureCacheDir can accept a directory here.
const cacheDirsCheckable = true

// errUnsafeCacheDir is why a compilation cache directory is refused.
var errUnsafeCacheDir = errors.New("a compilation cache holds native code that the host runs unverified (a module's sha256 pin does not cover it): " +
	"the directory, wazero's files in it and every parent must be owned by this user or root and not writable by group or others (a sticky parent such as /tmp excepted)")

// secureCacheDir prepares dir for wazero's compilation cache, or says why
// it must not be used: another local user who can write to it, or swap it
// through a parent, could plant native code that runs inside the host,
// which holds every secret. A missing dir is created 0700.
//
// It checks, by their real paths (symbolic links resolved):
//   - dir itself and every wazero-* entry in it (wazero keeps its files in
//     dir/wazero-<version>-<arch>-<os>/) and every file in those: owned by
//     the effective uid or root, not writable by group or others, and no
//     symbolic links among wazero's entries;
//   - every parent of dir up to /: owned by the effective uid or root, and
//     not writable by group or others unless sticky.
//
// It returns dir with symbolic links resolved: the host hands that path to
// wazero, so a link re-pointed after the check is never followed.
func secureCacheDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
		// Nothing is created under a parent that fails the checks.
		if err := checkParents(abs); err != nil {
			return "", err
		}
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	euid := os.Geteuid()
	fi, err := os.Lstat(real)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s: not a directory", real)
	}
	if err := checkPrivate(real, fi, euid, false); err != nil {
		return "", err
	}
	for p := filepath.Dir(real); ; p = filepath.Dir(p) {
		fi, err := os.Lstat(p)
		if err != nil {
			return "", err
		}
		if err := checkPrivate(p, fi, euid, true); err != nil {
			return "", err
		}
		if filepath.Dir(p) == p {
			break
		}
	}
	entries, err := os.ReadDir(real)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "wazero-") {
			continue // not wazero's (module downloads live here too, pinned)
		}
		if err := checkEntry(filepath.Join(real, e.Name()), euid, true); err != nil {
			return "", err
		}
	}
	return real, nil
}

// checkParents checks, before a missing dir is created, its nearest
// existing ancestor and every parent of that (symbolic links resolved),
// as secureCacheDir checks the parents of dir.
func checkParents(dir string) error {
	p := filepath.Dir(dir)
	for {
		if _, err := os.Lstat(p); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if filepath.Dir(p) == p {
			return nil
		}
		p = filepath.Dir(p)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return err
	}
	euid := os.Geteuid()
	for p := real; ; p = filepath.Dir(p) {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if err := checkPrivate(p, fi, euid, true); err != nil {
			return err
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// checkEntry checks one of wazero's entries and, for a directory, the
// entries in it.
func checkEntry(path string, euid int, descend bool) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s: a symbolic link, where wazero keeps its own files: %w", path, errUnsafeCacheDir)
	}
	if err := checkPrivate(path, fi, euid, false); err != nil {
		return err
	}
	if !fi.IsDir() || !descend {
		return nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := checkEntry(filepath.Join(path, e.Name()), euid, false); err != nil {
			return err
		}
	}
	return nil
}

// checkPrivate refuses a file or directory that someone other than euid
// or root owns, or that group or others may write to (a sticky parent
// directory excepted).
func checkPrivate(path string, fi fs.FileInfo, euid int, parent bool) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: owner unknown: %w", path, errUnsafeCacheDir)
	}
	uid := int(st.Uid)
	mode := uint32(st.Mode) & 0o7777
	if uid != euid && uid != 0 {
		return fmt.Errorf("%s: owned by uid %d (mode %04o), not by uid %d or root: %w", path, uid, mode, euid, errUnsafeCacheDir)
	}
	sticky := fi.IsDir() && fi.Mode()&fs.ModeSticky != 0
	if w := mode & 0o022; w != 0 && !(parent && sticky) {
		who := map[uint32]string{0o020: "group", 0o002: "others", 0o022: "group and others"}[w]
		return fmt.Errorf("%s: mode %04o is writable by %s (owner uid %d): %w", path, mode, who, uid, errUnsafeCacheDir)
	}
	return nil
}
