package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretpath/secretpath/wasmhost"
)

// ErrToolchainMissing is wrapped by the Setup error of a row whose guest
// needs a toolchain that is not installed (clang, rustc, asc).
var ErrToolchainMissing = errors.New("guest toolchain missing")

// langGuest is the jsondoc example of one guest language besides Go, built
// by its examples/custom-backend/<dir> build script.
type langGuest struct {
	lang  string   // row suffix: C, Rust, AS
	dir   string   // examples/custom-backend/<dir>
	tools []string // what must be on PATH
	cmd   func(tools map[string]string, out string) []string
}

var langGuests = []langGuest{
	{lang: "C", dir: "c", tools: []string{"make", "clang", "wasm-ld"},
		cmd: func(t map[string]string, out string) []string {
			return []string{t["make"], "-s", "CC=" + t["clang"], "WASMLD=" + t["wasm-ld"], "OUT=" + filepath.Dir(out), out}
		}},
	{lang: "Rust", dir: "rust", tools: []string{"sh", "/usr/bin/cargo", "/usr/bin/rustc"},
		cmd: func(t map[string]string, out string) []string {
			return []string{t["sh"], "build.sh", filepath.Dir(out)}
		}},
	{lang: "AS", dir: "assemblyscript", tools: []string{"sh", "node", "node_modules/.bin/asc"},
		cmd: func(t map[string]string, out string) []string {
			return []string{t["sh"], "build.sh", filepath.Dir(out)}
		}},
}

// buildLangGuest builds g's jsondoc (once per process) and returns its path.
func buildLangGuest(g langGuest) (string, error) {
	name := "jsondoc-" + g.dir
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.done[name]; ok {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	tools := map[string]string{}
	for _, tool := range g.tools {
		p, err := exec.LookPath(tool)
		if filepath.IsAbs(tool) { // an absolute path (Debian's /usr/bin/rustc, not a rustup proxy)
			p, err = tool, nil
			if _, serr := os.Stat(p); serr != nil {
				err = serr
			}
		} else if strings.Contains(tool, "/") { // relative to the example's directory
			p, err = filepath.Join(root, "examples", "custom-backend", g.dir, tool), nil
			if _, serr := os.Stat(p); serr != nil {
				err = serr
			}
		}
		if err != nil {
			return "", fmt.Errorf("bench: building the %s jsondoc guest needs %s on PATH (.ci/guest-toolchains.sh installs it): %w", g.lang, tool, ErrToolchainMissing)
		}
		tools[tool] = p
	}
	if builds.dir == "" {
		d, err := os.MkdirTemp("", "secretpath-bench-guests-")
		if err != nil {
			return "", err
		}
		builds.dir = d
	}
	out := filepath.Join(builds.dir, name, "jsondoc.wasm")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	args := g.cmd(tools, out)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = filepath.Join(root, "examples", "custom-backend", g.dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: building the %s jsondoc guest: %v\n%s", g.lang, err, b)
	}
	builds.done[name] = out
	return out, nil
}

// langCases are the rows of each language's jsondoc: untrusted and trusted
// lookups (reporting the module's size as moduleB), NewTenant time and
// bytes per idle tenant, like the Go rows.
func langCases(g langGuest) []Case {
	path := func() (string, error) { return buildLangGuest(g) }
	module := newLazy(loadModule(path))
	gu := guest{name: "jsondoc-" + g.dir, module: module, cfg: wasmhost.TenantConfig{Kwargs: jsondocKwargs}}
	untrusted := newLazy(newTenant(gu, false))
	trusted := newLazy(newTenant(gu, true))
	withSize := func(f func(*testing.B)) func(*testing.B) {
		return func(b *testing.B) {
			f(b)
			if p, err := path(); err == nil {
				if st, err := os.Stat(p); err == nil {
					b.ReportMetric(float64(st.Size()), "moduleB")
				}
			}
		}
	}
	src := "examples/custom-backend/" + g.dir + " jsondoc (" + g.lang + " guest SDK)"
	return []Case{
		{Name: "Ours" + g.lang + "/untrusted", What: "Tenant.Lookup on the " + src + ", untrusted; moduleB is the .wasm size",
			Baseline: "Floor",
			Setup:    setup(untrusted), F: withSize(tenantBench(untrusted))},
		{Name: "Ours" + g.lang + "/trusted", What: "the same, trusted",
			Baseline: "Floor",
			Setup:    setup(trusted), F: withSize(tenantBench(trusted))},
		{Name: "InstantiateTenant/jsondoc-" + g.dir, What: "Host.NewTenant for the " + src + " (parses its kwargs in the guest)",
			Targets: []Target{timeAtMost(200e3)},
			Setup:   setup(module), F: instantiateBench(gu, 64)},
		{Name: "IdleTenant/jsondoc-" + g.dir, What: "bytes per idle tenant, 200 tenants of the " + src,
			Once: true, Targets: idleTargets(),
			Setup: setup(module), F: idleBench(gu, 200)},
	}
}

// langCaseList is every language's rows.
func langCaseList() []Case {
	var cs []Case
	for _, g := range langGuests {
		cs = append(cs, langCases(g)...)
	}
	return inGroup(GroupWASM, cs)
}
