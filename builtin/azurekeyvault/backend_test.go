package azurekeyvault_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
)

// TestChallengeFlow: the first request goes out without Authorization and
// gets Key Vault's 401 challenge; the credential then gets a token for the
// challenge's resource and tenant, and the request is sent again with it.
// Later lookups reuse the token.
func TestChallengeFlow(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-variables-hello", "world")
	b := mustOpen(t, fakeKwargs(t, f, nil))

	for range 3 {
		v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "hello"})
		require.NoError(t, err)
		assert.Equal(t, "world", v)
	}
	reqs := f.Requests()
	var kinds []string
	for _, r := range reqs {
		kinds = append(kinds, r.Kind)
	}
	assert.Equal(t, []string{
		azurefake.KindGetSecret, // no Authorization: 401 challenge
		azurefake.KindOpenID, azurefake.KindToken,
		azurefake.KindGetSecret, azurefake.KindGetSecret, azurefake.KindGetSecret,
	}, kinds)
	assert.False(t, reqs[0].Authorized, "the first request elicits the challenge")
	assert.Equal(t, azurefake.Tenant, reqs[1].Tenant, "the token is asked of the challenge's tenant")
	assert.Contains(t, strings.Fields(reqs[2].Scope), azurefake.Resource+"/.default")
	assert.Equal(t, azurefake.ClientID, reqs[2].Name)
	for _, r := range reqs[3:] {
		assert.True(t, r.Authorized)
		assert.NotEmpty(t, r.APIVersion, "api-version is sent")
		assert.Equal(t, "/secrets/airflow-variables-hello/", r.Path, "the latest version")
	}
	assert.Equal(t, 1, f.TokensIssued(), "the token is reused")
}

// TestAPIVersion: api_version chooses the REST API version.
func TestAPIVersion(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-variables-v", "x")
	b := mustOpen(t, fakeKwargs(t, f, map[string]any{"api_version": "7.4"}))
	_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	require.NoError(t, err)
	for _, r := range f.Requests() {
		if r.Kind == azurefake.KindGetSecret {
			assert.Equal(t, "7.4", r.APIVersion)
		}
	}
}

// TestChallengeResourceVerification: by default the SDK refuses a
// challenge whose resource's domain is not the vault's (a 127.0.0.1 vault
// here); the error says which kwarg turns the check off, and no token is
// requested.
func TestChallengeResourceVerification(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-variables-v", "x")
	b := mustOpen(t, fakeKwargs(t, f, map[string]any{"verify_challenge_resource": absent}))
	_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	require.Error(t, err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), `challenge resource "https://vault.azure.net" doesn't match the requested domain`)
	assert.Contains(t, err.Error(), `"verify_challenge_resource": false`)
	assert.Zero(t, f.TokensIssued())
	assert.Equal(t, 1, f.Count(azurefake.KindGetSecret))
}

