package wasmhost_test

import (
	"os"
	"testing"

	"github.com/secretpath/secretpath/wasmhost"
)

// TestMain keeps the default compilation cache of modules opened from a
// config out of the user's cache directory: every test's goes to one
// temporary directory (tests about the default set their own).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "secretpath-wasmhost-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv(wasmhost.CacheDirEnv, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
