package kubernetessecrets

import "strings"

// The API server's rules for names (k8s.io/apimachinery's validation).
// Each is a character class with fixed first and last characters, which
// apimachinery writes as a regular expression; here they are plain loops
// over the bytes: compiling four regular expressions at package init was
// work every process linking this backend (the CLI) did at start, and a
// lookup checks its id with them. labels_internal_test.go checks them
// against apimachinery's expressions, and FuzzNameRules on any input.

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isLowerAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}

// isQualifiedName: ^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$
func isQualifiedName(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// isDNS1123Label: ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
func isDNS1123Label(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// isDNS1123Subdomain: DNS-1123 labels joined by '.'
// (^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$).
func isDNS1123Subdomain(s string) bool {
	for {
		label, rest, more := strings.Cut(s, ".")
		if !isDNS1123Label(label) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// isDataKey: ^[-._A-Za-z0-9]+$
func isDataKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// checkLabelKey says why k is not a label key ([prefix/]name: a DNS
// subdomain of at most 253 characters, then a name of at most 63
// alphanumerics, '-', '_' and '.', starting and ending alphanumeric), or
// "".
func checkLabelKey(k string) string {
	name := k
	if prefix, n, ok := strings.Cut(k, "/"); ok {
		if prefix == "" || len(prefix) > 253 || !isDNS1123Subdomain(prefix) {
			return "the prefix before '/' must be a DNS subdomain (lower-case alphanumerics, '-' and '.', at most 253)"
		}
		name = n
	}
	if name == "" || len(name) > 63 || !isQualifiedName(name) {
		return "the name must be 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric"
	}
	return ""
}

// checkLabelValue says why v cannot be a label value (at most 63
// alphanumerics, '-', '_' and '.', starting and ending alphanumeric; ""
// is a value, but no id is empty here), or "".
func checkLabelValue(v string) string {
	if v == "" || len(v) > 63 || !isQualifiedName(v) {
		return "a label value is 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	}
	return ""
}

// checkDataKey says why k is not a key of a secret's data, or "".
func checkDataKey(k string) string {
	if len(k) > 253 || !isDataKey(k) {
		return "a data key is 1-253 letters, digits, '-', '_' or '.'"
	}
	return ""
}

// checkNamespace says why ns is not a namespace name, or "".
func checkNamespace(ns string) string {
	if len(ns) > 63 || !isDNS1123Label(ns) {
		return "a namespace is 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit"
	}
	return ""
}