// TestServiceErrors: how each answer of the vault comes out of a lookup.
// Only 404 is "not found"; 403 is permission denied; 429 and 5xx are
// unavailable; nothing quotes a secret's value or the client secret.
func TestServiceErrors(t *testing.T) {
	const marker = "VALUE-MARKER-s3cr3t"
	tests := []struct {
		name         string
		fault        *azurefake.Fault
		secret       *azurefake.Secret
		wantNotFound bool
		wantDenied   bool
		wantStatus   int        // the *azcore.ResponseError's, 0: none
		wantClass    codes.Code // resolver.Code: 404 and 403 first, then the Azure table
		want         []string
	}{
		{name: "404 SecretNotFound", wantClass: codes.NotFound, wantNotFound: true, wantStatus: 404,
			want: []string{`secret "airflow-variables-k"`, "HTTP 404 Not Found (SecretNotFound): A secret with (name/id) airflow-variables-k was not found"}},
		{name: "404 of another code is not found too", wantClass: codes.NotFound, fault: &azurefake.Fault{Status: 404, Code: "NotFound", Message: "gone"}, wantNotFound: true, wantStatus: 404,
			want: []string{"HTTP 404 Not Found (NotFound): gone"}},
		{name: "403 access policy", wantClass: codes.PermissionDenied, fault: &azurefake.Fault{Status: 403, Code: "Forbidden", Inner: "AccessDenied",
			Message: "The user, group or application 'appid=" + azurefake.ClientID + "' does not have secrets get permission on key vault 'kv'."},
			wantDenied: true, wantStatus: 403, want: []string{"HTTP 403 Forbidden (Forbidden/AccessDenied): The user, group or application", "secrets get permission"}},
		{name: "403 RBAC", wantClass: codes.PermissionDenied, fault: &azurefake.Fault{Status: 403, Code: "Forbidden", Inner: "ForbiddenByRbac", Message: "Caller is not authorized to perform action on resource."},
			wantDenied: true, wantStatus: 403, want: []string{"(Forbidden/ForbiddenByRbac)"}},
		{name: "403 firewall", wantClass: codes.PermissionDenied, fault: &azurefake.Fault{Status: 403, Code: "Forbidden", Inner: "ForbiddenByFirewall", Message: "Client address is not authorized and caller is not a trusted service."},
			wantDenied: true, wantStatus: 403, want: []string{"ForbiddenByFirewall"}},
		{name: "disabled secret", wantClass: codes.PermissionDenied, secret: &azurefake.Secret{Value: marker, Disabled: true}, wantDenied: true, wantStatus: 403,
			want: []string{"(Forbidden/SecretDisabled): Operation get is not allowed on a disabled secret."}},
		{name: "429 throttled every time", wantClass: codes.Unavailable, fault: &azurefake.Fault{Status: 429, Code: "Throttled", Message: "Request was not processed because too many requests were received."},
			wantStatus: 429, want: []string{"HTTP 429 Too Many Requests (Throttled)"}},
		{name: "401 after a token", wantClass: codes.Internal, fault: &azurefake.Fault{Status: 401, Code: "Unauthorized", Message: "AKV10032: Invalid issuer."},
			wantStatus: 401, want: []string{"HTTP 401 Unauthorized (Unauthorized): AKV10032"}},
		{name: "500", wantClass: codes.Unavailable, fault: &azurefake.Fault{Status: 500, Code: "InternalServerError", Message: "oops"}, wantStatus: 500, want: []string{"HTTP 500"}},
		{name: "400 bad parameter", wantClass: codes.Internal, fault: &azurefake.Fault{Status: 400, Code: "BadParameter", Message: "The request URI contains an invalid name: x"}, wantStatus: 400,
			want: []string{"HTTP 400 Bad Request (BadParameter)"}},
		{name: "error body not JSON", wantClass: codes.Unavailable, fault: &azurefake.Fault{Status: 502, Body: "<html>bad gateway\n\t" + marker + "</html>"}, wantStatus: 502,
			want: []string{"HTTP 502 Bad Gateway"}},
		{name: "error message on many lines", wantClass: codes.Internal, fault: &azurefake.Fault{Status: 409, Code: "Conflict", Message: "line one\nline two\r\n\tthree"}, wantStatus: 409,
			want: []string{"(Conflict): line one line two three"}},
		{name: "200 not JSON", wantClass: codes.Internal, fault: &azurefake.Fault{Body: `{"value": "` + marker + `", oops`},
			want: []string{"could not be decoded", "details withheld"}},
		{name: "200 value of the wrong type", wantClass: codes.Internal, fault: &azurefake.Fault{Body: `{"value": ["` + marker + `"]}`},
			want: []string{"could not be decoded"}},
		{name: "200 without a value", wantClass: codes.Internal, fault: &azurefake.Fault{Body: `{"id": "https://x.vault.azure.net/secrets/k/1", "attributes": {"enabled": true}}`},
			want: []string{"the response carries no value"}},
		{name: "200 null value", wantClass: codes.Internal, fault: &azurefake.Fault{Body: `{"value": null}`}, want: []string{"the response carries no value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			b := newGo(t, f, azurekeyvault.Options{})
			switch {
			case tt.secret != nil:
				f.Put("airflow-variables-k", *tt.secret)
			case tt.fault != nil:
				f.SetSecret("airflow-variables-k", marker) // the fault answers instead
				f.AddFault(*tt.fault)
			}
			_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
			require.Error(t, err)
			assert.Equal(t, tt.wantNotFound, errors.Is(err, resolver.ErrNotFound), "not found: %v", err)
			assert.Equal(t, tt.wantDenied, errors.Is(err, resolver.ErrPermissionDenied), "permission denied: %v", err)
			assert.Equal(t, tt.wantClass, resolver.Code(err))
			var re *azcore.ResponseError
			if tt.wantStatus != 0 {
				require.ErrorAs(t, err, &re, "the SDK's error is kept")
				assert.Equal(t, tt.wantStatus, re.StatusCode)
			}
			msg := err.Error()
			for _, w := range tt.want {
				assert.Contains(t, msg, w)
			}
			assert.NotContains(t, msg, "\n", "one line")
			assert.NotContains(t, msg, marker)
			assert.NotContains(t, fmt.Sprintf("%v %+v %s", err, err, err), marker)
			assert.NotContains(t, msg, azurefake.ClientSecret)
		})
	}
}

