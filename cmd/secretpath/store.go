package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/resolver"
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
func (a *app) openStore() (*metastore.Store, error) {
	path, err := a.configFile()
	if err != nil {
		return nil, err
	}
	cfg, err := resolver.LoadConfig(path, os.Environ())
	if err != nil {
		return nil, err
	}
	return metastore.OpenConfig(cfg)
}

// withStore runs fn with the metastore; fn's errors are operation failures
// (exit 1), the store's opening errors configuration errors (exit 2).
func (a *app) withStore(cmd *cobra.Command, fn func(s *metastore.Store) error) error {
	s, err := a.openStore()
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

func (a *app) connAddCmd() *cobra.Command {
	var uri, js, connType, host, login, password, schema, port, extra, description string
	cmd := &cobra.Command{
		Use:   "add CONN_ID (--conn-uri URI | --conn-json JSON | --conn-type TYPE [--conn-host ...])",
		Short: "Add a connection to the metastore (an existing id is an error)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			f := cmd.Flags()
			fieldFlags := []string{"conn-type", "conn-host", "conn-login", "conn-password", "conn-schema", "conn-port", "conn-extra"}
			var fields []string
			for _, n := range fieldFlags {
				if f.Changed(n) {
					fields = append(fields, "--"+n)
				}
			}
			var c resolver.Connection
			var err error
			switch {
			case f.Changed("conn-uri") && f.Changed("conn-json"):
				return usageError{"--conn-uri and --conn-json cannot be combined"}
			case (f.Changed("conn-uri") || f.Changed("conn-json")) && len(fields) > 0:
				return usageError{"--conn-uri and --conn-json cannot be combined with " + strings.Join(fields, ", ")}
			case f.Changed("conn-uri"):
				c, err = resolver.ParseURI(id, uri)
				if err == nil && f.Changed("conn-description") {
					c.Description = description
					c.SetPresent(resolver.FieldDescription)
				}
			case f.Changed("conn-json"):
				if f.Changed("conn-description") {
					return usageError{"--conn-json carries its own description"}
				}
				c, err = resolver.ParseJSON(id, js)
			case !f.Changed("conn-type"):
				return usageError{"one of --conn-uri, --conn-json or --conn-type is required"}
			default:
				m := map[string]any{}
				for _, p := range []struct {
					flag, key string
					v         *string
				}{
					{"conn-type", "conn_type", &connType}, {"conn-host", "host", &host}, {"conn-login", "login", &login},
					{"conn-password", "password", &password}, {"conn-schema", "schema", &schema},
					{"conn-port", "port", &port}, {"conn-extra", "extra", &extra}, {"conn-description", "description", &description},
				} {
					if f.Changed(p.flag) {
						m[p.key] = *p.v
					}
				}
				c, err = resolver.ConnectionFromFields(id, m)
			}
			if err != nil {
				return usageError{err.Error()}
			}
			if !resolver.ValidConnID(id) {
				return usageError{fmt.Sprintf("connection id %q is not one Airflow keeps (1-250 letters, digits and _#!()-.:/\\)", id)}
			}
			c.ConnID = id
			return a.withStore(cmd, func(s *metastore.Store) error {
				if err := s.AddConnection(cmd.Context(), c); err != nil {
					return err
				}
				_, err := fmt.Fprintf(a.stdout, "added connection %s\n", id)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&uri, "conn-uri", "", "the connection as an Airflow URI")
	f.StringVar(&js, "conn-json", "", "the connection in Airflow's JSON form")
	f.StringVar(&connType, "conn-type", "", "connection type")
	f.StringVar(&host, "conn-host", "", "host")
	f.StringVar(&login, "conn-login", "", "login")
	f.StringVar(&password, "conn-password", "", "password (prefer --conn-uri or --conn-json from a file: flags show in ps)")
	f.StringVar(&schema, "conn-schema", "", "schema")
	f.StringVar(&port, "conn-port", "", "port")
	f.StringVar(&extra, "conn-extra", "", "extra, a JSON object")
	f.StringVar(&description, "conn-description", "", "description")
	return cmd
}

func (a *app) connDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete CONN_ID",
		Short: "Delete a connection from the metastore",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(s *metastore.Store) error {
				if err := s.DeleteConnection(cmd.Context(), args[0]); err != nil {
					return fmt.Errorf("connection %q: %w", args[0], err)
				}
				_, err := fmt.Fprintf(a.stdout, "deleted connection %s\n", args[0])
				return err
			})
		},
	}
}

