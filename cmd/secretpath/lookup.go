package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) connectionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "connections", Short: "Look up connections"}
	var output string
	get := &cobra.Command{
		Use:   "get CONN_ID",
		Short: "Print a connection as an Airflow URI (default) or as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "uri" && output != "json" {
				return fmt.Errorf("--output must be uri or json, not %q", output)
			}
			r, err := a.open(cmd)
			if err != nil {
				return err
			}
			defer r.Close()
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
	cmd.AddCommand(get)
	return cmd
}

func (a *app) variablesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "variables", Short: "Look up variables"}
	cmd.AddCommand(&cobra.Command{
		Use:   "get KEY",
		Short: "Print a variable's value (JSON values as compact JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := a.open(cmd)
			if err != nil {
				return err
			}
			defer r.Close()
			v, err := r.Variable(cmd.Context(), args[0])
			if err != nil {
				return &lookupError{err}
			}
			_, err = fmt.Fprintln(a.stdout, v.Reveal())
			return err
		},
	})
	return cmd
}
