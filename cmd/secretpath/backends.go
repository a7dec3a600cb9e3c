package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secretpath/secretpath/resolver"
)

// backendsCmd is `secretpath backends list`: what this build can open.
func (a *app) backendsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "backends", Short: "List the secrets backends this build links"}
	var aliases bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the backends [secrets] backend may name, with their search-path role",
		Long: `List the backends this build links: the name [secrets] backend may use, the
place of the search path the backend fills by itself when it is not the
configured one (environment, database, execution-API: a worker's third tier;
"-" for none), what it is, and with
--aliases the other names it answers to (Airflow's class paths). Backends left
out by build tags (secretpath_no_aws, ...) are not listed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tDESCRIPTION")
			for _, r := range resolver.Registered() {
				role := "-"
				if r.Role != 0 {
					// One word per column: "execution API" is execution-API.
					role = strings.ReplaceAll(r.Role.String(), " ", "-")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, role, r.Doc)
				if aliases {
					for _, al := range r.Aliases {
						fmt.Fprintf(tw, "  alias\t\t%s\n", al)
					}
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return nil
		},
	}
	list.Flags().BoolVar(&aliases, "aliases", false, "also print each backend's aliases (Airflow class paths)")
	cmd.AddCommand(list)
	return cmd
}
