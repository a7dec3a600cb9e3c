package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/resolver/connection"
)

// secretInputHelp is what the write commands' help says about values read
// from standard input or a file.
const secretInputHelp = `Flags and arguments show in ps and /proc/PID/cmdline to every local user:
keep secrets off the command line. "-" as the value reads it from standard
input (at most one value per command can come from it); a -file flag reads
it from a file ("-" there is standard input too). One trailing newline (\n or
\r\n) is removed from what is read; a value that must end in a newline needs
one more (end the input with a blank line). At most 1 MiB is read, and it
must be UTF-8 text. A value starting with "@" is taken as it is (there is no
@file form, as in Airflow).`

func (a *app) connAddCmd() *cobra.Command {
	var connType, host, login, schema, port, extra, description string
	uri := secretFlag{name: "conn-uri"}
	jsf := secretFlag{name: "conn-json"}
	password := secretFlag{name: "conn-password"}
	cmd := &cobra.Command{
		Use:   "add CONN_ID (--conn-uri URI | --conn-json JSON | --conn-type TYPE [--conn-host ...])",
		Short: "Add a connection to the metastore (an existing id is an error)",
		Long: `Add a connection to the metastore; an existing id is an error.

The connection is an Airflow URI (--conn-uri or --conn-uri-file), Airflow's
JSON form (--conn-json or --conn-json-file), or fields (--conn-type and the
other --conn-* flags). As Airflow's CLI does, it refuses a URI without a
scheme (conn-type://...) and a connection without a type.

` + secretInputHelp,
		Example: `  secretpath connections add pg_prod --conn-uri - < pg_prod.uri
  secretpath connections add pg_prod --conn-json-file pg_prod.json
  pass show db/app | secretpath connections add pg_prod --conn-type postgres \
      --conn-host db.example.com --conn-login app --conn-password -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			f := cmd.Flags()
			fieldFlags := []string{"conn-type", "conn-host", "conn-login", "conn-password", "conn-password-file", "conn-schema", "conn-port", "conn-extra"}
			var fields []string
			for _, n := range fieldFlags {
				if f.Changed(n) {
					fields = append(fields, "--"+n)
				}
			}
			var in secretInput
			var c connection.Connection
			var err error
			switch {
			case uri.given(cmd) && jsf.given(cmd):
				return usageError{"--conn-uri and --conn-json cannot be combined"}
			case (uri.given(cmd) || jsf.given(cmd)) && len(fields) > 0:
				return usageError{"--conn-uri and --conn-json cannot be combined with " + strings.Join(fields, ", ")}
			case uri.given(cmd):
				text, source, err := uri.get(cmd, &in)
				if err != nil {
					return err
				}
				c, err = connection.ParseURI(id, text)
				if err != nil {
					return usageError{source + ": " + err.Error()}
				}
				// Airflow's connections_add refuses a URI without a
				// scheme (_valid_uri: urlsplit(uri).scheme != "").
				if c.ConnType == "" {
					return usageError{noSchemeMsg(source)}
				}
				if f.Changed("conn-description") {
					c.Description = description
					c.SetPresent(connection.FieldDescription)
				}
			case jsf.given(cmd):
				if f.Changed("conn-description") {
					return usageError{"--conn-json carries its own description"}
				}
				text, source, err := jsf.get(cmd, &in)
				if err != nil {
					return err
				}
				c, err = connection.ParseJSON(id, text)
				if err != nil {
					return usageError{source + ": " + err.Error()}
				}
				// Airflow: "conn-json is invalid; must supply conn-type".
				if c.ConnType == "" {
					return usageError{source + ": the connection has no conn_type (nor a uri with a scheme)"}
				}
			case !f.Changed("conn-type"):
				return usageError{"one of --conn-uri, --conn-json or --conn-type is required"}
			default:
				m := map[string]any{}
				for _, p := range []struct {
					flag, key string
					v         *string
				}{
					{"conn-type", "conn_type", &connType}, {"conn-host", "host", &host}, {"conn-login", "login", &login},
					{"conn-schema", "schema", &schema},
					{"conn-port", "port", &port}, {"conn-extra", "extra", &extra}, {"conn-description", "description", &description},
				} {
					if f.Changed(p.flag) {
						m[p.key] = *p.v
					}
				}
				if connType == "" {
					// Airflow: an empty --conn-type is no --conn-type.
					return usageError{"--conn-type is empty: give a connection type, or --conn-uri or --conn-json"}
				}
				if password.given(cmd) {
					pw, _, err := password.get(cmd, &in)
					if err != nil {
						return err
					}
					m["password"] = pw
				}
				c, err = connection.FromFields(id, m)
				if err != nil {
					return usageError{err.Error()}
				}
			}
			if !connection.ValidID(id) {
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
	uri.define(cmd, "the connection as an Airflow `URI`")
	jsf.define(cmd, "the connection in Airflow's `JSON` form")
	f.StringVar(&connType, "conn-type", "", "connection type")
	f.StringVar(&host, "conn-host", "", "host")
	f.StringVar(&login, "conn-login", "", "login")
	password.define(cmd, "the `PASSWORD`")
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
	var output, connID string
	cmd := &cobra.Command{
		Use:   "list [--conn-id CONN_ID] [--output table|json]",
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
				if cmd.Flags().Changed("conn-id") {
					// Airflow's filter: that id exactly, or nothing.
					conns = slices.DeleteFunc(conns, func(c connection.Connection) bool { return c.ConnID != connID })
				}
				if output == "json" {
					if conns == nil {
						conns = []connection.Connection{}
					}
					return writeJSON(a.stdout, conns) // MarshalJSON hides password and extra
				}
				w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "CONN_ID\tCONN_TYPE\tHOST\tPORT\tSCHEMA\tLOGIN\tPASSWORD\tDESCRIPTION")
				for _, c := range conns {
					port, pw := "", ""
					if c.Has(connection.FieldPort) {
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
	cmd.Flags().StringVar(&connID, "conn-id", "", "list only the connection with this id")
	return cmd
}

func (a *app) connImportCmd() *cobra.Command {
	var overwrite bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import connections from a .json, .env or .yaml file (as localfs reads it), all or nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The file is read and its syntax checked now; its connections
			// are built batch by batch inside the import's transaction, and
			// a problem with any of them rolls the import back.
			file, err := localfs.OpenConnections(args[0])
			if err != nil {
				return &lookupError{err}
			}
			mode := metastore.Skip
			if overwrite {
				mode = metastore.Overwrite
			}
			return a.withStore(cmd, func(s *metastore.Store) error {
				res, err := s.ImportConnectionsFrom(cmd.Context(), file, metastore.ImportOptions{OnExisting: mode, Progress: a.progress("connections")})
				if err != nil {
					return importError(err)
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
	var format, fileFormat string
	cmd := &cobra.Command{
		Use:   "export (FILE | -) [--file-format json|yaml|env] [--serialization-format uri|json]",
		Short: "Export the metastore's connections to a .json, .env or .yaml file (mode 0600; it holds passwords), or to standard output",
		Long: `Export the metastore's connections, passwords included, as localfs and
connections import read them: to FILE (written with mode 0600, replaced
atomically) or, with "-", to standard output.

The format is --file-format when given, else FILE's extension (.json, .env,
.yaml or .yml); "-" needs --file-format.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ext, err := exportTarget(args[0], fileFormat)
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
				return a.writeExport(args[0], data, fmt.Sprintf("%d connection(s)", len(conns)))
			})
		},
	}
	cmd.Flags().StringVar(&format, "serialization-format", "uri", "in a .env file: each connection as an Airflow URI (uri) or its JSON form (json)")
	cmd.Flags().StringVar(&fileFormat, "file-format", "", "json, yaml or env: the format, whatever FILE's extension (required with -)")
	return cmd
}

