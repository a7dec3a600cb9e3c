package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	_ "github.com/secretpath/secretpath" // links every built-in backend
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// defaultConfigFile is read from the working directory when neither
// --config nor $SECRETPATH_CONFIG names a file.
const defaultConfigFile = "secretpath.cfg"

type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	configPath     string
	worker         bool // --worker
	logs           *heldLogs
}

func newApp(stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{stdout: stdout, stderr: stderr, getenv: getenv, logs: &heldLogs{}}
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "secretpath",
		Short: "Resolve Airflow connections and variables through a search path of secrets backends",
		Long: `secretpath resolves Airflow connections and variables through a search path:
the configured backend first ([secrets] backend: a built-in or a WebAssembly
module), then environment variables (AIRFLOW_CONN_<ID>, AIRFLOW_VAR_<KEY>), then
the metastore ([database] sql_alchemy_conn, or an embedded SQLite file). The
metastore is also where connections add and variables set write.

The config file is the first of: --config, $SECRETPATH_CONFIG, ./secretpath.cfg
when it exists, $AIRFLOW_CONFIG, $AIRFLOW_HOME/airflow.cfg when AIRFLOW_HOME is
set and the file exists; else none (environment variables and the metastore).
--explain and the commands that write say on stderr which file they used.

--worker (or SECRETPATH_COMPONENT=worker) looks up as an Airflow 3 worker:
the configured backend is [workers] secrets_backend with its
secrets_backend_kwargs and AIRFLOW__WORKERS__SECRETS_BACKEND_KWARG__<KEY>
overrides, else [secrets] backend with its own kwargs; then the environment;
then, as a worker asks the API server, the Execution API at [core]
execution_api_server_url with the task's token from
$SECRETPATH_EXECUTION_API_TOKEN or the file $SECRETPATH_EXECUTION_API_TOKEN_FILE
names. An access denied there (401, 403) ends the lookup (exit 1). Without a
token the third tier is the metastore, with a warning.`,
		// Non-empty, so that cobra handles --version; what it prints is
		// versionText, built only then (the version template below):
		// reading the build info on every start cost a cold process ~50 µs.
		Version:       "secretpath",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	// cobra's template functions are one global map: registered once, so
	// that commands built concurrently (tests) never write it together.
	versionFuncOnce.Do(func() {
		cobra.AddTemplateFunc("secretpathVersion", func() string { return versionText(readBuildInfo()) })
	})
	root.SetVersionTemplate("{{secretpathVersion}}\n")
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "config file (Airflow INI: [secrets] backend, backend_kwargs, ...)")
	root.PersistentFlags().BoolVar(&a.worker, "worker", false, "look up as an Airflow 3 worker: [workers] secrets_backend first (also SECRETPATH_COMPONENT=worker)")
	root.Flags().BoolP("version", "v", false, "print the version of secretpath, its VCS revision, Go and wazero, and exit")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// A flag the group does not know, after a misspelt command
		// (`variables sett K V --description d`): the command is the mistake.
		if c.HasAvailableSubCommands() {
			if args := c.Flags().Args(); len(args) > 0 {
				return unknownCommand(c, args[0])
			}
		}
		return usageError{fmt.Sprintf("%v (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(a.connectionsCmd(), a.variablesCmd(), a.wasmCmd(), a.backendsCmd())
	a.addMetastoreCommands(root)
	root.InitDefaultCompletionCmd()
	root.SetHelpCommand(helpCmd())
	root.SetUsageTemplate(groupUsageTemplate(root.UsageTemplate()))
	strictGroups(root)
	return root
}

var versionFuncOnce sync.Once

// strictGroups makes every command that only groups others (the root,
// connections, variables, db, ...) fail with exit status 2 when run with
// an unknown command or with none; cobra would print the group's help and
// succeed, so that a script with a typo reports success.
func strictGroups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		strictGroups(sub)
	}
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return unknownCommand(c, args[0])
		}
		fmt.Fprint(c.ErrOrStderr(), c.UsageString())
		return usageError{fmt.Sprintf("%q needs a command (see '%s --help')", c.CommandPath(), c.CommandPath())}
	}
}

