// Command minimal looks connections and variables up through an
// Airflow-style config file with only two backends linked: local files
// (localfs) and environment variables (env). It shows how a program opens a
// config through the registry without the root package secretpath, which
// links every vendor's SDK: this binary holds no cloud SDK, no Vault client,
// no WebAssembly runtime and no SQL driver (a CI check keeps it so).
//
// The metastore is not linked, so the search path is the configured
// backend, then the environment; `[database] sql_alchemy_conn` in the
// config is an error that says to import builtin/metastore.
//
//	go run ./examples/minimal --config examples/minimal/secretpath.cfg conn smtp_default
//	go run ./examples/minimal --config examples/minimal/secretpath.cfg var hello
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	_ "github.com/secretpath/secretpath/builtin/env"     // registers "env", the environment tier
	_ "github.com/secretpath/secretpath/builtin/localfs" // registers "localfs"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run looks one connection ("conn ID", printed as its URI) or variable
// ("var KEY") up and returns the exit status: 0 found, 1 not found, 2 a
// usage or configuration error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("minimal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "secretpath.cfg", "Airflow-style config file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 || (fs.Arg(0) != "conn" && fs.Arg(0) != "var") {
		fmt.Fprintln(stderr, "usage: minimal [--config FILE] conn CONN_ID | var KEY")
		return 2
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		fmt.Fprintln(stderr, "minimal:", err)
		return 2
	}
	r, err := resolver.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "minimal:", err)
		return 2
	}
	defer r.Close()

	var out string
	if fs.Arg(0) == "conn" {
		c, err := r.Connection(ctx, fs.Arg(1))
		if err != nil {
			return lookupFailed(stderr, err)
		}
		out = c.URI()
	} else {
		v, err := r.Variable(ctx, fs.Arg(1))
		if err != nil {
			return lookupFailed(stderr, err)
		}
		out = v.Reveal()
	}
	fmt.Fprintln(stdout, out)
	return 0
}

func lookupFailed(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "minimal:", err)
	if errors.Is(err, resolver.ErrNotFound) {
		return 1
	}
	return 2
}