// exportTarget returns the format an export writes, as an extension
// (".json", ".env", ".yaml" or ".yml"): fileFormat when given, else the
// extension of path; "-" (standard output) needs fileFormat. Errors are
// usage errors.
func exportTarget(path, fileFormat string) (string, error) {
	switch fileFormat {
	case "json", "yaml", "env":
		return "." + fileFormat, nil
	case "":
	default:
		return "", fmt.Errorf("--file-format must be json, yaml or env, not %q", fileFormat)
	}
	if path == "-" {
		return "", errors.New("export to - (standard output) needs --file-format json, yaml or env")
	}
	return exportFormat(path)
}

// writeExport writes an export's data to path, "-" for standard output,
// and says what it wrote: on standard error when the data went to standard
// output.
func (a *app) writeExport(path string, data []byte, what string) error {
	if path == "-" {
		if _, err := a.stdout.Write(data); err != nil {
			return err
		}
		_, err := fmt.Fprintf(a.stderr, "exported %s to standard output\n", what)
		return err
	}
	if err := writeSecretFile(path, data); err != nil {
		return err
	}
	_, err := fmt.Fprintf(a.stdout, "exported %s to %s\n", what, path)
	return err
}

// stdin is what a "-" value reads. The app (root.go) has no reader of its
// own; tests replace this one.
var stdin io.Reader = os.Stdin

