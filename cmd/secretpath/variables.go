package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/builtin/metastore"
)

func (a *app) varSetCmd() *cobra.Command {
	var description, valueFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "set KEY (VALUE | - | --value-file FILE) [--json] [--description D]",
		Short: "Set a variable in the metastore",
		Long: `Set a variable in the metastore, replacing any value it has.

VALUE "-" reads the value from standard input; --value-file FILE reads it
from FILE.

` + secretInputHelp + `

With --json the value must be JSON (RFC 8259); it is stored with the
whitespace between tokens removed (keys, strings and numbers as written), so
that Airflow's Variable.get(key, deserialize_json=True) reads it back. Airflow's
own CLI stores the text as one JSON string instead; secretpath does not copy
that.`,
		Example: `  secretpath variables set api_token - < token.txt
  secretpath variables set retry_policy --json '{"attempts": 3}'
  secretpath variables set tls_cert --value-file cert.pem`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key := args[0]
			fromFile := cmd.Flags().Changed("value-file")
			var in secretInput
			var value string
			switch {
			case len(args) == 2 && fromFile:
				return usageError{"variables set: VALUE and --value-file cannot be combined"}
			case len(args) == 1 && !fromFile:
				return usageError{"variables set needs KEY and VALUE (\"-\" for standard input), or KEY and --value-file FILE"}
			case fromFile:
				v, err := in.read("--value-file", valueFile)
				if err != nil {
					return err
				}
				value = v
			case args[1] == "-":
				v, err := in.read("variables set KEY -", "-")
				if err != nil {
					return err
				}
				value = v
			default:
				value = args[1]
			}
			if asJSON {
				var b bytes.Buffer
				if err := json.Compact(&b, []byte(value)); err != nil {
					// The decoder's message may quote a character of the
					// value: give only where it went wrong.
					msg := fmt.Sprintf("--json: the value of variable %q is not JSON", key)
					var se *json.SyntaxError
					if errors.As(err, &se) {
						msg += fmt.Sprintf(" (at byte %d)", se.Offset)
					}
					return usageError{msg}
				}
				value = b.String()
			}
			return a.withStore(cmd, func(s *metastore.Store) error {
				if err := s.SetVariable(cmd.Context(), key, value, description); err != nil {
					return err
				}
				_, err := fmt.Fprintf(a.stdout, "set variable %s\n", key)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "the variable's description")
	cmd.Flags().StringVar(&valueFile, "value-file", "", "read the value from `FILE` (\"-\": standard input)")
	cmd.Flags().BoolVarP(&asJSON, "json", "j", false, "the value is JSON: check it and store it compact")
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
			file, err := localfs.OpenVariables(args[0])
			if err != nil {
				return &lookupError{err}
			}
			return a.withStore(cmd, func(s *metastore.Store) error {
				res, err := s.ImportVariablesFrom(cmd.Context(), variableFile{file}, metastore.ImportOptions{OnExisting: mode, Progress: a.progress("variables")})
				if err != nil {
					return importError(err)
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
	var fileFormat string
	cmd := &cobra.Command{
		Use:   "export (FILE | -) [--file-format json|yaml|env]",
		Short: "Export the metastore's variables to a .json, .env or .yaml file (mode 0600), or to standard output",
		Long: `Export the metastore's variables, values as strings, as localfs and
variables import read them: to FILE (written with mode 0600, replaced
atomically) or, with "-", to standard output.

The format is --file-format when given, else FILE's extension (.json, .env,
.yaml or .yml); "-" needs --file-format.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ext, err := exportTarget(args[0], fileFormat)
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
				return a.writeExport(args[0], data, fmt.Sprintf("%d variable(s)", len(vars)))
			})
		},
	}
	cmd.Flags().StringVar(&fileFormat, "file-format", "", "json, yaml or env: the format, whatever FILE's extension (required with -)")
	return cmd
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

// variableFile hands a variables file to the metastore's import.
type variableFile struct{ *localfs.File }

func (v variableFile) Each(n int, fn func(keys, values []string) error) error {
	return v.EachVariable(n, fn)
}

// importError reports a file's problems, found while importing, as a
// failed read of the file is reported.
func importError(err error) error {
	var pe *localfs.ParseError
	if errors.As(err, &pe) {
		return &lookupError{err}
	}
	return err
}