// unknownCommand is the usage error for a command name that c does not
// have, with the nearest of cobra's suggestions (edit distance 2 or less,
// or a prefix).
func unknownCommand(c *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	if s := nearest(name, c.SuggestionsFor(name)); len(s) > 0 {
		for i := range s {
			s[i] = fmt.Sprintf("%q", s[i])
		}
		msg += "; did you mean " + orList(s) + "?"
	}
	return usageError{msg + fmt.Sprintf(" (see '%s --help')", c.CommandPath())}
}

// nearest keeps the candidates typed begins ("co": completion,
// connections), or else those nearest to it (config.Nearest: "sett"
// suggests set rather than also get), sorted.
func nearest(typed string, candidates []string) []string {
	var out []string
	for _, c := range candidates {
		if strings.HasPrefix(strings.ToLower(c), strings.ToLower(typed)) && !oneOf(c, out) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = config.Nearest(typed, candidates)
	}
	sort.Strings(out)
	return out
}

// helpCmd is cobra's help command, except that an unknown topic is a
// usage error (exit 2) rather than a usage text and success.
func helpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help provides help for any command: secretpath help [path to command].",
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil {
				return usageError{err.Error()}
			}
			if len(rest) > 0 && target.HasAvailableSubCommands() {
				return unknownCommand(target, rest[0])
			}
			target.InitDefaultHelpFlag()
			target.InitDefaultVersionFlag()
			return target.Help()
		},
	}
}

// groupUsageTemplate is cobra's usage template without the "secretpath
// variables [flags]" line for a command that only groups others: running
// one alone is a usage error.
func groupUsageTemplate(t string) string {
	const runnable = "Usage:{{if .Runnable}}"
	if !strings.HasPrefix(t, runnable) {
		return t // a newer cobra: its own template is still right, with one line too many
	}
	return "Usage:{{if and .Runnable (not .HasAvailableSubCommands)}}" + strings.TrimPrefix(t, runnable)
}

// configSource is the config file a command uses and why.
type configSource struct {
	path string // "" for none
	from string // the flag or variable that named it
}

func (s configSource) String() string {
	if s.path == "" {
		return "config: none (no --config, $SECRETPATH_CONFIG, ./secretpath.cfg, $AIRFLOW_CONFIG or $AIRFLOW_HOME/airflow.cfg)"
	}
	return fmt.Sprintf("config: %s (from %s)", s.path, s.from)
}

// configFile finds the config file, the first of: --config,
// $SECRETPATH_CONFIG, ./secretpath.cfg when it exists, $AIRFLOW_CONFIG,
// $AIRFLOW_HOME/airflow.cfg when AIRFLOW_HOME is set and the file exists.
// A file named by the flag or a variable other than AIRFLOW_HOME must
// exist (loading it says so); there is no implicit ~/airflow.
func (a *app) configFile() (configSource, error) {
	if a.configPath != "" {
		return configSource{a.configPath, "--config"}, nil
	}
	if p := a.getenv("SECRETPATH_CONFIG"); p != "" {
		return configSource{p, "$SECRETPATH_CONFIG"}, nil
	}
	if ok, err := exists(defaultConfigFile); err != nil || ok {
		return configSource{defaultConfigFile, "./" + defaultConfigFile}, err
	}
	if p := a.airflowPath("AIRFLOW_CONFIG"); p != "" {
		return configSource{p, "$AIRFLOW_CONFIG"}, nil
	}
	if home := a.airflowPath("AIRFLOW_HOME"); home != "" {
		p := filepath.Join(home, "airflow.cfg")
		if ok, err := exists(p); err != nil || ok {
			return configSource{p, "$AIRFLOW_HOME/airflow.cfg"}, err
		}
	}
	return configSource{}, nil
}

// airflowPath reads a path from the environment variable name as Airflow
// does (expand_env_var): $VARIABLES and a leading ~ are expanded, until
// nothing changes; a variable that is not set stays as written.
func (a *app) airflowPath(name string) string {
	p := a.getenv(name)
	for range 8 {
		next := os.Expand(p, func(v string) string {
			if x := a.getenv(v); x != "" {
				return x
			}
			return "${" + v + "}"
		})
		if home := a.getenv("HOME"); home != "" && (next == "~" || strings.HasPrefix(next, "~/")) {
			next = home + next[1:]
		}
		if next == p {
			break
		}
		p = next
	}
	return p
}

