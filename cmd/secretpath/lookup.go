package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secretpath/secretpath/builtin/env"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// teamHelp is the --team flag's usage, on connections get and variables get.
const teamHelp = "the Airflow team the lookup is for (needs [core] multi_team = True): each tier reads the team's name first (env: AIRFLOW_CONN__<TEAM>___<ID> / AIRFLOW_VAR__<TEAM>___<KEY>; --explain shows what each asks)"

// teamLong is the --team paragraph of the get commands' help.
const teamLong = `

With --team NAME (a team name as Airflow accepts it: 3-50 letters, digits,
'-' or '_', never two '_' in a row), the lookup is that team's: with
[core] multi_team = True every tier reads as newest Airflow does for a team:
the environment AIRFLOW_CONN__<NAME upper-cased>___<ID>
(AIRFLOW_VAR__<NAME>___<KEY>) then the global name; the metastore rows of
the team or of none; AWS, GCP and Azure <prefix><sep><NAME>--<ID> then the
global name; Vault <path>/<NAME>/<ID> only; Kubernetes secrets labelled
with the team, then unlabelled ones; the Execution API the token's team.
--explain shows what each tier asks. Without multi_team, --team is a usage
error (exit 2): Airflow has no teams then.`

// team checks the --team flag: "" when not given; else a name Airflow
// accepts, and [core] multi_team on in the config the lookup reads
// (usage error, exit 2, otherwise: a team without multi_team must not
// read team secrets, nor be silently dropped).
func (a *app) team(cmd *cobra.Command, name string) (string, error) {
	if !cmd.Flags().Changed("team") {
		return "", nil
	}
	if !env.ValidTeam(name) {
		return "", usageError{fmt.Sprintf("--team %q is not a team name Airflow accepts (3-50 of A-Z, a-z, 0-9, '-', '_', no \"__\")", name)}
	}
	src, err := a.configFile()
	if err != nil {
		return "", err
	}
	cfg, err := config.Load(src.path, os.Environ())
	if err != nil {
		return "", err
	}
	on, err := cfg.Bool("core", "multi_team", false)
	if err != nil {
		return "", err
	}
	if !on {
		why := "it is off at " + cfg.Origin("core", "multi_team")
		switch {
		case cfg.Origin("core", "multi_team") != "":
		case src.path == "":
			why = "no config file is read and AIRFLOW__CORE__MULTI_TEAM is not set"
		default:
			why = src.path + " does not set it and AIRFLOW__CORE__MULTI_TEAM is not set"
		}
		return "", usageError{"--team needs [core] multi_team = True (Airflow has no teams without it): " + why}
	}
	return name, nil
}

// connOutputs are the formats of connections get: Airflow's (json, yaml,
// table, plain) and uri, the default.
var connOutputs = []string{"uri", "json", "yaml", "table", "plain"}

