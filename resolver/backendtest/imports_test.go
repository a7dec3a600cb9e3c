package backendtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// resolverPath is the import path of package resolver; backendtest may also
// import the packages under it.
const resolverPath = "github.com/secretpath/secretpath/resolver"

// allowedImport says whether backendtest's non-test code may import path:
// the standard library (no dot in its first element) or this module's
// resolver packages. Third-party backend authors import backendtest, so
// anything else becomes their dependency.
func allowedImport(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	if !strings.Contains(first, ".") {
		return true
	}
	return path == resolverPath || strings.HasPrefix(path, resolverPath+"/")
}

func TestAllowedImport(t *testing.T) {
	for path, want := range map[string]bool{
		"context":                    true,
		"encoding/json":              true,
		resolverPath:                 true,
		resolverPath + "/internal/x": true,
		"github.com/secretpath/secretpath/resolverx":        false,
		"github.com/secretpath/secretpath/internal/awsfake": false,
		"github.com/stretchr/testify/assert":                false,
		"golang.org/x/sync/errgroup":                        false,
	} {
		if got := allowedImport(path); got != want {
			t.Errorf("allowedImport(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestImportsOnlyStdAndResolver: the suite's own (non-test) files import
// only the standard library and this module's resolver packages: no
// testify, no other module.
func TestImportsOnlyStdAndResolver(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatalf("listing backendtest's files: %v", err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("reading %s: %v", name, err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parsing the imports of %s: %v", name, err)
		}
		checked++
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatalf("%s: import path %s: %v", name, imp.Path.Value, err)
			}
			if !allowedImport(path) {
				t.Errorf("%s imports %q: backendtest may import only the standard library and %s/...", name, path, resolverPath)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no non-test Go file found in the package directory")
	}
}
