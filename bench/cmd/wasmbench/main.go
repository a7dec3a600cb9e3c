// Command wasmbench runs secretpath's per-lookup WebAssembly benchmarks in
// one process and reports medians, ratios and whether each target is met.
//
//	cd bench && go run ./cmd/wasmbench [-count 3] [-benchtime 500ms] [-run REGEXP] [-json FILE]
//
// The rows are run round-robin (every row once, then every row again, -count
// times) so that a noisy neighbour slows every row alike; each figure is the
// median of the rounds, and each ratio is the median of the per-round
// ratios (paired: both rows of a ratio ran in the same round). See
// ../../README.md for what each row measures.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretpath/secretpath/bench"
)

// Report is what -json writes.
type Report struct {
	Date      time.Time `json:"date"`
	Machine   Machine   `json:"machine"`
	BenchTime string    `json:"benchtime"`
	Count     int       `json:"count"`
	Rows      []*Row    `json:"rows"`
	Ratios    []Ratio   `json:"ratios"`
	Targets   []Target  `json:"targets"`
	Duration  string    `json:"duration"`
}

// Machine describes where the numbers came from.
type Machine struct {
	CPU         string            `json:"cpu"`
	NumCPU      int               `json:"num_cpu"`
	GOMAXPROCS  int               `json:"gomaxprocs"`
	GoVersion   string            `json:"go_version"`
	OSArch      string            `json:"os_arch"`
	Kernel      string            `json:"kernel,omitempty"`
	Modules     map[string]string `json:"modules"`
	LoadBefore  string            `json:"loadavg_before,omitempty"`
	LoadAfter   string            `json:"loadavg_after,omitempty"`
	Clocksource string            `json:"clocksource,omitempty"`
	// Commit is the repository's HEAD, with "+dirty" when wasmhost/ or
	// resolver/ has uncommitted changes.
	Commit string `json:"commit,omitempty"`
}

// Sample is one run of one row.
type Sample struct {
	Round       int                `json:"round"`
	N           int                `json:"n"`
	NsPerOp     float64            `json:"ns_per_op"`
	AllocsPerOp int64              `json:"allocs_per_op"`
	BytesPerOp  int64              `json:"bytes_per_op"`
	Extra       map[string]float64 `json:"extra,omitempty"`
}

// Row is one benchmark: its samples and their medians.
type Row struct {
	Name        string             `json:"name"`
	What        string             `json:"what"`
	Samples     []Sample           `json:"samples"`
	NsPerOp     float64            `json:"median_ns_per_op"`
	MinNs       float64            `json:"min_ns_per_op"`
	MaxNs       float64            `json:"max_ns_per_op"`
	AllocsPerOp int64              `json:"median_allocs_per_op"`
	BytesPerOp  int64              `json:"median_bytes_per_op"`
	Extra       map[string]float64 `json:"median_extra,omitempty"`
	Error       string             `json:"error,omitempty"`
}

// Ratio compares two rows: the median over the rounds of a's time ÷ b's
// time in the same round (paired, so that a slow round slows both).
type Ratio struct {
	Name   string    `json:"name"`
	A      string    `json:"a"`
	B      string    `json:"b"`
	Value  float64   `json:"value"`
	Rounds []float64 `json:"per_round"`
}

// Target is one target of the issue or DESIGN.md §6 and whether it is met.
type Target struct {
	What   string  `json:"what"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target"`
	Met    bool    `json:"met"`
	Known  bool    `json:"known"` // false when a row it needs did not run
}

func main() {
	testing.Init()
	jsonPath := flag.String("json", "", "write the report as JSON to this file (default <repo>/bench/results/wasm.json; \"-\" for none)")
	benchTime := flag.String("benchtime", "500ms", "time (or Nx) per sample of each lookup/instantiation row")
	count := flag.Int("count", 3, "rounds: samples per row; the table shows their median")
	run := flag.String("run", "", "only rows whose name matches this regexp")
	list := flag.Bool("list", false, "list the rows and exit")
	flag.Parse()
	if *list {
		fmt.Print(bench.Describe())
		return
	}
	if err := mainErr(*jsonPath, *benchTime, *count, *run); err != nil {
		fmt.Fprintln(os.Stderr, "wasmbench:", err)
		os.Exit(1)
	}
}

