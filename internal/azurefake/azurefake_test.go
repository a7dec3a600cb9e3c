package azurefake_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/azurefake"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func do(t *testing.T, c *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header}
	require.NoError(t, json.Unmarshal(raw, &a.body), string(raw))
	return a
}

func get(t *testing.T, f *azurefake.Server, path, token string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.URL+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, f.Client(), req)
}

// token gets an access token with the client-secret grant.
func token(t *testing.T, f *azurefake.Server, secret string) answer {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {azurefake.ClientID}, "client_secret": {secret},
		"scope": {azurefake.Resource + "/.default openid offline_access profile"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.URL+"/"+azurefake.Tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, f.Client(), req)
}

func errCode(a answer) string {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// TestVault: the challenge, tokens, and each documented answer.
func TestVault(t *testing.T) {
	f := azurefake.New(t)
	f.SetSecret("My-Secret", "v1")

	a := get(t, f, "/secrets/my-secret/?api-version=7.4", "")
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Equal(t, `Bearer authorization="https://login.microsoftonline.com/`+azurefake.Tenant+`", resource="https://vault.azure.net"`, a.header.Get("WWW-Authenticate"))
	assert.Equal(t, "Unauthorized", errCode(a))

	a = get(t, f, "/secrets/my-secret/?api-version=7.4", "not-issued")
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.NotEmpty(t, a.header.Get("WWW-Authenticate"))

	bad := token(t, f, "wrong")
	assert.Equal(t, http.StatusUnauthorized, bad.status)
	assert.Equal(t, "invalid_client", bad.body["error"])
	tk := token(t, f, azurefake.ClientSecret)
	require.Equal(t, http.StatusOK, tk.status)
	assert.Equal(t, "Bearer", tk.body["token_type"])
	tok := tk.body["access_token"].(string)

	a = get(t, f, "/secrets/MY-SECRET/?api-version=7.4", tok)
	require.Equal(t, http.StatusOK, a.status, "names ignore case")
	assert.Equal(t, "v1", a.body["value"])
	assert.Regexp(t, `^`+f.URL+`/secrets/My-Secret/[0-9a-f]{32}$`, a.body["id"])
	assert.Equal(t, true, a.body["attributes"].(map[string]any)["enabled"])

	version := strings.TrimPrefix(a.body["id"].(string), f.URL+"/secrets/My-Secret/")
	assert.Equal(t, http.StatusOK, get(t, f, "/secrets/my-secret/"+version+"?api-version=7.4", tok).status)
	assert.Equal(t, http.StatusNotFound, get(t, f, "/secrets/my-secret/00000000000000000000000000000000?api-version=7.4", tok).status)

	a = get(t, f, "/secrets/absent/?api-version=7.4", tok)
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, "SecretNotFound", errCode(a))

	a = get(t, f, "/secrets/bad_name/?api-version=7.4", tok)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "BadParameter", errCode(a))

	a = get(t, f, "/secrets/my-secret/", tok)
	assert.Equal(t, http.StatusBadRequest, a.status, "api-version is required")

	f.Put("off", azurefake.Secret{Value: "x", Disabled: true})
	a = get(t, f, "/secrets/off/?api-version=7.4", tok)
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, "SecretDisabled", a.body["error"].(map[string]any)["innererror"].(map[string]any)["code"])

	f.AddFault(azurefake.Fault{Name: "MY-secret", Status: 429, Code: "Throttled", Message: "slow", Header: map[string]string{"Retry-After": "3"}, Times: 1})
	a = get(t, f, "/secrets/my-secret/?api-version=7.4", tok)
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "3", a.header.Get("Retry-After"))
	assert.Equal(t, http.StatusOK, get(t, f, "/secrets/my-secret/?api-version=7.4", tok).status, "the fault is used up")

	gets := 0
	for _, r := range f.Requests() {
		if r.Kind == azurefake.KindGetSecret {
			gets++
			assert.Equal(t, r.Authorized, r.Header.Get("Authorization") != "")
		}
	}
	assert.Equal(t, 11, gets)
	assert.Equal(t, 1, f.TokensIssued())
}

