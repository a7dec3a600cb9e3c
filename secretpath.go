// Package secretpath opens the search path an Airflow-style config file
// describes: the configured secrets backend, then environment variables,
// then the metastore. It is the one package (with the CLI) that knows every
// built-in backend; libraries that want fewer dependencies build a
// resolver.Resolver from the backends they import.
//
//	r, err := secretpath.OpenFile(ctx, "secretpath.cfg")
//	if err != nil { ... }
//	defer r.Close()
//	conn, err := r.Connection(ctx, "smtp_default")
package secretpath

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/secretpath/secretpath/builtin/env"
	_ "github.com/secretpath/secretpath/builtin/localfs" // registers "localfs"
	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// OpenFile loads the config file at path ("" = no file), applies the
// AIRFLOW__SECTION__KEY overrides from the process environment, and opens
// the search path it describes.
func OpenFile(ctx context.Context, path string, opts ...resolver.Option) (*resolver.Resolver, error) {
	cfg, err := resolver.LoadConfig(path, os.Environ())
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg, opts...)
}

// Open returns the resolver cfg describes: cfg.Backend (when set) with its
// kwargs, then the environment-variables tier, then the metastore
// ([database] sql_alchemy_conn, or the embedded default SQLite file; see
// package metastore), with the cache when cfg.UseCache (and its stale
// grace), and cfg.TierTimeout. A tier that is
// also the configured backend is not repeated. The metastore connects at
// its first lookup, so an unreachable database fails lookups (logged, the
// search goes on), not Open. Options are applied after those from cfg.
// Errors wrap resolver.ErrConfig.
func Open(ctx context.Context, cfg *resolver.Config, opts ...resolver.Option) (*resolver.Resolver, error) {
	// Backends that log on their own log to the caller's logger.
	ctx = resolver.ContextWithLogger(ctx, resolver.LoggerOf(opts...))
	if mp := resolver.MeterProviderOf(opts...); mp != nil {
		ctx = resolver.ContextWithMeterProvider(ctx, mp)
	}
	var base []resolver.Option
	var configured string
	if cfg.Backend != "" {
		var b resolver.Backend
		var err error
		name, _ := resolver.Canonical(cfg.Backend) // "" for a module: the tenant names itself
		switch {
		case wasmhost.IsModuleRef(cfg.Backend):
			b, err = wasmhost.OpenConfig(ctx, cfg.Backend, cfg.BackendKwargs, cfg.Get)
		case name == metastore.Name:
			// The metastore reads [database] and [core], as Airflow's
			// MetastoreBackend does: it takes no backend_kwargs.
			if err = cfg.BackendKwargs.CheckUnused(name); err == nil {
				b, err = metastore.OpenConfig(cfg)
			}
		default:
			b, err = OpenBackend(ctx, cfg.Backend, cfg.BackendKwargs)
		}
		if err != nil {
			return nil, err
		}
		configured = name
		base = append(base, resolver.WithBackend(name, b))
	}
	if configured != "env" {
		base = append(base, resolver.WithFallback("env", env.New(env.Options{})))
	}
	if configured != metastore.Name {
		ms, err := metastore.OpenConfig(cfg)
		if err != nil {
			return nil, err
		}
		base = append(base, resolver.WithFallback(metastore.Name, ms))
	}
	if cfg.UseCache {
		base = append(base, resolver.WithCache(cfg.CacheTTL, 0), resolver.WithStaleGrace(cfg.StaleGrace))
	}
	if cfg.TierTimeout > 0 {
		base = append(base, resolver.WithTierTimeout(cfg.TierTimeout))
	}
	return resolver.New(append(base, opts...)...), nil
}

// OpenBackend builds the backend that name (a registered name, an Airflow
// class path) stands for. WebAssembly modules need more than kwargs (limits
// and capabilities): Open handles them with wasmhost.OpenConfig.
func OpenBackend(ctx context.Context, name string, kwargs *resolver.Kwargs) (resolver.Backend, error) {
	if _, ok := resolver.Canonical(name); ok {
		return resolver.Open(ctx, name, kwargs)
	}
	if wasmhost.IsModuleRef(name) {
		return nil, fmt.Errorf("%w: backend %q is a WebAssembly module: open it with wasmhost.OpenConfig", resolver.ErrConfig, name)
	}
	return resolver.Open(ctx, name, kwargs) // the registry's "unknown backend" error
}

// KnownBackends lists every backend name this build accepts, sorted.
func KnownBackends() []string {
	names := resolver.Registered()
	sort.Strings(names)
	return names
}
