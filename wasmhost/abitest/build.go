// Package abitest is the conformance kit for WebAssembly guests: it builds
// the example backends from source in every SDK language and runs them,
// through the host, against the shared example vectors
// (examples/custom-backend/testdata) and the backendtest suite.
package abitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/secretpath/secretpath/internal/testutil"
)

var builds = struct {
	sync.Mutex
	dir  string
	done map[string]string // target -> .wasm path
}{done: map[string]string{}}

// BuildGoExample builds examples/custom-backend/go/<name> as a WASI reactor
// with the Go toolchain and returns the .wasm path. Builds are shared by
// every test of the process. Without a Go toolchain the test is skipped (or
// fails under SECRETPATH_REQUIRE_ALL=1).
func BuildGoExample(t testing.TB, name string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		testutil.Missing(t, "the go toolchain is not on PATH (needed to build Go guests)")
	}
	src := filepath.Join(testutil.RepoRoot(), "examples", "custom-backend", "go")
	return build(t, "go/"+name, func(out string) *exec.Cmd {
		cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w", "-o", out, "./"+name)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=-buildvcs=false")
		return cmd
	})
}

// build runs mk's command once per target and caches the result.
func build(t testing.TB, target string, mk func(out string) *exec.Cmd) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.done[target]; ok {
		return p
	}
	if builds.dir == "" {
		d, err := os.MkdirTemp("", "secretpath-guests-")
		if err != nil {
			t.Fatal(err)
		}
		builds.dir = d
	}
	out := filepath.Join(builds.dir, filepath.FromSlash(target)+".wasm")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := mk(out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", target, err, b)
	}
	builds.done[target] = out
	return out
}

// Cleanup removes the built modules; call it from TestMain after m.Run.
func Cleanup() {
	builds.Lock()
	defer builds.Unlock()
	if builds.dir != "" {
		_ = os.RemoveAll(builds.dir)
	}
}
