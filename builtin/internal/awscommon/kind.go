// Package awscommon holds what the AWS backends (builtin/awsssm and
// builtin/awssecretsmanager) share: Airflow's prefix and lookup-pattern
// rules, the AWS session kwargs and how they become an aws.Config, and the
// mapping of service errors onto the resolver's sentinels.
package awscommon

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// KindOptions say where one kind of value (connections, variables, configs)
// lives. Each backend package exports a struct with the same fields, so that
// a conversion turns one into the other.
type KindOptions struct {
	// Off: this kind is never looked up and no request is made (Airflow's
	// prefix None).
	Off bool
	// Prefix is put before the id; "" means the backend's default prefix
	// unless NoPrefix is set. Trailing separator characters are stripped.
	Prefix string
	// NoPrefix: the name is the id alone (Airflow's prefix "").
	NoPrefix bool
	// LookupPattern, when not "", is a regular expression (Go RE2 syntax)
	// that an id must match, at its start and ignoring case, to be looked
	// up; other ids are not found without a request.
	LookupPattern string
}

// Kind is a compiled KindOptions.
type Kind struct {
	On      bool
	Prefix  string         // trailing separator characters stripped; "" = no prefix
	Pattern *regexp.Regexp // nil: every id
}

// NewKind compiles o. def is the default prefix, sep the separator whose
// characters are stripped from the end of the prefix (Python's
// str.rstrip(sep): a set of characters, not a suffix). what names the
// pattern's origin in errors ("connections_lookup_pattern").
func NewKind(o KindOptions, def, sep, what string) (Kind, error) {
	if o.Off {
		return Kind{}, nil
	}
	k := Kind{On: true}
	switch {
	case o.NoPrefix:
	case o.Prefix == "":
		k.Prefix = strings.TrimRight(def, sep)
	default:
		k.Prefix = strings.TrimRight(o.Prefix, sep)
	}
	if o.LookupPattern != "" {
		re, err := CompilePattern(o.LookupPattern)
		if err != nil {
			return Kind{}, fmt.Errorf("%w: %s is not a valid regular expression: %v", config.ErrInvalid, what, err)
		}
		k.Pattern = re
	}
	return k, nil
}

// Kinds are a backend's compiled options for connections, variables and
// configs.
type Kinds struct {
	Connections, Variables, Configs Kind
}

// For returns the Kind that a request of kind looks up and the name of its
// prefix kwarg ("connections_prefix"), or nil for a kind the AWS backends
// do not serve.
func (ks *Kinds) For(kind resolver.Kind) (*Kind, string) {
	switch kind {
	case resolver.KindConnection:
		return &ks.Connections, "connections_prefix"
	case resolver.KindVariable:
		return &ks.Variables, "variables_prefix"
	case resolver.KindConfig:
		return &ks.Configs, "config_prefix"
	}
	return nil, ""
}

// NotServed is the error for a request of a kind the AWS backends do not
// serve: not found, without a request.
func NotServed(kind resolver.Kind) error {
	return fmt.Errorf("%s lookups are not served: %w", kind, resolver.ErrNotFound)
}

// Describe says what a lookup of req asks for, for resolver.Explain (see
// [Kind.Describe]); name gives the remote name of an id of kind k.
func (ks *Kinds) Describe(req resolver.Request, what string, name func(k *Kind, id string) string) string {
	k, prefixKwarg := ks.For(req.Kind)
	if k == nil {
		return "no request (" + req.Kind.String() + " lookups are not served)"
	}
	return k.Describe(what, name(k, req.ID), req.ID, prefixKwarg)
}

// CompilePattern compiles a lookup pattern the way Airflow applies one,
// re.match(pattern, id, re.IGNORECASE): anchored at the start of the id
// only, case-insensitive.
func CompilePattern(p string) (*regexp.Regexp, error) {
	return regexp.Compile(`(?i)^(?:` + p + `)`)
}

// Match reports whether id is to be looked up: the kind is on, the id is
// not empty and it matches the lookup pattern, if any.
func (k *Kind) Match(id string) bool {
	return k.On && id != "" && (k.Pattern == nil || k.Pattern.MatchString(id))
}

// Describe says what a lookup of id asks for, for resolver.Explain: what
// ("parameter", "secret") followed by name, or why no request is made.
// prefixKwarg names the kind's prefix kwarg ("connections_prefix").
func (k *Kind) Describe(what, name, id, prefixKwarg string) string {
	switch {
	case !k.On:
		return "no request (" + prefixKwarg + " is null)"
	case id == "":
		return "no request (empty id)"
	case k.Pattern != nil && !k.Pattern.MatchString(id):
		return "no request (the id does not match the lookup pattern)"
	}
	return what + " " + strconv.Quote(name)
}

// DescribeOptions describes an AWS backend's options without credentials
// (aws.Config can hold static keys by value, which fmt and encoding/json
// would print): the region, whether credentials are set, the timeout.
func DescribeOptions(typeName string, cfg aws.Config, timeout time.Duration) string {
	return fmt.Sprintf("%s{Region: %q, Credentials: %t, Timeout: %s}", typeName, cfg.Region, cfg.Credentials != nil, timeout)
}
