// Package env is the environment-variables backend: Airflow's
// EnvironmentVariablesBackend. Connection conn_id is read from
// AIRFLOW_CONN_<CONN_ID upper-cased> and variable key from
// AIRFLOW_VAR_<KEY upper-cased>; nothing else about the id is changed
// ("my-conn" is AIRFLOW_CONN_MY-CONN).
//
// Importing the package registers it as "env" (alias
// airflow.secrets.environment_variables.EnvironmentVariablesBackend) for
// the environment role: resolver.Open puts it in every search path after
// the configured backend, as Airflow does.
package env

import (
	"context"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// The prefixes Airflow uses.
const (
	DefaultConnectionsPrefix = "AIRFLOW_CONN_"
	DefaultVariablesPrefix   = "AIRFLOW_VAR_"
)

// Options configure a Backend. A prefix is used only when its kind is
// enabled.
type Options struct {
	ConnectionsPrefix string // default DefaultConnectionsPrefix
	VariablesPrefix   string // default DefaultVariablesPrefix
	ConfigPrefix      string // configs are off unless ConfigsOn

	ConnectionsOff bool // hold no connections
	VariablesOff   bool // hold no variables
	ConfigsOn      bool // serve configs from ConfigPrefix + KEY upper-cased

	// LookupEnv reads a variable; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Backend reads connections and variables from environment variables.
type Backend struct {
	conn, vars, cfg       string
	connOn, varsOn, cfgOn bool
	lookup                func(string) (string, bool)
}

// New returns a Backend.
func New(o Options) *Backend {
	b := &Backend{
		conn: o.ConnectionsPrefix, vars: o.VariablesPrefix, cfg: o.ConfigPrefix,
		connOn: !o.ConnectionsOff, varsOn: !o.VariablesOff, cfgOn: o.ConfigsOn,
		lookup: o.LookupEnv,
	}
	if b.conn == "" && !o.ConnectionsOff {
		b.conn = DefaultConnectionsPrefix
	}
	if b.vars == "" && !o.VariablesOff {
		b.vars = DefaultVariablesPrefix
	}
	if b.lookup == nil {
		b.lookup = os.LookupEnv
	}
	return b
}

func init() {
	resolver.Register(resolver.Registration{
		Name:    "env",
		Aliases: []string{"airflow.secrets.environment_variables.EnvironmentVariablesBackend"},
		Role:    resolver.RoleEnvironment,
		Doc:     "environment variables: AIRFLOW_CONN_<CONN_ID>, AIRFLOW_VAR_<KEY> (Airflow's EnvironmentVariablesBackend)",
		Factory: open,
	})
}

// open builds a Backend from backend_kwargs: connections_prefix,
// variables_prefix (null switches the kind off) and config_prefix (off unless
// given).
func open(_ context.Context, e resolver.Env) (resolver.Backend, error) {
	kw := e.Kwargs
	var o Options
	var on bool
	var err error
	if o.ConnectionsPrefix, on, err = kw.OptString("connections_prefix", DefaultConnectionsPrefix); err != nil {
		return nil, err
	}
	o.ConnectionsOff = !on
	if o.VariablesPrefix, on, err = kw.OptString("variables_prefix", DefaultVariablesPrefix); err != nil {
		return nil, err
	}
	o.VariablesOff = !on
	if o.ConfigPrefix, o.ConfigsOn, err = kw.OptString("config_prefix", ""); err != nil {
		return nil, err
	}
	if !kw.Has("config_prefix") {
		o.ConfigsOn = false
	}
	for _, p := range []struct {
		key   string
		on    bool
		value string
	}{
		{"connections_prefix", !o.ConnectionsOff, o.ConnectionsPrefix},
		{"variables_prefix", !o.VariablesOff, o.VariablesPrefix},
		{"config_prefix", o.ConfigsOn, o.ConfigPrefix},
	} {
		if p.on && p.value == "" {
			return nil, fmt.Errorf("%w: backend env: backend_kwargs key %q must not be empty (use null to switch a kind off)", config.ErrInvalid, p.key)
		}
	}
	if err := kw.CheckUnused("env"); err != nil {
		return nil, err
	}
	return New(o), nil
}

// Name returns "env".
func (b *Backend) Name() string { return "env" }

// Lookup returns $<prefix><ID upper-cased> for req's kind: a connection's
// value (an empty one counts as absent), a variable's (an empty value is a
// value: Airflow checks only for None) or, when configs are on, a config's.
// A kind that is off, an empty id or an unset variable is
// resolver.ErrNotFound. req.Team is ignored.
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	switch req.Kind {
	case resolver.KindConnection:
		v, err := b.get(ctx, b.connOn, b.conn, req.ID)
		if err == nil && v == "" {
			return "", resolver.ErrNotFound
		}
		return v, err
	case resolver.KindVariable:
		return b.get(ctx, b.varsOn, b.vars, req.ID)
	case resolver.KindConfig:
		return b.get(ctx, b.cfgOn, b.cfg, req.ID)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return "", resolver.ErrNotFound
}

func (b *Backend) get(ctx context.Context, on bool, prefix, id string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if !on || id == "" {
		return "", resolver.ErrNotFound
	}
	v, ok := b.lookup(prefix + upper(id))
	if !ok {
		return "", resolver.ErrNotFound
	}
	return v, nil
}

// upper upper-cases s as Python's str.upper does: full Unicode case mapping
// ("ß" becomes "SS"), with a fast path for ASCII.
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			// A Caser keeps state: one per call, never shared.
			return cases.Upper(language.Und).String(s)
		}
	}
	return strings.ToUpper(s)
}
