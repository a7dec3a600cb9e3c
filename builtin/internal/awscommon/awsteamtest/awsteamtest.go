// Package awsteamtest holds the team vectors both AWS backends' tests run
// against their wire fake (internal/awsfake, which the harness wraps, as
// builtin packages may not import it): newest Airflow's multi-team tests for
// SystemsManagerParameterStoreBackend and SecretsManagerBackend (PRs
// #65703, #70878, #71078), ported as a table. Only tests import it.
package awsteamtest

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// Harness is one AWS backend against its fake.
type Harness struct {
	// Open builds the backend through the registry, from a config file
	// that sets [core] multi_team as given, with backend_kwargs that reach
	// the fake plus kw, logging to logger (resolver.Env.Logger).
	Open func(t *testing.T, multiTeam bool, kw map[string]any, logger *slog.Logger) resolver.Backend
	// Name is the remote name of id for kind at the default prefixes.
	Name func(kind resolver.Kind, id string) string
	// Put stores value under a remote name; Remove forgets it.
	Put    func(name, value string)
	Remove func(name string)
	// Asked returns the remote names the backend's lookups read since the
	// last Reset, in order; Reset also clears the faults.
	Asked func() []string
	Reset func()
	// Fail makes the fake answer a read of name with the service's error
	// code (AccessDeniedException, ValidationException, ...).
	Fail func(name, code string)
}

// Values the vectors store. Not secrets: they show in failure output.
const (
	teamValue   = "postgres://team-scoped@h/db"
	globalValue = "postgres://team-agnostic@h/db"
)

// ConfigFile returns the parsed airflow.cfg that sets [core] multi_team.
func ConfigFile(t *testing.T, multiTeam bool) *config.File {
	t.Helper()
	text := "[core]\nmulti_team = False\n"
	if multiTeam {
		text = "[core]\nmulti_team = True\n"
	}
	cfg, err := config.Parse("airflow.cfg", []byte(text), nil)
	require.NoError(t, err)
	return cfg
}

// row is one vector: what is stored (by id, under a team or not), what
// is asked, and what comes back and is requested.
type row struct {
	name     string
	multiOff bool
	store    map[string]string // id -> value; "team/id" stores team's id
	id, team string
	want     string   // "" means not found
	asked    []string // ids asked, "team/id" for a team's name
}

// vectors are Airflow's team tests for both backends, for one team name.
func vectors(team string) []row {
	tid := team + "/dbconn"
	return []row{
		{name: "team secret read for its own team", store: map[string]string{tid: teamValue}, id: "dbconn", team: team, want: teamValue, asked: []string{tid}},
		{name: "team secret wins over the global one", store: map[string]string{tid: teamValue, "dbconn": globalValue}, id: "dbconn", team: team, want: teamValue, asked: []string{tid}},
		{name: "falls back to the global secret", store: map[string]string{"dbconn": globalValue}, id: "dbconn", team: team, want: globalValue, asked: []string{tid, "dbconn"}},
		{name: "neither: not found after both", id: "dbconn", team: team, asked: []string{tid, "dbconn"}},
		{name: "team secret not read without a team", store: map[string]string{tid: teamValue}, id: "dbconn", asked: []string{"dbconn"}},
		{name: "team secret not read by another team", store: map[string]string{tid: teamValue}, id: "dbconn", team: "other-team", asked: []string{"other-team/dbconn", "dbconn"}},
		{name: "id spelling the team namespace refused without a team", store: map[string]string{team + "--dbconn": teamValue}, id: team + "--dbconn"},
		{name: "id spelling the team namespace refused for its own team", store: map[string]string{team + "--dbconn": teamValue}, id: team + "--dbconn", team: team},
		{name: "id spelling the team namespace refused for another team", store: map[string]string{team + "--dbconn": teamValue}, id: team + "--dbconn", team: "other-team"},
		// test_team_scoped_lookup_cannot_reach_a_longer_teams_namespace:
		// team T asking for "prod--dbconn" would build team "T--prod"'s name.
		{name: "a longer team's namespace is unreachable", store: map[string]string{team + "--prod/dbconn": teamValue}, id: "prod--dbconn", team: team},
		{name: "the longer team reads its own", store: map[string]string{team + "--prod/dbconn": teamValue}, id: "dbconn", team: team + "--prod", want: teamValue, asked: []string{team + "--prod/dbconn"}},
		{name: "global read without a team", store: map[string]string{"dbconn": globalValue}, id: "dbconn", want: globalValue, asked: []string{"dbconn"}},
		// secretpath's rule (as the GCP and Azure backends'): team T's id
		// "-dbconn" and team "T-"'s id "dbconn" both build T---dbconn, so
		// a team's lookup of an id starting with '-' is refused.
		{name: "a team's id with a leading dash is refused", store: map[string]string{team + "/-dbconn": teamValue, "-dbconn": globalValue}, id: "-dbconn", team: team},
		{name: "the team with a trailing dash reads its own", store: map[string]string{team + "-/dbconn": teamValue}, id: "dbconn", team: team + "-", want: teamValue, asked: []string{team + "-/dbconn"}},
		{name: "an id with a leading dash is read without a team", store: map[string]string{"-dbconn": globalValue}, id: "-dbconn", want: globalValue, asked: []string{"-dbconn"}},
		// PR #71078: with multi_team off no team is read and no id refused.
		{name: "multi_team off/team ignored", multiOff: true, store: map[string]string{tid: teamValue, "dbconn": globalValue}, id: "dbconn", team: team, want: globalValue, asked: []string{"dbconn"}},
		{name: "multi_team off/team secret alone not found", multiOff: true, store: map[string]string{tid: teamValue}, id: "dbconn", team: team, asked: []string{"dbconn"}},
		{name: "multi_team off/id with -- is ordinary", multiOff: true, store: map[string]string{"aws--prod": globalValue}, id: "aws--prod", want: globalValue, asked: []string{"aws--prod"}},
		{name: "multi_team off/id with -- is ordinary with a team", multiOff: true, store: map[string]string{"aws--prod": globalValue}, id: "aws--prod", team: team, want: globalValue, asked: []string{"aws--prod"}},
		{name: "multi_team off/a leading dash is ordinary with a team", multiOff: true, store: map[string]string{"-dbconn": globalValue}, id: "-dbconn", team: team, want: globalValue, asked: []string{"-dbconn"}},
	}
}

