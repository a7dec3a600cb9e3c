package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// addMetastoreCommands adds the commands that write and inspect the
// metastore: connections add/delete/list/import/export, variables
// set/delete/list/import/export, db migrate/check and rotate-fernet-key.
func (a *app) addMetastoreCommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "connections":
			c.Short = "Look up connections, and write them to the metastore"
			c.AddCommand(a.connAddCmd(), a.connDeleteCmd(), a.connListCmd(), a.connImportCmd(), a.connExportCmd())
		case "variables":
			c.Short = "Look up variables, and write them to the metastore"
			c.AddCommand(a.varSetCmd(), a.varDeleteCmd(), a.varListCmd(), a.varImportCmd(), a.varExportCmd())
		}
	}
	root.AddCommand(a.dbCmd(), a.rotateCmd())
}

// openStore opens the metastore the config describes: [database]
// sql_alchemy_conn, else the embedded default; [core] fernet_key.
func (a *app) openStore(ctx context.Context) (*metastore.Store, error) {
	path, err := a.configFile()
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(path, os.Environ())
	if err != nil {
		return nil, err
	}
	b, err := resolver.OpenBackend(ctx, metastore.Name, resolver.Env{Config: cfg})
	if err != nil {
		return nil, err
	}
	return b.(*metastore.Store), nil
}

// withStore runs fn with the metastore; fn's errors are operation failures
// (exit 1), the store's opening errors configuration errors (exit 2).
func (a *app) withStore(cmd *cobra.Command, fn func(s *metastore.Store) error) error {
	s, err := a.openStore(cmd.Context())
	if err != nil {
		return err
	}
	defer s.Close()
	if err := fn(s); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return err
		}
		return &lookupError{err}
	}
	return nil
}

// usageError is a mistake in the arguments found while running (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func (a *app) dbCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Create or check the metastore's database"}
	cmd.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Create the metastore's tables, or bring them up to date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd, func(s *metastore.Store) error {
				if err := s.Migrate(cmd.Context()); err != nil {
					return err
				}
				where := s.Dialect()
				if s.Path() != "" {
					where += " " + s.Path()
				}
				_, err := fmt.Fprintf(a.stdout, "metastore schema is at version %d (%s)\n", metastore.SchemaVersion, where)
				return err
			})
		},
	}, &cobra.Command{
		Use:   "check",
		Short: "Check that the metastore's database is reachable and its schema current (exit 1 if not)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd, func(s *metastore.Store) error {
				st, err := s.Check(cmd.Context())
				where := st.Dialect
				if st.Path != "" {
					where += " " + st.Path
				}
				fmt.Fprintf(a.stdout, "database: %s\n", where)
				if err != nil {
					return err
				}
				kind := "secretpath"
				if st.Airflow {
					kind = "Airflow metadata database"
				}
				fmt.Fprintf(a.stdout, "schema: version %d of %d (%s)\nconnections: %d\nvariables: %d\nok\n", st.Version, st.Latest, kind, st.Connections, st.Variables)
				return nil
			})
		},
	})
	return cmd
}

func (a *app) rotateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-fernet-key",
		Short: "Re-encrypt every encrypted value with the first key of [core] fernet_key, in one transaction",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			n, err := s.RotateFernetKey(cmd.Context())
			if errors.Is(err, config.ErrInvalid) {
				return err
			}
			if err != nil {
				return &lookupError{err}
			}
			_, err = fmt.Fprintf(a.stdout, "re-encrypted %d password(s), %d extra(s), %d variable(s)\n", n.Passwords, n.Extras, n.Variables)
			return err
		},
	}
}