func (a *app) connListCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list [--output table|json]",
		Short: "List the metastore's connections (passwords and extras hidden)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("--output must be table or json, not %q", output)
			}
			return a.withStore(cmd, func(s *metastore.Store) error {
				conns, err := s.Connections(cmd.Context())
				if err != nil {
					return err
				}
				if output == "json" {
					if conns == nil {
						conns = []resolver.Connection{}
					}
					return writeJSON(a.stdout, conns) // MarshalJSON hides password and extra
				}
				w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "CONN_ID\tCONN_TYPE\tHOST\tPORT\tSCHEMA\tLOGIN\tPASSWORD\tDESCRIPTION")
				for _, c := range conns {
					port, pw := "", ""
					if c.Has(resolver.FieldPort) {
						port = strconv.Itoa(c.Port)
					}
					if !c.Password.IsZero() {
						pw = "***"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ConnID, c.ConnType, c.Host, port, c.Schema, c.Login, pw, oneLine(c.Description))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// progress returns an import progress callback that redraws one line on
// stderr when stderr is a terminal and the import is large, else nil.
func (a *app) progress(what string) func(done, total int) {
	f, ok := a.stderr.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(done, total int) {
		if total < 2000 {
			return
		}
		fmt.Fprintf(f, "\rimporting %s: %d/%d (%d%%)", what, done, total, done*100/total)
		if done == total {
			fmt.Fprintln(f)
		}
	}
}

func (a *app) connImportCmd() *cobra.Command {
	var overwrite bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import connections from a .json, .env or .yaml file (as localfs reads it), all or nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			conns, err := localfs.ReadConnections(args[0])
			if err != nil {
				return &lookupError{err}
			}
			list := make([]resolver.Connection, 0, len(conns))
			for _, c := range conns {
				list = append(list, c)
			}
			mode := metastore.Skip
			if overwrite {
				mode = metastore.Overwrite
			}
			return a.withStore(cmd, func(s *metastore.Store) error {
				res, err := s.ImportConnections(cmd.Context(), list, metastore.ImportOptions{OnExisting: mode, Progress: a.progress("connections")})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "imported %d connection(s), skipped %d existing\n", res.Written, res.Skipped)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace connections that exist (default: keep them)")
	return cmd
}

func (a *app) connExportCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "export FILE",
		Short: "Export the metastore's connections to a .json, .env or .yaml file (mode 0600; it holds passwords)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ext, err := exportFormat(args[0])
			if err != nil {
				return err
			}
			if format != "uri" && format != "json" {
				return fmt.Errorf("--serialization-format must be uri or json, not %q", format)
			}
			return a.withStore(cmd, func(s *metastore.Store) error {
				conns, err := s.Connections(cmd.Context())
				if err != nil {
					return err
				}
				data, err := encodeConnections(conns, ext, format)
				if err != nil {
					return err
				}
				if err := writeSecretFile(args[0], data); err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "exported %d connection(s) to %s\n", len(conns), args[0])
				return err
			})
		},
	}
	cmd.Flags().StringVar(&format, "serialization-format", "uri", "in a .env file: each connection as an Airflow URI (uri) or its JSON form (json)")
	return cmd
}

func exportFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".json", ".env", ".yaml", ".yml":
		return ext, nil
	}
	return "", fmt.Errorf("%s: the file must end in .json, .env, .yaml or .yml", path)
}

// encodeConnections writes connections the way localfs reads them back.
func encodeConnections(conns []resolver.Connection, ext, envFormat string) ([]byte, error) {
	if ext == ".env" {
		var b strings.Builder
		for _, c := range conns {
			v := c.URI()
			if envFormat == "json" {
				js, err := c.RevealedJSON()
				if err != nil {
					return nil, err
				}
				v = string(js)
			}
			b.WriteString(c.ConnID + "=" + v + "\n")
		}
		return []byte(b.String()), nil
	}
	objs := make(map[string]any, len(conns))
	for _, c := range conns {
		js, err := c.RevealedJSON()
		if err != nil {
			return nil, err
		}
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(string(js)))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		delete(m, "conn_id")
		objs[c.ConnID] = plainNumbers(m)
	}
	if ext == ".json" {
		b, err := json.MarshalIndent(objs, "", "  ")
		return append(b, '\n'), err
	}
	return yaml.Marshal(objs)
}

// plainNumbers turns json.Numbers into int64 or float64 for YAML.
func plainNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = plainNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plainNumbers(e)
		}
	}
	return v
}

