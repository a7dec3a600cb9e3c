package env

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
	"github.com/secretpath/secretpath/resolver/config"
)

// harness serves the suite from a map standing in for the environment, so
// tests never mutate the process environment.
type harness struct{}

func (harness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{
		Configs: true, JSONConnections: true, EmptyVariables: true,
		MultilineValues: true, CaseInsensitiveIDs: true,
	}
}

func (harness) Backend(_ context.Context, _ *testing.T, seed backendtest.Seed) resolver.Backend {
	env := map[string]string{}
	for id, v := range seed.Connections {
		env["AIRFLOW_CONN_"+upper(id)] = v
	}
	for k, v := range seed.Variables {
		env["AIRFLOW_VAR_"+upper(k)] = v
	}
	for k, v := range seed.Configs {
		env["SECRETPATH_CONFIG_"+upper(k)] = v
	}
	return New(Options{ConfigPrefix: "SECRETPATH_CONFIG_", ConfigsOn: true, LookupEnv: mapEnv(env)})
}

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConformance(t *testing.T) { backendtest.Run(t, harness{}) }

func TestNames(t *testing.T) {
	env := map[string]string{
		"AIRFLOW_CONN_MY-CONN":   "http://dash",
		"AIRFLOW_CONN_A.B":       "http://dot",
		"AIRFLOW_CONN_STRASSE":   "http://sharp-s", // "straße" upper-cases to "STRASSE" in Python
		"AIRFLOW_CONN_EMPTY":     "",
		"AIRFLOW_VAR_EMPTY":      "",
		"AIRFLOW_VAR_HELLO":      "world",
		"AIRFLOW_CONN_lowercase": "http://never-read",
	}
	b := New(Options{LookupEnv: mapEnv(env)})
	ctx := t.Context()
	tests := []struct {
		name, id, want string
		kind           resolver.Kind
		notFound       bool
	}{
		{name: "dash kept", id: "my-conn", want: "http://dash", kind: resolver.KindConnection},
		{name: "dot kept", id: "a.b", want: "http://dot", kind: resolver.KindConnection},
		{name: "full unicode upper-casing", id: "straße", want: "http://sharp-s", kind: resolver.KindConnection},
		{name: "empty connection is absent", id: "empty", kind: resolver.KindConnection, notFound: true},
		{name: "name is upper-cased before lookup", id: "LOWERCASE", kind: resolver.KindConnection, notFound: true},
		{name: "empty variable is a value", id: "empty", want: "", kind: resolver.KindVariable},
		{name: "variable", id: "hello", want: "world", kind: resolver.KindVariable},
		{name: "variable case", id: "HeLLo", want: "world", kind: resolver.KindVariable},
		{name: "empty id", id: "", kind: resolver.KindVariable, notFound: true},
		{name: "configs off by default", id: "hello", kind: resolver.KindConfig, notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.Lookup(ctx, resolver.Request{Kind: tt.kind, ID: tt.id})
			if tt.notFound {
				assert.ErrorIs(t, err, resolver.ErrNotFound)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestKwargs(t *testing.T) {
	t.Setenv("AIRFLOW_CONN_X", "http://default-prefix")
	t.Setenv("MY_CONN_X", "http://custom-prefix")
	t.Setenv("AIRFLOW_VAR_X", "default-var")
	t.Setenv("CFG_X", "cfg")
	tests := []struct {
		name     string
		kwargs   map[string]any
		wantConn string // "" = not found
		wantVar  string
		wantCfg  string
		wantErr  string
	}{
		{name: "defaults", kwargs: map[string]any{}, wantConn: "http://default-prefix", wantVar: "default-var"},
		{name: "custom prefix", kwargs: map[string]any{"connections_prefix": "MY_CONN_"}, wantConn: "http://custom-prefix", wantVar: "default-var"},
		{name: "null switches off", kwargs: map[string]any{"connections_prefix": nil, "variables_prefix": nil}},
		{name: "config prefix", kwargs: map[string]any{"config_prefix": "CFG_"}, wantConn: "http://default-prefix", wantVar: "default-var", wantCfg: "cfg"},
		{name: "unknown key", kwargs: map[string]any{"connection_prefix": "X_"}, wantErr: `unknown backend_kwargs key(s): connection_prefix`},
		{name: "empty prefix", kwargs: map[string]any{"variables_prefix": ""}, wantErr: `"variables_prefix" must not be empty`},
		{name: "empty config prefix", kwargs: map[string]any{"config_prefix": ""}, wantErr: `"config_prefix" must not be empty`},
		{name: "wrong type", kwargs: map[string]any{"variables_prefix": 3}, wantErr: `"variables_prefix" must be a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := testutil.OpenKwargs(t, "airflow.secrets.environment_variables.EnvironmentVariablesBackend", tt.kwargs)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			check := func(got string, err error, want string) {
				t.Helper()
				if want == "" {
					assert.ErrorIs(t, err, resolver.ErrNotFound)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, want, got)
			}
			v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "x"})
			check(v, err, tt.wantConn)
			v, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "x"})
			check(v, err, tt.wantVar)
			v, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConfig, ID: "x"})
			check(v, err, tt.wantCfg)
		})
	}
}

func TestRegistration(t *testing.T) {
	var reg *resolver.Registration
	for _, r := range resolver.Registered() {
		if r.Name == "env" {
			reg = &r
		}
	}
	require.NotNil(t, reg, "env is registered")
	assert.Equal(t, resolver.RoleEnvironment, reg.Role)
	assert.Equal(t, []string{"airflow.secrets.environment_variables.EnvironmentVariablesBackend"}, reg.Aliases)
	assert.NotEmpty(t, reg.Doc)
	assert.NotContains(t, reg.Doc, "\n", "Doc is one line")
}

// resolver.Open puts env at the environment role's place without it being
// named in [secrets] backend; when it is the configured backend, it is not
// asked twice.
func TestRole(t *testing.T) {
	t.Setenv("AIRFLOW_VAR_ENV_ROLE_TEST", "from-env")
	ctx := t.Context()

	cfg, err := config.Parse("airflow.cfg", nil, nil)
	require.NoError(t, err)
	r, err := resolver.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	assert.Contains(t, r.Tiers(), "env")
	v, err := r.Variable(ctx, "env_role_test")
	require.NoError(t, err)
	assert.Equal(t, "from-env", v.Reveal())

	cfg, err = config.Parse("airflow.cfg", []byte("[secrets]\nbackend = airflow.secrets.environment_variables.EnvironmentVariablesBackend\nbackend_kwargs = {\"variables_prefix\": \"AIRFLOW_VAR_ENV_\"}\n"), nil)
	require.NoError(t, err)
	r, err = resolver.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	n := 0
	for _, tier := range r.Tiers() {
		if tier == "env" {
			n++
		}
	}
	assert.Equal(t, 1, n, "env is one tier: %v", r.Tiers())
	v, err = r.Variable(ctx, "role_test")
	require.NoError(t, err)
	assert.Equal(t, "from-env", v.Reveal(), "the configured env's kwargs apply")
}

func TestDescribe(t *testing.T) {
	b := New(Options{VariablesOff: true, LookupEnv: mapEnv(nil)})
	for _, tt := range []struct {
		req  resolver.Request
		want string
	}{
		{resolver.Request{Kind: resolver.KindConnection, ID: "my-conn"}, `$AIRFLOW_CONN_MY-CONN ("my-conn" upper-cased)`},
		{resolver.Request{Kind: resolver.KindConnection, ID: "c", Team: "t"}, `$AIRFLOW_CONN_C ("c" upper-cased)`},
		{resolver.Request{Kind: resolver.KindConnection}, "no lookup (empty id)"},
		{resolver.Request{Kind: resolver.KindVariable, ID: "v"}, "no lookup (variables are off)"},
		{resolver.Request{Kind: resolver.KindConfig, ID: "c"}, "no lookup (configs are off)"},
		{resolver.Request{ID: "c"}, "no lookup (Kind(0) is not a kind env serves)"},
	} {
		assert.Equal(t, tt.want, b.Describe(tt.req), "%+v", tt.req)
	}
}

// A kind env does not serve is not found, and a done context is still
// reported.
func TestUnknownKind(t *testing.T) {
	b := New(Options{LookupEnv: mapEnv(map[string]string{"AIRFLOW_CONN_X": "http://x"})})
	_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.Kind(99), ID: "x"})
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = b.Lookup(ctx, resolver.Request{Kind: resolver.Kind(99), ID: "x"})
	assert.ErrorIs(t, err, context.Canceled)
}
