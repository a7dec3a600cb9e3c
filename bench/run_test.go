package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuickRun runs the quick mode's machinery (every row, one round, one
// iteration per row, 30 tenants) and checks that the report and its JSON
// are complete and sane. It asserts counts and structure, never a time.
func TestQuickRun(t *testing.T) {
	rep, err := Run(Options{BenchTime: "1x", Count: 1, Tenants: 30, Quick: true})
	require.NoError(t, err)
	requireAll := os.Getenv("SECRETPATH_REQUIRE_ALL") == "1"
	assert.Empty(t, rep.Failures(requireAll), "rows that failed")

	path := filepath.Join(t.TempDir(), "results", "quick.json")
	require.NoError(t, rep.WriteJSON(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var got Report
	require.NoError(t, json.Unmarshal(data, &got))

	assert.False(t, got.Date.IsZero(), "date")
	assert.True(t, got.Quick)
	assert.Equal(t, 1, got.Count)
	assert.Equal(t, 30, got.Tenants)
	assert.NotEmpty(t, got.Duration)
	assert.NotEmpty(t, got.Latency)
	m := got.Machine
	assert.NotEmpty(t, m.CPU, "CPU model")
	assert.Positive(t, m.NumCPU)
	assert.Equal(t, runtime.GOMAXPROCS(0), m.GOMAXPROCS)
	assert.Equal(t, runtime.Version(), m.GoVersion)
	assert.NotEmpty(t, m.Modules["github.com/tetratelabs/wazero"], "wazero version")
	assert.NotEmpty(t, m.Modules["github.com/wapc/wapc-go"], "wapc-go version")

	// Every case has its row (and a paired case its baseline's), with one
	// sample or the reason it has none.
	byName := map[string]*Row{}
	for _, r := range got.Rows {
		byName[r.Name] = r
	}
	for _, c := range Cases {
		r := byName[c.Name]
		require.NotNil(t, r, "row %s", c.Name)
		assert.Equal(t, c.Group, r.Group, c.Name)
		if c.Paired != "" {
			p := byName[c.Paired]
			require.NotNil(t, p, "paired row %s", c.Paired)
			assert.Len(t, p.Samples, len(r.Samples), c.Paired)
		}
		if len(r.Samples) == 0 {
			assert.NotEmpty(t, r.Error, "%s has no sample and no error", c.Name)
			continue
		}
		assert.Len(t, r.Samples, 1, c.Name)
		assert.True(t, r.NsPerOp > 0 && !math.IsInf(r.NsPerOp, 0), "%s: time/op %v", c.Name, r.NsPerOp)
		assert.GreaterOrEqual(t, r.AllocsPerOp, 0.0, c.Name)
		assert.Len(t, r.Targets, len(c.Targets), c.Name)
		for _, v := range r.Targets {
			if v.Known {
				assert.False(t, math.IsNaN(v.Value), "%s: %s", c.Name, v.What)
			}
		}
		if b := byName[c.Baseline]; b != nil && len(b.Samples) > 0 {
			assert.Positive(t, r.Ratio, "%s: ratio to %s", c.Name, c.Baseline)
		}
	}

	// What the run counts rather than times.
	if sf := byName["Singleflight/1000-misses"]; assert.NotEmpty(t, sf.Samples, "singleflight ran") {
		assert.Equal(t, 1.0, sf.Extra["backend-calls"], "1000 concurrent misses, one backend call")
		assert.Equal(t, 0.0, sf.Extra["wrong-answers"])
		assert.Equal(t, float64(singleflightCallers), sf.Extra["callers"])
	}
	if tn := byName["Tenancy"]; tn != nil && len(tn.Samples) > 0 {
		assert.Equal(t, 30.0, tn.Extra["tenants"])
		assert.Equal(t, 0.0, tn.Extra["wrong-answers"], "every tenant answers its own connection and not its neighbour's")
		assert.Positive(t, tn.Extra["rssMiB"])
		assert.Contains(t, tn.Note, "30 tenants from reference.wat")
	} else if requireAll {
		t.Errorf("Tenancy did not run: %s", tn.Error)
	}
	for _, name := range plannedRemotes {
		r := byName["Remote/"+name]
		if assert.NotNil(t, r, "Remote/%s", name) {
			if slices.ContainsFunc(remotes, func(rm remote) bool { return rm.name == name }) {
				assert.NotEmpty(t, r.Samples, "Remote/%s has a row but did not run: %s", name, r.Error)
			} else {
				assert.True(t, len(r.Samples) > 0 || r.Error != "", "Remote/%s: neither run nor explained", name)
			}
		}
	}

	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{"CPU: ", "GOMAXPROCS", "targets met", "Cache/hit-connection", "WaPC", "Remote/aws-ssm/sdk", "Tenancy"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestTargetCheck(t *testing.T) {
	rows := map[string]*Row{
		"base": {Name: "base", Samples: []Sample{{Round: 1, NsPerOp: 100}, {Round: 2, NsPerOp: 200}}},
		"row": {Name: "row", Samples: []Sample{{Round: 1, NsPerOp: 150}, {Round: 2, NsPerOp: 260}},
			NsPerOp: 205, AllocsPerOp: 0, Extra: map[string]float64{"calls": 1, "rssB": 64 << 10}},
		"empty": {Name: "empty"},
	}
	rowOf := func(n string) *Row { return rows[n] }
	c := Case{Name: "row", Baseline: "base"}
	for _, tc := range []struct {
		name      string
		target    Target
		row       string
		value     float64
		met, know bool
	}{
		{"time under", timeAtMost(300), "row", 205, true, true},
		{"time over", timeAtMost(200), "row", 205, false, true},
		{"time in µs", timeAtMost(200e3), "row", 0.205, true, true},
		{"no allocs", zeroAllocs(), "row", 0, true, true},
		{"ratio is the median of per-round ratios", ratioAtMost(1.4), "row", 1.4, true, true},
		{"ratio over", ratioAtMost(1.2), "row", 1.4, false, true},
		{"peer slower", slowerThanBaseline(1.3), "row", 1.4, true, true},
		{"peer not slow enough", slowerThanBaseline(2), "row", 1.4, false, true},
		{"metric equals", metricEquals("calls", 1, "1 call"), "row", 1, true, true},
		{"metric scaled", metricAtMost("rssB", 128<<10, 1<<10, "KiB", ""), "row", 64, true, true},
		{"metric absent", metricEquals("other", 1, ""), "row", 0, false, false},
		{"row without samples", timeAtMost(100), "empty", 0, false, false},
		{"ratio without baseline samples", Target{Metric: metricRatio, Versus: "empty", Op: "<=", Limit: 2}, "row", 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.target.check(c, rows[tc.row], rowOf)
			assert.InDelta(t, tc.value, v.Value, 1e-9)
			assert.Equal(t, tc.met, v.Met)
			assert.Equal(t, tc.know, v.Known)
		})
	}
}

// TestTargetCheckPaired: the targets that compare a row with its baseline
// round by round (overhead, allocation overhead, speedup), and a speedup
// judged only in the rounds a gate admits.
func TestTargetCheckPaired(t *testing.T) {
	rows := map[string]*Row{
		"base": {Name: "base", Samples: []Sample{{Round: 1, NsPerOp: 500, AllocsPerOp: 0}, {Round: 2, NsPerOp: 600, AllocsPerOp: 0}, {Round: 3, NsPerOp: 400, AllocsPerOp: 1}}},
		"row":  {Name: "row", Samples: []Sample{{Round: 1, NsPerOp: 900, AllocsPerOp: 2}, {Round: 2, NsPerOp: 1800, AllocsPerOp: 2}, {Round: 3, NsPerOp: 1000, AllocsPerOp: 5}}},
		// A reference that scaled 2× in rounds 1 and 3 only.
		"ref1": {Name: "ref1", Samples: []Sample{{Round: 1, NsPerOp: 100}, {Round: 2, NsPerOp: 100}, {Round: 3, NsPerOp: 100}}},
		"ref2": {Name: "ref2", Samples: []Sample{{Round: 1, NsPerOp: 50}, {Round: 2, NsPerOp: 90}, {Round: 3, NsPerOp: 50}}},
		// 1 and 2 goroutines: throughput 2× in round 1, 1.25× in 2, 1.6× in 3.
		"g1": {Name: "g1", Samples: []Sample{{Round: 1, NsPerOp: 100}, {Round: 2, NsPerOp: 100}, {Round: 3, NsPerOp: 80}}},
		"g2": {Name: "g2", Samples: []Sample{{Round: 1, NsPerOp: 50}, {Round: 2, NsPerOp: 80}, {Round: 3, NsPerOp: 50}}},
	}
	rowOf := func(n string) *Row { return rows[n] }
	for _, tc := range []struct {
		name      string
		target    Target
		row, base string
		value     float64
		met, know bool
	}{
		{"overhead is the median of per-round differences", overheadAtMost(1000), "row", "base", 0.6, true, true}, // shown in µs
		{"overhead over", overheadAtMost(500), "row", "base", 600, false, true},
		{"allocation overhead", allocOverheadAtMost(3), "row", "base", 2, true, true},
		{"allocation overhead over", allocOverheadAtMost(1), "row", "base", 2, false, true},
		{"speedup over every round", speedupAtLeast(1.5, nil), "g2", "g1", 1.6, true, true},
		{"speedup in the gated rounds only", speedupAtLeast(1.8, &Gate{Row: "ref2", Versus: "ref1", MinSpeedup: 1.9}), "g2", "g1", 1.8, true, true},
		{"gated speedup not met", speedupAtLeast(1.9, &Gate{Row: "ref2", Versus: "ref1", MinSpeedup: 1.9}), "g2", "g1", 1.8, false, true},
		{"no round passes the gate", speedupAtLeast(1.8, &Gate{Row: "ref2", Versus: "ref1", MinSpeedup: 3}), "g2", "g1", 0, false, false},
		{"gate rows absent", speedupAtLeast(1.8, &Gate{Row: "none", Versus: "ref1", MinSpeedup: 1.9}), "g2", "g1", 0, false, false},
		{"baseline without samples", overheadAtMost(1000), "row", "empty", 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.target.check(Case{Name: tc.row, Baseline: tc.base}, rows[tc.row], rowOf)
			if tc.know {
				assert.InDelta(t, tc.value, v.Value, 1e-9)
			}
			assert.Equal(t, tc.met, v.Met)
			assert.Equal(t, tc.know, v.Known)
		})
	}
}

func TestQuantile(t *testing.T) {
	for _, tc := range []struct {
		sorted []int64
		q      float64
		want   float64
	}{
		{[]int64{5}, 0.5, 5},
		{[]int64{1, 2, 3, 4}, 0.5, 2},
		{[]int64{1, 2, 3, 4}, 0.99, 4},
		{[]int64{1, 2, 3, 4}, 0, 1},
		{slices.Repeat([]int64{7}, 100), 0.99, 7},
	} {
		assert.Equal(t, tc.want, quantile(tc.sorted, tc.q), "%v q=%v", tc.sorted, tc.q)
	}
	assert.True(t, math.IsNaN(quantile(nil, 0.5)))
}