func mainErr(jsonPath, benchTime string, count int, run string) error {
	start := time.Now()
	defer bench.Close()
	if count < 1 {
		return fmt.Errorf("-count must be at least 1")
	}
	var re *regexp.Regexp
	if run != "" {
		var err error
		if re, err = regexp.Compile(run); err != nil {
			return err
		}
	}
	root, err := bench.RepoRoot()
	if err != nil {
		return err
	}
	if jsonPath == "" {
		jsonPath = filepath.Join(root, "bench", "results", "wasm.json")
	}

	rep := &Report{Date: start.UTC(), Machine: machine(), BenchTime: benchTime, Count: count}
	rep.Machine.Commit = commit(root)
	var cases []bench.Case
	for _, c := range bench.Cases {
		if re != nil && !re.MatchString(c.Name) {
			continue
		}
		row := &Row{Name: c.Name, What: c.What}
		t0 := time.Now()
		if err := c.Setup(); err != nil {
			row.Error = err.Error()
			fmt.Fprintf(os.Stderr, "setup %-30s FAILED: %v\n", c.Name, err)
		} else {
			fmt.Fprintf(os.Stderr, "setup %-30s %v\n", c.Name, time.Since(t0).Round(time.Millisecond))
			cases = append(cases, c)
		}
		rep.Rows = append(rep.Rows, row)
	}
	rowOf := func(name string) *Row {
		for _, r := range rep.Rows {
			if r.Name == name {
				return r
			}
		}
		return nil
	}

	for round := 1; round <= count; round++ {
		fmt.Fprintf(os.Stderr, "round %d/%d\n", round, count)
		for _, c := range cases {
			bt := benchTime
			if c.Once {
				bt = "1x"
			}
			if err := flag.Set("test.benchtime", bt); err != nil {
				return err
			}
			res := testing.Benchmark(c.F)
			row := rowOf(c.Name)
			if res.N == 0 {
				row.Error = "the benchmark failed (run it with go test -bench for its message)"
				fmt.Fprintf(os.Stderr, "  %-30s FAILED\n", c.Name)
				continue
			}
			s := Sample{Round: round, N: res.N, NsPerOp: float64(res.T.Nanoseconds()) / float64(res.N), AllocsPerOp: res.AllocsPerOp(), BytesPerOp: res.AllocedBytesPerOp(), Extra: res.Extra}
			row.Samples = append(row.Samples, s)
			fmt.Fprintf(os.Stderr, "  %-30s %12s ns/op\n", c.Name, fmtNs(s.NsPerOp))
		}
	}
	for _, r := range rep.Rows {
		summarize(r)
	}
	rep.Machine.LoadAfter = loadavg()
	rep.Ratios, rep.Targets = evaluate(rowOf)
	rep.Duration = time.Since(start).Round(time.Millisecond).String()

	printReport(os.Stdout, rep)
	if jsonPath != "-" {
		if err := os.MkdirAll(filepath.Dir(jsonPath), 0o755); err != nil {
			return err
		}
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Printf("\nJSON: %s\n", jsonPath)
	}
	return nil
}

