package awscommon

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

func TestNewKind(t *testing.T) {
	tests := []struct {
		name       string
		o          KindOptions
		def, sep   string
		wantOn     bool
		wantPrefix string
	}{
		{name: "default", def: "airflow/connections", sep: "/", wantOn: true, wantPrefix: "airflow/connections"},
		{name: "off", o: KindOptions{Off: true, Prefix: "x"}, def: "d", sep: "/"},
		{name: "no prefix", o: KindOptions{NoPrefix: true}, def: "d", sep: "/", wantOn: true},
		{name: "trailing sep", o: KindOptions{Prefix: "a/b//"}, def: "d", sep: "/", wantOn: true, wantPrefix: "a/b"},
		{name: "only seps", o: KindOptions{Prefix: "///"}, def: "d", sep: "/", wantOn: true},
		{name: "character set", o: KindOptions{Prefix: "a-_-_"}, def: "d", sep: "_-", wantOn: true, wantPrefix: "a"},
		{name: "default stripped too", def: "airflow/connections", sep: "s", wantOn: true, wantPrefix: "airflow/connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := NewKind(tt.o, tt.def, tt.sep, "p")
			require.NoError(t, err)
			assert.Equal(t, tt.wantOn, k.On)
			assert.Equal(t, tt.wantPrefix, k.Prefix)
		})
	}
}

func TestPattern(t *testing.T) {
	re, err := CompilePattern("prod_|dev_")
	require.NoError(t, err)
	for id, want := range map[string]bool{"prod_db": true, "PROD_db": true, "Dev_x": true, "my_prod_db": false, "prod": false} {
		assert.Equal(t, want, re.MatchString(id), id)
	}
	_, err = NewKind(KindOptions{LookupPattern: "(?<=x)"}, "d", "/", "connections_lookup_pattern")
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "connections_lookup_pattern")
}

func TestRoleSessionName(t *testing.T) {
	assert.Equal(t, "Airflow_SecretsManagerBackend__connection", RoleSessionName("SecretsManagerBackend"))
	assert.Equal(t, "Airflow_ab.c__connection", RoleSessionName("a b/.c"))
}

func TestRedactor(t *testing.T) {
	r := Redactor{Secrets: []string{"short", "a-long-session-token"}}
	got := r.Redact("short id AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A token a-long-session-token")
	assert.Equal(t, "short id *** and *** token ***", got, "secrets shorter than 8 bytes are left alone")
}

func TestWrapNonAPIError(t *testing.T) {
	err := Redactor{}.Wrap(`parameter "/x"`, errors.New("dial tcp: connection refused"), func(string) bool { return true })
	assert.NotErrorIs(t, err, resolver.ErrNotFound, "only an API error code can mean not found")
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Empty(t, e.Code)
	assert.Equal(t, `parameter "/x": dial tcp: connection refused`, err.Error())
}

func TestKindDescribe(t *testing.T) {
	on, err := NewKind(KindOptions{Prefix: "airflow/connections/", LookupPattern: "^db"}, "", "/", "connections_lookup_pattern")
	require.NoError(t, err)
	off, err := NewKind(KindOptions{Off: true}, "", "/", "variables_lookup_pattern")
	require.NoError(t, err)
	tests := []struct {
		k    Kind
		id   string
		want string
	}{
		{on, "db_main", `parameter "/airflow/connections/db_main"`},
		{on, "web", "no request (the id does not match the lookup pattern)"},
		{on, "", "no request (empty id)"},
		{off, "x", "no request (variables_prefix is null)"},
	}
	for _, tt := range tests {
		kwarg := "connections_prefix"
		if !tt.k.On {
			kwarg = "variables_prefix"
		}
		assert.Equal(t, tt.want, tt.k.Describe("parameter", "/"+tt.k.Prefix+"/"+tt.id, tt.id, kwarg), tt.id)
	}
}

// TestKinds: each kind of request finds its options and prefix kwarg; a
// kind the backends do not serve is not found, without a request.
func TestKinds(t *testing.T) {
	var ks Kinds
	for _, tt := range []struct {
		kind  resolver.Kind
		want  *Kind
		kwarg string
	}{
		{resolver.KindConnection, &ks.Connections, "connections_prefix"},
		{resolver.KindVariable, &ks.Variables, "variables_prefix"},
		{resolver.KindConfig, &ks.Configs, "config_prefix"},
		{0, nil, ""},
		{resolver.Kind(9), nil, ""},
	} {
		k, kwarg := ks.For(tt.kind)
		assert.Same(t, tt.want, k, tt.kind.String())
		assert.Equal(t, tt.kwarg, kwarg, tt.kind.String())
	}
	err := NotServed(resolver.Kind(9))
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Equal(t, "Kind(9) lookups are not served: not found", err.Error())

	on, err := NewKind(KindOptions{}, "airflow/variables", "/", "variables_lookup_pattern")
	require.NoError(t, err)
	ks = Kinds{Variables: on}
	name := func(k *Kind, id string) string { return k.Prefix + "/" + id }
	assert.Equal(t, `secret "airflow/variables/v"`, ks.Describe(resolver.Request{Kind: resolver.KindVariable, ID: "v"}, "secret", name))
	assert.Equal(t, `secret "airflow/variables/v"`, ks.Describe(resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team_a"}, "secret", name),
		"the team is ignored")
	assert.Equal(t, "no request (connections_prefix is null)", ks.Describe(resolver.Request{Kind: resolver.KindConnection, ID: "c"}, "secret", name))
	assert.Equal(t, "no request (Kind(9) lookups are not served)", ks.Describe(resolver.Request{Kind: 9, ID: "c"}, "secret", name))
}