func (a *app) connectionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "connections", Short: "Look up connections"}
	var output, teamName string
	var explainFlag bool
	get := &cobra.Command{
		Use:   "get CONN_ID...",
		Short: "Print connections as Airflow URIs (default), JSON, YAML or a table",
		Long: `Print a connection, password included.

  -o uri     its Airflow URI (the default)
  -o json    one line: conn_id, conn_type, description, host, schema, login,
             password, port, extra (null where absent, port a number, extra
             an object): what connections add --conn-json takes
  -o yaml    as airflow connections get -o yaml: a list of one mapping with
             conn_id, conn_type, description, extra_dejson, get_uri, host,
             login, password, port, schema
  -o table   the same fields as a table, as airflow connections get prints it
  -o plain   the same fields as a plain table (columns apart by two spaces)

Several ids are looked up in one batch (each tier asked once for the ids no
earlier tier holds, in as few requests as its store allows) and printed in
the order given: uri one line each (an empty one for an id not found), json
one object keyed by conn id, yaml a list, table and plain a row each. The ids
not found, or whose lookup failed, are named on stderr and the others still
printed; the exit status is then 1.

With --explain (one id), print instead what each tier of the search path was
asked, how it answered and how long it took, without the connection itself;
stderr says which config file was read.` + teamLong,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !oneOf(output, connOutputs) {
				return usageError{fmt.Sprintf("--output must be %s, not %q", orList(connOutputs), output)}
			}
			if explainFlag && len(args) > 1 {
				return usageError{"--explain takes one connection id"}
			}
			team, err := a.team(cmd, teamName)
			if err != nil {
				return err
			}
			r, err := a.open(cmd, explainFlag)
			if err != nil {
				return err
			}
			defer r.Close()
			req := resolver.Request{Kind: resolver.KindConnection, ID: args[0], Team: team}
			if len(args) > 1 {
				res := r.LookupMany(cmd.Context(), req, args)
				var cs []connection.Connection
				for _, x := range res {
					switch {
					case x.Err == nil:
						cs = append(cs, x.Conn)
					case output == "uri":
						// One line per id, so that the lines match the
						// arguments: an empty one for an id not found.
						cs = append(cs, connection.Connection{})
					}
				}
				if len(cs) > 0 {
					if err := writeConnections(a.stdout, cs, output); err != nil {
						return &lookupError{err}
					}
				}
				return a.batchFailures(res, "connection ids")
			}
			if explainFlag {
				return a.explain(cmd.Context(), r, req)
			}
			c, err := r.LookupConnection(cmd.Context(), req)
			if err != nil {
				return &lookupError{err}
			}
			if err := writeConnection(a.stdout, c, output); err != nil {
				return &lookupError{err}
			}
			return nil
		},
	}
	get.Flags().StringVarP(&output, "output", "o", "uri", "output format: "+strings.Join(connOutputs, ", "))
	get.Flags().BoolVar(&explainFlag, "explain", false, "print each tier's part in the lookup (no value) instead of the connection")
	get.Flags().StringVar(&teamName, "team", "", teamHelp)
	cmd.AddCommand(get, a.connWatchCmd())
	return cmd
}

// watchLong is the part of the watch commands' help about changes.
const watchLong = `

It runs until interrupted (SIGINT, SIGTERM), then exits 0. A change is seen
as soon as a tier that reports changes says so: local files (inotify: an
edit, a file renamed over, a Kubernetes ConfigMap's swap) and the metastore
(PostgreSQL NOTIFY once 'secretpath db install-notify' ran; SQLite and
MariaDB by a poll). A tier that cannot report changes (the environment) is
read again only when another tier's change makes the value be looked up.
When the id is not found, or its lookup fails, the error goes to stderr and
the watch goes on.`

func (a *app) connWatchCmd() *cobra.Command {
	var output, teamName string
	cmd := &cobra.Command{
		Use:   "watch CONN_ID",
		Short: "Print a connection, then again each time it changes",
		Long:  "Print a connection as connections get does (-o uri, the default, json, yaml,\ntable or plain), then again each time it changes." + watchLong + teamLong,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !oneOf(output, connOutputs) {
				return usageError{fmt.Sprintf("--output must be %s, not %q", orList(connOutputs), output)}
			}
			team, err := a.team(cmd, teamName)
			if err != nil {
				return err
			}
			return a.watch(cmd, resolver.Request{Kind: resolver.KindConnection, ID: args[0], Team: team}, func(res resolver.Result) error {
				return writeConnection(a.stdout, res.Conn, output)
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "uri", "output format: "+strings.Join(connOutputs, ", "))
	cmd.Flags().StringVar(&teamName, "team", "", teamHelp)
	return cmd
}

func (a *app) varWatchCmd() *cobra.Command {
	var teamName string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "watch KEY",
		Short: "Print a variable's value, then again each time it changes",
		Long:  "Print a variable's value as variables get does (--json: indented), then again\neach time it changes." + watchLong + teamLong,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			team, err := a.team(cmd, teamName)
			if err != nil {
				return err
			}
			return a.watch(cmd, resolver.Request{Kind: resolver.KindVariable, ID: args[0], Team: team}, func(res resolver.Result) error {
				v := res.Value.Reveal()
				if asJSON {
					out, err := indentJSON(v)
					if err != nil {
						return fmt.Errorf("variable %q: %w", res.ID, err)
					}
					v = out
				}
				_, err := fmt.Fprintln(a.stdout, v)
				return err
			})
		},
	}
	cmd.Flags().BoolVarP(&asJSON, "json", "j", false, "parse the value as JSON and print it indented (a value that is not JSON is an error on stderr)")
	cmd.Flags().StringVar(&teamName, "team", "", teamHelp)
	return cmd
}

