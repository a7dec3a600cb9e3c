package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
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
)

// Options configure Run.
type Options struct {
	// BenchTime is each sample's -benchtime ("500ms", or "Nx"); "" means
	// 500ms. Rows marked Once always run once per round.
	BenchTime string
	// Count is how many round-robin rounds run (samples per row); 0 means 3.
	Count int
	// Run, when set, keeps only the rows whose name matches.
	Run *regexp.Regexp
	// Groups, when set, keeps only the rows of these groups.
	Groups []string
	// Tenants is how many tenants the multi-tenancy row creates; 0 means
	// 10,000 (bench/README.md, "Targets").
	Tenants int
	// Quick marks a smoke run in the report.
	Quick bool
	// Progress receives one line per setup and per sample (nil: none).
	Progress io.Writer
}

// Report is a run's result: what the table shows, and what is written as
// JSON.
type Report struct {
	Date      time.Time `json:"date"`
	Machine   Machine   `json:"machine"`
	Quick     bool      `json:"quick"`
	BenchTime string    `json:"benchtime"`
	Count     int       `json:"count"`
	Tenants   int       `json:"tenants"`
	Rows      []*Row    `json:"rows"`
	Ratios    []Ratio   `json:"ratios"`
	Targets   []Verdict `json:"targets"`
	Duration  string    `json:"duration"`
	// Latency says how the concurrency rows' percentiles were sampled.
	Latency string `json:"latency_method"`
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
	// Commit is the repository's HEAD, with "+dirty" when it has
	// uncommitted changes outside bench/.
	Commit string `json:"commit,omitempty"`
}

// Sample is one run of one row.
type Sample struct {
	Round       int                `json:"round"`
	N           int                `json:"n"`
	NsPerOp     float64            `json:"ns_per_op"`
	AllocsPerOp float64            `json:"allocs_per_op"`
	BytesPerOp  float64            `json:"bytes_per_op"`
	Extra       map[string]float64 `json:"extra,omitempty"`
}