// maxSecretInput bounds a value read from standard input or a file: the
// metastore's TEXT columns hold more, but a secret is never this large, and
// a mistaken device or log file must not fill memory.
const maxSecretInput = 1 << 20

// secretFlag is a flag that may carry a secret: --NAME VALUE, VALUE "-"
// reading standard input, or --NAME-file FILE.
type secretFlag struct {
	name        string
	value, file string
}

// define adds --NAME and --NAME-file to cmd; what names the value, its
// metavar in backquotes.
func (s *secretFlag) define(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	f.StringVar(&s.value, s.name, "", what+` ("-" reads it from standard input)`)
	f.StringVar(&s.file, s.name+"-file", "", "read --"+s.name+" from `FILE` (\"-\": standard input)")
}

// given reports whether --NAME or --NAME-file was given.
func (s *secretFlag) given(cmd *cobra.Command) bool {
	return cmd.Flags().Changed(s.name) || cmd.Flags().Changed(s.name+"-file")
}

// get returns the flag's value, reading standard input or the file, and
// the flag it came from, for error messages.
func (s *secretFlag) get(cmd *cobra.Command, in *secretInput) (value, source string, err error) {
	f := cmd.Flags()
	switch {
	case f.Changed(s.name) && f.Changed(s.name+"-file"):
		return "", "", usageError{fmt.Sprintf("--%s and --%s-file cannot be combined", s.name, s.name)}
	case f.Changed(s.name + "-file"):
		source = "--" + s.name + "-file"
		value, err = in.read(source, s.file)
		return value, source, err
	case s.value == "-":
		source = "--" + s.name
		value, err = in.read(source, "-")
		return value, source, err
	}
	return s.value, "--" + s.name, nil
}

// secretInput reads values from standard input or files for one command;
// standard input gives one value at most.
type secretInput struct {
	stdinReadFor string // the flag that read standard input
}

// read returns the text of source, "-" for standard input or else a file,
// for flag (which names it in errors), without one trailing newline.
// Errors are usage errors and never contain what was read.
func (in *secretInput) read(flag, source string) (string, error) {
	var r io.Reader
	subject := source
	if source == "-" {
		if in.stdinReadFor != "" {
			return "", usageError{fmt.Sprintf("%s: standard input was already read for %s: only one value per command can come from it", flag, in.stdinReadFor)}
		}
		in.stdinReadFor = flag
		r, subject = stdin, "standard input"
	} else {
		f, err := os.Open(source)
		if err != nil {
			return "", usageError{fmt.Sprintf("%s: %v", flag, err)}
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSecretInput+1))
	switch {
	case err != nil:
		return "", usageError{fmt.Sprintf("%s: reading %s: %v", flag, subject, err)}
	case len(b) > maxSecretInput:
		return "", usageError{fmt.Sprintf("%s: %s is larger than the limit of 1 MiB (%d bytes)", flag, subject, maxSecretInput)}
	case !utf8.Valid(b):
		return "", usageError{fmt.Sprintf("%s: %s is not UTF-8 text", flag, subject)}
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	return s, nil
}

// noSchemeMsg is the error for a connection URI without a scheme; it
// never quotes the URI, which may hold a password.
func noSchemeMsg(source string) string {
	return source + ": the URI has no scheme: write conn-type://[login[:password]@]host[:port][/schema][?extra], " +
		"with a conn-type that starts with a letter and holds only letters, digits, '+', '-' and '.'"
}

// encodeConnections writes connections the way localfs reads them back.
func encodeConnections(conns []connection.Connection, ext, envFormat string) ([]byte, error) {
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
