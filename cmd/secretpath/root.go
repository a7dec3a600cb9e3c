package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/secretpath/secretpath"
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
}

func newRootCmd(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
	root := &cobra.Command{
		Use:   "secretpath",
		Short: "Resolve Airflow connections and variables through a search path of secrets backends",
		Long: `secretpath resolves Airflow connections and variables through a search path:
the configured backend first ([secrets] backend: a built-in or a WebAssembly
module), then environment variables (AIRFLOW_CONN_<ID>, AIRFLOW_VAR_<KEY>), then
the metastore ([database] sql_alchemy_conn, or an embedded SQLite file). The
metastore is also where connections add and variables set write.

The config file is --config, else $SECRETPATH_CONFIG, else ./secretpath.cfg
when it exists, else none.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "config file (Airflow INI: [secrets] backend, backend_kwargs, ...)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(a.connectionsCmd(), a.variablesCmd(), a.wasmCmd(), a.backendsCmd())
	a.addMetastoreCommands(root)
	return root
}

// configFile finds the config file: --config, $SECRETPATH_CONFIG, or
// ./secretpath.cfg when present; "" means none.
func (a *app) configFile() (string, error) {
	if a.configPath != "" {
		return a.configPath, nil
	}
	if p := a.getenv("SECRETPATH_CONFIG"); p != "" {
		return p, nil
	}
	switch _, err := os.Stat(defaultConfigFile); {
	case err == nil:
		return defaultConfigFile, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	default:
		return "", fmt.Errorf("%w: %v", config.ErrInvalid, err)
	}
}

// open builds the resolver from the config. Errors are configuration errors.
func (a *app) open(cmd *cobra.Command) (*resolver.Resolver, error) {
	path, err := a.configFile()
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return secretpath.OpenFile(cmd.Context(), path, resolver.WithLogger(logger))
}
