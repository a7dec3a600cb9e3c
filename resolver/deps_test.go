package resolver_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDependenciesPointDown checks that resolver imports no backend, no
// host and no command: dependencies point from backends to resolver only.
func TestDependenciesPointDown(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/secretpath/secretpath/resolver/...").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"/builtin/", "/wasmhost", "/cmd/", "/internal/"} {
			if strings.HasPrefix(pkg, "github.com/secretpath/secretpath") && strings.Contains(pkg, banned) {
				t.Errorf("resolver depends on %s", pkg)
			}
		}
	}
}
