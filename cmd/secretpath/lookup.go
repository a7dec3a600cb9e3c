package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/secretpath/secretpath/resolver"
)

func (a *app) connectionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "connections", Short: "Look up connections"}
	var output string
	var explainFlag bool
	get := &cobra.Command{
		Use:   "get CONN_ID",
		Short: "Print a connection as an Airflow URI (default) or as JSON",
		Long: `Print a connection as an Airflow URI (default) or as JSON.

With --explain, print instead what each tier of the search path was asked,
how it answered and how long it took, without the connection itself.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "uri" && output != "json" {
				return fmt.Errorf("--output must be uri or json, not %q", output)
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
			if output == "uri" {
				_, err = fmt.Fprintln(a.stdout, c.URI())
				return err
			}
			b, err := c.RevealedJSON()
			if err != nil {
				return &lookupError{err}
			}
			_, err = fmt.Fprintln(a.stdout, string(b))
			return err
		},
	}
	get.Flags().StringVarP(&output, "output", "o", "uri", "output format: uri or json")
	get.Flags().BoolVar(&explainFlag, "explain", false, "print each tier's part in the lookup (no value) instead of the connection")
	cmd.AddCommand(get)
	return cmd
}

func (a *app) variablesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "variables", Short: "Look up variables"}
	var explainFlag bool
	get := &cobra.Command{
		Use:   "get KEY",
		Short: "Print a variable's value (JSON values as compact JSON)",
		Args:  cobra.ExactArgs(1),
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
			if err != nil {
				return &lookupError{err}
			}
			_, err = fmt.Fprintln(a.stdout, v.Reveal())
			return err
		},
	}
	get.Flags().BoolVar(&explainFlag, "explain", false, "print each tier's part in the lookup (no value) instead of the value")
	cmd.AddCommand(get)
	return cmd
}