// watch prints req's answer with print, then each change, until the
// command's context ends (exit 0). A lookup's error, or print's, goes to
// stderr and the watch goes on.
func (a *app) watch(cmd *cobra.Command, req resolver.Request, print func(resolver.Result) error) error {
	r, err := a.open(cmd, false)
	if err != nil {
		return err
	}
	defer r.Close()
	w := r.Watcher(req)
	defer w.Close()
	ctx := cmd.Context()
	for {
		res, err := w.Watch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil // interrupted: the watch is over
			}
			return &lookupError{err}
		}
		if res.Err == nil {
			res.Err = print(res)
		}
		if res.Err != nil {
			fmt.Fprintf(a.stderr, "secretpath: %v\n", res.Err)
		}
	}
}

func (a *app) variablesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "variables", Short: "Look up variables"}
	var explainFlag, asJSON bool
	var def, teamName string
	get := &cobra.Command{
		Use:   "get KEY...",
		Short: "Print variables' values (JSON values as they are stored)",
		Long: `Print a variable's value as it is stored.

  --default V  print V, and succeed, when no tier holds the variable (as
               Airflow's Variable.get(default_var=V); V is printed as given)
  --json       parse the value as JSON and print it indented; a value that is
               not JSON is an error (exit 1)

Several keys are looked up in one batch (each tier asked once for the keys no
earlier tier holds) and printed in the order given, one value per line (an
empty one for a key not found; a value holding a newline spans lines: use
--json to tell them apart), or with
--json one object keyed by key whose values are the parsed JSON values.
--default stands for each key not found. The keys not found (without
--default), or whose lookup failed, are named on stderr and the others still
printed; the exit status is then 1.

With --explain (one key), print instead what each tier of the search path
was asked, how it answered and how long it took, without the value; stderr
says which config file was read.` + teamLong,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if explainFlag && len(args) > 1 {
				return usageError{"--explain takes one variable key"}
			}
			team, err := a.team(cmd, teamName)
			if err != nil {
				return err
			}
			r, err := a.open(cmd, explainFlag)
			if err != nil {
				return err
			}
			defer r.Close()
			req := resolver.Request{Kind: resolver.KindVariable, ID: args[0], Team: team}
			if len(args) > 1 {
				res := r.LookupMany(cmd.Context(), req, args)
				if cmd.Flags().Changed("default") {
					for i := range res {
						if errors.Is(res[i].Err, resolver.ErrNotFound) {
							res[i].Value, res[i].Err = connection.NewSecret(def), nil
						}
					}
				}
				if err := writeVariables(a.stdout, res, asJSON); err != nil {
					return &lookupError{err}
				}
				return a.batchFailures(res, "variable keys")
			}
			if explainFlag {
				return a.explain(cmd.Context(), r, req)
			}
			v, err := r.LookupValue(cmd.Context(), req)
			switch {
			case err != nil && cmd.Flags().Changed("default") && errors.Is(err, resolver.ErrNotFound):
				_, err = fmt.Fprintln(a.stdout, def)
				return err
			case err != nil:
				return &lookupError{err}
			case asJSON:
				out, err := indentJSON(v.Reveal())
				if err != nil {
					return &lookupError{fmt.Errorf("variable %q: %w", args[0], err)}
				}
				_, err = fmt.Fprintln(a.stdout, out)
				return err
			}
			_, err = fmt.Fprintln(a.stdout, v.Reveal())
			return err
		},
	}
	get.Flags().StringVarP(&def, "default", "d", "", "the value to print when the variable is not found (exit 0)")
	get.Flags().BoolVarP(&asJSON, "json", "j", false, "parse the value as JSON and print it indented (error if it is not JSON)")
	get.Flags().BoolVar(&explainFlag, "explain", false, "print each tier's part in the lookup (no value) instead of the value")
	get.Flags().StringVar(&teamName, "team", "", teamHelp)
	cmd.AddCommand(get, a.varWatchCmd())
	return cmd
}

