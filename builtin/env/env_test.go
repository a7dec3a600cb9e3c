package env

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
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
			var got string
			var err error
			switch tt.kind {
			case resolver.KindConnection:
				got, err = b.ConnectionValue(ctx, tt.id)
			case resolver.KindVariable:
				got, err = b.Variable(ctx, tt.id)
			case resolver.KindConfig:
				got, err = b.Config(ctx, tt.id)
			}
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
		kwargs   string
		wantConn string // "" = not found
		wantVar  string
		wantCfg  string
		wantErr  string
	}{
		{name: "defaults", kwargs: ``, wantConn: "http://default-prefix", wantVar: "default-var"},
		{name: "custom prefix", kwargs: `{"connections_prefix": "MY_CONN_"}`, wantConn: "http://custom-prefix", wantVar: "default-var"},
		{name: "null switches off", kwargs: `{"connections_prefix": null, "variables_prefix": null}`},
		{name: "config prefix", kwargs: `{"config_prefix": "CFG_"}`, wantConn: "http://default-prefix", wantVar: "default-var", wantCfg: "cfg"},
		{name: "unknown key", kwargs: `{"connection_prefix": "X_"}`, wantErr: `unknown backend_kwargs key(s): connection_prefix`},
		{name: "empty prefix", kwargs: `{"variables_prefix": ""}`, wantErr: "must not be empty"},
		{name: "wrong type", kwargs: `{"variables_prefix": 3}`, wantErr: `"variables_prefix" must be a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kw, err := resolver.ParseKwargs([]byte(tt.kwargs))
			require.NoError(t, err)
			b, err := resolver.Open(t.Context(), "airflow.secrets.environment_variables.EnvironmentVariablesBackend", kw)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, resolver.ErrConfig)
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
			v, err := b.ConnectionValue(t.Context(), "x")
			check(v, err, tt.wantConn)
			v, err = b.Variable(t.Context(), "x")
			check(v, err, tt.wantVar)
			v, err = b.(resolver.ConfigBackend).Config(t.Context(), "x")
			check(v, err, tt.wantCfg)
		})
	}
}
