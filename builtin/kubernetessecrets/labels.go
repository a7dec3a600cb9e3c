package kubernetessecrets

import (
	"regexp"
	"strings"
)

// The API server's rules for names (k8s.io/apimachinery's validation).
var (
	qualifiedName = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	dns1123Sub    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	dns1123Label  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dataKeyChars  = regexp.MustCompile(`^[-._A-Za-z0-9]+$`)
)

// checkLabelKey says why k is not a label key ([prefix/]name: a DNS
// subdomain of at most 253 characters, then a name of at most 63
// alphanumerics, '-', '_' and '.', starting and ending alphanumeric), or
// "".
func checkLabelKey(k string) string {
	name := k
	if prefix, n, ok := strings.Cut(k, "/"); ok {
		if prefix == "" || len(prefix) > 253 || !dns1123Sub.MatchString(prefix) {
			return "the prefix before '/' must be a DNS subdomain (lower-case alphanumerics, '-' and '.', at most 253)"
		}
		name = n
	}
	if name == "" || len(name) > 63 || !qualifiedName.MatchString(name) {
		return "the name must be 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric"
	}
	return ""
}

// checkLabelValue says why v cannot be a label value (at most 63
// alphanumerics, '-', '_' and '.', starting and ending alphanumeric; ""
// is a value, but no id is empty here), or "".
func checkLabelValue(v string) string {
	if v == "" || len(v) > 63 || !qualifiedName.MatchString(v) {
		return "a label value is 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	}
	return ""
}

// checkDataKey says why k is not a key of a secret's data, or "".
func checkDataKey(k string) string {
	if len(k) > 253 || !dataKeyChars.MatchString(k) {
		return "a data key is 1-253 letters, digits, '-', '_' or '.'"
	}
	return ""
}

// checkNamespace says why ns is not a namespace name, or "".
func checkNamespace(ns string) string {
	if len(ns) > 63 || !dns1123Label.MatchString(ns) {
		return "a namespace is 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit"
	}
	return ""
}
