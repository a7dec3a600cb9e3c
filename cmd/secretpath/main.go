// Command secretpath looks Airflow connections and variables up through the
// search path a config file describes (configured backend, environment,
// metastore), manages the metastore, and checks WebAssembly backends.
//
//	secretpath [--config FILE] [--worker] connections get CONN_ID... [-o uri|json|yaml|table|plain]
//	secretpath [--config FILE] [--worker] variables get KEY... [--default V] [--json]
//	secretpath [--config FILE] [--worker] connections watch CONN_ID [-o ...] | variables watch KEY [--json]
//	secretpath connections add|delete|list|import|export ...
//	secretpath variables set|delete|list|import|export ...
//	secretpath db migrate|check
//	secretpath rotate-fernet-key
//	secretpath wasm check MODULE.wasm
//	secretpath backends list
//	secretpath --version
//
// The config file is the first of: --config, $SECRETPATH_CONFIG,
// ./secretpath.cfg when it exists, $AIRFLOW_CONFIG, $AIRFLOW_HOME/airflow.cfg
// when AIRFLOW_HOME is set and the file exists; else none (environment
// variables and the metastore).
//
// --worker, or SECRETPATH_COMPONENT=worker (also dag-processor or
// triggerer; api-server and scheduler keep the server's search path), looks
// up as an Airflow 3 worker: [workers] secrets_backend with its kwargs,
// else [secrets] backend with its own (config.File.Worker), then the
// environment, then the Airflow 3 Execution API ([core]
// execution_api_server_url) with the token in
// $SECRETPATH_EXECUTION_API_TOKEN or the file
// $SECRETPATH_EXECUTION_API_TOKEN_FILE names; without a token, the
// metastore with a warning. The Execution API's access denied (401, 403)
// ends the lookup: exit 1 with "access denied" on stderr.
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
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes the CLI and returns its exit status. The command's error is
// printed once, after the warnings it does not already contain.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := newApp(stdout, stderr, getenv)
	cmd := a.rootCmd()
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		a.logs.flush("")
		return exitOK
	}
	a.logs.flush(err.Error())
	fmt.Fprintf(stderr, "secretpath: %v\n", err)
	var le *lookupError
	if errors.As(err, &le) {
		return exitNotFound
	}
	return exitUsage
}

// heldLogs keeps the warnings of a command until it ends, so that a tier's
// error is printed once: a warning whose error the command's final error
// (or --explain's table) already shows is dropped. The resolver warns of
// each failing tier as it goes on, and its not-found error names them all.
type heldLogs struct {
	mu    sync.Mutex
	held  []heldRecord
	shown []string // error texts the command printed itself
}

type heldRecord struct {
	h slog.Handler
	r slog.Record
}

// maxHeldLogs bounds the memory held; later warnings are printed at once.
const maxHeldLogs = 1000

// show records an error text the command printed (--explain's).
func (l *heldLogs) show(text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shown = append(l.shown, text)
}

// flush prints the held warnings whose "error" is in neither final (the
// command's error text) nor what the command showed.
func (l *heldLogs) flush(final string) {
	l.mu.Lock()
	held, shown := l.held, l.shown
	l.held = nil
	l.mu.Unlock()
	for _, hr := range held {
		if e := errorAttr(hr.r); e != "" && (strings.Contains(final, e) || containsAny(shown, e)) {
			continue
		}
		_ = hr.h.Handle(context.Background(), hr.r)
	}
}

func containsAny(texts []string, s string) bool {
	for _, t := range texts {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// errorAttr returns the text of a record's "error" attribute, "" when none.
func errorAttr(r slog.Record) string {
	var text string
	r.Attrs(func(at slog.Attr) bool {
		if at.Key == "error" {
			text = at.Value.Resolve().String()
			return false
		}
		return true
	})
	return text
}

// holdHandler hands records to heldLogs instead of writing them.
type holdHandler struct {
	inner slog.Handler
	logs  *heldLogs
}

func (h *holdHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *holdHandler) Handle(ctx context.Context, r slog.Record) error {
	h.logs.mu.Lock()
	if len(h.logs.held) < maxHeldLogs {
		h.logs.held = append(h.logs.held, heldRecord{h.inner, r.Clone()})
		h.logs.mu.Unlock()
		return nil
	}
	h.logs.mu.Unlock()
	return h.inner.Handle(ctx, r)
}

func (h *holdHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &holdHandler{inner: h.inner.WithAttrs(as), logs: h.logs}
}

func (h *holdHandler) WithGroup(name string) slog.Handler {
	return &holdHandler{inner: h.inner.WithGroup(name), logs: h.logs}
}

// The module paths --version reports.
const (
	modulePath = "github.com/secretpath/secretpath"
	wazeroPath = "github.com/tetratelabs/wazero"
)

// readBuildInfo is debug.ReadBuildInfo, nil when the binary has none.
func readBuildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// versionText is what --version prints: the module's version ("devel" when
// built from a checkout without one), the VCS revision when the build
// recorded it, and the versions of Go and of wazero ("not linked" in a
// build with -tags secretpath_no_wasm).
func versionText(bi *debug.BuildInfo) string {
	version, revision, goVersion, wazero := "devel", "", runtime.Version(), "not linked"
	if bi != nil {
		if bi.Main.Path == modulePath && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		var rev, at string
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			revision = rev
			if at != "" {
				revision += " " + at
			}
			if modified {
				revision += " (modified)"
			}
		}
		for _, d := range bi.Deps {
			if d.Path != wazeroPath {
				continue
			}
			wazero = d.Version
			if d.Replace != nil {
				wazero += " => " + d.Replace.Path
				if d.Replace.Version != "" {
					wazero += " " + d.Replace.Version
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "secretpath %s\n", version)
	if revision != "" {
		fmt.Fprintf(&b, "revision: %s\n", revision)
	}
	fmt.Fprintf(&b, "go: %s\nwazero: %s", goVersion, wazero)
	return b.String()
}
