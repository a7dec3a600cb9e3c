// Command wasmbench runs only the WebAssembly rows of cmd/bench (group
// "wasm"): the same as `go run ./cmd/bench -group wasm`, kept for the
// commands quoted in the guest SDKs' READMEs.
//
//	cd bench && go run ./cmd/wasmbench [-count 3] [-benchtime 500ms] [-run REGEXP] [-json FILE]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/secretpath/secretpath/bench"
)

func main() {
	jsonPath := flag.String("json", "", "write the report as JSON to this file (default <repo>/bench/results/wasm.json; \"-\" for none)")
	benchTime := flag.String("benchtime", "500ms", "time (or Nx) per sample of each row")
	count := flag.Int("count", 3, "rounds: samples per row; the table shows their median")
	run := flag.String("run", "", "only rows whose name matches this regexp")
	list := flag.Bool("list", false, "list the rows and exit")
	flag.Parse()
	if *list {
		for _, line := range strings.SplitAfter(bench.Describe(), "\n") {
			if strings.HasPrefix(line, bench.GroupWASM+" ") {
				fmt.Print(line)
			}
		}
		return
	}
	if err := mainErr(*jsonPath, *benchTime, *count, *run); err != nil {
		fmt.Fprintln(os.Stderr, "wasmbench:", err)
		os.Exit(1)
	}
}

func mainErr(jsonPath, benchTime string, count int, run string) error {
	defer bench.Close()
	o := bench.Options{BenchTime: benchTime, Count: count, Groups: []string{bench.GroupWASM}, Progress: os.Stderr}
	if run != "" {
		re, err := regexp.Compile(run)
		if err != nil {
			return err
		}
		o.Run = re
	}
	if jsonPath == "" {
		root, err := bench.RepoRoot()
		if err != nil {
			return err
		}
		jsonPath = filepath.Join(root, "bench", "results", "wasm.json")
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
