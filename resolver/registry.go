package resolver

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/metric"

	"github.com/secretpath/secretpath/resolver/config"
)

// Factory builds a backend. It should reject unknown backend_kwargs (see
// [config.Kwargs.CheckUnused]) and wrap configuration problems in
// config.ErrInvalid.
type Factory func(ctx context.Context, env Env) (Backend, error)

// Env is what a [Factory] is given: the backend's name and kwargs, the
// whole config file, and where to log and record metrics. [OpenBackend] and
// [Open] fill every field.
type Env struct {
	// Name is the name the backend was asked for: a registered name, an
	// alias (an Airflow class path) or a reference a [Registration.Match]
	// claimed (a WebAssembly module's path or URL).
	Name string
	// Kwargs are the backend's backend_kwargs. Never nil once filled.
	Kwargs *config.Kwargs
	// Config is the config file the search path is opened from (empty
	// when there is none): backends read their own sections from it, such
	// as [database] for the metastore or [wasm] for WebAssembly modules.
	Config *config.File
	// Logger is where a backend logs on its own (a renewed token, a
	// guest's log line). Never nil once filled; records must not hold
	// secret values.
	Logger *slog.Logger
	// MeterProvider records the backend's own metrics; nil means none.
	MeterProvider metric.MeterProvider
}

// fill sets Env's defaults: empty kwargs, an empty config, a discarding
// logger.
func (e *Env) fill() {
	if e.Kwargs == nil {
		e.Kwargs, _ = config.ParseKwargs(nil)
	}
	if e.Config == nil {
		e.Config, _ = config.Parse("", nil, nil)
	}
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
}

// Role is a tier of Airflow's search path that a backend can fill without
// being named in [secrets] backend: [Open] puts the backend registered for
// a role at that role's place.
type Role uint8

// The roles, in search-path order after the configured backend.
const (
	// RoleEnvironment: AIRFLOW_CONN_* and AIRFLOW_VAR_* variables
	// (package builtin/env).
	RoleEnvironment Role = iota + 1
	// RoleDatabase: Airflow's metastore (package builtin/metastore).
	RoleDatabase
	// RoleExecutionAPI: an Airflow 3 API server's Execution API (package
	// builtin/executionapi), the third tier of a worker's search path
	// (see [config.File.Worker]) in place of the database. Its factory
	// returns an error matching [ErrNotFound] when it has no token to
	// call the API with; [Open] then uses the database's backend and
	// logs a warning saying so.
	RoleExecutionAPI
)

// roleInfo is what Open says about a role whose backend is not linked.
var roleInfo = map[Role]struct{ name, pkg string }{
	RoleEnvironment:  {"env", "github.com/secretpath/secretpath/builtin/env"},
	RoleDatabase:     {"metastore", "github.com/secretpath/secretpath/builtin/metastore"},
	RoleExecutionAPI: {"execution-api", "github.com/secretpath/secretpath/builtin/executionapi"},
}

