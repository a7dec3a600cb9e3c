// Command bench runs every secretpath benchmark side by side in one process
// and prints a table: each row's time and allocations per op, its ratio to
// its baseline measured in the same run, its target (bench/README.md, "Targets") and
// whether it is met, with the machine and the date. It writes the same as
// JSON (default bench/results/<UTC time>.json).
//
//	cd bench && go run ./cmd/bench            # full run, a few minutes
//	go run ./cmd/bench -quick                 # smoke run, about a minute
//	go run ./cmd/bench -group core,remote     # some groups
//	go run ./cmd/bench -run 'Ours/|WaPC'      # some rows
//	go run ./cmd/bench -list                  # the rows and what each measures
//
// Rows run round-robin (every row once, then every row again, -count
// times); each figure is the median of its rounds and each ratio the median
// of per-round ratios. It exits 1 when a row fails (a row whose guest
// toolchain is missing fails only under SECRETPATH_REQUIRE_ALL=1); a target
// not met does not fail it. See ../../README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/secretpath/secretpath/bench"
)

func main() {
	quick := flag.Bool("quick", false, "smoke run: -benchtime 100ms -count 1 -tenants 1000 unless given")
	jsonPath := flag.String("json", "", "write the report as JSON to this file (default <repo>/bench/results/<UTC time>.json; \"-\" for none)")
	benchTime := flag.String("benchtime", "500ms", "time (or Nx) per sample of each row")
	count := flag.Int("count", 3, "rounds: samples per row; the table shows their median")
	tenants := flag.Int("tenants", 10_000, "tenants of the multi-tenancy row")
	run := flag.String("run", "", "only rows whose name matches this regexp")
	groups := flag.String("group", "", "only these groups, comma-separated: "+strings.Join(bench.Groups, ", "))
	list := flag.Bool("list", false, "list the rows and exit")
	flag.Parse()
	if *list {
		fmt.Print(bench.Describe())
		return
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o := bench.Options{BenchTime: *benchTime, Count: *count, Tenants: *tenants, Quick: *quick, Progress: os.Stderr}
	if *quick {
		if !set["benchtime"] {
			o.BenchTime = "100ms"
		}
		if !set["count"] {
			o.Count = 1
		}
		if !set["tenants"] {
			o.Tenants = 1000
		}
	}
	if err := mainErr(o, *run, *groups, *jsonPath); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func mainErr(o bench.Options, run, groups, jsonPath string) error {
	defer bench.Close()
	if run != "" {
		re, err := regexp.Compile(run)
		if err != nil {
			return err
		}
		o.Run = re
	}
	if groups != "" {
		for g := range strings.SplitSeq(groups, ",") {
			if !slices.Contains(bench.Groups, g) {
				return fmt.Errorf("unknown group %q (groups: %s)", g, strings.Join(bench.Groups, ", "))
			}
			o.Groups = append(o.Groups, g)
		}
	}
	if jsonPath == "" {
		root, err := bench.RepoRoot()
		if err != nil {
			return err
		}
		jsonPath = filepath.Join(root, "bench", "results", time.Now().UTC().Format("2006-01-02T150405Z")+".json")
	}
	rep, err := bench.Run(o)
	if err != nil {
		return err
	}
	rep.Print(os.Stdout)
	if jsonPath != "-" {
		if err := rep.WriteJSON(jsonPath); err != nil {
			return err
		}
		fmt.Printf("\nJSON: %s\n", jsonPath)
	}
	if f := rep.Failures(os.Getenv("SECRETPATH_REQUIRE_ALL") == "1"); len(f) > 0 {
		return fmt.Errorf("%d row(s) failed:\n  %s", len(f), strings.Join(f, "\n  "))
	}
	return nil
}
