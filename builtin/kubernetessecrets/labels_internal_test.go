package kubernetessecrets

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The expressions k8s.io/apimachinery's validation uses (and labels.go
// used before it became plain loops): the reference the loops must agree
// with on every input.
var (
	refQualifiedName = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	refDNS1123Sub    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	refDNS1123Label  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	refDataKey       = regexp.MustCompile(`^[-._A-Za-z0-9]+$`)
)

// nameRules pairs each loop with its reference expression.
var nameRules = []struct {
	name string
	got  func(string) bool
	ref  *regexp.Regexp
}{
	{"qualified name", isQualifiedName, refQualifiedName},
	{"DNS-1123 subdomain", isDNS1123Subdomain, refDNS1123Sub},
	{"DNS-1123 label", isDNS1123Label, refDNS1123Label},
	{"data key", isDataKey, refDataKey},
}

func TestNameRules(t *testing.T) {
	tests := []struct {
		in                               string
		qualified, subdomain, label, key bool
	}{
		{in: ""},
		{in: "a", qualified: true, subdomain: true, label: true, key: true},
		{in: "A", qualified: true, key: true},
		{in: "0", qualified: true, subdomain: true, label: true, key: true},
		{in: "my_db", qualified: true, key: true},
		{in: "my-db", qualified: true, subdomain: true, label: true, key: true},
		{in: "my.db", qualified: true, subdomain: true, key: true},
		{in: "airflow.apache.org", qualified: true, subdomain: true, key: true},
		{in: "My.Org", qualified: true, key: true},
		{in: "-a", key: true},
		{in: "a-", key: true},
		{in: "_a", key: true},
		{in: "a_", key: true},
		{in: ".a", key: true},
		{in: "a.", key: true},
		{in: "-", key: true},
		{in: ".", key: true},
		{in: "a..b", qualified: true, key: true},
		{in: "a.-b", qualified: true, key: true},
		{in: "a-.b", qualified: true, key: true},
		{in: "a.b-c.d", qualified: true, subdomain: true, key: true},
		{in: "aBc", qualified: true, key: true},
		{in: "a.Bc", qualified: true, key: true},
		{in: "a b"},
		{in: "a/b"},
		{in: "a\x00b"},
		{in: "a\nb"},
		{in: "é"},
		{in: "aé"},
		{in: "a\xffb"},
		{in: "ｆｕｌｌ"},
		{in: strings.Repeat("a", 300), qualified: true, subdomain: true, label: true, key: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			want := []bool{tt.qualified, tt.subdomain, tt.label, tt.key}
			for i, r := range nameRules {
				assert.Equal(t, want[i], r.got(tt.in), "%s(%q)", r.name, tt.in)
				assert.Equal(t, r.ref.MatchString(tt.in), r.got(tt.in), "%s(%q) disagrees with apimachinery's expression", r.name, tt.in)
			}
		})
	}
}

func TestCheckLabelKey(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{in: "airflow.apache.org/connection-id"},
		{in: "var"},
		{in: "example.com/cfg"},
		{in: "/name", want: "the prefix before '/' must be a DNS subdomain"},
		{in: "Example.com/name", want: "the prefix before '/' must be a DNS subdomain"},
		{in: strings.Repeat("a", 254) + "/name", want: "the prefix before '/' must be a DNS subdomain"},
		{in: strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "/name"},
		{in: "org/", want: "the name must be 1-63"},
		{in: "org/a/b", want: "the name must be 1-63"},
		{in: strings.Repeat("n", 64), want: "the name must be 1-63"},
		{in: strings.Repeat("n", 63)},
		{in: "-name", want: "the name must be 1-63"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := checkLabelKey(tt.in)
			if tt.want == "" {
				assert.Empty(t, got)
			} else {
				assert.True(t, strings.HasPrefix(got, tt.want), "checkLabelKey(%q) = %q, want it to start with %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCheckValueKeyNamespace(t *testing.T) {
	tests := []struct {
		name  string
		check func(string) string
		in    string
		ok    bool
	}{
		{"label value", checkLabelValue, "my_db", true},
		{"label value", checkLabelValue, "", false},
		{"label value", checkLabelValue, strings.Repeat("v", 63), true},
		{"label value", checkLabelValue, strings.Repeat("v", 64), false},
		{"label value", checkLabelValue, "my db", false},
		{"data key", checkDataKey, "value", true},
		{"data key", checkDataKey, ".hidden", true},
		{"data key", checkDataKey, "", false},
		{"data key", checkDataKey, strings.Repeat("k", 253), true},
		{"data key", checkDataKey, strings.Repeat("k", 254), false},
		{"data key", checkDataKey, "a/b", false},
		{"namespace", checkNamespace, "default", true},
		{"namespace", checkNamespace, "my-ns", true},
		{"namespace", checkNamespace, "My-ns", false},
		{"namespace", checkNamespace, "my.ns", false},
		{"namespace", checkNamespace, "", false},
		{"namespace", checkNamespace, strings.Repeat("n", 63), true},
		{"namespace", checkNamespace, strings.Repeat("n", 64), false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.in, func(t *testing.T) {
			assert.Equal(t, tt.ok, tt.check(tt.in) == "", "%s %q: %q", tt.name, tt.in, tt.check(tt.in))
		})
	}
}

// FuzzNameRules: on any input, each loop answers as apimachinery's
// expression does.
func FuzzNameRules(f *testing.F) {
	for _, s := range []string{"", "a", "my_db", "airflow.apache.org", "a..b", "-a", "a.", "é", "a\xffb", "Ab.c-d_e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range nameRules {
			if got, want := r.got(s), r.ref.MatchString(s); got != want {
				t.Fatalf("%s(%q) = %v, apimachinery's expression says %v", r.name, s, got, want)
			}
		}
	})
}
