package metastore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/fernet/fernet-go"

	"github.com/secretpath/secretpath/resolver/config"
)

// HomeEnv names the environment variable that, when set, is the directory
// of the embedded default database (tests point it at a temporary
// directory).
const HomeEnv = "SECRETPATH_HOME"

// DefaultDir returns the directory of the embedded default database:
// $SECRETPATH_HOME when set; else, per user, $XDG_DATA_HOME/secretpath
// (default ~/.local/share/secretpath) on Linux and other Unix systems,
// ~/Library/Application Support/secretpath on macOS and
// %LocalAppData%\secretpath on Windows. Without a home directory it has
// none: the error says which variable to set.
func DefaultDir() (string, error) {
	if d := os.Getenv(HomeEnv); d != "" {
		return d, nil
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "secretpath"), nil
		}
		return "", errors.New("%LocalAppData% is not set (set " + HomeEnv + ", or [database] sql_alchemy_conn)")
	case "darwin", "ios":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("%w (set %s, or [database] sql_alchemy_conn)", err, HomeEnv)
		}
		return filepath.Join(home, "Library", "Application Support", "secretpath"), nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "secretpath"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("%w (set %s, or [database] sql_alchemy_conn)", err, HomeEnv)
	}
	return filepath.Join(home, ".local", "share", "secretpath"), nil
}

// readKeyFile reads dir/fernet.key; nil when it does not exist.
func readKeyFile(dir string) (*fernet.Key, error) {
	p := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: metastore: reading the key file: %v", config.ErrInvalid, err)
	}
	k, err := decodeFernetKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%w: metastore: key file %s %v", config.ErrInvalid, p, err)
	}
	return k, nil
}

// createKeyFile makes dir/fernet.key (mode 0600) with a new key, unless
// another process made it first, in which case that key is used.
func createKeyFile(dir string) (*fernet.Key, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("metastore: creating the data directory: %w", err)
	}
	if k, err := readKeyFile(dir); err != nil || k != nil {
		return k, err
	}
	key, err := NewFernetKey()
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".fernet.key-*")
	if err != nil {
		return nil, fmt.Errorf("metastore: writing the key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(key + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("metastore: writing the key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("metastore: writing the key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("metastore: writing the key file: %w", err)
	}
	// Link fails when the file exists: the first process's key wins.
	if err := os.Link(tmp.Name(), filepath.Join(dir, KeyFile)); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("metastore: writing the key file: %w", err)
	}
	return readKeyFile(dir)
}