// remote maps a vector's id ("id" or "team/id") to the remote name.
func (h Harness) remote(kind resolver.Kind, id string) string {
	if team, rest, ok := strings.Cut(id, "/"); ok {
		return h.Name(kind, team+"--"+rest)
	}
	return h.Name(kind, id)
}

// logBuffer is a log the backends' goroutines may write to.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// guardMsg is the warning a lookup refused by a team rule logs.
const guardMsg = "team namespace guard: id not looked up"

// Run runs the vectors for connections and variables with teams named as
// Airflow allows ("team-a", "team_a", "teama"), then the config and error
// rows. A row that asks for nothing with multi_team on is refused by a
// team rule, and must log a warning saying so; every other row must not.
func Run(t *testing.T, h Harness) {
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	on, off := h.Open(t, true, nil, logger), h.Open(t, false, nil, logger)
	for _, kind := range []resolver.Kind{resolver.KindConnection, resolver.KindVariable} {
		for _, team := range []string{"team-a", "team_a", "teama"} {
			for _, tt := range vectors(team) {
				t.Run(kind.String()+"/"+team+"/"+tt.name, func(t *testing.T) {
					h.Reset()
					logs.Reset()
					for id, v := range tt.store {
						h.Put(h.remote(kind, id), v)
					}
					t.Cleanup(func() {
						for id := range tt.store {
							h.Remove(h.remote(kind, id))
						}
					})
					b := on
					if tt.multiOff {
						b = off
					}
					got, err := b.Lookup(t.Context(), resolver.Request{Kind: kind, ID: tt.id, Team: tt.team})
					if tt.want == "" {
						assert.ErrorIs(t, err, resolver.ErrNotFound)
					} else {
						require.NoError(t, err)
						assert.Equal(t, tt.want, got)
					}
					var want []string
					for _, id := range tt.asked {
						want = append(want, h.remote(kind, id))
					}
					assert.Equal(t, want, h.Asked(), "names asked, in order")
					if len(tt.asked) == 0 {
						assert.Contains(t, logs.String(), guardMsg, "a refused lookup is logged")
						assert.Contains(t, logs.String(), "id="+tt.id)
					} else {
						assert.NotContains(t, logs.String(), guardMsg)
					}
				})
			}
		}
	}
	runConfigs(t, h, on, off)
	runErrors(t, h, on)
}

// runConfigs: configs have no team (Airflow's get_config takes none), but
// the "--" guard covers them (PR #70878) when multi_team is on.
func runConfigs(t *testing.T, h Harness, on, off resolver.Backend) {
	h.Put(h.Name(resolver.KindConfig, "a--b"), globalValue)
	h.Put(h.Name(resolver.KindConfig, "k"), globalValue)
	h.Put(h.Name(resolver.KindConfig, "team-a--k"), teamValue)
	h.Put(h.Name(resolver.KindConfig, "-k"), globalValue)
	for _, tt := range []struct {
		name     string
		b        resolver.Backend
		id, team string
		want     string
		asked    []string
	}{
		{name: "config with -- refused", b: on, id: "a--b"},
		{name: "config with -- read with multi_team off", b: off, id: "a--b", want: globalValue, asked: []string{"a--b"}},
		{name: "config read by its global name only, even with a team", b: on, id: "k", team: "team-a", want: globalValue, asked: []string{"k"}},
		{name: "config with a leading dash read with a team (configs have none)", b: on, id: "-k", team: "team-a", want: globalValue, asked: []string{"-k"}},
	} {
		t.Run("config/"+tt.name, func(t *testing.T) {
			h.Reset()
			got, err := tt.b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConfig, ID: tt.id, Team: tt.team})
			if tt.want == "" {
				assert.ErrorIs(t, err, resolver.ErrNotFound)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
			var want []string
			for _, id := range tt.asked {
				want = append(want, h.Name(resolver.KindConfig, id))
			}
			assert.Equal(t, want, h.Asked())
		})
	}
}

// runErrors: only "not found" on the team's name goes on to the global
// one; any other answer is the lookup's, as Airflow lets the exception
// out of _get_secret.
func runErrors(t *testing.T, h Harness, on resolver.Backend) {
	teamName := h.Name(resolver.KindVariable, "team-a--v")
	global := h.Name(resolver.KindVariable, "v")
	h.Put(global, globalValue)
	for _, tt := range []struct {
		name   string
		code   string
		denied bool
	}{
		{name: "access denied on the team's name", code: "AccessDeniedException", denied: true},
		{name: "validation error on the team's name", code: "ValidationException"},
	} {
		t.Run("errors/"+tt.name, func(t *testing.T) {
			h.Reset()
			t.Cleanup(h.Reset)
			h.Fail(teamName, tt.code)
			_, err := on.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team-a"})
			require.Error(t, err)
			assert.NotErrorIs(t, err, resolver.ErrNotFound)
			assert.Equal(t, tt.denied, errors.Is(err, resolver.ErrPermissionDenied))
			assert.Contains(t, err.Error(), teamName, "the error names what was read")
			assert.Equal(t, []string{teamName}, h.Asked(), "no global read after an error")
		})
	}
}
