package azurekeyvault

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
)

// versions maps each request to the secrets its lookup reads, named as
// the lookup names them, with one listing per distinct secret and none
// for a request the lookup answers without one.
func TestVersionsMapping(t *testing.T) {
	f := azurefake.New(t)
	azurefake.Isolate(t, f)
	f.SetSecret("airflow-connections-my-db", "a")
	f.SetSecret("airflow-connections-my-db", "b")
	f.SetSecret("airflow-variables-team-a--v", "t")
	f.SetSecret("airflow-variables-v", "g")

	tr := f.Client().Transport.(*http.Transport).Clone()
	co := azcore.ClientOptions{Transport: &http.Client{Transport: tr}, Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: f.URL},
		Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond}}
	cred, err := azidentity.NewClientSecretCredential(azurefake.Tenant, azurefake.ClientID, azurefake.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: true})
	require.NoError(t, err)
	b, err := New(Options{VaultURL: f.URL, Credential: cred, MultiTeam: true, Configs: location.Location{Off: true},
		Client: azsecrets.ClientOptions{ClientOptions: co, DisableChallengeResourceVerification: true}})
	require.NoError(t, err)

	conn := func(id, team string) resolver.Request {
		return resolver.Request{Kind: resolver.KindConnection, ID: id, Team: team}
	}
	variable := func(id, team string) resolver.Request {
		return resolver.Request{Kind: resolver.KindVariable, ID: id, Team: team}
	}
	tests := []struct {
		req  resolver.Request
		want string // "-": no entry; "2 …": a digest of 2 versions
	}{
		{conn("my_db", ""), "2 "},
		{conn("my.db", ""), "2 "}, // the same secret
		{conn("my_db", "team_b"), "team:|global:2 "},
		{variable("v", "team_a"), "team:1 "},
		{variable("v", ""), "1 "},
		{variable("absent", ""), ""},
		{variable("bad:id", ""), "-"},                                     // not a Key Vault name: no request
		{variable("x--y", ""), "-"},                                       // ambiguous with multi_team
		{resolver.Request{Kind: resolver.KindConfig, ID: "core__x"}, "-"}, // configs off
	}
	reqs := make([]resolver.Request, len(tests))
	for i, tt := range tests {
		reqs[i] = tt.req
	}
	got, err := b.versions(t.Context(), reqs)
	require.NoError(t, err)
	for _, tt := range tests {
		v, ok := got[tt.req]
		switch {
		case tt.want == "-":
			assert.False(t, ok, "%+v: no request, no entry", tt.req)
		case tt.want == "":
			assert.Empty(t, v, "%+v", tt.req)
		default:
			assert.True(t, strings.HasPrefix(v, tt.want), "%+v: %q", tt.req, v)
		}
	}
	assert.Equal(t, got[conn("my_db", "")], got[conn("my.db", "")])
	team := got[variable("v", "team_a")]
	assert.Contains(t, team, "|global:1 ", "the team's and the global secret")
	var names []string
	for _, r := range f.Requests() {
		if r.Kind == azurefake.KindListVersions && r.Authorized {
			names = append(names, r.Name)
		}
	}
	assert.ElementsMatch(t, []string{
		"airflow-connections-my-db", "airflow-connections-team-b--my-db",
		"airflow-variables-team-a--v", "airflow-variables-v", "airflow-variables-absent",
	}, names, "one listing per distinct secret")
	assert.Zero(t, f.Count(azurefake.KindGetSecret), "no value read")
}
