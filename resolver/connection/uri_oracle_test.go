package connection

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oracleTemplates are typical URIs (the shapes ParseURI's fast path takes)
// that TestParseURIOracle mutates byte by byte.
var oracleTemplates = []string{
	"postgres://user:password@db.example.com:5432/analytics?x=123",
	"postgres://user:pass@host:5432/db?sslmode=require",
	"postgresql://u:p@h/d",
	"mysql://root@localhost:3306/",
	"google-cloud-platform://?project=p&key_path=%2Fkeys%2Fk.json",
	"HTTP://Login:P%40ss@API.Example.COM:8443/v1?timeout=30&verify=true&x=null&y=-2",
	"aws://AKIA:se%2Bcr%2Fet@/?region_name=eu-west-1&a=&a=2&b",
	"redis://:p@h:6379/0?db=0&ssl=false&n=007&f=1.5",
	"sqlite:///tmp/db.sqlite",
	"smtps://user:host@relay.example.com:465",
	"http://h:0/%7Euser?q=%22quoted%22&k=a+b",
	"ftp://%C3%A9l%C3%A8ve:%FF@h%2Fsock:21/p%C3",
	"p://h?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9",
}

// oracleInserts are the bytes and pieces inserted at every position of each
// template: every delimiter and escape the fast path must notice.
var oracleInserts = []string{
	"%", "%41", "%2f", "%C3%A9", "%FF", "+", "@", ":", "/", "?", "#", "[", "]", "[::1]", "://",
	"A", "Z", "-", "_", ".", "\t", "\n", " ", "\x00", "\x7f", "é", "\xff", "&", "=", "\"", "\\",
	"0", "9", "99999", "65536", "000080", "99999999999999999999999", "{", "[1]", "__extra__=", "__extra__=%7B%7D", "postgresql", "true", "-0", "1e5",
}

// checkOracle holds ParseURI to the oracle (the implementation before the
// fast path): the same Connection, field for field and the extra byte for
// byte, or the same error text.
func checkOracle(t *testing.T, id, uri string) {
	t.Helper()
	want, wantErr := oracleParseURI(id, uri)
	got, err := ParseURI(id, uri)
	if wantErr != nil {
		if err == nil || err.Error() != wantErr.Error() {
			t.Fatalf("ParseURI(%q, %q): error %v, the oracle's %v", id, uri, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("ParseURI(%q, %q): error %v, the oracle parses it", id, uri, err)
	}
	if !reflect.DeepEqual(want, got) {
		w, _ := want.RevealedJSON()
		g, _ := got.RevealedJSON()
		t.Fatalf("ParseURI(%q, %q):\n got  %s (present %b)\n want %s (present %b)", id, uri, g, got.empty, w, want.empty)
	}
}

// oracleSeeds are every URI the other tests use, the Airflow vectors and
// the templates.
func oracleSeeds(t testing.TB) []string {
	seeds := append([]string(nil), oracleTemplates...)
	for _, tc := range uriCases {
		seeds = append(seeds, tc.uri)
	}
	seeds = append(seeds, errorCarriers...)
	data, err := os.ReadFile("testdata/airflow_uri_vectors.json")
	require.NoError(t, err)
	var vectors []uriVector
	require.NoError(t, json.Unmarshal(data, &vectors))
	for _, v := range vectors {
		seeds = append(seeds, v.URI)
	}
	return seeds
}

func TestParseURIOracle(t *testing.T) {
	seeds := oracleSeeds(t)
	require.Greater(t, len(seeds), 500)
	tests := []struct {
		name string
		uris func(yield func(string) bool)
	}{
		{"seeds", func(yield func(string) bool) {
			for _, s := range seeds {
				if !yield(s) {
					return
				}
			}
		}},
		{"inserted", func(yield func(string) bool) {
			for _, tpl := range oracleTemplates {
				for i := 0; i <= len(tpl); i++ {
					for _, ins := range oracleInserts {
						if !yield(tpl[:i] + ins + tpl[i:]) {
							return
						}
					}
				}
			}
		}},
		{"deleted and replaced", func(yield func(string) bool) {
			for _, tpl := range oracleTemplates {
				for i := 0; i < len(tpl); i++ {
					if !yield(tpl[:i] + tpl[i+1:]) {
						return
					}
					for _, ins := range oracleInserts {
						if !yield(tpl[:i] + ins + tpl[i+1:]) {
							return
						}
					}
				}
			}
		}},
		{"prefixes", func(yield func(string) bool) {
			for _, tpl := range oracleTemplates {
				for i := 0; i <= len(tpl); i++ {
					if !yield(tpl[:i]) {
						return
					}
				}
			}
		}},
	}
	ids := []string{"bench_db", "", "a b", "x\n", strings.Repeat("i", 250), strings.Repeat("i", 251), "ümlaut_ok", "bad\xff"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			for uri := range tc.uris {
				checkOracle(t, ids[n%len(ids)], uri)
				n++
			}
			assert.Positive(t, n)
		})
	}
}

// TestParseURIFastPathTaken checks that the typical URIs take the fast path
// (a fallback everywhere would pass the oracle tests and be no faster).
func TestParseURIFastPathTaken(t *testing.T) {
	tests := []struct {
		uri  string
		fast bool
	}{
		{"postgres://user:password@db.example.com:5432/analytics?x=123", true},
		{"postgres://user:pass@host:5432/db?sslmode=require", true},
		{"postgresql://u:p@h/d", true},
		{"google-cloud-platform://?project=p&key_path=%2Fkeys%2Fk.json", true},
		{"HTTP://Login:P%40ss@API.Example.COM:8443/v1?timeout=30&verify=true&x=null&y=-2", true},
		{"aws://AKIA:se%2Bcr%2Fet@/?region_name=eu-west-1&b", true},
		{"spark://k8s://h:443", false},
		{"a_b://h", false},
		{"p://h#frag", false},
		{"p://[::1]:5432", false},
		{"p://h:99999", false},
		{"p://h/é", false},
		{"p://h?__extra__=%7B%7D", true},
		{"p://h?a=1&a=2", true},
		{"p://h?a=%7B%7D", true},
	}
	for _, tc := range tests {
		t.Run(tc.uri, func(t *testing.T) {
			var c Connection
			ok := parseURIFast(tc.uri, &c)
			assert.Equal(t, tc.fast, ok)
			checkOracle(t, "id", tc.uri)
		})
	}
}

func TestByteClass(t *testing.T) {
	require.Len(t, byteClass, 256)
	for b := 0; b < 256; b++ {
		want := byte('x')
		switch {
		case b >= 'A' && b <= 'Z':
			want = 'U'
		case b > ' ' && b < 0x7f && strings.ContainsRune(`/?@%:#[]+"\\`, rune(b)):
			want = 's'
		case b > ' ' && b < 0x7f:
			want = '.'
		}
		assert.Equal(t, string(want), string(byteClass[b]), "byte %#x", b)
	}
}

func FuzzParseURIOracle(f *testing.F) {
	for _, s := range oracleSeeds(f) {
		f.Add("fuzz_id", s)
	}
	f.Fuzz(func(t *testing.T, id, uri string) {
		if len(uri) > maxFuzzInput || len(id) > maxFuzzInput {
			t.Skip()
		}
		checkOracle(t, id, uri)
	})
}
