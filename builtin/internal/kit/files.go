package kit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ReadFile reads a credential or configuration file (a token, a CA bundle,
// a client certificate or key, a kubeconfig) of at most limit bytes,
// without ever blocking on what is not a file: it opens path without
// waiting (O_NONBLOCK where the platform has it, so that opening a named
// pipe with no writer returns at once), checks on the open file that it is
// a regular file, and reads at most limit bytes. Symbolic links are
// followed (a pod's projected service-account files are links).
//
// Its errors are *fs.PathError naming path, never the file's content: the
// open's own (os.IsNotExist works), "not a regular file (a named pipe)",
// "file too large (more than N bytes)".
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, fileKind(fi.Mode()))}
	}
	if fi.Size() > limit {
		return nil, tooLarge(path, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, limit) // it grew after the stat
	}
	return data, nil
}

func tooLarge(path string, limit int64) error {
	return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (more than %d bytes)", ErrFileTooLarge, limit)}
}

// The reasons ReadFile refuses a file, for errors.Is.
var (
	ErrNotRegular   = errors.New("not a regular file")
	ErrFileTooLarge = errors.New("file too large")
)

// fileKind names what a file that is not a regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}
