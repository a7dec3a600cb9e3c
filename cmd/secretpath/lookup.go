package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secretpath/secretpath/resolver"
)

// connOutputs are the formats of connections get: Airflow's (json, yaml,
// table, plain) and uri, the default.
var connOutputs = []string{"uri", "json", "yaml", "table", "plain"}

func (a *app) connectionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "connections", Short: "Look up connections"}
	var output string
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
says which config file was read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !oneOf(output, connOutputs) {
				return usageError{fmt.Sprintf("--output must be %s, not %q", orList(connOutputs), output)}
			}
			r, err := a.open(cmd, explainFlag)
			if err != nil {
				return err
			}
			defer r.Close()
			if explainFlag {
				return a.explain(cmd.Context(), r, resolver.KindConnection, args[0])
			}
			c, err := r.Connection(cmd.Context(), args[0])
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
	cmd.AddCommand(get)
	return cmd
}

func (a *app) variablesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "variables", Short: "Look up variables"}
	var explainFlag, asJSON bool
	var def string
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
config file was read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := a.open(cmd, explainFlag)
			if err != nil {
				return err
			}
			defer r.Close()
			if explainFlag {
				return a.explain(cmd.Context(), r, resolver.KindVariable, args[0])
			}
			v, err := r.Variable(cmd.Context(), args[0])
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
