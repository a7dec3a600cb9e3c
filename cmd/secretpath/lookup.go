package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secretpath/secretpath/builtin/env"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
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
		Use:   "get CONN_ID",
		Short: "Print a connection as an Airflow URI (default), JSON, YAML or a table",
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

With --explain, print instead what each tier of the search path was asked,
how it answered and how long it took, without the connection itself; stderr
says which config file was read.` + teamLong,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !oneOf(output, connOutputs) {
				return usageError{fmt.Sprintf("--output must be %s, not %q", orList(connOutputs), output)}
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
	cmd.AddCommand(get)
	return cmd
}

func (a *app) variablesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "variables", Short: "Look up variables"}
	var explainFlag, asJSON bool
	var def, teamName string
	get := &cobra.Command{
		Use:   "get KEY",
		Short: "Print a variable's value (JSON values as they are stored)",
		Long: `Print a variable's value as it is stored.

  --default V  print V, and succeed, when no tier holds the variable (as
               Airflow's Variable.get(default_var=V); V is printed as given)
  --json       parse the value as JSON and print it indented; a value that is
               not JSON is an error (exit 1)

With --explain, print instead what each tier of the search path was asked,
how it answered and how long it took, without the value; stderr says which
config file was read.` + teamLong,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
	cmd.AddCommand(get)
	return cmd
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
