package resolver

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Factory builds a backend from its backend_kwargs. It should reject unknown
// keys (see [Kwargs.CheckUnused]) and wrap configuration problems in ErrConfig.
type Factory func(ctx context.Context, kwargs *Kwargs) (Backend, error)

var registry = struct {
	sync.RWMutex
	factories map[string]Factory // by canonical name
	aliases   map[string]string  // alias -> canonical name
}{factories: map[string]Factory{}, aliases: map[string]string{}}

// Register makes a backend available by name and by each alias (for
// instance Airflow's class paths). It panics when name is empty, f is nil, or
// the name or an alias is taken, like database/sql.Register.
func Register(name string, f Factory, aliases ...string) {
	registry.Lock()
	defer registry.Unlock()
	if name == "" {
		panic("resolver: Register with an empty name")
	}
	if f == nil {
		panic("resolver: Register of backend " + name + " with a nil factory")
	}
	for _, n := range append([]string{name}, aliases...) {
		if n == "" {
			panic("resolver: Register of backend " + name + " with an empty alias")
		}
		if _, dup := registry.factories[n]; dup {
			panic("resolver: Register called twice for backend " + n)
		}
		if _, dup := registry.aliases[n]; dup {
			panic("resolver: Register called twice for backend " + n)
		}
	}
	registry.factories[name] = f
	for _, a := range aliases {
		registry.aliases[a] = name
	}
}

// Canonical returns the registered name that name (a name or an alias)
// stands for, and whether it is registered.
func Canonical(name string) (string, bool) {
	registry.RLock()
	defer registry.RUnlock()
	if _, ok := registry.factories[name]; ok {
		return name, true
	}
	if c, ok := registry.aliases[name]; ok {
		return c, true
	}
	return "", false
}

// Registered returns the registered backend names (not aliases), sorted.
func Registered() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.factories))
	for n := range registry.factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Open builds the backend registered under name (or an alias) with kwargs.
// An unknown name is an ErrConfig error that lists the registered names.
func Open(ctx context.Context, name string, kwargs *Kwargs) (Backend, error) {
	canon, ok := Canonical(name)
	if !ok {
		return nil, fmt.Errorf("%w: unknown backend %q (forgotten import?); registered: %s",
			ErrConfig, name, strings.Join(Registered(), ", "))
	}
	registry.RLock()
	f := registry.factories[canon]
	registry.RUnlock()
	if kwargs == nil {
		kwargs, _ = ParseKwargs(nil)
	}
	b, err := f(ctx, kwargs)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", canon, err)
	}
	return b, nil
}
