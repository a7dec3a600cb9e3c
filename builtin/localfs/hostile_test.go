package localfs

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
)

// bombScalar is a 1 MiB YAML value carrying the planted-secret marker that
// CI looks for in test output.
var bombScalar = strings.Repeat("Pl4ntedBomb", 1<<20/11)

// aliasList writes "[*a, *a, ...]" with n aliases of anchor a.
func aliasList(a string, n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat("*"+a+", ", n), ", ") + "]"
}

// TestHostileYAMLAliasBytes: a YAML file of about 1 MiB whose aliases
// repeat a 1 MiB scalar hundreds of times (directly, through a mapping of
// aliases, through merge keys, as mapping keys, inside a connection's
// extra_dejson) is refused at load, for a lookup of an unrelated key, with
// an error naming the file and the alias's line and quoting no value; the
// load allocates a bounded amount of memory however many aliases there are
// (before the byte budget, each shape rendered hundreds of megabytes).
func TestHostileYAMLAliasBytes(t *testing.T) {
	const n = 200
	var merges, keys, conns strings.Builder
	for i := range n {
		fmt.Fprintf(&merges, "c%d: {<<: *b}\n", i)
		fmt.Fprintf(&keys, "m%d: {*a : 1}\n", i)
		fmt.Fprintf(&conns, "c%d: {conn_type: http, extra_dejson: {k: *a}}\n", i)
	}
	big := "big: &a " + bombScalar + "\n"
	tests := []struct {
		name string
		kind resolver.Kind
		yaml string
		line int // of the alias that goes over the budget
	}{
		{name: "aliases of a scalar", kind: resolver.KindVariable,
			yaml: big + "bomb: " + aliasList("a", n) + "\nother: v\n", line: 2},
		{name: "aliases of a mapping of aliases", kind: resolver.KindVariable,
			yaml: big + "m: &m {k1: *a, k2: *a}\nbomb: " + aliasList("m", n/2) + "\nother: v\n", line: 3},
		{name: "merge keys", kind: resolver.KindVariable,
			yaml: big + "base: &b {k: *a}\n" + merges.String() + "other: v\n"},
		{name: "alias keys", kind: resolver.KindVariable,
			yaml: big + keys.String() + "other: v\n"},
		{name: "connection extra", kind: resolver.KindConnection,
			yaml: "first: {conn_type: http, extra_dejson: {k: &a " + bombScalar + "}}\n" + conns.String() + "other: http://h\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := mapFS(map[string]string{"f.yaml": tt.yaml})
			o := Options{FS: files, VariablesFile: "f.yaml"}
			if tt.kind == resolver.KindConnection {
				o = Options{FS: files, ConnectionsFile: "f.yaml"}
			}
			b := newBackend(t, o)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var err error
			if tt.kind == resolver.KindConnection {
				_, err = b.Connection(context.Background(), connReq("other"))
			} else {
				_, err = b.Lookup(context.Background(), varReq("other"))
			}
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("load allocated %d MiB", alloc>>20)
			assert.Less(t, alloc, uint64(64<<20), "bytes allocated loading the file")
			require.Error(t, err)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "want a *ParseError, got %T", err)
			assert.Equal(t, "f.yaml", pe.Path)
			require.NotEmpty(t, pe.Errors)
			assert.Contains(t, pe.Errors[0].Msg, "aliases")
			if tt.line != 0 {
				assert.Equal(t, tt.line, pe.Errors[0].Line)
			}
			assert.NotContains(t, err.Error(), "Pl4nted")
		})
	}
}

// TestHostileYAMLAliasesStillWork: anchors, aliases and merge keys of
// ordinary size keep working under the byte budget, including a value
// aliased more often than the file is long would allow for a large one.
func TestHostileYAMLAliasesStillWork(t *testing.T) {
	cert := strings.Repeat("A", 2048)
	var b strings.Builder
	fmt.Fprintf(&b, "base: &base {conn_type: postgres, host: db, extra_dejson: {cert: &cert %s}}\n", cert)
	for i := range 50 {
		fmt.Fprintf(&b, "c%d: {<<: *base, login: u%d}\n", i, i)
	}
	b.WriteString("certs: [*cert, *cert, *cert]\n")
	got, _, err := parseString(t, formatYAML, "f.yaml", b.String())
	require.NoError(t, err)
	assert.Equal(t, `{"conn_type":"postgres","host":"db","extra_dejson":{"cert":"`+cert+`"},"login":"u7"}`, got["c7"])
	assert.Equal(t, `["`+cert+`","`+cert+`","`+cert+`"]`, got["certs"])
}

// TestJSONStringSizeMatchesEncoder: the alias budget charges a string at
// jsonStringSize, which must be exactly what appendJSONString writes with
// every non-ASCII character escaped (the longer of the two renderings), or
// the budget would undercount.
func TestJSONStringSizeMatchesEncoder(t *testing.T) {
	cases := []string{"", "plain", `"quoted" \back\`, "\n\r\t\b\f", "\x00\x01\x1f\x7f", "é€", "😀 emoji", "\xff\xfe invalid", "a\u2028b\u0085c"}
	for c := range 256 {
		cases = append(cases, string(rune(c)), string([]byte{byte(c)}))
	}
	for _, s := range cases {
		assert.Equal(t, len(appendJSONString(nil, s, true)), jsonStringSize(s), "%q", s)
	}
}
