package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// addMetastoreCommands adds the commands that write and inspect the
// metastore: connections add/delete/list/import/export, variables
// set/delete/list/import/export, db migrate/check/install-notify/
// uninstall-notify and rotate-fernet-key.
func (a *app) addMetastoreCommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "connections":
			c.Short = "Look up connections, and write them to the metastore"
			c.AddCommand(writes(a.connAddCmd()), writes(a.connDeleteCmd()), a.connListCmd(), writes(a.connImportCmd()), a.connExportCmd())
		case "variables":
			c.Short = "Look up variables, and write them to the metastore"
			c.AddCommand(writes(a.varSetCmd()), writes(a.varDeleteCmd()), a.varListCmd(), writes(a.varImportCmd()), a.varExportCmd())
		}
	}
	root.AddCommand(a.dbCmd(), a.rotateCmd())
}

// writesAnnotation marks a command that writes to the metastore: withStore
// says on stderr which config file and which database it uses.
const writesAnnotation = "secretpath/writes-metastore"

func writes(c *cobra.Command) *cobra.Command {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[writesAnnotation] = "true"
	return c
}

// opened is the metastore a command opened and where its settings came from.
type opened struct {
	store *metastore.Store
	src   configSource
	dsnAt string // where [database] sql_alchemy_conn is set, "" for the default database
}

// say tells stderr which config file and which database a command uses
// (never the DSN: it may hold a password).
func (a *app) say(o opened) {
	db := o.store.Dialect()
	if p := o.store.Path(); p != "" {
		db += " " + p
	}
	switch {
	case o.dsnAt != "":
		db += " ([database] sql_alchemy_conn at " + o.dsnAt + ")"
	case o.store.Path() != "":
		db += " (the default database)"
	}
	fmt.Fprintf(a.stderr, "%s\ndatabase: %s\n", o.src, db)
}

// openStore opens the metastore the config describes: [database]
// sql_alchemy_conn, else the embedded default; [core] fernet_key.
func (a *app) openStore(ctx context.Context) (opened, error) {
	src, err := a.configFile()
	if err != nil {
		return opened{}, err
	}
	cfg, err := config.Load(src.path, os.Environ())
	if err != nil {
		return opened{}, err
	}
	b, err := resolver.OpenBackend(ctx, metastore.Name, resolver.Env{Config: cfg})
	if err != nil {
		return opened{}, err
	}
	return opened{store: b.(*metastore.Store), src: src, dsnAt: cfg.Origin("database", "sql_alchemy_conn")}, nil
}

// withStore runs fn with the metastore; fn's errors are operation failures
// (exit 1), the store's opening errors configuration errors (exit 2). A
// command marked by writes first says which config and database it uses.
func (a *app) withStore(cmd *cobra.Command, fn func(s *metastore.Store) error) error {
	return a.withOpened(cmd, func(o opened) error {
		if cmd.Annotations[writesAnnotation] != "" {
			a.say(o)
		}
		return fn(o.store)
	})
}

// withOpened is withStore for a command that reports where itself.
func (a *app) withOpened(cmd *cobra.Command, fn func(o opened) error) error {
	o, err := a.openStore(cmd.Context())
	if err != nil {
		return err
	}
	defer o.store.Close()
	if err := fn(o); err != nil {
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
		Use:         "migrate",
		Short:       "Create the metastore's tables, or bring them up to date",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{writesAnnotation: "true"},
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
			return a.withOpened(cmd, func(o opened) error {
				fmt.Fprintln(a.stderr, o.src) // the database is on stdout
				st, err := o.store.Check(cmd.Context())
				where := st.Dialect
				if st.Path != "" {
					where += " " + st.Path
				}
				fmt.Fprintf(a.stdout, "database: %s\n", where)
				if err != nil {
					return err
				}
				// How running processes learn of changes: informative,
				// never a failure (the trigger is optional).
				how, err := o.store.ChangeMethod(cmd.Context())
				if err != nil {
					how = "unknown (" + err.Error() + ")"
				}
				fmt.Fprintf(a.stdout, "change events: %s\n", how)
				kind := "secretpath"
				if st.Airflow {
					kind = "Airflow metadata database"
				}
				fmt.Fprintf(a.stdout, "schema: version %d of %d (%s)\nconnections: %d\nvariables: %d\nok\n", st.Version, st.Latest, kind, st.Connections, st.Variables)
				return nil
			})
		},
	}, a.notifyCmd(true), a.notifyCmd(false))
	return cmd
}

// notifyCmd is `db install-notify` (install) or `db uninstall-notify`. On
// PostgreSQL they create or drop the triggers that push changes to running
// processes (metastore.Store.InstallNotify); elsewhere there is nothing to
// install: they say why, and exit 0, so that a deployment script may run
// them whatever the database.
func (a *app) notifyCmd(install bool) *cobra.Command {
	c := &cobra.Command{
		Use:   "install-notify",
		Short: "PostgreSQL: install the triggers that push changes to running processes (LISTEN/NOTIFY); elsewhere nothing is needed",
		Long: "Creates, in one transaction, the functions secretpath_notify_connection() and secretpath_notify_variable()\n" +
			"and the triggers secretpath_notify and secretpath_notify_truncate on the connection and variable tables.\n" +
			"Each write then sends pg_notify('" + metastore.NotifyChannel + "', '{\"kind\":...,\"id\":...,\"team\":...}'): never a value.\n" +
			"Running it again replaces them (run it again after an upgrade that adds team_name). Without them,\n" +
			"processes poll the tables every 5 s and log a warning. On SQLite and MySQL/MariaDB changes are polled\n" +
			"(PRAGMA data_version, CHECKSUM TABLE) and there is nothing to install: it says so and exits 0.",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{writesAnnotation: "true"},
	}
	do, done := (*metastore.Store).InstallNotify, "installed the notify triggers on connection and variable: changes are pushed on channel "+metastore.NotifyChannel
	if !install {
		c.Use = "uninstall-notify"
		c.Short = "PostgreSQL: remove what install-notify created; running processes go back to polling"
		c.Long = ""
		do, done = (*metastore.Store).UninstallNotify, "removed the notify triggers: running processes poll the tables instead"
	}
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.withStore(cmd, func(s *metastore.Store) error {
			err := do(s, cmd.Context())
			if errors.Is(err, errors.ErrUnsupported) {
				_, err = fmt.Fprintf(a.stdout, "not needed: %v\n", strings.TrimPrefix(strings.TrimSuffix(err.Error(), ": "+errors.ErrUnsupported.Error()), "metastore: "))
				return err
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(a.stdout, done)
			return err
		})
	}
	return c
}

func (a *app) rotateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-fernet-key",
		Short: "Re-encrypt every encrypted value with the first key of [core] fernet_key, in one transaction",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			s := o.store
			defer s.Close()
			a.say(o)
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