// writeVariables prints the values found of a get of several keys: one
// line each, or with asJSON one object keyed by key (a key given twice
// appears once) whose values are the parsed values. A value that is not
// JSON fails that key: its Err is set, so that batchFailures names it.
func writeVariables(w io.Writer, res []resolver.Result, asJSON bool) error {
	var b bytes.Buffer
	if !asJSON {
		// One line per key, so that the lines match the arguments: an
		// empty one for a key not found.
		for _, x := range res {
			if x.Err == nil {
				b.WriteString(x.Value.Reveal())
			}
			b.WriteByte('\n')
		}
		_, err := w.Write(b.Bytes())
		return err
	}
	seen := make(map[string]bool, len(res))
	b.WriteByte('{')
	for i := range res {
		x := &res[i]
		if x.Err != nil || seen[x.ID] {
			continue
		}
		if !json.Valid([]byte(x.Value.Reveal())) {
			_, err := indentJSON(x.Value.Reveal()) // the error says where, not what
			x.Err = fmt.Errorf("variable %q: %w", x.ID, err)
			continue
		}
		seen[x.ID] = true
		key, _ := json.Marshal(x.ID)
		if b.Len() > 1 {
			b.WriteString(",")
		}
		b.WriteString("\n  ")
		b.Write(key)
		b.WriteString(": ")
		var v bytes.Buffer
		if err := json.Indent(&v, []byte(strings.TrimSpace(x.Value.Reveal())), "  ", "  "); err != nil {
			x.Err = fmt.Errorf("variable %q: the value is not JSON", x.ID)
			continue
		}
		b.Write(v.Bytes())
	}
	if b.Len() > 1 {
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// batchFailures names on stderr each id of a batch that was not found or
// failed, in the order given (an id given twice once), and returns the
// lookup error (exit 1) that says how many; nil when every id was found.
func (a *app) batchFailures(res []resolver.Result, kind string) error {
	var failed []string
	seen := make(map[string]bool)
	for _, x := range res {
		if x.Err == nil || seen[x.ID] {
			continue
		}
		seen[x.ID] = true
		failed = append(failed, strconv.Quote(x.ID))
		fmt.Fprintf(a.stderr, "secretpath: %v\n", x.Err)
	}
	if len(failed) == 0 {
		return nil
	}
	return &lookupError{fmt.Errorf("%d of %d %s not found or failed: %s", len(failed), len(distinct(res)), kind, strings.Join(failed, ", "))}
}

// distinct returns the distinct ids of res.
func distinct(res []resolver.Result) map[string]bool {
	m := make(map[string]bool, len(res))
	for _, x := range res {
		m[x.ID] = true
	}
	return m
}

// indentJSON returns the JSON text value indented by two spaces, keys in
// their order and numbers as written. Its error gives the byte offset of
// a syntax error, never the text there (a value may be a secret).
func indentJSON(value string) (string, error) {
	var raw json.RawMessage
	if err := json.Unmarshal([]byte(value), &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return "", fmt.Errorf("the value is not JSON (syntax error at byte %d of %d)", se.Offset, len(value))
		}
		return "", errors.New("the value is not JSON")
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return "", errors.New("the value is not JSON")
	}
	return b.String(), nil
}