func summarize(r *Row) {
	if len(r.Samples) == 0 {
		return
	}
	ns := make([]float64, len(r.Samples))
	allocs := make([]float64, len(r.Samples))
	bytes := make([]float64, len(r.Samples))
	for i, s := range r.Samples {
		ns[i], allocs[i], bytes[i] = s.NsPerOp, float64(s.AllocsPerOp), float64(s.BytesPerOp)
	}
	r.NsPerOp = median(ns)
	r.MinNs, r.MaxNs = slices.Min(ns), slices.Max(ns)
	r.AllocsPerOp, r.BytesPerOp = int64(math.Round(median(allocs))), int64(math.Round(median(bytes)))
	keys := map[string]bool{}
	for _, s := range r.Samples {
		for k := range s.Extra {
			keys[k] = true
		}
	}
	for k := range keys {
		var vs []float64
		for _, s := range r.Samples {
			if v, ok := s.Extra[k]; ok {
				vs = append(vs, v)
			}
		}
		if r.Extra == nil {
			r.Extra = map[string]float64{}
		}
		r.Extra[k] = median(vs)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// evaluate computes the ratios and checks the targets.
func evaluate(rowOf func(string) *Row) ([]Ratio, []Target) {
	val := func(name string) (float64, bool) {
		r := rowOf(name)
		if r == nil || len(r.Samples) == 0 {
			return 0, false
		}
		return r.NsPerOp, true
	}
	extra := func(name, key string) (float64, bool) {
		r := rowOf(name)
		if r == nil || r.Extra == nil {
			return 0, false
		}
		v, ok := r.Extra[key]
		return v, ok
	}
	var ratios []Ratio
	ratio := func(name, a, b string) (float64, bool) {
		ra, rb := rowOf(a), rowOf(b)
		if ra == nil || rb == nil {
			return 0, false
		}
		var per []float64
		for _, sa := range ra.Samples {
			for _, sb := range rb.Samples {
				if sa.Round == sb.Round && sb.NsPerOp > 0 {
					per = append(per, sa.NsPerOp/sb.NsPerOp)
				}
			}
		}
		if len(per) == 0 {
			return 0, false
		}
		r := Ratio{Name: name, A: a, B: b, Value: median(per), Rounds: per}
		ratios = append(ratios, r)
		return r.Value, true
	}
	var targets []Target
	atMost := func(what string, v float64, ok bool, limit float64, unit, target string) {
		targets = append(targets, Target{What: what, Value: v, Unit: unit, Target: target, Met: ok && v <= limit, Known: ok})
	}
	atLeast := func(what string, v float64, ok bool, limit float64, unit, target string) {
		targets = append(targets, Target{What: what, Value: v, Unit: unit, Target: target, Met: ok && v >= limit, Known: ok})
	}

	v, ok := ratio("ours/floor (no deadline)", "Ours/trusted", "Floor")
	atMost("WASM lookup, no deadline: Ours/trusted ÷ Floor", v, ok, 2, "×", "≤ 2×")
	v, ok = ratio("ours, result in buffer/floor (no deadline)", "OursBuf/trusted", "Floor")
	atMost("WASM lookup, no deadline, OK_IN_BUFFER (v1.1): OursBuf/trusted ÷ Floor", v, ok, 2, "×", "≤ 2×")
	v, ok = ratio("ours/floor (with deadline)", "Ours/deadline", "FloorDeadline")
	atMost("WASM lookup, with deadline: Ours/deadline ÷ FloorDeadline", v, ok, 1.5, "×", "≤ 1.5×")
	v, ok = ratio("metered/unmetered lookup", "Ours/untrusted", "Ours/trusted")
	atMost("metered lookup: Ours/untrusted (metered) ÷ Ours/trusted (unmetered)", v, ok, 1.2, "×", "≤ 1.2×")
	ratio("metered/unmetered lookup, OK_IN_BUFFER", "OursBuf/untrusted", "OursBuf/trusted")
	v, ok = ratio("extism/ours (no deadline)", "Extism", "Ours/trusted")
	atLeast("vs Extism, no deadline: Extism ÷ Ours/trusted", v, ok, 50, "×", "≥ 50×")
	// DESIGN.md §6 sets the Extism target on the no-deadline row; with
	// deadlines both pay wazero's per-call context watch, so this one is a
	// ratio only.
	ratio("extism/ours (with deadline)", "ExtismTimeout", "Ours/untrusted")
	ratio("ours untrusted/floor (no deadline)", "Ours/untrusted", "Floor")
	ratio("ABI floor/floor", "ABIFloor", "Floor")
	ratio("ours/ABI floor (no deadline)", "Ours/trusted", "ABIFloor")
	ratio("ours/ABI floor (with deadline)", "Ours/untrusted", "ABIFloorDeadline")
	ratio("resolver/ours (untrusted)", "Resolver/untrusted", "Ours/untrusted")
	ratio("resolver/ours (trusted)", "Resolver/trusted", "Ours/trusted")
	ratio("extism instance/our tenant (Go guests)", "InstantiateExtism", "InstantiateTenant/jsondoc")

	v, ok = val("InstantiateTenant/bench_guest")
	atMost("tenant instantiation, small guest (bench_guest.wat)", v/1000, ok, 200, "µs", "≤ 200 µs")
	v, ok = extra("IdleTenant/bench_guest", "heapB/tenant")
	atMost("idle tenant, small guest (bench_guest.wat), Go heap", v/1024, ok, 128, "KiB", "≤ 128 KiB")
	v, ok = extra("IdleTenant/bench_guest", "rssB/tenant")
	atMost("idle tenant, small guest (bench_guest.wat), RSS", v/1024, ok, 128, "KiB", "≤ 128 KiB")
	return ratios, targets
}

func printReport(w io.Writer, rep *Report) {
	m := rep.Machine
	fmt.Fprintf(w, "secretpath WASM benchmarks — %s\n", rep.Date.Format(time.RFC3339))
	fmt.Fprintf(w, "CPU: %s (%d CPUs, GOMAXPROCS %d), %s, %s", m.CPU, m.NumCPU, m.GOMAXPROCS, m.GoVersion, m.OSArch)
	if m.Kernel != "" {
		fmt.Fprintf(w, ", Linux %s", m.Kernel)
	}
	fmt.Fprintln(w)
	var mods []string
	for k, v := range m.Modules {
		mods = append(mods, k+" "+v)
	}
	slices.Sort(mods)
	fmt.Fprintf(w, "modules: %s; secretpath %s\n", strings.Join(mods, ", "), m.Commit)
	fmt.Fprintf(w, "load average before/after: %s / %s; clocksource %s\n", m.LoadBefore, m.LoadAfter, m.Clocksource)
	fmt.Fprintf(w, "medians of %d round-robin samples, -benchtime %s per sample; total %s\n\n", rep.Count, rep.BenchTime, rep.Duration)

	fmt.Fprintf(w, "%-30s %10s %21s %9s %11s  %s\n", "row", "time/op", "min – max", "allocs/op", "B/op", "other (median)")
	for _, r := range rep.Rows {
		if len(r.Samples) == 0 {
			fmt.Fprintf(w, "%-30s %10s  %s\n", r.Name, "—", r.Error)
			continue
		}
		var other []string
		keys := make([]string, 0, len(r.Extra))
		for k := range r.Extra {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			other = append(other, fmt.Sprintf("%s %s", fmtNum(r.Extra[k]), k))
		}
		fmt.Fprintf(w, "%-30s %10s %21s %9d %11d  %s\n", r.Name, fmtDur(r.NsPerOp),
			fmtDur(r.MinNs)+" – "+fmtDur(r.MaxNs), r.AllocsPerOp, r.BytesPerOp, strings.Join(other, ", "))
	}

	fmt.Fprintf(w, "\nratios (median over the rounds of the ratio within a round; per round in brackets)\n")
	for _, r := range rep.Ratios {
		per := make([]string, len(r.Rounds))
		for i, v := range r.Rounds {
			per[i] = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(w, "  %-40s %8.2f×  %-22s %s ÷ %s\n", r.Name, r.Value, "["+strings.Join(per, " ")+"]", r.A, r.B)
	}
	fmt.Fprintf(w, "\ntargets\n")
	for _, t := range rep.Targets {
		verdict := "not met"
		switch {
		case !t.Known:
			verdict = "not measured"
		case t.Met:
			verdict = "met"
		}
		fmt.Fprintf(w, "  %-62s %10.2f %-3s  target %-10s %s\n", t.What, t.Value, t.Unit, t.Target, verdict)
	}
}

func fmtNs(ns float64) string {
	if ns >= 100 {
		return fmt.Sprintf("%.0f", ns)
	}
	return fmt.Sprintf("%.1f", ns)
}

// fmtDur prints nanoseconds with a unit: 94.8 ns, 2.38 µs, 8.56 ms, 1.02 s.
func fmtDur(ns float64) string {
	switch {
	case ns < 1e3:
		return fmtNs(ns) + " ns"
	case ns < 1e6:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
	return fmt.Sprintf("%.2f s", ns/1e9)
}

func fmtNum(v float64) string {
	if v == math.Trunc(v) || math.Abs(v) >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func machine() Machine {
	m := Machine{
		CPU:        cpuModel(),
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		OSArch:     runtime.GOOS + "/" + runtime.GOARCH,
		Modules:    map[string]string{},
		LoadBefore: loadavg(),
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource"); err == nil {
		m.Clocksource = strings.TrimSpace(string(b))
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/tetratelabs/wazero", "github.com/extism/go-sdk":
				m.Modules[d.Path] = d.Version
			}
		}
	}
	return m
}

// commit returns root's git HEAD (short), "+dirty" when wasmhost/ or
// resolver/ has uncommitted changes, or "" without git.
func commit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--", "wasmhost", "resolver").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += "+dirty"
	}
	return c
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
