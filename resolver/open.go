package resolver

import (
	"context"
	"errors"
	"log/slog"
	"sort"

	"github.com/secretpath/secretpath/resolver/config"
)

// Open returns the search path cfg describes, built from the registered
// backends: [secrets] backend (when set) with its backend_kwargs, then the
// backend registered for [RoleEnvironment], then the one for
// [RoleDatabase]; in a worker's view of the config ([config.File.Worker])
// the third is the one for [RoleExecutionAPI], or the database's with a
// warning when that is not linked or has no token; with the cache when [secrets] use_cache is on (and its
// stale grace) and cfg's tier timeout. A role's backend that is also the
// configured one is not repeated. Options are applied after those from
// cfg; the logger and meter provider they set are also given to the
// backends (see [Env]).
//
// A role whose backend is not linked into the program is skipped, and its
// place in the search path says so ("metastore (not linked)"), unless cfg
// needs it: [database] sql_alchemy_conn set without the metastore linked
// is an error. Import the backends you use (their packages register them),
// or import the root package secretpath, which links them all.
//
// Errors wrap config.ErrInvalid and name where the setting at fault is.
// When Open fails, every backend it built is closed.
func Open(ctx context.Context, cfg *config.File, opts ...Option) (_ *Resolver, err error) {
	if cfg == nil {
		cfg, _ = config.Parse("", nil, nil)
	}
	if err := checkOwnedSections(cfg); err != nil {
		return nil, err
	}
	o := collect(opts)
	env := Env{Config: cfg, Logger: o.logger, MeterProvider: o.meterProvider}

	var built []tier
	defer func() {
		if err != nil {
			for _, t := range built {
				closeBackend(t.b)
			}
		}
	}()
	var base []Option
	var configured *Registration
	if cfg.Backend != "" {
		reg, ok := lookupReg(cfg.Backend)
		if !ok {
			sec, key, _ := cfg.BackendOrigin() // [secrets] backend, or a worker's [workers] secrets_backend
			return nil, cfg.Section(sec).Errorf(key, "unknown backend %q (forgotten import?); registered: %s",
				cfg.Backend, registeredNames())
		}
		e := env
		e.Kwargs = cfg.BackendKwargs
		b, err := openReg(ctx, reg, cfg.Backend, e)
		if err != nil {
			return nil, err
		}
		configured = reg
		name := reg.Name
		if reg.Match != nil && cfg.Backend != reg.Name {
			name = "" // a reference: the backend names itself
		}
		t := newTier(name, b)
		built = append(built, t)
		base = append(base, WithBackend(t.name, b))
	}
	roles := []Role{RoleEnvironment, RoleDatabase}
	if cfg.IsWorker() {
		roles[1] = RoleExecutionAPI
	}
	for _, role := range roles {
		reg, linked := byRole(role)
		if linked && reg == configured {
			continue
		}
		if role == RoleExecutionAPI {
			b, why, err := openExecutionAPI(ctx, reg, linked, env)
			if err != nil {
				return nil, err
			}
			if b != nil {
				t := newTier(reg.Name, b)
				built = append(built, t)
				base = append(base, WithFallback(t.name, b))
				continue
			}
			o.logger.LogAttrs(ctx, slog.LevelWarn, "worker search path: reading the metastore in place of the Execution API",
				slog.String("reason", why))
			role = RoleDatabase
			if reg, linked = byRole(role); linked && reg == configured {
				continue
			}
		}
		if !linked {
			if role == RoleDatabase {
				if db := cfg.Section("database"); db.Origin("sql_alchemy_conn") != "" {
					return nil, db.Errorf("sql_alchemy_conn", "set, but the metastore is not linked: import %s", roleInfo[role].pkg)
				}
			}
			info := roleInfo[role]
			base = append(base, WithFallback(info.name+" (not linked)", notLinked{role}))
			continue
		}
		b, err := openReg(ctx, reg, reg.Name, env)
		if err != nil {
			return nil, err
		}
		t := newTier(reg.Name, b)
		built = append(built, t)
		base = append(base, WithFallback(t.name, b))
	}
	if cfg.UseCache {
		base = append(base, WithCache(cfg.CacheTTL, 0), WithStaleGrace(cfg.StaleGrace))
	}
	if cfg.TierTimeout > 0 {
		base = append(base, WithTierTimeout(cfg.TierTimeout))
	}
	return New(append(base, opts...)...), nil
}

// openExecutionAPI opens a worker's third tier: the backend registered for
// RoleExecutionAPI, or nil and why not when it is not linked or has no
// token (its factory's ErrNotFound).
func openExecutionAPI(ctx context.Context, reg *Registration, linked bool, env Env) (Backend, string, error) {
	if !linked {
		return nil, "the Execution API backend is not linked (import " + roleInfo[RoleExecutionAPI].pkg + ")", nil
	}
	b, err := openReg(ctx, reg, reg.Name, env)
	if errors.Is(err, ErrNotFound) {
		return nil, err.Error(), nil
	}
	return b, "", err
}

// notLinked stands for a role whose backend is not linked: it holds nothing
// and says why.
type notLinked struct{ role Role }

func (n notLinked) Lookup(context.Context, Request) (string, error) { return "", ErrNotFound }

// HonoursContext: Lookup returns at once (see Backend).
func (n notLinked) HonoursContext() bool { return true }

func (n notLinked) Describe(Request) string {
	return "not linked (import " + roleInfo[n.role].pkg + ")"
}

func closeBackend(b Backend) {
	if c, ok := b.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}

// checkOwnedSections refuses options that no linked backend owning their
// section knows (Registration.Sections).
func checkOwnedSections(cfg *config.File) error {
	for _, reg := range Registered() {
		names := make([]string, 0, len(reg.Sections))
		for name := range reg.Sections {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			known := reg.Sections[name]
			sec := cfg.Section(name)
			for _, k := range known {
				sec.Get(k)
			}
			if err := sec.CheckUnused(known...); err != nil {
				return err
			}
		}
	}
	return nil
}
