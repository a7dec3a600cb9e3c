package vault_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

const multiTeamOn = "[core]\nmulti_team = True\n"

// openConfig opens the backend through the registry with kw and the
// config file text cfg (and environ), logging to log when not nil, and
// closes it when t ends.
func openConfig(t *testing.T, kw map[string]any, cfg string, environ []string, log *logCapture) (*vault.Backend, error) {
	t.Helper()
	raw, err := json.Marshal(kw)
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	file, err := config.Parse("airflow.cfg", []byte(cfg), environ)
	require.NoError(t, err)
	env := resolver.Env{Kwargs: kwargs, Config: file}
	if log != nil {
		env.Logger = log.logger()
	}
	b, err := resolver.OpenBackend(t.Context(), vault.Name, env)
	if err != nil {
		return nil, err
	}
	vb, ok := b.(*vault.Backend)
	require.True(t, ok, "%T", b)
	t.Cleanup(func() { _ = vb.Close() })
	return vb, nil
}

func mustOpenConfig(t *testing.T, kw map[string]any, cfg string) *vault.Backend {
	t.Helper()
	b, err := openConfig(t, kw, cfg, nil, nil)
	require.NoError(t, err)
	return b
}

// teamLookup looks id of kind ("conn": Connection, its URI; "connvalue":
// Lookup; "var", "cfg") up for team.
func teamLookup(ctx context.Context, b *vault.Backend, kind, id, team string) (string, error) {
	switch kind {
	case "conn":
		c, err := b.Connection(ctx, resolver.Request{ID: id, Team: team})
		if err != nil {
			return "", err
		}
		return c.URI(), nil
	case "connvalue":
		return b.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: id, Team: team})
	case "var":
		return b.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: id, Team: team})
	case "cfg":
		return b.Lookup(ctx, resolver.Request{Kind: resolver.KindConfig, ID: id, Team: team})
	}
	panic(kind)
}

