package kubernetessecrets

import (
	"strings"
)

// The API server's rules for names (k8s.io/apimachinery's validation),
// written as loops rather than regexps: a lookup checks every id it would
// send as a label value, and compiled regexps are package init work for
// every program that links the backend (the CLI's start). FuzzNameRules
// checks each against the pattern it stands for.

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// qualifiedName: ^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$
func qualifiedName(s string) bool {
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

// dns1123Label: ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
func dns1123Label(s string) bool {
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

// dns1123Sub: DNS labels joined by '.',
// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
func dns1123Sub(s string) bool {
	for {
		label, rest, more := strings.Cut(s, ".")
		if !dns1123Label(label) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// dataKeyChars: ^[-._A-Za-z0-9]+$
func dataKeyChars(s string) bool {
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
		if prefix == "" || len(prefix) > 253 || !dns1123Sub(prefix) {
			return "the prefix before '/' must be a DNS subdomain (lower-case alphanumerics, '-' and '.', at most 253)"
		}
		name = n
	}
	if name == "" || len(name) > 63 || !qualifiedName(name) {
		return "the name must be 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric"
	}
	return ""
}

// checkLabelValue says why v cannot be a label value (at most 63
// alphanumerics, '-', '_' and '.', starting and ending alphanumeric; ""
// is a value, but no id is empty here), or "".
func checkLabelValue(v string) string {
	if v == "" || len(v) > 63 || !qualifiedName(v) {
		return "a label value is 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	}
	return ""
}

// checkDataKey says why k is not a key of a secret's data, or "".
func checkDataKey(k string) string {
	if len(k) > 253 || !dataKeyChars(k) {
		return "a data key is 1-253 letters, digits, '-', '_' or '.'"
	}
	return ""
}

// checkNamespace says why ns is not a namespace name, or "".
func checkNamespace(ns string) string {
	if len(ns) > 63 || !dns1123Label(ns) {
		return "a namespace is 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit"
	}
	return ""
}
