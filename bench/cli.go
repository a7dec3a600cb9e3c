package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The CLI rows: a cold `secretpath connections get` (a new process, the
// README's quickstart: localfs over testdata/quickstart) against a Go hello
// world, whole processes started and reaped by this one. The three
// binaries run in turn (hello, default, slim, with the order rotating) so
// that a neighbour's burst slows all three alike; each row's time/op is the
// median of its cliRuns runs, and its ratio to CLI/hello is taken round by
// round, as for every row.
const (
	GroupCLI = "cli"
	cliRuns  = 30
)

// cliQuickstart is the command the rows run, from the repository root, and
// what it prints.
var (
	cliArgs = []string{"--config", "testdata/quickstart/secretpath.cfg", "connections", "get", "smtp_default"}
	cliWant = "smtps://user:host@relay.example.com:465\n"
)

const cliHelloWant = "hello, world\n"

const cliHelloSource = `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`

// The binaries, in the order of cliBinaries.bins.
const (
	cliHello = iota
	cliDefault
	cliSlim
	cliCount
)

var cliNames = [cliCount]string{"hello", "default", "slim"}

var cliCases = inGroup(GroupCLI, []Case{
	{Name: "CLI/hello", Once: true,
		What:  "a Go hello world (fmt.Println) built by the harness with the same toolchain: the floor of a Go process start. time/op is the median wall time of 30 runs, alternated with the two CLIs; allocs and B/op are this process's (starting it), not the child's",
		Setup: setup(cliBins), F: cliBench(cliHello), Note: cliNote},
	{Name: "CLI/default", Once: true,
		What:     "`secretpath --config testdata/quickstart/secretpath.cfg connections get smtp_default` (localfs), a new process each run, as `make cli` builds it (every backend, CGO_ENABLED=0)",
		Baseline: "CLI/hello", Targets: []Target{ratioAtMost(5)},
		Setup: setup(cliBins), F: cliBench(cliDefault)},
	{Name: "CLI/slim", Once: true,
		What:     "the same command, the slim profile as `make cli-slim` builds it (the tags in .ci/slim-tags: local files, environment variables, metastore)",
		Baseline: "CLI/hello", Targets: []Target{ratioAtMost(2.5)},
		Setup: setup(cliBins), F: cliBench(cliSlim)},
})

// cliBinaries are the three programs, built once per process into a
// temporary directory removed at Close.
type cliBinaries struct {
	root string // the repository root: the CLI's working directory
	bins [cliCount]string
	size [cliCount]int64
	goV  string
}

var cliBins = newLazy(buildCLIs)

// buildCLIs builds the hello world (its own module in a temporary
// directory) and the two CLIs from the repository, with the toolchain the
// repository selects, as the Makefile's cli and cli-slim targets do, and
// checks that each prints what it should.
func buildCLIs() (*cliBinaries, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("bench: the CLI rows build with the go toolchain on PATH: %w", err)
	}
	goVersion, err := exec.Command(goBin, "-C", root, "env", "GOVERSION").Output()
	if err != nil {
		return nil, fmt.Errorf("bench: go env GOVERSION in %s: %w", root, err)
	}
	tags, err := os.ReadFile(filepath.Join(root, ".ci", "slim-tags"))
	if err != nil {
		return nil, fmt.Errorf("bench: the slim profile's tags: %w", err)
	}
	dir, err := os.MkdirTemp("", "secretpath-bench-cli-")
	if err != nil {
		return nil, err
	}
	onClose(func() { _ = os.RemoveAll(dir) })
	helloDir := filepath.Join(dir, "hello")
	if err := os.Mkdir(helloDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(helloDir, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(helloDir, "main.go"), []byte(cliHelloSource), 0o644); err != nil {
		return nil, err
	}

	cb := &cliBinaries{root: root, goV: strings.TrimSpace(string(goVersion))}
	// The hello world is built with the repository's toolchain, whatever
	// its own go.mod would select.
	env := append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOWORK=off", "GOTOOLCHAIN="+cb.goV)
	builds := [cliCount]struct{ dir, pkg, tags string }{
		cliHello:   {helloDir, ".", ""},
		cliDefault: {root, "./cmd/secretpath", ""},
		cliSlim:    {root, "./cmd/secretpath", strings.TrimSpace(string(tags))},
	}
	for i, bld := range builds {
		out := filepath.Join(dir, "secretpath-"+cliNames[i])
		args := []string{"build", "-o", out}
		if bld.tags != "" {
			args = append(args, "-tags", bld.tags)
		}
		cmd := exec.Command(goBin, append(args, bld.pkg)...)
		cmd.Dir, cmd.Env = bld.dir, env
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("bench: building the %s binary: %v\n%s", cliNames[i], err, b)
		}
		st, err := os.Stat(out)
		if err != nil {
			return nil, err
		}
		cb.bins[i], cb.size[i] = out, st.Size()
	}
	for i := range cliCount {
		want := cliWant
		if i == cliHello {
			want = cliHelloWant
		}
		cmd := cb.command(i)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || stdout.String() != want {
			return nil, fmt.Errorf("bench: the %s binary printed %q (stderr %q, %v); want %q", cliNames[i], stdout.String(), stderr.String(), err, want)
		}
	}
	return cb, nil
}

