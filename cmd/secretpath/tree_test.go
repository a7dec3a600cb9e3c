package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
)

// TestCommandTreeExitCodes walks the whole command tree: every group run
// with an unknown command exits 2 naming it, run alone exits 2 with its
// usage on stderr, and --help (or help) exits 0 with the help on stdout;
// every command's --help exits 0.
func TestCommandTreeExitCodes(t *testing.T) {
	t.Chdir(t.TempDir())
	root := newApp(&bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" }).rootCmd()
	var groups, leaves int
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.Fields(c.CommandPath())[1:]
		t.Run(c.CommandPath(), func(t *testing.T) {
			res := runCLI(t, nil, append(path, "--help")...)
			assert.Equal(t, 0, res.code, res.stderr)
			assert.Contains(t, res.stdout, "Usage:")
			assert.Empty(t, res.stderr)

			res = runCLI(t, nil, append([]string{"help"}, path...)...)
			assert.Equal(t, 0, res.code, res.stderr)
			assert.Contains(t, res.stdout, "Usage:")
			if !c.HasSubCommands() {
				return
			}

			res = runCLI(t, nil, append(path, "bogus")...)
			assert.Equal(t, 2, res.code, "a group run with an unknown command")
			assert.Empty(t, res.stdout)
			assert.Contains(t, res.stderr, `secretpath: unknown command "bogus" for "`+c.CommandPath()+`"`)

			res = runCLI(t, nil, path...)
			assert.Equal(t, 2, res.code, "a group run without a command")
			assert.Empty(t, res.stdout)
			assert.True(t, strings.HasPrefix(res.stderr, "Usage:\n  "+c.CommandPath()+" [command]\n"), res.stderr)
			assert.NotContains(t, res.stderr, c.CommandPath()+" [flags]", "a group is no command of its own")
			assert.Contains(t, res.stderr, `secretpath: "`+c.CommandPath()+`" needs a command`)

			res = runCLI(t, nil, append([]string{"help"}, append(path, "bogus")...)...)
			assert.Equal(t, 2, res.code, "help for an unknown command")
			assert.Contains(t, res.stderr, `unknown command "bogus" for "`+c.CommandPath()+`"`)
		})
		if c.HasSubCommands() {
			groups++
		} else {
			leaves++
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	// root, connections, variables, db, wasm, backends, completion
	assert.Equal(t, 7, groups)
	assert.GreaterOrEqual(t, leaves, 20)
}

// TestMisspeltCommands: issue 15's typos exit 2, naming the command and
// the nearest ones.
func TestMisspeltCommands(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"variables", "sett", "K", "V"}, `unknown command "sett" for "secretpath variables"; did you mean "set"?`},
		{[]string{"connections", "gte", "x"}, `unknown command "gte" for "secretpath connections"; did you mean "get"?`},
		{[]string{"db", "mgirate"}, `unknown command "mgirate" for "secretpath db"; did you mean "migrate"?`},
		{[]string{"wasm", "chek", "x.wasm"}, `unknown command "chek" for "secretpath wasm"; did you mean "check"?`},
		{[]string{"connectons", "get", "x"}, `unknown command "connectons" for "secretpath"; did you mean "connections"?`},
		{[]string{"co"}, `unknown command "co" for "secretpath"; did you mean "completion" or "connections"?`},
		{[]string{"backends", "lst"}, `unknown command "lst" for "secretpath backends"; did you mean "list"?`},
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "secretpath" (see 'secretpath --help')`},
		// A flag only the misspelt command has: the command is the mistake.
		{[]string{"variables", "sett", "K", "V", "--description", "d"}, `unknown command "sett" for "secretpath variables"`},
		{[]string{"--config", "x.cfg", "connectons", "get", "x", "-o", "json"}, `unknown command "connectons" for "secretpath"`},
		// Extra arguments to a command that takes none.
		{[]string{"backends", "list", "extra"}, `unknown command "extra" for "secretpath backends list"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := runCLI(t, nil, tt.args...)
			assert.Equal(t, 2, res.code)
			assert.Empty(t, res.stdout)
			assert.Contains(t, res.stderr, "secretpath: "+tt.want)
			assert.Equal(t, 1, strings.Count(res.stderr, "\n"), "one line: %q", res.stderr)
		})
	}
}

func TestNearest(t *testing.T) {
	tests := []struct {
		typed      string
		candidates []string
		want       []string
	}{
		{"sett", []string{"get", "set"}, []string{"set"}},
		{"co", []string{"db", "connections", "completion"}, []string{"completion", "connections"}},
		{"bsh", []string{"bash", "zsh", "fish"}, []string{"bash", "zsh"}},
		{"mgirate", []string{"migrate", "check"}, []string{"migrate"}},
		{"GTE", []string{"get"}, []string{"get"}},
		{"x", nil, nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, nearest(tt.typed, tt.candidates), tt.typed)
	}
}
