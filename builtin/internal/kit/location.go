package kit

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// kinds are the kinds a remote backend serves, in the order their kwargs
// are read, with the stem of their kwargs' names (Airflow's: "config", not
// "configs").
var kinds = [...]struct {
	kind resolver.Kind
	stem string
}{
	{resolver.KindConnection, "connections"},
	{resolver.KindVariable, "variables"},
	{resolver.KindConfig, "config"},
}

// Locations are a backend's three locations, as its Options hold them.
type Locations struct {
	Connections, Variables, Configs location.Location
}

func (ls *Locations) at(i int) *location.Location {
	return [...]*location.Location{&ls.Connections, &ls.Variables, &ls.Configs}[i]
}

// Scheme is how one backend places its values: the names of its location
// kwargs, its default prefixes, and what it strips from a prefix.
type Scheme struct {
	// Backend is the backend's name, for errors.
	Backend string
	// Suffix makes a kind's location kwarg of its stem: "_prefix"
	// (connections_prefix, variables_prefix, config_prefix), or Vault's
	// "_path".
	Suffix string
	// Defaults are the default prefixes of connections, variables and
	// configs (used when a Location is the zero one).
	Defaults [3]string
	// Trim is the set of characters stripped from the end of a prefix, the
	// default included: Python's str.rstrip(sep), a set of characters, not
	// a suffix. "" strips nothing.
	Trim string
	// Patterns: the backend takes <kind>_lookup_pattern kwargs and
	// Location.LookupPattern (the AWS backends, as Airflow's). Otherwise a
	// Location with a pattern is refused, and the kwargs are not read (so
	// that CheckUnused names them).
	Patterns bool
	// Check, when set, vets a prefix given as a kwarg (neither null nor
	// ""), before the next kwarg is read; key is the kwarg's name. Its
	// error must wrap config.ErrInvalid.
	Check func(key, prefix string) error
}

// Parse reads the location kwargs of connections, variables and configs,
// in that order, each followed by its lookup pattern when the scheme takes
// them:
//
//	<kind><Suffix>         absent: the default (the zero Location);
//	                       null: Off; "": NoPrefix; a string: Prefix.
//	<kind>_lookup_pattern  absent, null or "": every id; a string:
//	                       LookupPattern (compiled by [Scheme.Compile]).
//
// A value of another type is an error that names the key.
func (s Scheme) Parse(kw *config.Kwargs) (Locations, error) {
	var ls Locations
	for i, k := range kinds {
		key := k.stem + s.Suffix
		prefix, on, err := kw.OptString(key, "")
		if err != nil {
			return Locations{}, err
		}
		l := ls.at(i)
		*l = location.Location{Off: !on, Prefix: prefix, NoPrefix: on && kw.Has(key) && prefix == ""}
		if s.Check != nil && on && prefix != "" {
			if err := s.Check(key, prefix); err != nil {
				return Locations{}, err
			}
		}
		if s.Patterns {
			if l.LookupPattern, err = kw.String(k.stem+"_lookup_pattern", ""); err != nil {
				return Locations{}, err
			}
		}
	}
	return ls, nil
}

// Place is a compiled Location: whether the kind is looked up, the prefix
// to put before an id, and the pattern an id must match.
type Place struct {
	On bool
	// Prefix is the Location's prefix (or the default), with the Trim
	// characters stripped from its end; "" is no prefix. A backend may
	// rewrite it once compiled (map characters, add a mount).
	Prefix  string
	Pattern *regexp.Regexp // nil: every id
	// Kwarg names the kind's location kwarg ("connections_prefix"), for
	// descriptions.
	Kwarg string
}

// Places are a backend's compiled locations.
type Places struct {
	Connections, Variables, Configs Place
}

func (ps *Places) at(i int) *Place {
	return [...]*Place{&ps.Connections, &ps.Variables, &ps.Configs}[i]
}

// Compile compiles ls. A pattern that does not compile, or a pattern given
// to a scheme without patterns, is an error wrapping config.ErrInvalid.
func (s Scheme) Compile(ls Locations) (Places, error) {
	var ps Places
	for i, k := range kinds {
		l, p := ls.at(i), ps.at(i)
		p.Kwarg = k.stem + s.Suffix
		if l.Off {
			continue
		}
		p.On = true
		switch {
		case l.NoPrefix:
		case l.Prefix == "":
			p.Prefix = strings.TrimRight(s.Defaults[i], s.Trim)
		default:
			p.Prefix = strings.TrimRight(l.Prefix, s.Trim)
		}
		if l.LookupPattern == "" {
			continue
		}
		patternKey := k.stem + "_lookup_pattern"
		if !s.Patterns {
			return Places{}, fmt.Errorf("%w: %s takes no lookup pattern (%s)", config.ErrInvalid, s.Backend, patternKey)
		}
		re, err := CompilePattern(l.LookupPattern)
		if err != nil {
			return Places{}, fmt.Errorf("%w: %s is not a valid regular expression: %v", config.ErrInvalid, patternKey, err)
		}
		p.Pattern = re
	}
	return ps, nil
}

// CompilePattern compiles a lookup pattern the way Airflow applies one,
// re.match(pattern, id, re.IGNORECASE): anchored at the start of the id
// only, case-insensitive.
func CompilePattern(p string) (*regexp.Regexp, error) {
	return regexp.Compile(`(?i)^(?:` + p + `)`)
}

// For returns the Place a request of kind looks up, and false for a kind
// remote backends do not serve (see [NotServed]).
func (ps *Places) For(kind resolver.Kind) (*Place, bool) {
	for i, k := range kinds {
		if k.kind == kind {
			return ps.at(i), true
		}
	}
	return nil, false
}

// Match reports whether a lookup of id makes a request: the kind is on,
// the id is not empty, and it matches the pattern, if any.
func (p *Place) Match(id string) bool { return p.Skip(id) == "" }

// Skip says why a lookup of id makes no request ("connections_prefix is
// null", "empty id", "the id does not match the lookup pattern"), or ""
// when it makes one.
func (p *Place) Skip(id string) string {
	switch {
	case !p.On:
		return p.Kwarg + " is null"
	case id == "":
		return "empty id"
	case p.Pattern != nil && !p.Pattern.MatchString(id):
		return "the id does not match the lookup pattern"
	}
	return ""
}

// Describe says what a lookup of id asks for, for resolver.Explain: what
// ("parameter", "secret") and the quoted name, or why no request is made.
func (p *Place) Describe(what, name, id string) string {
	if why := p.Skip(id); why != "" {
		return NoRequest(why)
	}
	return what + " " + strconv.Quote(name)
}

// Describe says what a lookup of req asks for (see [Place.Describe]);
// name gives the remote name of an id at a Place. req.Team is not used.
func (ps *Places) Describe(req resolver.Request, what string, name func(p *Place, id string) string) string {
	p, ok := ps.For(req.Kind)
	if !ok {
		return DescribeNotServed(req.Kind)
	}
	return p.Describe(what, name(p, req.ID), req.ID)
}

// NoRequest is a Describe text for a lookup that makes no request, and
// why: "no request (why)".
func NoRequest(why string) string { return "no request (" + why + ")" }

// NotServed is the error for a request of a kind the backend does not
// serve: not found, without a request.
func NotServed(kind resolver.Kind) error {
	return fmt.Errorf("%s lookups are not served: %w", kind, resolver.ErrNotFound)
}

// DescribeNotServed is the Describe text for a request of a kind the
// backend does not serve.
func DescribeNotServed(kind resolver.Kind) string {
	return NoRequest(kind.String() + " lookups are not served")
}
