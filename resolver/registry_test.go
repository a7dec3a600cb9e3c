package resolver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/config"
)

// envBackend answers from a map and remembers the Env it was built with.
type envBackend struct {
	name string
	env  Env
	vals map[string]string
}

func (b *envBackend) Name() string { return b.name }

func (b *envBackend) Lookup(_ context.Context, req Request) (string, error) {
	if v, ok := b.vals[req.Kind.String()+":"+req.ID]; ok {
		return v, nil
	}
	return "", ErrNotFound
}

// withRegistry runs f with the registry holding only regs, then restores
// it: tests of Open's assembly must not see the process's registrations.
func withRegistry(t *testing.T, regs ...Registration) {
	t.Helper()
	registry.Lock()
	saved, savedOrder := registry.regs, registry.ordered
	registry.regs, registry.ordered = map[string]*Registration{}, nil
	registry.Unlock()
	t.Cleanup(func() {
		registry.Lock()
		registry.regs, registry.ordered = saved, savedOrder
		registry.Unlock()
	})
	for _, r := range regs {
		Register(r)
	}
}

func factoryOf(name string, vals map[string]string) Factory {
	return func(_ context.Context, env Env) (Backend, error) {
		if err := env.Kwargs.CheckUnused(name); err != nil {
			return nil, err
		}
		return &envBackend{name: name, env: env, vals: vals}, nil
	}
}

func TestRegister(t *testing.T) {
	withRegistry(t,
		Registration{Name: "test-a", Aliases: []string{"some.python.ClassPath"}, Factory: factoryOf("test-a", nil)},
		Registration{Name: "test-mod", Match: func(ref string) bool { return strings.HasSuffix(ref, ".mod") }, Factory: factoryOf("test-mod", nil)},
	)
	regs := Registered()
	require.Len(t, regs, 2)
	assert.Equal(t, "test-a", regs[0].Name, "sorted by name")
	assert.Equal(t, []string{"some.python.ClassPath"}, regs[0].Aliases)
	regs[0].Aliases[0] = "changed"
	assert.Equal(t, "some.python.ClassPath", Registered()[0].Aliases[0], "Registered returns copies")

	b, err := OpenBackend(t.Context(), "some.python.ClassPath", Env{})
	require.NoError(t, err)
	eb := b.(*envBackend)
	assert.Equal(t, "some.python.ClassPath", eb.env.Name)
	assert.NotNil(t, eb.env.Kwargs, "Env is filled")
	assert.NotNil(t, eb.env.Config)
	assert.NotNil(t, eb.env.Logger)

	b, err = OpenBackend(t.Context(), "x/y.mod", Env{})
	require.NoError(t, err)
	assert.Equal(t, "x/y.mod", b.(*envBackend).env.Name, "a reference is claimed by Match")

	nop := factoryOf("x", nil)
	panics := []struct {
		name string
		reg  Registration
	}{
		{"empty name", Registration{Factory: nop}},
		{"nil factory", Registration{Name: "x-nil"}},
		{"duplicate name", Registration{Name: "test-a", Factory: nop}},
		{"duplicate alias", Registration{Name: "x-new", Aliases: []string{"some.python.ClassPath"}, Factory: nop}},
		{"alias equal to a name", Registration{Name: "x-new2", Aliases: []string{"test-a"}, Factory: nop}},
		{"empty alias", Registration{Name: "x-new3", Aliases: []string{""}, Factory: nop}},
		{"unknown role", Registration{Name: "x-new4", Role: 99, Factory: nop}},
	}
	for _, p := range panics {
		assert.Panics(t, func() { Register(p.reg) }, p.name)
	}
	Register(Registration{Name: "test-env", Role: RoleEnvironment, Factory: nop})
	assert.Panics(t, func() { Register(Registration{Name: "test-env2", Role: RoleEnvironment, Factory: nop}) },
		"one backend per role")
}

func TestOpenBackendErrors(t *testing.T) {
	withRegistry(t, Registration{Name: "test-b", Factory: func(context.Context, Env) (Backend, error) {
		return nil, errors.New("needs a url")
	}})
	_, err := OpenBackend(t.Context(), "nope", Env{})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), `unknown backend "nope" (forgotten import?); registered: test-b`)

	_, err = OpenBackend(t.Context(), "test-b", Env{})
	assert.EqualError(t, err, "backend test-b: needs a url")
}

