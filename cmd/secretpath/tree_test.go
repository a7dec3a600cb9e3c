package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		t.Run(argsName(tt.args), func(t *testing.T) {
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

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-v"}} {
		res := runCLI(t, nil, args...)
		require.Equal(t, 0, res.code, res.stderr)
		lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
		assert.True(t, strings.HasPrefix(lines[0], "secretpath "), res.stdout)
		assert.Contains(t, lines, "go: "+runtime.Version())
		assert.Regexp(t, `(?m)^wazero: (v\d+\.\d+\.\d+\S*|not linked)$`, res.stdout)
		assert.Empty(t, res.stderr)
	}

	wazero := &debug.Module{Path: "github.com/tetratelabs/wazero", Version: "v1.12.0"}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{name: "no build info", want: "secretpath devel\ngo: " + runtime.Version() + "\nwazero: not linked"},
		{name: "a checkout without VCS stamps", bi: &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Path: modulePath, Version: "(devel)"},
			Deps: []*debug.Module{wazero}}, want: "secretpath devel\ngo: go1.27.3\nwazero: v1.12.0"},
		{name: "go install of a release", bi: &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Path: modulePath, Version: "v1.0.0"},
			Deps: []*debug.Module{{Path: "golang.org/x/sys", Version: "v0.1.0"}, wazero}}, want: "secretpath v1.0.0\ngo: go1.27.3\nwazero: v1.12.0"},
		{name: "a stamped dirty checkout", bi: &debug.BuildInfo{GoVersion: "go1.27.3",
			Main: debug.Module{Path: modulePath, Version: "v0.0.0-20261206165154-45110d767322+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "45110d767322d79ff5c9a76ec8aeed18afa810d4"},
				{Key: "vcs.time", Value: "2026-12-06T16:51:54Z"}, {Key: "vcs.modified", Value: "true"}},
			Deps: []*debug.Module{wazero}},
			want: "secretpath v0.0.0-20261206165154-45110d767322+dirty\nrevision: 45110d767322d79ff5c9a76ec8aeed18afa810d4 2026-12-06T16:51:54Z (modified)\ngo: go1.27.3\nwazero: v1.12.0"},
		{name: "secretpath_no_wasm: wazero not linked", bi: &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Path: modulePath, Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}},
			want: "secretpath devel\nrevision: abc\ngo: go1.27.3\nwazero: not linked"},
		{name: "wazero replaced", bi: &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Path: modulePath},
			Deps: []*debug.Module{{Path: wazero.Path, Version: "v1.12.0", Replace: &debug.Module{Path: "../wazero"}}}},
			want: "secretpath devel\ngo: go1.27.3\nwazero: v1.12.0 => ../wazero"},
		{name: "another main module (a test binary)", bi: &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Path: "example.com/x", Version: "v9.9.9"}},
			want: "secretpath devel\ngo: go1.27.3\nwazero: not linked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, versionText(tt.bi))
		})
	}
}

// TestVersionWithoutWASM builds the slim CLI (.ci/slim-tags): wazero is not linked,
// and --version says so.
func TestVersionWithoutWASM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tags, err := os.ReadFile(filepath.Join("..", "..", ".ci", "slim-tags"))
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "secretpath")
	build := exec.Command("go", "build", "-o", bin, "-tags", strings.TrimSpace(string(tags)), ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	out, err := exec.Command(bin, "--version").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "\nwazero: not linked\n")
}
