package secretpath_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/abitest"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// iniBlocks returns the text of every ```ini block of README.md.
func iniBlocks(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```ini\n(.*?)^```").FindAllStringSubmatch(string(readme), -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// TestREADMEConfigBlocks: every ini block of README.md loads as pasted
// (placeholders replaced by real files: the module and its sha256, the
// data files, the cache directory) and opens its search path, without a
// lookup. Airflow's config parser keeps a "# comment" after a value as part
// of it, so no block may have one.
func TestREADMEConfigBlocks(t *testing.T) {
	testutil.GuardMetadata()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("SECRETPATH_CACHE_DIR", filepath.Join(dir, "cache"))
	files := map[string]string{"/files/conn.json": "{}", "/files/var.env": ""}
	jsondoc := abitest.BuildGoExample(t, "jsondoc")
	module, err := os.ReadFile(jsondoc)
	require.NoError(t, err)
	sum := sha256.Sum256(module)
	cache := filepath.Join(dir, "wasm-cache")
	require.NoError(t, os.Mkdir(cache, 0o700))
	repl := []string{
		"/opt/backends/jsondoc.wasm", jsondoc,
		"3f1c0000000000000000000000000000000000000000000000000000000000aa", hex.EncodeToString(sum[:]),
		"/var/cache/secretpath", cache,
	}
	for placeholder, content := range files {
		p := filepath.Join(dir, filepath.Base(placeholder))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		repl = append(repl, placeholder, p)
	}
	inline := regexp.MustCompile(`^[^#;\s][^=:]*[=:].*\s[#;]`)
	blocks := iniBlocks(t)
	require.GreaterOrEqual(t, len(blocks), 3, "README.md's ini blocks")
	for i, b := range blocks {
		for n, line := range strings.Split(b, "\n") {
			assert.False(t, inline.MatchString(line), "README ini block %d, line %d keeps a comment in its value: %q", i+1, n+1, line)
		}
		text := strings.NewReplacer(repl...).Replace(b)
		cfg, err := config.Parse("README.md block "+string(rune('1'+i)), []byte(text), nil)
		require.NoError(t, err, "README ini block %d", i+1)
		r, err := resolver.Open(t.Context(), cfg)
		require.NoError(t, err, "README ini block %d", i+1)
		assert.NoError(t, r.Close())
	}
}