// TestRetries: the SDK retries throttling and 5xx, honouring Retry-After;
// a lookup then succeeds.
func TestRetries(t *testing.T) {
	tests := []struct {
		name  string
		fault azurefake.Fault
	}{
		{name: "429 with Retry-After", fault: azurefake.Fault{Status: http.StatusTooManyRequests, Code: "Throttled", Message: "slow down",
			Header: map[string]string{"Retry-After": "1"}, Times: 1}},
		{name: "503 twice", fault: azurefake.Fault{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "busy", Times: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			b := newGo(t, f, azurekeyvault.Options{})
			f.AddFault(tt.fault)
			v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
			require.NoError(t, err)
			assert.Equal(t, "v", v)
			authorized := 0
			for _, r := range f.Requests() {
				if r.Kind == azurefake.KindGetSecret && r.Authorized {
					authorized++
				}
			}
			assert.Equal(t, tt.fault.Times+1, authorized)
		})
	}
}

// TestFailClosed: a 403 stops the search when the resolver fails closed;
// otherwise it is reported as the tier's failure in the final not-found
// error.
func TestFailClosed(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, azurekeyvault.Options{})
	f.AddFault(azurefake.Fault{Status: 403, Code: "Forbidden", Inner: "AccessDenied", Message: "no get permission"})

	_, err := resolver.New(resolver.WithBackend(azurekeyvault.Name, b), resolver.WithFailClosed()).Variable(t.Context(), "k")
	require.ErrorIs(t, err, resolver.ErrPermissionDenied)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)

	_, err = resolver.New(resolver.WithBackend(azurekeyvault.Name, b)).Variable(t.Context(), "k")
	var nf *resolver.NotFoundError
	require.ErrorAs(t, err, &nf)
	require.Len(t, nf.Errs, 1)
	assert.Equal(t, azurekeyvault.Name, nf.Errs[0].Tier)
	assert.ErrorIs(t, nf.Errs[0], resolver.ErrPermissionDenied)
}

// TestRefused: a vault that refuses the connection is unavailable
// (resolver.Code), after the SDK's retries.
func TestRefused(t *testing.T) {
	f := newFake(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	vaultURL := "https://" + l.Addr().String() + "/"
	require.NoError(t, l.Close())
	b, err := azurekeyvault.New(azurekeyvault.Options{
		VaultURL:   vaultURL,
		Credential: staticToken{},
		Client: azsecrets.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: fakeClient(f), Retry: fastRetries},
			DisableChallengeResourceVerification: true},
	})
	require.NoError(t, err)
	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
	require.Error(t, err)
	assert.Equal(t, codes.Unavailable, resolver.Code(err), "%v", err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), `secret "airflow-variables-k"`)
}

// TestCanceled: a canceled context makes no request.
func TestCanceled(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, azurekeyvault.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := b.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "x"})
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, f.Count(""))
}
