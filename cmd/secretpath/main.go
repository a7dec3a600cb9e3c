// Command secretpath looks Airflow connections and variables up through the
// search path a config file describes (configured backend, environment,
// metastore), manages the metastore, and checks WebAssembly backends.
//
//	secretpath [--config FILE] connections get CONN_ID [--output uri|json]
//	secretpath [--config FILE] variables get KEY
//	secretpath connections add|delete|list|import|export ...
//	secretpath variables set|delete|list|import|export ...
//	secretpath db migrate|check
//	secretpath rotate-fernet-key
//	secretpath wasm check MODULE.wasm
//
// The config file is --config, else $SECRETPATH_CONFIG, else ./secretpath.cfg
// when it exists, else none (environment variables only).
//
// Exit status: 0 found (or done, or help); 1 not found in any tier, a
// failed lookup or metastore operation, or an invalid module; 2 usage or
// configuration error, an unknown command at any depth included.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// Exit statuses.
const (
	exitOK       = 0
	exitNotFound = 1
	exitUsage    = 2
)

// lookupError marks an error that happened while looking up (exit 1), as
// opposed to usage and configuration errors (exit 2).
type lookupError struct{ err error }

func (e *lookupError) Error() string { return e.err.Error() }
func (e *lookupError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes the CLI and returns its exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := newApp(stdout, stderr, getenv).rootCmd()
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "secretpath: %v\n", err)
	var le *lookupError
	if errors.As(err, &le) {
		return exitNotFound
	}
	return exitUsage
}
