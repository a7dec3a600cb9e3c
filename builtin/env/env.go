// Package env is the environment-variables backend: Airflow's
// EnvironmentVariablesBackend. Connection conn_id is read from
// AIRFLOW_CONN_<CONN_ID upper-cased> and variable key from
// AIRFLOW_VAR_<KEY upper-cased>; nothing else about the id is changed
// ("my-conn" is AIRFLOW_CONN_MY-CONN).
//
// Importing the package registers it as "env" (alias
// airflow.secrets.environment_variables.EnvironmentVariablesBackend). The
// root package secretpath puts it in every search path after the configured
// backends.
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
	resolver.Register("env", open, "airflow.secrets.environment_variables.EnvironmentVariablesBackend")
}

// open builds a Backend from backend_kwargs: connections_prefix,
// variables_prefix (null switches the kind off) and config_prefix (off unless
// given).
func open(_ context.Context, kw *resolver.Kwargs) (resolver.Backend, error) {
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
	if (!o.ConnectionsOff && o.ConnectionsPrefix == "") || (!o.VariablesOff && o.VariablesPrefix == "") || (o.ConfigsOn && o.ConfigPrefix == "") {
		return nil, fmt.Errorf("%w: env: a prefix must not be empty (use null to switch a kind off)", resolver.ErrConfig)
	}
	if err := kw.CheckUnused("env"); err != nil {
		return nil, err
	}
	return New(o), nil
}

// Name returns "env".
func (b *Backend) Name() string { return "env" }

// ConnectionValue returns $<prefix><CONN_ID>. An empty value counts as absent.
func (b *Backend) ConnectionValue(ctx context.Context, connID string) (string, error) {
	v, err := b.get(ctx, b.connOn, b.conn, connID)
	if err == nil && v == "" {
		return "", resolver.ErrNotFound
	}
	return v, err
}

// Variable returns $<prefix><KEY>. An empty value is a value (Airflow checks
// only for None).
func (b *Backend) Variable(ctx context.Context, key string) (string, error) {
	return b.get(ctx, b.varsOn, b.vars, key)
}

// Config returns $<config prefix><KEY> when configs are on.
func (b *Backend) Config(ctx context.Context, key string) (string, error) {
	return b.get(ctx, b.cfgOn, b.cfg, key)
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