func TestOpenAssemblesTiersByRole(t *testing.T) {
	envVals := map[string]string{"variable:k": "from-env"}
	dbVals := map[string]string{"variable:k": "from-db", "variable:d": "db-only"}
	cfgVals := map[string]string{"variable:c": "from-configured"}
	regs := []Registration{
		{Name: "t-env", Role: RoleEnvironment, Factory: factoryOf("t-env", envVals)},
		{Name: "t-db", Role: RoleDatabase, Factory: factoryOf("t-db", dbVals)},
		{Name: "t-conf", Aliases: []string{"airflow.T"}, Factory: factoryOf("t-conf", cfgVals)},
	}
	tests := []struct {
		name  string
		cfg   string
		regs  []Registration
		tiers []string
		err   string
	}{
		{"no backend", "", regs, []string{"t-env", "t-db"}, ""},
		{"configured by alias", "[secrets]\nbackend = airflow.T\n", regs, []string{"t-conf", "t-env", "t-db"}, ""},
		{"configured role backend is not repeated", "[secrets]\nbackend = t-db\n", regs, []string{"t-db", "t-env"}, ""},
		{"database not linked", "", regs[:1], []string{"t-env", "metastore (not linked)"}, ""},
		{"nothing linked", "", nil, []string{"env (not linked)", "metastore (not linked)"}, ""},
		{"database set but not linked", "[database]\nsql_alchemy_conn = sqlite:////tmp/x.db\n", regs[:1], nil,
			"a.cfg:2: [database] sql_alchemy_conn: set, but the metastore is not linked: import github.com/secretpath/secretpath/builtin/metastore"},
		{"unknown backend", "[secrets]\n\nbackend = nope\n", regs, nil,
			`a.cfg:3: [secrets] backend: unknown backend "nope" (forgotten import?); registered: t-conf, t-db, t-env`},
		{"kwargs reach the factory", "[secrets]\nbackend = t-conf\nbackend_kwargs = {\"bad\": 1}\n", regs, nil,
			"configuration error: backend t-conf: unknown backend_kwargs key(s): bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withRegistry(t, tt.regs...)
			cfg, err := config.Parse("a.cfg", []byte(tt.cfg), nil)
			require.NoError(t, err)
			r, err := Open(t.Context(), cfg)
			if tt.err != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, config.ErrInvalid)
				assert.Equal(t, tt.err, err.Error())
				return
			}
			require.NoError(t, err)
			defer r.Close()
			assert.Equal(t, tt.tiers, r.Tiers())
		})
	}

	withRegistry(t, regs[0])
	cfg, err := config.Parse("", nil, nil)
	require.NoError(t, err)
	r, err := Open(t.Context(), cfg)
	require.NoError(t, err)
	x := r.Explain(t.Context(), Request{Kind: KindVariable, ID: "d"})
	require.Len(t, x.Steps, 2)
	assert.Equal(t, "not linked (import github.com/secretpath/secretpath/builtin/metastore)", x.Steps[1].Asked)
	v, err := r.Variable(t.Context(), "k")
	require.NoError(t, err)
	assert.Equal(t, "from-env", v.Reveal())
}

func TestOpenGivesBackendsTheConfigAndLogger(t *testing.T) {
	var got Env
	withRegistry(t, Registration{Name: "t-conf", Factory: func(_ context.Context, env Env) (Backend, error) {
		got = env
		return &envBackend{name: "t-conf"}, nil
	}})
	cfg, err := config.Parse("a.cfg", []byte("[secrets]\nbackend = t-conf\nbackend_kwargs = {\"k\": \"v\"}\n[mine]\nx = 1\n"), nil)
	require.NoError(t, err)
	r, err := Open(t.Context(), cfg, WithLogger(nil))
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, "t-conf", got.Name)
	assert.Equal(t, []string{"k"}, got.Kwargs.Keys())
	v, ok := got.Config.Section("mine").Get("x")
	assert.True(t, ok)
	assert.Equal(t, "1", v)
	assert.NotNil(t, got.Logger, "a nil logger becomes one that discards")
}

