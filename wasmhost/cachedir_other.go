//go:build !unix

package wasmhost

import (
	"fmt"
	"runtime"
)

// cacheDirsCheckable says that secureCacheDir refuses every directory
// here: a module opened from a config runs without a cache by default.
const cacheDirsCheckable = false

// secureCacheDir refuses every compilation cache directory: on this
// system the host cannot check who may write to it (see cachedir.go).
func secureCacheDir(dir string) (string, error) {
	return "", fmt.Errorf("%s: the owner and mode of a compilation cache cannot be checked on %s, and the cache holds native code that the host runs unverified: run without a cache directory", dir, runtime.GOOS)
}
