// Package testutil holds helpers shared by secretpath's tests.
package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RequireAllEnv is the environment variable that turns a missing
// prerequisite from a skip into a failure. CI sets it to 1.
const RequireAllEnv = "SECRETPATH_REQUIRE_ALL"

// Missing reports that a prerequisite of the test (a server, a toolchain)
// is absent: the test is skipped with the reason, or fails when
// SECRETPATH_REQUIRE_ALL=1.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("missing prerequisite ("+RequireAllEnv+"=1): "+format, args...)
	}
	t.Skipf("skipped, missing prerequisite: "+format, args...)
}

// RepoRoot is the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