// writeSecretFile writes data to path with mode 0600, replacing it
// atomically.
func writeSecretFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (a *app) varSetCmd() *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Set a variable in the metastore",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(s *metastore.Store) error {
				if err := s.SetVariable(cmd.Context(), args[0], args[1], description); err != nil {
					return err
				}
				_, err := fmt.Fprintf(a.stdout, "set variable %s\n", args[0])
				return err
			})
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "the variable's description")
	return cmd
}

func (a *app) varDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete KEY",
		Short: "Delete a variable from the metastore",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(s *metastore.Store) error {
				if err := s.DeleteVariable(cmd.Context(), args[0]); err != nil {
					return fmt.Errorf("variable %q: %w", args[0], err)
				}
				_, err := fmt.Fprintf(a.stdout, "deleted variable %s\n", args[0])
				return err
			})
		},
	}
}

func (a *app) varListCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list [--output table|json]",
		Short: "List the metastore's variable keys (values hidden)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("--output must be table or json, not %q", output)
			}
			return a.withStore(cmd, func(s *metastore.Store) error {
				vars, err := s.Variables(cmd.Context())
				if err != nil {
					return err
				}
				if output == "json" {
					type row struct {
						Key         string `json:"key"`
						Description string `json:"description"`
					}
					rows := make([]row, 0, len(vars))
					for _, v := range vars {
						rows = append(rows, row{v.Key, v.Description})
					}
					return writeJSON(a.stdout, rows)
				}
				w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "KEY\tDESCRIPTION")
				for _, v := range vars {
					fmt.Fprintf(w, "%s\t%s\n", v.Key, oneLine(v.Description))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func (a *app) varImportCmd() *cobra.Command {
	var action string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import variables from a .json, .env or .yaml file (as localfs reads it), all or nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			modes := map[string]metastore.OnExisting{"overwrite": metastore.Overwrite, "skip": metastore.Skip, "fail": metastore.Fail}
			mode, ok := modes[action]
			if !ok {
				return fmt.Errorf("--action-on-existing-key must be overwrite, skip or fail, not %q", action)
			}
			vars, err := localfs.ReadVariables(args[0])
			if err != nil {
				return &lookupError{err}
			}
			return a.withStore(cmd, func(s *metastore.Store) error {
				res, err := s.ImportVariables(cmd.Context(), vars, metastore.ImportOptions{OnExisting: mode, Progress: a.progress("variables")})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "imported %d variable(s), skipped %d existing\n", res.Written, res.Skipped)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&action, "action-on-existing-key", "overwrite", "overwrite, skip or fail (then nothing is imported)")
	return cmd
}

func (a *app) varExportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "export FILE",
		Short: "Export the metastore's variables to a .json, .env or .yaml file (mode 0600)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ext, err := exportFormat(args[0])
			if err != nil {
				return err
			}
			return a.withStore(cmd, func(s *metastore.Store) error {
				vars, err := s.Variables(cmd.Context())
				if err != nil {
					return err
				}
				data, err := encodeVariables(vars, ext)
				if err != nil {
					return err
				}
				if err := writeSecretFile(args[0], data); err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "exported %d variable(s) to %s\n", len(vars), args[0])
				return err
			})
		},
	}
}

// encodeVariables writes values as strings, so that localfs reads each back
// exactly.
func encodeVariables(vars []metastore.Variable, ext string) ([]byte, error) {
	m := make(map[string]string, len(vars))
	keys := make([]string, 0, len(vars))
	for _, v := range vars {
		m[v.Key] = v.Value.Reveal()
		keys = append(keys, v.Key)
	}
	sort.Strings(keys)
	switch ext {
	case ".json":
		b, err := json.MarshalIndent(m, "", "  ")
		return append(b, '\n'), err
	case ".env":
		var b strings.Builder
		for _, k := range keys {
			v := m[k]
			if v == "" || strings.ContainsAny(v, "\r\n\v\f\x1c\x1d\x1e\u0085\u2028\u2029") || !utf8.ValidString(v) || strings.ContainsAny(k, "=\n") {
				return nil, fmt.Errorf("variable %q cannot be written to a .env file (empty, multi-line or not UTF-8 value): export to .json or .yaml", k)
			}
			b.WriteString(k + "=" + v + "\n")
		}
		return []byte(b.String()), nil
	}
	return yaml.Marshal(m)
}

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
			s, err := a.openStore()
			if err != nil {
				return err
			}
			defer s.Close()
			n, err := s.RotateFernetKey(cmd.Context())
			if errors.Is(err, resolver.ErrConfig) {
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
