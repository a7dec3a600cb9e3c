package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
