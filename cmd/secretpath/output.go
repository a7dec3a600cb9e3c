package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/secretpath/secretpath/resolver/connection"
)

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

func exportFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".json", ".env", ".yaml", ".yml":
		return ext, nil
	}
	return "", fmt.Errorf("%s: the file must end in .json, .env, .yaml or .yml", path)
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

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// orList spells ["a", "b", "c"] as "a, b or c".
func orList(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

// writeConnection prints c, password included, in one of connOutputs.
func writeConnection(w io.Writer, c connection.Connection, format string) error {
	switch format {
	case "uri":
		_, err := fmt.Fprintln(w, c.URI())
		return err
	case "json":
		b, err := c.RevealedJSON()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	}
	return writeConnectionRows(w, []connection.Connection{c}, format)
}

// writeConnections prints the connections of a get of several ids, in
// the order of ids: uri one line each (the zero Connection, for an id not
// found, an empty one); json one object keyed by conn id
// (an id given twice appears once); yaml a list of mappings; table and
// plain one row each.
func writeConnections(w io.Writer, cs []connection.Connection, format string) error {
	switch format {
	case "uri":
		var b strings.Builder
		for _, c := range cs {
			if c.ConnID != "" { // the zero Connection: an id not found (an empty line)
				b.WriteString(c.URI())
			}
			b.WriteByte('\n')
		}
		_, err := io.WriteString(w, b.String())
		return err
	case "json":
		var b bytes.Buffer
		b.WriteByte('{')
		seen := make(map[string]bool, len(cs))
		for _, c := range cs {
			if seen[c.ConnID] {
				continue
			}
			seen[c.ConnID] = true
			obj, err := c.RevealedJSON()
			if err != nil {
				return err
			}
			key, err := json.Marshal(c.ConnID)
			if err != nil {
				return err
			}
			if b.Len() > 1 {
				b.WriteString(", ")
			}
			b.Write(key)
			b.WriteString(": ")
			b.Write(obj)
		}
		b.WriteString("}\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	return writeConnectionRows(w, cs, format)
}

// writeConnectionRows prints connections as airflow connections get does
// for yaml (a list of mappings), table and plain (a row each).
func writeConnectionRows(w io.Writer, cs []connection.Connection, format string) error {
	var head []string
	var numeric []bool
	var rows [][]string
	var maps []map[string]any
	for _, c := range cs {
		fields, err := airflowGetFields(c)
		if err != nil {
			return err
		}
		switch format {
		case "yaml":
			m := make(map[string]any, len(fields))
			for _, f := range fields {
				m[f.name] = f.value
			}
			maps = append(maps, m)
		case "table", "plain":
			if head == nil {
				head = make([]string, len(fields))
				numeric = make([]bool, len(fields))
				for i, f := range fields {
					head[i] = f.name
				}
			}
			row := make([]string, len(fields))
			for i, f := range fields {
				var num bool
				row[i], num = cellText(f.value, format)
				numeric[i] = numeric[i] || num
			}
			rows = append(rows, row)
		default:
			return fmt.Errorf("unknown output format %q", format)
		}
	}
	switch format {
	case "yaml":
		b, err := yaml.Marshal(maps) // yaml sorts the keys, as PyYAML's dump does
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case "table":
		return writeTable(w, head, rows)
	}
	return writePlain(w, head, rows, numeric)
}

type getField struct {
	name  string
	value any // nil, string, int, or extra_dejson's decoded object
}

// airflowGetFields are the fields airflow connections get prints with
// -o yaml|table|plain (its ConnectionDisplayMapper.full_details), in its
// order, without id, is_encrypted and is_extra_encrypted: those describe a
// metastore row, and a connection from another tier has none. Values keep
// their types (Airflow prints every value as a string: port '5432').
func airflowGetFields(c connection.Connection) ([]getField, error) {
	opt := func(present bool, v string) any {
		if !present {
			return nil
		}
		return v
	}
	var port any
	if c.Has(connection.FieldPort) {
		port = c.Port
	}
	var password any
	if !c.Password.IsZero() {
		password = c.Password.Reveal()
	}
	extra := any(map[string]any{}) // extra_dejson is {} when there is none
	if c.Extra != "" {
		dec := json.NewDecoder(strings.NewReader(c.Extra))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("connection %q: field extra is not a JSON object", c.ConnID)
		}
		extra = typedNumbers(m)
	}
	return []getField{
		{"conn_id", c.ConnID},
		{"conn_type", opt(c.Has(connection.FieldConnType), c.ConnType)},
		{"description", opt(c.Has(connection.FieldDescription), c.Description)},
		{"host", opt(c.Has(connection.FieldHost), c.Host)},
		{"schema", opt(c.Has(connection.FieldSchema), c.Schema)},
		{"login", opt(c.Has(connection.FieldLogin), c.Login)},
		{"password", password},
		{"port", port},
		{"extra_dejson", extra},
		{"get_uri", c.URI()},
	}, nil
}

// typedNumbers turns json.Numbers into int64, or float64 when they are not
// whole, so that YAML prints them as numbers.
func typedNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = typedNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = typedNumbers(e)
		}
	}
	return v
}

// cellText is a value as a table cell: None for nil in a table and ""
// in a plain one (as Airflow's rich and tabulate print them), objects as
// compact JSON. numeric reports a number (plain tables right-align them).
func cellText(v any, format string) (text string, numeric bool) {
	switch x := v.(type) {
	case nil:
		if format == "table" {
			return "None", false
		}
		return "", false
	case string:
		return x, false
	case int:
		return strconv.Itoa(x), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v), false
	}
	return string(b), false
}

// writeTable prints rows as Airflow's table output does (rich's
// ASCII_DOUBLE_HEAD box without its edge): columns apart by " | ", the
// header underlined by "=" crossed by "+".
func writeTable(w io.Writer, head []string, rows [][]string) error {
	width := columnWidths(head, rows)
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			if i > 0 {
				l.WriteString(" | ")
			}
			l.WriteString(c + strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	line(head)
	for i := range head {
		n := width[i] + 2 // the cell and its padding, one space each side
		if i == 0 || i == len(head)-1 {
			n-- // no padding at the edges
		}
		if len(head) == 1 {
			n = width[i]
		}
		if i > 0 {
			b.WriteString("+")
		}
		b.WriteString(strings.Repeat("=", n))
	}
	b.WriteString("\n")
	for _, r := range rows {
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writePlain prints rows as Airflow's plain output does (tabulate's
// "plain" format): columns apart by two spaces, numbers right-aligned.
func writePlain(w io.Writer, head []string, rows [][]string, numeric []bool) error {
	width := columnWidths(head, rows)
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			if i > 0 {
				l.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if numeric[i] {
				l.WriteString(pad + c)
			} else {
				l.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	line(head)
	for _, r := range rows {
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func columnWidths(head []string, rows [][]string) []int {
	width := make([]int, len(head))
	for i, h := range head {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	return width
}
