package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

// RepoRoot returns the secretpath repository's root: the first directory,
// from the working directory up, that holds wasmhost/ABI.md (falling back
// to this source file's location).
func RepoRoot() (string, error) {
	isRoot := func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, "wasmhost", "ABI.md"))
		return err == nil
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if isRoot(dir) {
				return dir, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		if dir := filepath.Dir(filepath.Dir(file)); isRoot(dir) {
			return dir, nil
		}
	}
	return "", errors.New("bench: cannot find the secretpath repository (no wasmhost/ABI.md above the working directory)")
}

// builds holds the guests built by this process, in one temporary
// directory removed by Cleanup.
var builds = struct {
	sync.Mutex
	dir  string
	done map[string]string // name -> .wasm path
}{done: map[string]string{}}

// buildGoGuest builds package pkg of the Go module in dir (relative to the
// repository root) as a WASI reactor, the way the SDK documents it:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags="-s -w"
//
// It returns the .wasm path. Each guest is built once per process; Go's
// build cache makes later processes fast.
func buildGoGuest(name, dir, pkg string) (string, error) {
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.done[name]; ok {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("bench: building the %s guest needs the go toolchain on PATH: %w", name, err)
	}
	if builds.dir == "" {
		d, err := os.MkdirTemp("", "secretpath-bench-guests-")
		if err != nil {
			return "", err
		}
		builds.dir = d
	}
	out := filepath.Join(builds.dir, name+".wasm")
	cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = filepath.Join(root, filepath.FromSlash(dir))
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=-buildvcs=false", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: building the %s guest (%s in %s): %v\n%s", name, pkg, dir, err, b)
	}
	builds.done[name] = out
	return out, nil
}

// Cleanup removes the guests this process built.
func Cleanup() {
	builds.Lock()
	defer builds.Unlock()
	if builds.dir != "" {
		_ = os.RemoveAll(builds.dir)
		builds.dir = ""
		builds.done = map[string]string{}
	}
}

// The guests. Each returns the path of its .wasm file.

// benchGuestPath is the ABI v1 WAT guest (committed .wasm of a .wat).
func benchGuestPath() (string, error) { return testdataPath("bench_guest.wasm") }

// benchGuestBufPath is the same guest answering OK_IN_BUFFER (ABI v1.1):
// the result goes back in the exchange buffer, with no host call.
func benchGuestBufPath() (string, error) { return testdataPath("bench_guest_buf.wasm") }

// floorPath is the bare-export WAT module of the floor.
func floorPath() (string, error) { return testdataPath("floor.wasm") }

func testdataPath(name string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "wasmhost", "testdata", name), nil
}

// jsondocPath builds the Go example backend jsondoc (std Go, guest SDK).
func jsondocPath() (string, error) {
	return buildGoGuest("jsondoc", "examples/custom-backend/go", "./jsondoc")
}

// extismGuestPath builds the Extism Go-PDK guest of bench/guests/extism.
func extismGuestPath() (string, error) {
	return buildGoGuest("extism", "bench/guests/extism", ".")
}
