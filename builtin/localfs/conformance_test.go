package localfs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
	"github.com/secretpath/secretpath/resolver/config"
)

// harness writes the seed into files of one format and opens a backend on
// them through the registry, as a config file would.
type harness struct {
	ext    string
	encode func(map[string]string) string
}

func (h harness) Capabilities() backendtest.Capabilities {
	dotenv := h.ext == ".env"
	return backendtest.Capabilities{
		Configs:         true,
		JSONConnections: !dotenv, // a .env value is a URI
		EmptyVariables:  !dotenv, // "KEY=" is an error in .env
		MultilineValues: !dotenv,
	}
}

func (h harness) Backend(ctx context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	dir := t.TempDir()
	kw := map[string]any{"reload_interval_seconds": 1}
	write := func(kind string, m map[string]string) {
		if m == nil {
			return
		}
		p := filepath.Join(dir, kind+h.ext)
		require.NoError(t, os.WriteFile(p, []byte(h.encode(m)), 0o600))
		kw[kind+"_file_path"] = p
	}
	write("connections", seed.Connections)
	write("variables", seed.Variables)
	write("configs", seed.Configs)
	raw, err := json.Marshal(kw)
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	b, err := resolver.OpenBackend(ctx, localfs.Name, resolver.Env{Kwargs: kwargs})
	require.NoError(t, err)
	return b
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func encodeJSON(m map[string]string) string {
	b, _ := json.MarshalIndent(m, "", "  ")
	return string(b)
}

func encodeDotenv(m map[string]string) string {
	var b strings.Builder
	b.WriteString("# written by the conformance harness\n\n")
	for _, k := range sortedKeys(m) {
		fmt.Fprintf(&b, "%s=%s\n", k, m[k])
	}
	return b.String()
}

func encodeYAML(m map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		v, _ := json.Marshal(m[k]) // a JSON string is a YAML double-quoted scalar
		fmt.Fprintf(&b, "%s: %s\n", k, v)
	}
	return b.String()
}

func TestConformance(t *testing.T) {
	for _, h := range []harness{
		{ext: ".json", encode: encodeJSON},
		{ext: ".env", encode: encodeDotenv},
		{ext: ".yaml", encode: encodeYAML},
	} {
		t.Run(strings.TrimPrefix(h.ext, "."), func(t *testing.T) { backendtest.Run(t, h) })
	}
}
