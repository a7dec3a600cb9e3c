package secretpath_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath"
)

// Example_readme is README.md's "Use it from Go" program; TestREADMEGoSnippet
// keeps the two the same.
func Example_readme() {
	ctx := context.Background()
	r, err := secretpath.OpenFile(ctx, "testdata/quickstart/secretpath.cfg") // "": no file (environment, then the metastore)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	conn, err := r.Connection(ctx, "smtp_default") // errors.Is(err, resolver.ErrNotFound) when absent
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.Host, conn.Port, conn.Login) // conn.Password.Reveal() for the password
	// Output: relay.example.com 465 user
}

// TestREADMEGoSnippet: the README's Go program is a whole program whose
// main body is Example_readme's, so it compiles and runs as pasted.
func TestREADMEGoSnippet(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?ms)^```go\n(package main\n.*?)^```").FindSubmatch(readme)
	require.NotNil(t, m, "README.md has a ```go block with a whole program")
	snippet := string(m[1])
	require.Contains(t, snippet, `"github.com/secretpath/secretpath"`)
	body := func(src, fn string) string {
		i := strings.Index(src, fn+" {\n")
		require.GreaterOrEqual(t, i, 0, fn)
		rest := src[i+len(fn)+3:]
		j := strings.Index(rest, "\n}\n")
		require.GreaterOrEqual(t, j, 0, fn)
		return strings.TrimSpace(strings.Split(rest[:j], "\t// Output:")[0])
	}
	self, err := os.ReadFile("example_readme_test.go")
	require.NoError(t, err)
	require.Equal(t, body(string(self), "func Example_readme()"), body(snippet, "func main()"),
		"README.md's program and Example_readme differ")
}