// Row is one benchmark: its samples, their medians, its ratio to its
// baseline and its targets.
type Row struct {
	Name        string             `json:"name"`
	Group       string             `json:"group"`
	What        string             `json:"what"`
	Samples     []Sample           `json:"samples"`
	NsPerOp     float64            `json:"median_ns_per_op"`
	MinNs       float64            `json:"min_ns_per_op"`
	MaxNs       float64            `json:"max_ns_per_op"`
	AllocsPerOp float64            `json:"median_allocs_per_op"`
	BytesPerOp  float64            `json:"median_bytes_per_op"`
	Extra       map[string]float64 `json:"median_extra,omitempty"`
	Baseline    string             `json:"baseline,omitempty"`
	// Ratio is the median over the rounds of this row's time ÷ the
	// baseline's in the same round (0 when not measured).
	Ratio   float64   `json:"ratio_to_baseline,omitempty"`
	Targets []Verdict `json:"targets,omitempty"`
	Note    string    `json:"note,omitempty"`
	Error   string    `json:"error,omitempty"`
	// NotBuilt is set for a planned row whose code is not in this tree.
	NotBuilt bool `json:"not_built,omitempty"`

	err error // Setup's or the benchmark's
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

// Verdict is one target checked.
type Verdict struct {
	Row    string  `json:"row"`
	What   string  `json:"what"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target"`
	Met    bool    `json:"met"`
	Known  bool    `json:"known"` // false when a row it needs did not run
}

// diagnostics are ratios printed besides each row's own (rows' baselines
// cover the rest).
var diagnostics = []struct{ name, a, b string }{
	{"ours untrusted/floor (no deadline)", "Ours/untrusted", "Floor"},
	{"ours/ABI floor (no deadline)", "Ours/trusted", "ABIFloor"},
	{"ours deadline/ABI floor deadline", "Ours/deadline", "ABIFloorDeadline"},
	{"waPC/ours untrusted (default tenant)", "WaPC", "Ours/untrusted"},
	{"extism/waPC", "Extism", "WaPC"},
	{"cached hit/read-locked map", "Cache/hit-connection", "Floor/map-rlock"},
	{"localfs/cached hit", "LocalFS/connection", "Cache/hit-connection"},
}

// LatencyMethod says how latency percentiles are measured.
var LatencyMethod = fmt.Sprintf("every %dth call of each goroutine is timed with time.Now before and after (the two clock reads are in the figure); p50/p99/p99.9 are exact (nearest rank) over those samples", sampleEvery)

// Run runs the selected rows round-robin (every row once, then every row
// again, Count times) in this process and returns the report. Call Close
// afterwards.
func Run(o Options) (*Report, error) {
	start := time.Now()
	testing.Init()
	if o.BenchTime == "" {
		o.BenchTime = "500ms"
	}
	if o.Count == 0 {
		o.Count = 3
	}
	if o.Count < 1 {
		return nil, errors.New("bench: Count must be at least 1")
	}
	if o.Tenants == 0 {
		o.Tenants = 10_000
	}
	tenancy.n = o.Tenants
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	bt := flag.Lookup("test.benchtime")
	if bt == nil {
		return nil, errors.New("bench: the testing flags are not registered")
	}
	saved := bt.Value.String()
	defer func() { _ = flag.Set("test.benchtime", saved) }()
	if err := flag.Set("test.benchtime", o.BenchTime); err != nil {
		return nil, fmt.Errorf("bench: benchtime %q: %w", o.BenchTime, err)
	}

	rep := &Report{Date: start.UTC(), Machine: machine(), Quick: o.Quick, BenchTime: o.BenchTime, Count: o.Count, Tenants: o.Tenants, Latency: LatencyMethod}
	if root, err := RepoRoot(); err == nil {
		rep.Machine.Commit = commit(root)
	}
	byName := map[string]*Row{}
	var cases []Case
	for _, c := range Cases {
		if !o.keep(c) {
			continue
		}
		row := &Row{Name: c.Name, Group: c.Group, What: c.What, Baseline: c.Baseline}
		rep.Rows = append(rep.Rows, row)
		byName[c.Name] = row
		if c.Paired != "" {
			// The paired baseline is measured by c's own loop.
			prow := &Row{Name: c.Paired, Group: c.Group, What: "the baseline " + c.Name + " measures in the same loop (calls alternate)"}
			rep.Rows = append(rep.Rows, prow)
			byName[c.Paired] = prow
		}
		t0 := time.Now()
		if c.Setup == nil {
			cases = append(cases, c)
			continue
		}
		if err := c.Setup(); err != nil {
			row.Error, row.err = err.Error(), err
			if errors.Is(err, ErrNotBuilt) {
				row.NotBuilt = true
				fmt.Fprintf(progress, "setup %-34s not built in this tree\n", c.Name)
			} else {
				fmt.Fprintf(progress, "setup %-34s FAILED: %v\n", c.Name, err)
			}
			continue
		}
		fmt.Fprintf(progress, "setup %-34s %v\n", c.Name, time.Since(t0).Round(time.Millisecond))
		cases = append(cases, c)
	}

	for round := 1; round <= o.Count; round++ {
		fmt.Fprintf(progress, "round %d/%d\n", round, o.Count)
		for _, c := range cases {
			t := o.BenchTime
			if c.Once {
				t = "1x"
			}
			if err := flag.Set("test.benchtime", t); err != nil {
				return nil, err
			}
			res := testing.Benchmark(c.F)
			row := byName[c.Name]
			if res.N == 0 {
				row.Error = "the benchmark failed (run it with go test -bench for its message)"
				row.err = errors.New(row.Error)
				fmt.Fprintf(progress, "  %-34s FAILED\n", c.Name)
				continue
			}
			s, base := sampleOf(round, res)
			row.Samples = append(row.Samples, s)
			if c.Paired != "" {
				byName[c.Paired].Samples = append(byName[c.Paired].Samples, base)
			}
			fmt.Fprintf(progress, "  %-34s %12s ns/op\n", c.Name, fmtNs(s.NsPerOp))
		}
	}
	for _, c := range cases {
		if c.Note != nil {
			byName[c.Name].Note = c.Note()
		}
	}
	for _, r := range rep.Rows {
		summarize(r)
	}
	rowOf := func(name string) *Row { return byName[name] }
	for _, c := range Cases {
		r := byName[c.Name]
		if r == nil || r.NotBuilt {
			continue
		}
		if c.Baseline != "" {
			if v, per, ok := pairedRatio(r, rowOf(c.Baseline)); ok {
				r.Ratio = v
				rep.Ratios = append(rep.Ratios, Ratio{Name: c.Name + " ÷ baseline", A: c.Name, B: c.Baseline, Value: v, Rounds: per})
			}
		}
		for _, t := range c.Targets {
			v := t.check(c, r, rowOf)
			r.Targets = append(r.Targets, v)
			rep.Targets = append(rep.Targets, v)
		}
	}
	for _, d := range diagnostics {
		if v, per, ok := pairedRatio(rowOf(d.a), rowOf(d.b)); ok {
			rep.Ratios = append(rep.Ratios, Ratio{Name: d.name, A: d.a, B: d.b, Value: v, Rounds: per})
		}
	}
	rep.Machine.LoadAfter = loadavg()
	rep.Duration = time.Since(start).Round(time.Millisecond).String()
	return rep, nil
}

// Failures lists the rows that failed, "name: error", leaving out the
// planned rows not built in this tree, planned backends without a row yet
// and, unless requireAll, rows whose guest toolchain is not installed.
func (rep *Report) Failures(requireAll bool) []string {
	var out []string
	for _, r := range rep.Rows {
		switch {
		case r.err == nil, errors.Is(r.err, ErrNotBuilt), errors.Is(r.err, errNoRow),
			!requireAll && errors.Is(r.err, ErrToolchainMissing):
			continue
		}
		out = append(out, r.Name+": "+firstLine(r.Error))
	}
	return out
}

func (o Options) keep(c Case) bool {
	if o.Run != nil && !o.Run.MatchString(c.Name) {
		return false
	}
	return len(o.Groups) == 0 || slices.Contains(o.Groups, c.Group)
}

// The metrics a case reports to replace testing's own (paired rows and
// rows whose op is not the loop's iteration), and its paired baseline's.
const (
	MetricNs         = "ns/op"
	MetricAllocs     = "allocs/op"
	MetricBytes      = "B/op"
	MetricBaseNs     = "base-ns/op"
	MetricBaseAllocs = "base-allocs/op"
	MetricBaseBytes  = "base-B/op"
)

// sampleOf turns a result into this row's sample and its paired
// baseline's.
func sampleOf(round int, res testing.BenchmarkResult) (s, base Sample) {
	s = Sample{Round: round, N: res.N,
		NsPerOp:     float64(res.T.Nanoseconds()) / float64(res.N),
		AllocsPerOp: float64(res.AllocsPerOp()), BytesPerOp: float64(res.AllocedBytesPerOp())}
	base = Sample{Round: round, N: res.N}
	for k, v := range res.Extra {
		switch k {
		case MetricNs:
			s.NsPerOp = v
		case MetricAllocs:
			s.AllocsPerOp = v
		case MetricBytes:
			s.BytesPerOp = v
		case MetricBaseNs:
			base.NsPerOp = v
		case MetricBaseAllocs:
			base.AllocsPerOp = v
		case MetricBaseBytes:
			base.BytesPerOp = v
		default:
			if s.Extra == nil {
				s.Extra = map[string]float64{}
			}
			s.Extra[k] = v
		}
	}
	return s, base
}

func summarize(r *Row) {
	if len(r.Samples) == 0 {
		return
	}
	var ns, allocs, bytes []float64
	for _, s := range r.Samples {
		ns, allocs, bytes = append(ns, s.NsPerOp), append(allocs, s.AllocsPerOp), append(bytes, s.BytesPerOp)
	}
	r.NsPerOp = median(ns)
	r.MinNs, r.MaxNs = slices.Min(ns), slices.Max(ns)
	r.AllocsPerOp, r.BytesPerOp = median(allocs), median(bytes)
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

// pairedRatio is the median over the rounds of a's time ÷ b's in the same
// round.
func pairedRatio(a, b *Row) (float64, []float64, bool) {
	if a == nil || b == nil {
		return 0, nil, false
	}
	var per []float64
	for _, sa := range a.Samples {
		for _, sb := range b.Samples {
			if sa.Round == sb.Round && sb.NsPerOp > 0 {
				per = append(per, sa.NsPerOp/sb.NsPerOp)
			}
		}
	}
	if len(per) == 0 {
		return 0, nil, false
	}
	return median(per), per, true
}

// Target is a goal a row is checked against.
type Target struct {
	// Metric is MetricNs (the row's median time per op), MetricAllocs,
	// metricRatio (the row's time ÷ Versus's, paired by round), or the name
	// of a metric the case reports.
	Metric string
	// Versus is the row a ratio divides by ("" = the case's Baseline).
	Versus string
	// Op is "<=", ">=" or "==", against Limit (in the metric's own unit).
	Op    string
	Limit float64
	// Scale divides the value for display in Unit (0 = 1).
	Scale float64
	Unit  string
	// Text is the target as printed ("≤ 100 ns").
	Text string
	// Gate, when set, judges a metricSpeedup only over the rounds in
	// which Gate.Row ran at least Gate.MinSpeedup times the throughput of
	// Gate.Versus (a reference that shows whether the round had a second
	// core to itself); with no such round the target is not judged.
	Gate *Gate
}

// Gate is a condition on a round (Target.Gate).
type Gate struct {
	Row, Versus string
	MinSpeedup  float64
}

// The metrics of targets that compare a row with its baseline round by
// round: the time ratio (row ÷ baseline), the speedup (baseline ÷ row:
// throughput when time/op is wall time per op), and the time and
// allocations a row spends beyond its baseline's (row − baseline, per op).
const (
	metricRatio         = "ratio"
	metricSpeedup       = "speedup"
	metricOverhead      = "overhead"
	metricAllocOverhead = "alloc-overhead"
)

func (t Target) check(c Case, r *Row, rowOf func(string) *Row) Verdict {
	v := Verdict{Row: c.Name, Target: t.Text, Unit: t.Unit}
	var val float64
	ok := len(r.Samples) > 0
	switch t.Metric {
	case MetricNs:
		val = r.NsPerOp
		v.What = "time/op"
	case MetricAllocs:
		val = r.AllocsPerOp
		v.What = "allocs/op"
	case metricRatio:
		versus := t.Versus
		if versus == "" {
			versus = c.Baseline
		}
		v.What = c.Name + " ÷ " + versus
		val, _, ok = pairedRatio(r, rowOf(versus))
	case metricSpeedup, metricOverhead, metricAllocOverhead:
		versus := t.Versus
		if versus == "" {
			versus = c.Baseline
		}
		var per func(a, b Sample) float64
		switch t.Metric {
		case metricSpeedup:
			v.What = "throughput " + c.Name + " ÷ " + versus
			per = func(a, b Sample) float64 { return b.NsPerOp / a.NsPerOp }
		case metricOverhead:
			v.What = "time/op " + c.Name + " − " + versus
			per = func(a, b Sample) float64 { return a.NsPerOp - b.NsPerOp }
		default:
			v.What = "allocs/op " + c.Name + " − " + versus
			per = func(a, b Sample) float64 { return a.AllocsPerOp - b.AllocsPerOp }
		}
		var rounds map[int]bool
		if g := t.Gate; g != nil {
			rounds = map[int]bool{}
			for _, round := range pairedRounds(rowOf(g.Row), rowOf(g.Versus), func(a, b Sample) float64 { return b.NsPerOp / a.NsPerOp }) {
				if round.v >= g.MinSpeedup {
					rounds[round.n] = true
				}
			}
			v.What += fmt.Sprintf(" (rounds where %s ran ≥ %g× %s: %d)", g.Row, g.MinSpeedup, g.Versus, len(rounds))
		}
		var vals []float64
		for _, round := range pairedRounds(r, rowOf(versus), per) {
			if rounds == nil || rounds[round.n] {
				vals = append(vals, round.v)
			}
		}
		if ok = len(vals) > 0; ok {
			val = median(vals)
		}
	default:
		val, ok = r.Extra[t.Metric]
		v.What = t.Metric
	}
	scale := t.Scale
	if scale == 0 {
		scale = 1
	}
	v.Value, v.Known = val/scale, ok
	switch t.Op {
	case "<=":
		v.Met = ok && val <= t.Limit
	case ">=":
		v.Met = ok && val >= t.Limit
	case "==":
		v.Met = ok && val == t.Limit
	}
	return v
}

// roundValue is a value of round n.
type roundValue struct {
	n int
	v float64
}

// pairedRounds returns per(a's sample, b's sample) for every round both
// rows ran.
func pairedRounds(a, b *Row, per func(a, b Sample) float64) []roundValue {
	var out []roundValue
	if a == nil || b == nil {
		return nil
	}
	for _, sa := range a.Samples {
		for _, sb := range b.Samples {
			if sa.Round == sb.Round && sa.NsPerOp > 0 && sb.NsPerOp > 0 {
				out = append(out, roundValue{sa.Round, per(sa, sb)})
			}
		}
	}
	return out
}

// Target constructors.

// overheadAtMost: the row's time/op minus its (paired) baseline's, median
// over rounds, at most ns.
func overheadAtMost(ns float64) Target {
	scale := unitScale(ns)
	return Target{Metric: metricOverhead, Op: "<=", Limit: ns, Scale: scale, Unit: unitName(ns),
		Text: fmt.Sprintf("overhead ≤ %g %s", ns/scale, unitName(ns))}
}

// allocOverheadAtMost: the row's allocs/op minus its baseline's at most n.
func allocOverheadAtMost(n float64) Target {
	return Target{Metric: metricAllocOverhead, Op: "<=", Limit: n, Unit: "allocs", Text: fmt.Sprintf("≤ %g allocs more", n)}
}

// speedupAtLeast: the baseline's time/op ÷ the row's (throughput when
// time/op is wall time per op) at least limit, judged only in the rounds
// that gate admits (nil: every round).
func speedupAtLeast(limit float64, gate *Gate) Target {
	return Target{Metric: metricSpeedup, Op: ">=", Limit: limit, Unit: "×", Gate: gate, Text: fmt.Sprintf("throughput ≥ %g×", limit)}
}

func timeAtMost(ns float64) Target {
	scale := unitScale(ns)
	return Target{Metric: MetricNs, Op: "<=", Limit: ns, Scale: scale, Unit: unitName(ns), Text: fmt.Sprintf("≤ %g %s", ns/scale, unitName(ns))}
}

func zeroAllocs() Target {
	return Target{Metric: MetricAllocs, Op: "==", Limit: 0, Unit: "allocs", Text: "0 allocs"}
}

func ratioAtMost(limit float64) Target {
	return Target{Metric: metricRatio, Op: "<=", Limit: limit, Unit: "×", Text: fmt.Sprintf("≤ %g×", limit)}
}

// slowerThanBaseline: a peer's row ÷ ours (the baseline) ≥ limit, that is
// ours at least limit times faster.
func slowerThanBaseline(limit float64) Target {
	return Target{Metric: metricRatio, Op: ">=", Limit: limit, Unit: "×", Text: fmt.Sprintf("≥ %g×", limit)}
}

func metricAtMost(metric string, limit, scale float64, unit, text string) Target {
	return Target{Metric: metric, Op: "<=", Limit: limit, Scale: scale, Unit: unit, Text: text}
}

func metricEquals(metric string, v float64, text string) Target {
	return Target{Metric: metric, Op: "==", Limit: v, Text: text}
}

func unitScale(ns float64) float64 {
	switch {
	case ns < 1e3:
		return 1
	case ns < 1e6:
		return 1e3
	case ns < 1e9:
		return 1e6
	}
	return 1e9
}

func unitName(ns float64) string {
	return map[float64]string{1: "ns", 1e3: "µs", 1e6: "ms", 1e9: "s"}[unitScale(ns)]
}

// ---- output ----

// groupTitles are the table's sections, in order.
var groupTitles = []struct{ group, title string }{
	{GroupCore, "core: cache, localfs, env (floors: Go map, os.LookupEnv, ParseURI)"},
	{GroupWASM, "WebAssembly: our ABI vs the bare wazero floor, Extism go-sdk, waPC"},
	{GroupMetastore, "metastore (SQLite, encrypted, 1,000 rows) vs the same SELECT through database/sql"},
	{GroupRemote, "remote backends on their loopback doubles vs the raw SDK call (calls alternate in one loop)"},
	{GroupConcurrency, "concurrency (ratio: time per lookup vs 1 goroutine; 2 cores ideal = 0.5×)"},
	{GroupSingleflight, "singleflight"},
	{GroupTenancy, "multi-tenancy"},
	{GroupCLI, "CLI: a new process running `connections get` (localfs) vs a Go hello world (runs alternate)"},
}

// Print writes the report as a table.
func (rep *Report) Print(w io.Writer) {
	m := rep.Machine
	mode := "full run"
	if rep.Quick {
		mode = "quick run (smoke: figures are indicative only)"
	}
	fmt.Fprintf(w, "secretpath benchmarks — %s, %s\n", rep.Date.Format(time.RFC3339), mode)
	fmt.Fprintf(w, "CPU: %s (%d cores, GOMAXPROCS %d), %s, %s", m.CPU, m.NumCPU, m.GOMAXPROCS, m.GoVersion, m.OSArch)
	if m.Kernel != "" {
		fmt.Fprintf(w, ", Linux %s", m.Kernel)
	}
	fmt.Fprintln(w)
	var mods []string
	for k, v := range m.Modules {
		mods = append(mods, k+" "+v)
	}
	slices.Sort(mods)
	fmt.Fprintf(w, "modules: %s\n", strings.Join(mods, ", "))
	fmt.Fprintf(w, "secretpath %s; load average before/after: %s / %s; clocksource %s\n", m.Commit, m.LoadBefore, m.LoadAfter, m.Clocksource)
	fmt.Fprintf(w, "medians of %d round-robin samples, %s per sample; ratios are medians of per-round ratios; total %s\n", rep.Count, rep.BenchTime, rep.Duration)

	const head = "%-40s %10s %19s %8s %9s  %-28s %8s  %-18s %s\n"
	for _, g := range groupTitles {
		var rows []*Row
		for _, r := range rep.Rows {
			if r.Group == g.group {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n== %s\n", g.title)
		fmt.Fprintf(w, head, "row", "time/op", "min – max", "allocs", "B/op", "baseline", "ratio", "target", "")
		for _, r := range rows {
			if len(r.Samples) == 0 {
				fmt.Fprintf(w, "%-40s %10s  %s\n", r.Name, "—", firstLine(r.Error))
				continue
			}
			ratio := ""
			if r.Ratio != 0 {
				ratio = fmt.Sprintf("%.2f×", r.Ratio)
			}
			target, verdict := "", ""
			if len(r.Targets) > 0 {
				var ts []string
				met, known := true, true
				for _, t := range r.Targets {
					ts = append(ts, t.Target)
					met = met && t.Met
					known = known && t.Known
				}
				target = strings.Join(ts, ", ")
				switch {
				case !known:
					verdict = "not measured"
				case met:
					verdict = "met"
				default:
					verdict = "NOT MET"
				}
			}
			fmt.Fprintf(w, head, r.Name, fmtDur(r.NsPerOp), fmtDur(r.MinNs)+" – "+fmtDur(r.MaxNs),
				fmtNum(r.AllocsPerOp), fmtNum(r.BytesPerOp), r.Baseline, ratio, target, verdict)
			if extra := fmtExtra(r.Extra); extra != "" {
				fmt.Fprintf(w, "%-40s %s\n", "", extra)
			}
			if r.Note != "" {
				fmt.Fprintf(w, "%-40s %s\n", "", r.Note)
			}
		}
	}

	fmt.Fprintf(w, "\nratios (median of per-round ratios; per round in brackets)\n")
	for _, r := range rep.Ratios {
		per := make([]string, len(r.Rounds))
		for i, v := range r.Rounds {
			per[i] = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(w, "  %-48s %8.2f×  %-18s %s ÷ %s\n", r.Name, r.Value, "["+strings.Join(per, " ")+"]", r.A, r.B)
	}
	fmt.Fprintf(w, "\ntargets (bench/README.md, Targets)\n")
	met, all := 0, 0
	for _, t := range rep.Targets {
		verdict := "NOT MET"
		switch {
		case !t.Known:
			verdict = "not measured"
		case t.Met:
			verdict = "met"
			met++
		}
		all++
		value := fmtNum(t.Value)
		if t.Unit == "×" {
			value = fmt.Sprintf("%.2f", t.Value)
		}
		fmt.Fprintf(w, "  %-40s %-58s %10s %-6s target %-16s %s\n", t.Row, t.What, value, t.Unit, t.Target, verdict)
	}
	fmt.Fprintf(w, "%d of %d targets met\n", met, all)
	fmt.Fprintf(w, "latency: %s\n", rep.Latency)
}

// WriteJSON writes the report to path, creating its directory.
func (rep *Report) WriteJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func fmtExtra(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmtNum(m[k])+" "+k)
	}
	return strings.Join(out, ", ")
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
	switch {
	case v == math.Trunc(v) || math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) < 1:
		return fmt.Sprintf("%.2f", v)
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
			if slices.Contains(reportedModules, d.Path) {
				m.Modules[d.Path] = d.Version
			}
		}
	}
	if len(m.Modules) < len(reportedModules) {
		// A test binary has no dependency list: read go.mod.
		if root, err := RepoRoot(); err == nil {
			if b, err := os.ReadFile(filepath.Join(root, "bench", "go.mod")); err == nil {
				for line := range strings.SplitSeq(string(b), "\n") {
					f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
					if len(f) >= 2 && slices.Contains(reportedModules, f[0]) && m.Modules[f[0]] == "" {
						m.Modules[f[0]] = f[1]
					}
				}
			}
		}
	}
	return m
}

// reportedModules are the dependencies whose versions a report names.
var reportedModules = []string{
	"github.com/tetratelabs/wazero", "github.com/extism/go-sdk", "github.com/wapc/wapc-go",
	"github.com/aws/aws-sdk-go-v2", "modernc.org/sqlite",
}

// commit returns root's git HEAD (short), "+dirty" when the tree has
// uncommitted changes outside bench/, or "" without git.
func commit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--", ".", ":!bench").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
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