func (cb *cliBinaries) command(i int) *exec.Cmd {
	var cmd *exec.Cmd
	if i == cliHello {
		cmd = exec.Command(cb.bins[i])
	} else {
		cmd = exec.Command(cb.bins[i], cliArgs...)
	}
	cmd.Dir = cb.root
	return cmd
}

// cliRun is one process: its wall time (from just before the start to just
// after it was reaped) and user + system CPU time. (Not its peak RSS: the
// kernel counts the starting process's into the child's ru_maxrss when it
// execs from a vfork, so every child would show at least this process's.)
type cliRun struct {
	wall, cpu time.Duration
}

// cliMeasurement is cliRuns runs of each binary, alternated. used says
// which rows have reported it: a row that already has starts a new one,
// so in a round-robin round the first CLI row measures and the other two
// report the same runs.
type cliMeasurement struct {
	runs [cliCount][]cliRun
	used [cliCount]bool
}

var cliState struct {
	sync.Mutex
	cur *cliMeasurement
}

func cliTake(cb *cliBinaries, which int) (*cliMeasurement, error) {
	cliState.Lock()
	defer cliState.Unlock()
	if cliState.cur == nil || cliState.cur.used[which] {
		m, err := cliMeasure(cb)
		if err != nil {
			return nil, err
		}
		cliState.cur = m
	}
	cliState.cur.used[which] = true
	return cliState.cur, nil
}

func cliMeasure(cb *cliBinaries) (*cliMeasurement, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	m := &cliMeasurement{}
	for r := range cliRuns {
		for k := range cliCount {
			i := (r + k) % cliCount // the order rotates: no binary always runs first
			cmd := cb.command(i)
			cmd.Stdout, cmd.Stderr = null, null
			start := time.Now()
			err := cmd.Run()
			wall := time.Since(start)
			if err != nil {
				return nil, fmt.Errorf("bench: run %d of the %s binary: %w", r+1, cliNames[i], err)
			}
			m.runs[i] = append(m.runs[i], cliRun{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()})
		}
	}
	return m, nil
}

func cliBench(which int) func(b *testing.B) {
	return func(b *testing.B) {
		cb := must(b, cliBins)
		var m *cliMeasurement
		for range b.N {
			var err error
			if m, err = cliTake(cb, which); err != nil {
				b.Fatal(err)
			}
		}
		med := func(f func(cliRun) float64) float64 {
			v := make([]float64, 0, cliRuns)
			for _, r := range m.runs[which] {
				v = append(v, f(r))
			}
			return median(v)
		}
		b.ReportMetric(med(func(r cliRun) float64 { return float64(r.wall.Nanoseconds()) }), MetricNs)
		b.ReportMetric(med(func(r cliRun) float64 { return float64(r.cpu.Nanoseconds()) }), "cpu-ns/op")
		if which != cliHello {
			// The same comparison run by run: this run ÷ the hello world's
			// of the same turn (the row's ratio column divides the medians).
			per := make([]float64, 0, cliRuns)
			for i, r := range m.runs[which] {
				per = append(per, float64(r.wall)/float64(m.runs[cliHello][i].wall))
			}
			b.ReportMetric(median(per), "x-hello-paired")
		}
	}
}

// cliNote says what was built and how big it is.
func cliNote() string {
	cb, err := cliBins.get()
	if err != nil {
		return ""
	}
	var sizes []string
	for i := range cliCount {
		sizes = append(sizes, fmt.Sprintf("%s %.1f MB", cliNames[i], float64(cb.size[i])/1e6))
	}
	return fmt.Sprintf("built with %s, CGO_ENABLED=0; %s; %d runs of each per round, alternated", cb.goV, strings.Join(sizes, ", "), cliRuns)
}