func TestOpenRefusesUnknownOptionsInOwnedSections(t *testing.T) {
	owner := Registration{Name: "t-owner", Sections: map[string][]string{"mine": {"sha256", "memory_pages"}}, Factory: factoryOf("t-owner", nil)}
	other := Registration{Name: "t-conf", Factory: factoryOf("t-conf", nil)}
	tests := []struct {
		name, cfg, err string
	}{
		{"known options", "[mine]\nsha256 = ab\nmemory_pages = 2\n", ""},
		{"a misspelt option, another backend configured", "[secrets]\nbackend = t-conf\n[mine]\nsha265 = Pl4nted\n",
			"configuration error: a.cfg:4: [mine] sha265 is not an option secretpath knows (did you mean sha256?)"},
		{"set by the environment", "", "configuration error: env AIRFLOW__MINE__PAGES: [mine] pages is not an option secretpath knows"},
		{"a section nobody owns may hold anything", "[core]\nanything = 1\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withRegistry(t, owner, other)
			var environ []string
			if tt.name == "set by the environment" {
				environ = []string{"AIRFLOW__MINE__PAGES=3"}
			}
			cfg, err := config.Parse("a.cfg", []byte(tt.cfg), environ)
			require.NoError(t, err)
			r, err := Open(t.Context(), cfg)
			if tt.err == "" {
				require.NoError(t, err)
				r.Close()
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, config.ErrInvalid)
			assert.Equal(t, tt.err, err.Error())
			assert.NotContains(t, err.Error(), "Pl4nted")
		})
	}
	withRegistry(t, owner)
	assert.Panics(t, func() {
		Register(Registration{Name: "t-second", Sections: map[string][]string{"mine": nil}, Factory: factoryOf("x", nil)})
	}, "one owner per section")
}

func TestOpenNamesTheWorkersBackendOption(t *testing.T) {
	withRegistry(t, Registration{Name: "t-conf", Factory: factoryOf("t-conf", nil)})
	cfg, err := config.Parse("a.cfg", []byte("[secrets]\nbackend = t-conf\n\n[workers]\nsecrets_backend = nosuch\n"), nil)
	require.NoError(t, err)
	w, err := cfg.Worker()
	require.NoError(t, err)
	_, err = Open(t.Context(), w)
	require.Error(t, err)
	assert.Equal(t, `a.cfg:5: [workers] secrets_backend: unknown backend "nosuch" (forgotten import?); registered: t-conf`, err.Error())
}

func TestOpenWorkerAsksTheExecutionAPI(t *testing.T) {
	envVals := map[string]string{"variable:k": "from-env"}
	apiVals := map[string]string{"variable:a": "from-api"}
	tokenless := func(context.Context, Env) (Backend, error) {
		return nil, fmt.Errorf("no token: SECRETPATH_EXECUTION_API_TOKEN is unset: %w", ErrNotFound)
	}
	env := Registration{Name: "t-env", Role: RoleEnvironment, Factory: factoryOf("t-env", envVals)}
	db := Registration{Name: "t-db", Role: RoleDatabase, Factory: factoryOf("t-db", nil)}
	api := Registration{Name: "t-api", Role: RoleExecutionAPI, Factory: factoryOf("t-api", apiVals)}
	tests := []struct {
		name   string
		worker bool
		regs   []Registration
		tiers  []string
		warned string // the reason the warning gives, "" for none
	}{
		{"worker with a token", true, []Registration{env, db, api}, []string{"t-env", "t-api"}, ""},
		{"server never asks the API", false, []Registration{env, db, api}, []string{"t-env", "t-db"}, ""},
		{"worker without a token", true, []Registration{env, db, {Name: "t-api", Role: RoleExecutionAPI, Factory: tokenless}},
			[]string{"t-env", "t-db"}, "backend t-api: no token: SECRETPATH_EXECUTION_API_TOKEN is unset: not found"},
		{"worker, API not linked", true, []Registration{env, db}, []string{"t-env", "t-db"},
			"the Execution API backend is not linked (import github.com/secretpath/secretpath/builtin/executionapi)"},
		{"worker, neither linked", true, []Registration{env}, []string{"t-env", "metastore (not linked)"},
			"the Execution API backend is not linked (import github.com/secretpath/secretpath/builtin/executionapi)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withRegistry(t, tt.regs...)
			cfg, err := config.Parse("a.cfg", nil, nil)
			require.NoError(t, err)
			if tt.worker {
				cfg, err = cfg.Worker()
				require.NoError(t, err)
			}
			var logs strings.Builder
			r, err := Open(t.Context(), cfg, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			require.NoError(t, err)
			defer r.Close()
			assert.Equal(t, tt.tiers, r.Tiers())
			if tt.warned == "" {
				assert.Empty(t, logs.String())
			} else {
				assert.Contains(t, logs.String(), "reading the metastore in place of the Execution API")
				assert.Contains(t, logs.String(), strconv.Quote(tt.warned))
			}
		})
	}

	// A factory error other than a missing token is Open's error.
	withRegistry(t, env, db, Registration{Name: "t-api", Role: RoleExecutionAPI, Factory: func(context.Context, Env) (Backend, error) {
		return nil, errors.New("bad execution_api_server_url")
	}})
	cfg, err := config.Parse("a.cfg", nil, nil)
	require.NoError(t, err)
	cfg, err = cfg.Worker()
	require.NoError(t, err)
	_, err = Open(t.Context(), cfg)
	assert.EqualError(t, err, "backend t-api: bad execution_api_server_url")
}