// TestTeamPaths: the paths a lookup for a team reads on the wire, in
// order, as newest Airflow's VaultBackend._get_secret builds them
// (PR #65493, then #70006): with [core] multi_team on and
// use_team_secrets_path true, <path>/<team>/<id> under each path and
// nothing else; global_secrets_path appended as a last path. The
// first rows are Airflow's test_get_connection_value_multi_team and
// test_get_variable_value_multi_team vectors (mount airflow, conn id
// test_postgres, variable hello, team foo); their global_secrets_path rows
// read what the newest code reads (the appended path "global", under which
// the team's segment goes), not PR #65493's connections/global/<id>.
func TestTeamPaths(t *testing.T) {
	type secret struct {
		mount, path string
		data        map[string]any
	}
	conn := func(host string) map[string]any {
		return map[string]any{"conn_uri": "postgres://u@" + host + ":5432/db"}
	}
	connURI := func(host string) string { return "postgres://u@" + host + ":5432/db" }
	val := func(v string) map[string]any { return map[string]any{"value": v} }
	airflow := map[string]any{"mount_point": "airflow"}
	with := func(extra map[string]any) map[string]any {
		kw := map[string]any{"mount_point": "airflow"}
		for k, v := range extra {
			kw[k] = v
		}
		return kw
	}
	tests := []struct {
		name      string
		cfg       string // the config file; "" means multiTeamOn
		kw        map[string]any
		kind, id  string
		team      string
		put       []secret
		wantReads []string
		want      string // "" with no wantMsg: found nothing, wantReads read
		wantMsg   string // in the not-found error
	}{
		// Airflow's vectors, connections.
		{name: "airflow/team_conn", kw: airflow, kind: "connvalue", id: "test_postgres", team: "foo",
			put:       []secret{{"airflow", "connections/foo/test_postgres", conn("team")}, {"airflow", "connections/test_postgres", conn("global")}},
			wantReads: []string{"airflow/data/connections/foo/test_postgres"}, want: connURI("team")},
		{name: "airflow/conn_no_team", kw: airflow, kind: "connvalue", id: "test_postgres",
			put:       []secret{{"airflow", "connections/foo/test_postgres", conn("team")}, {"airflow", "connections/test_postgres", conn("global")}},
			wantReads: []string{"airflow/data/connections/test_postgres"}, want: connURI("global")},
		{name: "airflow/team_conn_no_separation", kw: with(map[string]any{"use_team_secrets_path": false}), kind: "connvalue", id: "test_postgres", team: "foo",
			put:       []secret{{"airflow", "connections/foo/test_postgres", conn("team")}, {"airflow", "connections/test_postgres", conn("global")}},
			wantReads: []string{"airflow/data/connections/test_postgres"}, want: connURI("global")},
		{name: "airflow/fallback_global_conn", kw: with(map[string]any{"global_secrets_path": "global"}), kind: "connvalue", id: "test_postgres", team: "foo",
			put:       []secret{{"airflow", "global/foo/test_postgres", conn("shared")}},
			wantReads: []string{"airflow/data/connections/foo/test_postgres", "airflow/data/global/foo/test_postgres"}, want: connURI("shared")},
		{name: "airflow/global_conn_no_team", kw: with(map[string]any{"global_secrets_path": "global"}), kind: "connvalue", id: "test_postgres",
			put:       []secret{{"airflow", "connections/test_postgres", conn("global")}, {"airflow", "global/test_postgres", conn("shared")}},
			wantReads: []string{"airflow/data/connections/test_postgres"}, want: connURI("global")},
		// Airflow's vectors, variables.
		{name: "airflow/team_var", kw: airflow, kind: "var", id: "hello", team: "foo",
			put:       []secret{{"airflow", "variables/foo/hello", val("team world")}, {"airflow", "variables/hello", val("world")}},
			wantReads: []string{"airflow/data/variables/foo/hello"}, want: "team world"},
		{name: "airflow/no_team_var", kw: airflow, kind: "var", id: "hello",
			put:       []secret{{"airflow", "variables/foo/hello", val("team world")}, {"airflow", "variables/hello", val("world")}},
			wantReads: []string{"airflow/data/variables/hello"}, want: "world"},
		{name: "airflow/team_var_no_separation", kw: with(map[string]any{"use_team_secrets_path": false}), kind: "var", id: "hello", team: "foo",
			put:       []secret{{"airflow", "variables/foo/hello", val("team world")}, {"airflow", "variables/hello", val("world")}},
			wantReads: []string{"airflow/data/variables/hello"}, want: "world"},
		{name: "airflow/fallback_global_var", kw: with(map[string]any{"global_secrets_path": "global"}), kind: "var", id: "hello", team: "foo",
			put:       []secret{{"airflow", "global/foo/hello", val("shared world")}},
			wantReads: []string{"airflow/data/variables/foo/hello", "airflow/data/global/foo/hello"}, want: "shared world"},
		{name: "airflow/global_var_no_team", kw: with(map[string]any{"global_secrets_path": "global"}), kind: "var", id: "hello",
			put:       []secret{{"airflow", "variables/hello", val("world")}},
			wantReads: []string{"airflow/data/variables/hello"}, want: "world"},

		// No fallback to <path>/<id> for a team (newest Airflow).
		{name: "team miss does not read the global path", kind: "var", id: "hello", team: "team_a",
			put:       []secret{{"secret", "variables/hello", val("world")}},
			wantReads: []string{"secret/data/variables/team_a/hello"}, wantMsg: `secret "secret/data/variables/team_a/hello"`},
		{name: "hyphenated team", kind: "var", id: "hello", team: "team-b",
			put:       []secret{{"secret", "variables/team-b/hello", val("b world")}},
			wantReads: []string{"secret/data/variables/team-b/hello"}, want: "b world"},
		{name: "connection fields for a team", kind: "conn", id: "db", team: "team_a",
			put:       []secret{{"secret", "connections/team_a/db", map[string]any{"conn_type": "postgres", "host": "team-db", "login": "u"}}},
			wantReads: []string{"secret/data/connections/team_a/db"}, want: "postgres://u@team-db"},
		// multi_team off or false: the team is not read.
		{name: "multi_team off: team ignored", cfg: "[core]\n", kind: "var", id: "hello", team: "team_a",
			put:       []secret{{"secret", "variables/team_a/hello", val("team world")}, {"secret", "variables/hello", val("world")}},
			wantReads: []string{"secret/data/variables/hello"}, want: "world"},
		{name: "multi_team False: team ignored", cfg: "[core]\nmulti_team = False\n", kind: "connvalue", id: "db", team: "team_a",
			put:       []secret{{"secret", "connections/db", conn("global")}},
			wantReads: []string{"secret/data/connections/db"}, want: connURI("global")},
		{name: "multi_team from the environment", cfg: "[core]\nmulti_team = AIRFLOW__CORE__MULTI_TEAM\n", kind: "var", id: "hello", team: "team_a",
			put:       []secret{{"secret", "variables/team_a/hello", val("team world")}},
			wantReads: []string{"secret/data/variables/team_a/hello"}, want: "team world"},
		{name: "use_team_secrets_path null is false", kw: map[string]any{"use_team_secrets_path": nil}, kind: "var", id: "hello", team: "team_a",
			put:       []secret{{"secret", "variables/hello", val("world")}},
			wantReads: []string{"secret/data/variables/hello"}, want: "world"},
		{name: `use_team_secrets_path "false"`, kw: map[string]any{"use_team_secrets_path": "false"}, kind: "var", id: "hello", team: "team_a",
			put:       []secret{{"secret", "variables/hello", val("world")}},
			wantReads: []string{"secret/data/variables/hello"}, want: "world"},
		{name: "use_team_secrets_path true", kw: map[string]any{"use_team_secrets_path": true}, kind: "var", id: "hello", team: "team_a",
			put:       []secret{{"secret", "variables/team_a/hello", val("team world")}},
			wantReads: []string{"secret/data/variables/team_a/hello"}, want: "team world"},
		// Configs have no team.
		{name: "config ignores the team", kind: "cfg", id: "sql", team: "team_a",
			put:       []secret{{"secret", "config/team_a/sql", val("team cfg")}, {"secret", "config/sql", val("cfg")}},
			wantReads: []string{"secret/data/config/sql"}, want: "cfg"},
		// Path lists (PR #70006): the team's segment under each path.
		{name: "list: the team under each path", kw: map[string]any{"variables_path": []string{"variables/prod", "variables/common"}}, kind: "var", id: "hello", team: "foobar",
			put:       []secret{{"secret", "variables/common/foobar/hello", val("common")}, {"secret", "variables/common/hello", val("global common")}},
			wantReads: []string{"secret/data/variables/prod/foobar/hello", "secret/data/variables/common/foobar/hello"}, want: "common"},
		{name: "list: every team path misses", kw: map[string]any{"variables_path": []string{"a", "b"}}, kind: "var", id: "hello", team: "foobar",
			put:       []secret{{"secret", "a/hello", val("global a")}},
			wantReads: []string{"secret/data/a/foobar/hello", "secret/data/b/foobar/hello"},
			wantMsg:   `no secret at "secret/data/a/foobar/hello", "secret/data/b/foobar/hello"`},
		{name: "list with global_secrets_path last", kw: map[string]any{"variables_path": []string{"a", "b"}, "global_secrets_path": "shared/"}, kind: "var", id: "hello", team: "foobar",
			put:       []secret{{"secret", "shared/foobar/hello", val("shared")}},
			wantReads: []string{"secret/data/a/foobar/hello", "secret/data/b/foobar/hello", "secret/data/shared/foobar/hello"}, want: "shared"},
		// Where the team goes with other path shapes.
		{name: `path "": the team, then the id`, kw: map[string]any{"variables_path": ""}, kind: "var", id: "hello", team: "team_a",
			put:       []secret{{"secret", "team_a/hello", val("bare team")}},
			wantReads: []string{"secret/data/team_a/hello"}, want: "bare team"},
		{name: "nested id", kind: "var", id: "dir/hello", team: "team_a",
			put:       []secret{{"secret", "variables/team_a/dir/hello", val("nested")}},
			wantReads: []string{"secret/data/variables/team_a/dir/hello"}, want: "nested"},
		{name: "kv1", kw: map[string]any{"mount_point": "kv1", "kv_engine_version": 1}, kind: "var", id: "hello", team: "team_a",
			put:       []secret{{"kv1", "variables/team_a/hello", val("kv1 team")}},
			wantReads: []string{"kv1/variables/team_a/hello"}, want: "kv1 team"},
		{name: "mount from the id", kw: map[string]any{"mount_point": nil}, kind: "var", id: "airflow/hello", team: "team_a",
			put:       []secret{{"airflow", "variables/team_a/hello", val("id mount team")}},
			wantReads: []string{"airflow/data/variables/team_a/hello"}, want: "id mount team"},
		{name: "mount from the id, kv1", kw: map[string]any{"mount_point": nil, "kv_engine_version": 1}, kind: "var", id: "kv1/hello", team: "team_a",
			put:       []secret{{"kv1", "variables/team_a/hello", val("kv1 id mount team")}},
			wantReads: []string{"kv1/variables/team_a/hello"}, want: "kv1 id mount team"},
		// global_secrets_path without teams (always appended, as Airflow).
		{name: "global: read after the path, multi_team off", cfg: "[core]\n", kw: map[string]any{"global_secrets_path": "shared"}, kind: "var", id: "hello",
			put:       []secret{{"secret", "shared/hello", val("shared")}},
			wantReads: []string{"secret/data/variables/hello", "secret/data/shared/hello"}, want: "shared"},
		{name: "global: configs too", cfg: "[core]\n", kw: map[string]any{"global_secrets_path": "shared"}, kind: "cfg", id: "sql",
			put:       []secret{{"secret", "shared/sql", val("shared cfg")}},
			wantReads: []string{"secret/data/config/sql", "secret/data/shared/sql"}, want: "shared cfg"},
		{name: "global: a kind that is off reads it alone", cfg: "[core]\n", kw: map[string]any{"connections_path": nil, "global_secrets_path": "shared"}, kind: "connvalue", id: "db",
			put:       []secret{{"secret", "connections/db", conn("global")}, {"secret", "shared/db", conn("shared")}},
			wantReads: []string{"secret/data/shared/db"}, want: connURI("shared")},
		{name: `global "": the id alone`, cfg: "[core]\n", kw: map[string]any{"variables_path": "v", "global_secrets_path": ""}, kind: "var", id: "hello",
			put:       []secret{{"secret", "hello", val("bare")}},
			wantReads: []string{"secret/data/v/hello", "secret/data/hello"}, want: "bare"},
		{name: "global null: not appended", cfg: "[core]\n", kw: map[string]any{"global_secrets_path": nil}, kind: "var", id: "hello",
			put:       []secret{{"secret", "hello", val("bare")}},
			wantReads: []string{"secret/data/variables/hello"}, wantMsg: `secret "secret/data/variables/hello"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.Mount("airflow", 2)
			for _, s := range tt.put {
				f.Put(s.mount, s.path, s.data)
			}
			cfg := tt.cfg
			if cfg == "" {
				cfg = multiTeamOn
			}
			var environ []string
			if tt.name == "multi_team from the environment" {
				cfg, environ = "[core]\n", []string{"AIRFLOW__CORE__MULTI_TEAM=true"}
			}
			b, err := openConfig(t, f.kwargs(tt.kw), cfg, environ, nil)
			require.NoError(t, err)
			got, err := teamLookup(t.Context(), b, tt.kind, tt.id, tt.team)
			if tt.want == "" {
				require.ErrorIs(t, err, resolver.ErrNotFound)
				if tt.wantMsg != "" {
					assert.Contains(t, err.Error(), tt.wantMsg)
				}
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
			assert.Equal(t, tt.wantReads, f.reads())
		})
	}
}

// TestTeamNotASegment: a team that cannot be one path segment is not
// found without a request (it would read another place, or be cleaned
// out of the path), and Describe says so.
func TestTeamNotASegment(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	f.Put("secret", "variables/a/b/hello", map[string]any{"value": "nested"})
	b := mustOpenConfig(t, f.kwargs(nil), multiTeamOn)
	for _, team := range []string{"a/b", "..", ".", "a/", "/a"} {
		req := resolver.Request{Kind: resolver.KindVariable, ID: "hello", Team: team}
		_, err := b.Lookup(t.Context(), req)
		require.ErrorIs(t, err, resolver.ErrNotFound, "team %q", team)
		assert.Contains(t, err.Error(), "cannot be a path segment", "team %q", team)
		_, err = b.Connection(t.Context(), resolver.Request{ID: "hello", Team: team})
		assert.ErrorIs(t, err, resolver.ErrNotFound, "team %q", team)
		assert.Contains(t, b.Describe(req), "cannot be a path segment", "team %q", team)
	}
	assert.Empty(t, f.Requests(), "no request at all (not even authentication)")

	// multi_team off: the team is not read, so it is no path segment.
	off := mustOpenConfig(t, f.kwargs(nil), "[core]\n")
	got, err := off.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "hello", Team: "a/b"})
	require.NoError(t, err)
	assert.Equal(t, "world", got)
}

// TestTeamDescribe: Describe names every path a lookup for a team reads,
// in order, without a request.
func TestTeamDescribe(t *testing.T) {
	f := newFake(t)
	team := func(kind resolver.Kind, id string) resolver.Request {
		return resolver.Request{Kind: kind, ID: id, Team: "team_a"}
	}
	tests := []struct {
		name string
		cfg  string
		kw   map[string]any
		req  resolver.Request
		want string
	}{
		{name: "connection", req: team(resolver.KindConnection, "smtp"), want: "GET /v1/secret/data/connections/team_a/smtp"},
		{name: "variable", req: team(resolver.KindVariable, "hello"), want: "GET /v1/secret/data/variables/team_a/hello"},
		{name: "no team", req: varReq("hello"), want: "GET /v1/secret/data/variables/hello"},
		{name: "config: no team", req: team(resolver.KindConfig, "sql"), want: "GET /v1/secret/data/config/sql"},
		{name: "list and global", kw: map[string]any{"connections_path": []string{"a", "b"}, "global_secrets_path": "shared"}, req: team(resolver.KindConnection, "smtp"),
			want: "GET /v1/secret/data/a/team_a/smtp, then GET /v1/secret/data/b/team_a/smtp, then GET /v1/secret/data/shared/team_a/smtp"},
		{name: "global without a team", kw: map[string]any{"global_secrets_path": "shared"}, req: varReq("hello"),
			want: "GET /v1/secret/data/variables/hello, then GET /v1/secret/data/shared/hello"},
		{name: "mount from the id", kw: map[string]any{"mount_point": nil}, req: team(resolver.KindVariable, "airflow/hello"), want: "GET /v1/airflow/data/variables/team_a/hello"},
		{name: "use_team_secrets_path false", kw: map[string]any{"use_team_secrets_path": false}, req: team(resolver.KindVariable, "hello"),
			want: "GET /v1/secret/data/variables/hello (use_team_secrets_path is false: no team path)"},
		{name: "multi_team off", cfg: "[core]\n", req: team(resolver.KindVariable, "hello"), want: "GET /v1/secret/data/variables/hello"},
		{name: "kind off", kw: map[string]any{"variables_path": nil}, req: team(resolver.KindVariable, "hello"), want: "no request (this kind's path is null)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg == "" {
				cfg = multiTeamOn
			}
			b := mustOpenConfig(t, f.kwargs(tt.kw), cfg)
			assert.Equal(t, tt.want, b.Describe(tt.req))
		})
	}
	assert.Empty(t, f.Requests(), "Describe makes no request")
}

// TestTeamKwargErrors: use_team_secrets_path and global_secrets_path of the
// wrong type, a global path with a dot segment and a [core] multi_team
// that is no boolean are configuration errors naming the key (never the
// value), before any request; a misspelt key is unknown, with a
// suggestion.
func TestTeamKwargErrors(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name    string
		kw      map[string]any
		cfg     string
		want    string
		wantNot string
	}{
		{name: "use_team_secrets_path a number", kw: map[string]any{"use_team_secrets_path": 2}, want: `"use_team_secrets_path" must be a boolean`},
		{name: "use_team_secrets_path a word", kw: map[string]any{"use_team_secrets_path": "perhaps-x9"}, want: `"use_team_secrets_path" must be a boolean`, wantNot: "perhaps-x9"},
		{name: "global_secrets_path a list", kw: map[string]any{"global_secrets_path": []string{"a"}}, want: `"global_secrets_path" must be a string`},
		{name: "global_secrets_path a number", kw: map[string]any{"global_secrets_path": 3}, want: `"global_secrets_path" must be a string`},
		{name: "global_secrets_path dot-dot", kw: map[string]any{"global_secrets_path": "a/../b"}, want: `global_secrets_path has a "." or ".." path segment`},
		{name: "misspelt use_team_secrets_path", kw: map[string]any{"use_team_secret_path": true}, want: "use_team_secret_path"},
		{name: "multi_team not a boolean", kw: map[string]any{}, cfg: "[core]\nmulti_team = sometimes-x9\n", want: "airflow.cfg:2: [core] multi_team: must be a boolean", wantNot: "sometimes-x9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg == "" {
				cfg = multiTeamOn
			}
			_, err := openConfig(t, f.kwargs(tt.kw), cfg, nil, nil)
			require.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
			if tt.wantNot != "" {
				assert.NotContains(t, err.Error(), tt.wantNot)
			}
		})
	}
	assert.Empty(t, f.Requests())
}

// TestGlobalSecretsPathDeprecated: global_secrets_path is accepted with a
// warning (Airflow's AirflowProviderDeprecationWarning), once, at
// construction; without it nothing is logged.
func TestGlobalSecretsPathDeprecated(t *testing.T) {
	f := newFake(t)
	const msg = "vault: backend_kwargs key global_secrets_path is deprecated"
	log := &logCapture{}
	_, err := openConfig(t, f.kwargs(map[string]any{"global_secrets_path": "shared"}), multiTeamOn, nil, log)
	require.NoError(t, err)
	text := log.String()
	assert.Contains(t, text, "level=WARN")
	assert.Contains(t, text, msg)
	assert.Contains(t, text, "backend=vault")
	assert.NotContains(t, text, f.root)

	quiet := &logCapture{}
	for _, kw := range []map[string]any{nil, {"global_secrets_path": nil}, {"use_team_secrets_path": false}} {
		_, err := openConfig(t, f.kwargs(kw), multiTeamOn, nil, quiet)
		require.NoError(t, err)
	}
	assert.NotContains(t, quiet.String(), "global_secrets_path")
	assert.Empty(t, f.Requests())
}

// TestTeamOptions: the Go form (Options.MultiTeam, NoTeamPaths) reads what
// the kwargs do.
func TestTeamOptions(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "a/team_a/hello", map[string]any{"value": "team a"})
	f.Put("secret", "b/hello", map[string]any{"value": "global b"})
	newB := func(o vault.Options) *vault.Backend {
		cfg := api.DefaultConfig()
		cfg.Address = f.URL
		o.Config = cfg
		o.Auth = vault.Auth{Type: vault.AuthToken, Token: f.root}
		o.VariablesPaths = []location.Location{{Prefix: "a"}, {Prefix: "b"}}
		b, err := vault.New(o)
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
	req := resolver.Request{Kind: resolver.KindVariable, ID: "hello", Team: "team_a"}

	got, err := newB(vault.Options{MultiTeam: true}).Lookup(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "team a", got)
	assert.Equal(t, []string{"secret/data/a/team_a/hello"}, f.reads())

	f.ResetRequests()
	got, err = newB(vault.Options{MultiTeam: true, NoTeamPaths: true}).Lookup(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "global b", got)
	assert.Equal(t, []string{"secret/data/a/hello", "secret/data/b/hello"}, f.reads())

	f.ResetRequests()
	got, err = newB(vault.Options{}).Lookup(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "global b", got, "MultiTeam false: the team is not read")
	assert.Equal(t, []string{"secret/data/a/hello", "secret/data/b/hello"}, f.reads())
}

// TestTeamThroughResolver: a resolver opened from a config file with
// [core] multi_team on and the Vault backend answers a team's lookup from
// the team's path, caches it per team, and another team's lookup reads its
// own path.
func TestTeamThroughResolver(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/team_a/k", map[string]any{"value": "a value"})
	f.Put("secret", "variables/team-b/k", map[string]any{"value": "b value"})
	f.Put("secret", "variables/k", map[string]any{"value": "global value"})
	f.Put("secret", "variables/warm-up", map[string]any{"value": "w"})
	kw, err := json.Marshal(f.kwargs(fastPoll))
	require.NoError(t, err)
	cfg, err := config.Parse("airflow.cfg", []byte("[core]\nmulti_team = True\n[secrets]\nbackend = airflow.providers.hashicorp.secrets.vault.VaultBackend\nbackend_kwargs = "+string(kw)+"\n"), nil)
	require.NoError(t, err)
	r, err := resolver.Open(t.Context(), cfg, resolver.WithCache(time.Hour, 0))
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	// The backend is a change source: its stream, started by the first
	// lookup, drops the cache once established (Event{All: true}, after
	// its first poll). Two polls of a watched id's metadata say it is.
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "warm-up"})
	t.Cleanup(func() { _ = w.Close() })
	waitCount(t, f, "secret/metadata/variables/warm-up", 2)
	f.ResetRequests()
	for _, tc := range []struct{ team, want string }{{"team_a", "a value"}, {"team-b", "b value"}, {"", "global value"}, {"team_a", "a value"}} {
		got, err := r.LookupValue(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k", Team: tc.team})
		require.NoError(t, err, "team %q", tc.team)
		assert.Equal(t, tc.want, got.Reveal(), "team %q", tc.team)
	}
	var reads []string
	for _, p := range f.reads() {
		if strings.HasPrefix(p, "secret/data/") && p != "secret/data/variables/warm-up" {
			reads = append(reads, p)
		}
	}
	assert.Equal(t, []string{"secret/data/variables/team_a/k", "secret/data/variables/team-b/k", "secret/data/variables/k"}, reads,
		"the second team_a lookup is served from the cache")
}

// TestHvacAdapterOptionsIgnored: the hvac adapter options Airflow forwards
// (strict_http, request_header, ignore_exceptions) are accepted with a
// warning naming each, not refused as unknown keys.
func TestHvacAdapterOptionsIgnored(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/k", map[string]any{"value": "v"})
	for _, key := range []string{"strict_http", "request_header", "ignore_exceptions"} {
		t.Run(key, func(t *testing.T) {
			log := &logCapture{}
			b, err := openConfig(t, f.kwargs(map[string]any{key: true}), "", nil, log)
			require.NoError(t, err)
			assert.Contains(t, log.String(), "level=WARN")
			assert.Contains(t, log.String(), "backend_kwargs key "+key+" (an hvac adapter option) is accepted and ignored")
			got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
			require.NoError(t, err)
			assert.Equal(t, "v", got)
		})
	}
}

// TestTeamGuard: with [core] multi_team on and use_team_secrets_path true,
// an id holding "/" (after the mount's segment with mount_point null) is
// refused for a lookup without a team and for every config lookup: not
// found, no request, a warning naming the id and why, and Describe says
// "no request (...)". In Vault a team's secrets are <path>/<team>/<id>, so
// without the guard such an id reads another team's folder: a config
// lookup (configs have no team) of team_b/api_key read config/team_b/..
// then, through global_secrets_path, shared/team_b/api_key (team B's
// variable); with config_path == variables_path a team A config lookup
// read team B's variable; a lookup without a team of team_b/x read team
// B's variable. A team's lookup of x/y stays in its own folder and is
// kept, as are these ids with multi_team off or use_team_secrets_path
// false (no team folders then). A secretpath addition: Airflow reads them.
func TestTeamGuard(t *testing.T) {
	const teamB = "team b value"
	val := map[string]any{"value": teamB}
	conn := map[string]any{"conn_uri": "postgres://u@team-b-db:5432/db"}
	req := func(kind resolver.Kind, id, team string) resolver.Request {
		return resolver.Request{Kind: kind, ID: id, Team: team}
	}
	tests := []struct {
		name      string
		cfg       string // "" means multiTeamOn
		kw        map[string]any
		req       resolver.Request
		put       [][2]string // mount, path holding val (conn for a connection)
		wantReads []string    // nil: refused, no request
		why       string      // refused: in the error, the warning and Describe
	}{
		// Refused.
		{name: "config for a team, global_secrets_path", kw: map[string]any{"global_secrets_path": "shared"},
			req: req(resolver.KindConfig, "team_b/api_key", "team_a"),
			put: [][2]string{{"secret", "config/team_b/api_key"}, {"secret", "shared/team_b/api_key"}}, why: "a config has no team"},
		{name: "config without a team, global_secrets_path", kw: map[string]any{"global_secrets_path": "shared"},
			req: req(resolver.KindConfig, "team_b/api_key", ""),
			put: [][2]string{{"secret", "shared/team_b/api_key"}}, why: "a config has no team"},
		{name: "config_path is variables_path", kw: map[string]any{"config_path": "variables"},
			req: req(resolver.KindConfig, "team_b/x", "team_a"),
			put: [][2]string{{"secret", "variables/team_b/x"}}, why: "a config has no team"},
		{name: "variable without a team", req: req(resolver.KindVariable, "team_b/api_key2", ""),
			put: [][2]string{{"secret", "variables/team_b/api_key2"}}, why: "a lookup without a team"},
		{name: "connection without a team", req: req(resolver.KindConnection, "team_b/db", ""),
			put: [][2]string{{"secret", "connections/team_b/db"}}, why: "a lookup without a team"},
		{name: "connection of kind zero without a team", req: req(0, "team_b/db", ""),
			put: [][2]string{{"secret", "connections/team_b/db"}}, why: "a lookup without a team"},
		{name: `path "" without a team`, kw: map[string]any{"variables_path": ""}, req: req(resolver.KindVariable, "team_b/x", ""),
			put: [][2]string{{"secret", "team_b/x"}}, why: "a lookup without a team"},
		{name: "path list without a team", kw: map[string]any{"variables_path": []string{"a", "b"}}, req: req(resolver.KindVariable, "team_b/x", ""),
			put: [][2]string{{"secret", "b/team_b/x"}}, why: "a lookup without a team"},
		{name: "mount from the id without a team", kw: map[string]any{"mount_point": nil}, req: req(resolver.KindVariable, "airflow/team_b/x", ""),
			put: [][2]string{{"airflow", "variables/team_b/x"}}, why: "a lookup without a team"},
		{name: "mount from the id, config", kw: map[string]any{"mount_point": nil, "config_path": "variables"}, req: req(resolver.KindConfig, "airflow/team_b/x", "team_a"),
			put: [][2]string{{"airflow", "variables/team_b/x"}}, why: "a config has no team"},

		// Kept.
		{name: "team lookup of a nested id stays in the team's folder", req: req(resolver.KindVariable, "x/y", "team_a"),
			put: [][2]string{{"secret", "variables/team_a/x/y"}}, wantReads: []string{"secret/data/variables/team_a/x/y"}},
		{name: "team connection of a nested id", req: req(resolver.KindConnection, "x/db", "team_a"),
			put: [][2]string{{"secret", "connections/team_a/x/db"}}, wantReads: []string{"secret/data/connections/team_a/x/db"}},
		{name: "config without a slash", kw: map[string]any{"global_secrets_path": "shared"}, req: req(resolver.KindConfig, "api_key", "team_a"),
			put: [][2]string{{"secret", "shared/api_key"}}, wantReads: []string{"secret/data/config/api_key", "secret/data/shared/api_key"}},
		{name: "mount from the id: the mount's slash", kw: map[string]any{"mount_point": nil}, req: req(resolver.KindVariable, "airflow/x", ""),
			put: [][2]string{{"airflow", "variables/x"}}, wantReads: []string{"airflow/data/variables/x"}},
		{name: "multi_team off", cfg: "[core]\n", req: req(resolver.KindVariable, "team_b/x", ""),
			put: [][2]string{{"secret", "variables/team_b/x"}}, wantReads: []string{"secret/data/variables/team_b/x"}},
		{name: "multi_team off, config", cfg: "[core]\n", req: req(resolver.KindConfig, "team_b/x", "team_a"),
			put: [][2]string{{"secret", "config/team_b/x"}}, wantReads: []string{"secret/data/config/team_b/x"}},
		{name: "use_team_secrets_path false", kw: map[string]any{"use_team_secrets_path": false}, req: req(resolver.KindVariable, "team_b/x", ""),
			put: [][2]string{{"secret", "variables/team_b/x"}}, wantReads: []string{"secret/data/variables/team_b/x"}},
		{name: "use_team_secrets_path false, config", kw: map[string]any{"use_team_secrets_path": false}, req: req(resolver.KindConfig, "team_b/x", "team_a"),
			put: [][2]string{{"secret", "config/team_b/x"}}, wantReads: []string{"secret/data/config/team_b/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.Mount("airflow", 2)
			for _, p := range tt.put {
				if tt.req.Kind == resolver.KindVariable || tt.req.Kind == resolver.KindConfig {
					f.Put(p[0], p[1], val)
				} else {
					f.Put(p[0], p[1], conn)
				}
			}
			cfg := tt.cfg
			if cfg == "" {
				cfg = multiTeamOn
			}
			log := &logCapture{}
			b, err := openConfig(t, f.kwargs(tt.kw), cfg, nil, log)
			require.NoError(t, err)
			dreq := tt.req
			if dreq.Kind == 0 {
				dreq.Kind = resolver.KindConnection // Describe takes the kind the resolver gives
			}
			desc := b.Describe(dreq)
			var got string
			if tt.req.Kind == 0 {
				c, cerr := b.Connection(t.Context(), tt.req)
				got, err = c.URI(), cerr
			} else {
				got, err = b.Lookup(t.Context(), tt.req)
			}
			const msg = "vault: team guard: id not looked up"
			if tt.wantReads != nil {
				require.NoError(t, err)
				assert.NotEmpty(t, got)
				assert.Equal(t, tt.wantReads, f.reads())
				assert.NotContains(t, desc, "no request")
				assert.Empty(t, log.line(msg))
				return
			}
			require.ErrorIs(t, err, resolver.ErrNotFound)
			assert.Contains(t, err.Error(), strconv.Quote(tt.req.ID))
			assert.Contains(t, err.Error(), tt.why)
			assert.Empty(t, f.Requests(), "no request at all (not even authentication)")
			assert.True(t, strings.HasPrefix(desc, "no request ("), "Describe: %s", desc)
			assert.Contains(t, desc, tt.why)
			line := log.line(msg)
			require.NotEmpty(t, line, "a warning is logged")
			assert.Contains(t, line, "level=WARN")
			assert.Contains(t, line, "id="+tt.req.ID)
			assert.Contains(t, line, "why=")
			assert.Contains(t, line, tt.why)
			assert.NotContains(t, log.String(), teamB)
			assert.NotContains(t, log.String(), f.root)
		})
	}
}
