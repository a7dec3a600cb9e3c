package kubernetessecrets

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fuzzToken is a token the seeds carry; an error about a file holding it
// once, as a token, must not show it.
const fuzzToken = "fuzz-bearer-token-0123456789"

// FuzzKubeconfig: any kubeconfig text loads or fails with a one-line,
// bounded configuration error; it never panics, and the token it holds is
// not in the error.
func FuzzKubeconfig(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster: {server: https://127.0.0.1:6443}\ncontexts:\n- name: c\n  context: {cluster: k, user: u, namespace: ns}\nusers:\n- name: u\n  user: {token: " + fuzzToken + "}\n",
		"current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nclusters:\n- name: k\n  cluster: {server: https://h, certificate-authority-data: \"!!\"}\nusers:\n- name: u\n  user:\n    token: " + fuzzToken + "\n    exec: {command: aws}\n",
		"users:\n- name: u\n  user: {token: " + fuzzToken + "}\nclusters: 3\n",
		"current-context: [a, b]\n",
		"a: &a [*a, *a]\n",
		"clusters:\n- name: k\n  cluster: {server: https://h, insecure-skip-tls-verify: maybe}\n",
		"",
		"\x00\xff",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(dir, "config")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadKubeconfig([]string{path}, "")
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("the error is not one line: %q", msg)
			}
			if len(msg) > 2048 {
				t.Fatalf("the error is %d bytes long", len(msg))
			}
			if strings.Count(text, fuzzToken) == 1 && strings.Contains(text, "token: "+fuzzToken+"}") && strings.Contains(msg, fuzzToken) {
				t.Fatalf("the error shows the token: %q", msg)
			}
			return
		}
		if s := c.String(); strings.Contains(s, fuzzToken) {
			t.Fatalf("Cluster's String shows the token: %q", s)
		}
	})
}

// FuzzNameRules: the hand-written name checks agree with the patterns of
// k8s.io/apimachinery's validation they stand for.
func FuzzNameRules(f *testing.F) {
	for _, s := range []string{"", "a", "-a", "a-", "a.b", "A_b.c-1", "airflow.apache.org", "a..b", ".a", "a.", "UP.per", "é", "a\n", "x/y", strings.Repeat("z", 70)} {
		f.Add(s)
	}
	rules := []struct {
		name    string
		check   func(string) bool
		pattern *regexp.Regexp
	}{
		{"qualifiedName", qualifiedName, regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)},
		{"dns1123Sub", dns1123Sub, regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)},
		{"dns1123Label", dns1123Label, regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)},
		{"dataKeyChars", dataKeyChars, regexp.MustCompile(`^[-._A-Za-z0-9]+$`)},
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range rules {
			if got, want := r.check(s), r.pattern.MatchString(s); got != want {
				t.Fatalf("%s(%q) = %v, the pattern says %v", r.name, s, got, want)
			}
		}
	})
}
