// Package abitest is the conformance kit for WebAssembly guests: it builds
// the example backends from source in every SDK language and runs them,
// through the host, against the shared example vectors
// (examples/custom-backend/testdata) and the backendtest suite. It needs
// this repository's examples and SDKs, so it is internal: run it with
// go test ./internal/abitest.
package abitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// BuildCExample builds examples/custom-backend/c/<name>.c with the C guest
// SDK (guest-sdk/c), freestanding wasm32, through the example's Makefile
// (clang + wasm-ld), and returns the .wasm path. Without clang, wasm-ld or
// make the test is skipped (or fails under SECRETPATH_REQUIRE_ALL=1).
func BuildCExample(t testing.TB, name string) string {
	t.Helper()
	tools := map[string]string{}
	for _, tool := range []string{"make", "clang", "wasm-ld"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			testutil.Missing(t, "%s is not on PATH (needed to build C guests: apt-get install clang lld make)", tool)
		}
		tools[tool] = p
	}
	src := filepath.Join(testutil.RepoRoot(), "examples", "custom-backend", "c")
	return build(t, "c/"+name, func(out string) *exec.Cmd {
		cmd := exec.Command(tools["make"], "-s", "-C", src, "CC="+tools["clang"], "WASMLD="+tools["wasm-ld"], "OUT="+filepath.Dir(out), out)
		return cmd
	})
}

// BuildASExample builds examples/custom-backend/assemblyscript/<name> with
// the AssemblyScript compiler pinned by that directory's package-lock.json
// (build.sh; `npm ci` there installs it) and returns the .wasm path.
// Without node or the compiler the test is skipped (or fails under
// SECRETPATH_REQUIRE_ALL=1).
func BuildASExample(t testing.TB, name string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		testutil.Missing(t, "node is not on PATH (needed to build AssemblyScript guests)")
	}
	src := filepath.Join(testutil.RepoRoot(), "examples", "custom-backend", "assemblyscript")
	if _, err := os.Stat(filepath.Join(src, "node_modules", ".bin", "asc")); err != nil {
		testutil.Missing(t, "the AssemblyScript compiler is not installed (run npm ci in %s)", src)
	}
	return build(t, "assemblyscript/"+name, func(out string) *exec.Cmd {
		// build.sh builds both examples into a directory of their own, so
		// that the two targets' builds never overwrite each other.
		dir := filepath.Join(filepath.Dir(out), name+".d")
		cmd := exec.Command("sh", "-c", `./build.sh "$1" && cp "$1/$2.wasm" "$3"`, "build", dir, name, out)
		cmd.Dir = src
		return cmd
	})
}

// BuildRustExample builds examples/custom-backend/rust/<name> with the Rust
// guest SDK (guest-sdk/rust), wasm32-unknown-unknown, through the example's
// build.sh (Debian's /usr/bin/rustc and cargo, offline), and returns the
// .wasm path. Without rustc, cargo or the wasm32 standard library the test is
// skipped (or fails under SECRETPATH_REQUIRE_ALL=1).
func BuildRustExample(t testing.TB, name string) string {
	t.Helper()
	tools := map[string]string{"cargo": "/usr/bin/cargo", "rustc": "/usr/bin/rustc"}
	for tool, def := range tools {
		if env := os.Getenv(strings.ToUpper(tool)); env != "" {
			tools[tool] = env
		} else if _, err := os.Stat(def); err != nil {
			testutil.Missing(t, "%s is missing (needed to build Rust guests: apt-get install rustc cargo libstd-rust-dev-wasm32)", def)
		}
	}
	out, err := exec.Command(tools["rustc"], "--print", "sysroot").Output()
	if err != nil {
		testutil.Missing(t, "%s --print sysroot: %v", tools["rustc"], err)
	}
	if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(out)), "lib", "rustlib", "wasm32-unknown-unknown")); err != nil {
		testutil.Missing(t, "the wasm32-unknown-unknown standard library is not installed for %s (apt-get install libstd-rust-dev-wasm32)", tools["rustc"])
	}
	src := filepath.Join(testutil.RepoRoot(), "examples", "custom-backend", "rust")
	return build(t, "rust/"+name, func(out string) *exec.Cmd {
		// build.sh builds both examples; each target gets a directory of
		// its own (cargo's target directory stays in the source tree,
		// git-ignored, so that rebuilds are incremental).
		dir := filepath.Join(filepath.Dir(out), name+".d")
		cmd := exec.Command("sh", "-c", `./build.sh "$1" && cp "$1/$2.wasm" "$3"`, "build", dir, name, out)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CARGO="+tools["cargo"], "RUSTC="+tools["rustc"])
		return cmd
	})
}