// TestOpenIDConfiguration: what MSAL needs to find the token endpoint.
func TestOpenIDConfiguration(t *testing.T) {
	f := azurefake.New(t)
	a := get(t, f, "/"+azurefake.Tenant+"/v2.0/.well-known/openid-configuration", "")
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, f.URL+"/"+azurefake.Tenant+"/oauth2/v2.0/token", a.body["token_endpoint"])
	assert.Equal(t, f.URL+"/"+azurefake.Tenant+"/v2.0", a.body["issuer"])
	assert.NotEmpty(t, a.body["authorization_endpoint"])
}

// TestIdentityEndpoint: App Service's managed identity protocol.
func TestIdentityEndpoint(t *testing.T) {
	f := azurefake.New(t)
	call := func(header, query string) answer {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.IdentityEndpoint+"?"+query, nil)
		require.NoError(t, err)
		if header != "" {
			req.Header.Set("X-IDENTITY-HEADER", header)
		}
		return do(t, http.DefaultClient, req)
	}
	q := "api-version=2019-08-01&resource=" + url.QueryEscape(azurefake.Resource)
	assert.Equal(t, http.StatusUnauthorized, call("", q).status)
	assert.Equal(t, http.StatusUnauthorized, call("wrong", q).status)
	assert.Equal(t, http.StatusBadRequest, call(azurefake.IdentityHeader, "api-version=2017-09-01&resource=x").status)
	assert.Equal(t, http.StatusBadRequest, call(azurefake.IdentityHeader, q+"&client_id=unknown").status)
	a := call(azurefake.IdentityHeader, q+"&client_id="+azurefake.ManagedIdentityClientID)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, azurefake.ManagedIdentityClientID, a.body["client_id"])
	assert.Equal(t, azurefake.Resource, a.body["resource"])
	assert.Regexp(t, `^\d+$`, a.body["expires_on"])

	v := get(t, f, "/secrets/x/?api-version=7.4", a.body["access_token"].(string))
	assert.Equal(t, http.StatusNotFound, v.status, "the vault accepts the identity's token")
	assert.Equal(t, []string{"", "", "", "unknown", azurefake.ManagedIdentityClientID}, f.Names(azurefake.KindManagedIdentity))
}

// TestTenantMismatch: a token for another tenant is refused.
func TestTenantMismatch(t *testing.T) {
	f := azurefake.New(t)
	tok := token(t, f, azurefake.ClientSecret).body["access_token"].(string)
	f.SetTenant("00000000-0000-4000-8000-0000000000bb")
	a := get(t, f, "/secrets/x/?api-version=7.4", tok)
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Contains(t, a.header.Get("WWW-Authenticate"), "00000000-0000-4000-8000-0000000000bb")
}

// TestClientCert: the fake records the common name of the TLS client
// certificate a connection presents, and serves connections without one.
func TestClientCert(t *testing.T) {
	f := azurefake.New(t)
	files := azurefake.WriteClientCert(t, "af-worker")
	tests := []struct {
		name string
		cert []string // key pair files; nil = no certificate
		want string
	}{
		{name: "none", want: ""},
		{name: "one file", cert: []string{files.Both, files.Both}, want: "af-worker"},
		{name: "two files", cert: []string{files.Cert, files.Key}, want: "af-worker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			c := f.Client()
			if tt.cert != nil {
				pair, err := tls.LoadX509KeyPair(tt.cert[0], tt.cert[1])
				require.NoError(t, err)
				tr := c.Transport.(*http.Transport).Clone()
				tr.TLSClientConfig.Certificates = []tls.Certificate{pair}
				c = &http.Client{Transport: tr}
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.URL+"/secrets/x", nil)
			require.NoError(t, err)
			a := do(t, c, req)
			assert.Equal(t, http.StatusUnauthorized, a.status)
			reqs := f.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.want, reqs[0].ClientCert)
		})
	}
}