// String returns "environment", "database" or "execution API".
func (r Role) String() string {
	switch r {
	case RoleEnvironment:
		return "environment"
	case RoleDatabase:
		return "database"
	case RoleExecutionAPI:
		return "execution API"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Registration describes a backend to [Register].
type Registration struct {
	// Name is the backend's name in config files, logs and errors.
	Name string
	// Aliases are other names for it, such as Airflow's class paths.
	Aliases []string
	// Match, when set, claims references that are no registered name: a
	// WebAssembly module's path or URL. The first registration (by Name)
	// whose Match returns true opens the reference.
	Match func(ref string) bool
	// Role, when set, puts the backend at that place of the search path
	// that [Open] assembles (at most one backend per role).
	Role Role
	// Doc is one line on what the backend is, for listings.
	Doc string
	// Sections are the config file's sections this backend owns (such as
	// [wasm]), each with every option it reads. [Open] refuses an option a
	// section does not list (a misspelling would otherwise be ignored),
	// naming it and where it is set, whatever backend is configured.
	// Airflow's own sections are nobody's: they may hold options
	// secretpath does not use.
	Sections map[string][]string
	// Factory builds the backend.
	Factory Factory
}

var registry = struct {
	sync.RWMutex
	regs    map[string]*Registration // by name and by alias
	ordered []*Registration          // by Name
}{regs: map[string]*Registration{}}

// Register makes a backend available by name, by each alias and (with
// Match) by reference. It panics when the name is empty, the factory nil,
// a name or alias taken, or the role already filled, like
// database/sql.Register. Call it from an init function.
func Register(reg Registration) {
	registry.Lock()
	defer registry.Unlock()
	if reg.Name == "" {
		panic("resolver: Register with an empty name")
	}
	if reg.Factory == nil {
		panic("resolver: Register of backend " + reg.Name + " with a nil factory")
	}
	for _, n := range append([]string{reg.Name}, reg.Aliases...) {
		if n == "" {
			panic("resolver: Register of backend " + reg.Name + " with an empty alias")
		}
		if _, dup := registry.regs[n]; dup {
			panic("resolver: Register called twice for backend " + n)
		}
	}
	if reg.Role != 0 {
		if _, ok := roleInfo[reg.Role]; !ok {
			panic("resolver: Register of backend " + reg.Name + " with an unknown role")
		}
		for _, r := range registry.ordered {
			if r.Role == reg.Role {
				panic("resolver: backends " + r.Name + " and " + reg.Name + " both register for the " + reg.Role.String() + " role")
			}
		}
	}
	for sec := range reg.Sections {
		for _, o := range registry.ordered {
			if _, taken := o.Sections[sec]; taken {
				panic("resolver: backends " + o.Name + " and " + reg.Name + " both own config section [" + sec + "]")
			}
		}
	}
	r := reg
	r.Aliases = slices.Clone(reg.Aliases)
	r.Sections = maps.Clone(reg.Sections)
	for _, n := range append([]string{r.Name}, r.Aliases...) {
		registry.regs[n] = &r
	}
	i, _ := slices.BinarySearchFunc(registry.ordered, r.Name, func(a *Registration, n string) int { return strings.Compare(a.Name, n) })
	registry.ordered = slices.Insert(registry.ordered, i, &r)
}

// Registered returns the registered backends, sorted by name.
func Registered() []Registration {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Registration, len(registry.ordered))
	for i, r := range registry.ordered {
		out[i] = *r
		out[i].Aliases = slices.Clone(r.Aliases)
		out[i].Sections = maps.Clone(r.Sections)
	}
	return out
}

// lookupReg finds the registration for name: by name or alias, else the
// first Match that claims it.
func lookupReg(name string) (*Registration, bool) {
	registry.RLock()
	defer registry.RUnlock()
	if r, ok := registry.regs[name]; ok {
		return r, true
	}
	for _, r := range registry.ordered {
		if r.Match != nil && r.Match(name) {
			return r, true
		}
	}
	return nil, false
}

// byRole returns the registration for role, if one is linked.
func byRole(role Role) (*Registration, bool) {
	registry.RLock()
	defer registry.RUnlock()
	for _, r := range registry.ordered {
		if r.Role == role {
			return r, true
		}
	}
	return nil, false
}

func registeredNames() string {
	var names []string
	for _, r := range Registered() {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}

// OpenBackend builds the backend registered under name (a name, an alias
// or a reference a registration matches) with env; env.Name is set to
// name and unset fields get their defaults (no kwargs, no config file, a
// logger that discards). An unknown name is a config.ErrInvalid error that
// lists the registered names.
func OpenBackend(ctx context.Context, name string, env Env) (Backend, error) {
	reg, ok := lookupReg(name)
	if !ok {
		return nil, fmt.Errorf("%w: unknown backend %q (forgotten import?); registered: %s",
			config.ErrInvalid, name, registeredNames())
	}
	return openReg(ctx, reg, name, env)
}

func openReg(ctx context.Context, reg *Registration, name string, env Env) (Backend, error) {
	env.Name = name
	env.fill()
	b, err := reg.Factory(ctx, env)
	if err != nil {
		if reg.Match != nil && name != reg.Name {
			return nil, err // a reference: the factory names it (without its secrets)
		}
		if strings.Contains(err.Error(), reg.Name+":") {
			return nil, err // it names the backend already ("localfs: ...")
		}
		return nil, fmt.Errorf("backend %s: %w", reg.Name, err)
	}
	if b == nil {
		return nil, fmt.Errorf("backend %s: the factory returned no backend and no error", reg.Name)
	}
	return b, nil
}