// exists reports whether path exists; an error other than "does not
// exist" (a permission problem) is a configuration error naming path.
func exists(path string) (bool, error) {
	switch _, err := os.Stat(path); {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("%w: %v", config.ErrInvalid, err)
	}
}

// open builds the resolver from the config. Errors are configuration
// errors. With say, it first tells stderr which config file it reads.
func (a *app) open(cmd *cobra.Command, say bool) (*resolver.Resolver, error) {
	src, err := a.configFile()
	if err != nil {
		return nil, err
	}
	worker, from, err := a.component()
	if err != nil {
		return nil, err
	}
	if say {
		fmt.Fprintln(a.stderr, src)
	}
	// As secretpath.OpenFile does, with the worker's view when asked.
	cfg, err := config.Load(src.path, os.Environ())
	if err != nil {
		return nil, err
	}
	log := a.logger()
	if worker {
		if cfg, err = cfg.Worker(); err != nil {
			return nil, err
		}
	}
	r, err := resolver.Open(cmd.Context(), cfg, resolver.WithLogger(log))
	if err == nil && worker && say {
		fmt.Fprintln(a.stderr, workerSearchPath(cfg, from, r.Tiers()))
	}
	return r, err
}

// components are the values of $SECRETPATH_COMPONENT: Airflow's components,
// true for those that read the worker's search path.
var components = map[string]bool{
	"api-server": false, "scheduler": false,
	"worker": true, "dag-processor": true, "triggerer": true,
}

// component says whether to look up as a worker, and why: --worker, else
// $SECRETPATH_COMPONENT (unset or empty: the server's search path). An
// unknown component is a configuration error naming the variable.
func (a *app) component() (worker bool, from string, err error) {
	if a.worker {
		return true, "--worker", nil
	}
	v := a.getenv("SECRETPATH_COMPONENT")
	if v == "" {
		return false, "", nil
	}
	w, ok := components[v]
	if !ok {
		names := make([]string, 0, len(components))
		for n := range components {
			names = append(names, n)
		}
		sort.Strings(names)
		msg := fmt.Sprintf("$SECRETPATH_COMPONENT: unknown component %q", v)
		if s := config.Nearest(v, names); len(s) > 0 {
			for i := range s {
				s[i] = fmt.Sprintf("%q", s[i])
			}
			msg += "; did you mean " + orList(s) + "?"
		}
		return false, "", fmt.Errorf("%w: %s (one of: %s)", config.ErrInvalid, msg, strings.Join(names, ", "))
	}
	return w, "$SECRETPATH_COMPONENT=" + v, nil
}

// executionAPITier is the name the Execution API backend registers.
const executionAPITier = "execution-api"

// workerSearchPath is what --explain says of a worker's search path: the
// tiers Open assembled, in order, with where the configured backend and
// the Execution API's URL come from. (Why the third tier is the metastore,
// when it is, is the warning Open logs.)
func workerSearchPath(cfg *config.File, from string, tiers []string) string {
	parts := slices.Clone(tiers)
	if section, key, where := cfg.BackendOrigin(); section != "" && len(parts) > 0 {
		origin := fmt.Sprintf("[%s] %s", section, key)
		if where != "" {
			origin += ", " + where
		}
		parts[0] += " (" + origin + ")"
	}
	for i, t := range tiers {
		if t != executionAPITier {
			continue
		}
		if where := cfg.Origin("core", "execution_api_server_url"); where != "" {
			parts[i] += " ([core] execution_api_server_url, " + where + ")"
		} else {
			parts[i] += " (Airflow's default URL, http://localhost:8080/execution/)"
		}
	}
	return fmt.Sprintf("search path: worker (from %s): %s", from, strings.Join(parts, ", then "))
}

// logger logs warnings to stderr once the command has ended (see heldLogs).
func (a *app) logger() *slog.Logger {
	text := slog.NewTextHandler(a.stderr, &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, at slog.Attr) slog.Attr {
			if len(groups) == 0 && at.Key == slog.TimeKey {
				return slog.Attr{} // a command line's warnings need no clock
			}
			return at
		},
	})
	return slog.New(&holdHandler{inner: text, logs: a.logs})
}
