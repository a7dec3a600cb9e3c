package gcpfake_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/gcpfake"
)

type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, u string, header map[string]string, body string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func googleError(t *testing.T, body string) (code int, status, message string) {
	t.Helper()
	var doc struct {
		Error struct {
			Code    int
			Message string
			Status  string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc), body)
	return doc.Error.Code, doc.Error.Status, doc.Error.Message
}

func TestAccess(t *testing.T) {
	f := gcpfake.New(t)
	f.PutSecret("db", "first")
	f.PutSecret("db", "postgres://u:pw@h/db")
	f.PutSecret("empty", "")
	f.PutSecret("off", "x")
	f.SetVersionState(gcpfake.ProjectID, "off", 1, gcpfake.Disabled)
	f.PutSecret("gone", "x")
	f.SetVersionState(gcpfake.ProjectID, "gone", 1, gcpfake.Destroyed)
	auth := map[string]string{"Authorization": "Bearer " + gcpfake.MetadataToken}
	access := func(project, secret, version string) string {
		return f.URL + "/v1/projects/" + url.PathEscape(project) + "/secrets/" + url.PathEscape(secret) + "/versions/" + version + ":access"
	}

	for _, project := range []string{gcpfake.ProjectID, gcpfake.ProjectNumber} {
		r := do(t, http.MethodGet, access(project, "db", "latest"), auth, "")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "application/json; charset=UTF-8", r.header.Get("Content-Type"))
		var got struct {
			Name    string
			Payload struct {
				Data       string
				DataCrc32c string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &got))
		assert.Equal(t, "projects/"+gcpfake.ProjectNumber+"/secrets/db/versions/2", got.Name, "the service names the project by number")
		data, err := base64.StdEncoding.DecodeString(got.Payload.Data)
		require.NoError(t, err)
		assert.Equal(t, "postgres://u:pw@h/db", string(data))
		assert.Equal(t, strconv.FormatInt(gcpfake.Checksum(data), 10), got.Payload.DataCrc32c, "dataCrc32c is a decimal int64 in a JSON string")
	}
	r := do(t, http.MethodGet, access(gcpfake.ProjectID, "db", "1"), auth, "")
	assert.Contains(t, r.body, base64.StdEncoding.EncodeToString([]byte("first")))
	r = do(t, http.MethodGet, access(gcpfake.ProjectID, "empty", "latest"), auth, "")
	assert.NotContains(t, r.body, `"data"`, "proto3 JSON leaves out empty bytes")
	assert.Contains(t, r.body, `"dataCrc32c": "0"`)

	tests := []struct {
		name       string
		url        string
		header     map[string]string
		wantHTTP   int
		wantStatus string
		wantMsg    string
	}{
		{"missing secret", access(gcpfake.ProjectID, "nope", "latest"), auth, 404, "NOT_FOUND", "Secret [projects/123456789012/secrets/nope] not found or has no versions."},
		{"missing version", access(gcpfake.ProjectID, "db", "7"), auth, 404, "NOT_FOUND", "Secret Version [projects/123456789012/secrets/db/versions/7] not found."},
		{"unknown project", access("other", "db", "latest"), auth, 403, "PERMISSION_DENIED", "Permission 'secretmanager.versions.access' denied for resource 'projects/other/secrets/db/versions/latest' (or it may not exist)."},
		{"invalid id", access(gcpfake.ProjectID, "with.dot", "latest"), auth, 400, "INVALID_ARGUMENT", "does not match the expected format"},
		{"invalid version", access(gcpfake.ProjectID, "db", "0"), auth, 400, "INVALID_ARGUMENT", "does not match the expected format"},
		{"disabled", access(gcpfake.ProjectID, "off", "latest"), auth, 400, "FAILED_PRECONDITION", "is in DISABLED state."},
		{"destroyed", access(gcpfake.ProjectID, "gone", "latest"), auth, 400, "FAILED_PRECONDITION", "is in DESTROYED state."},
		{"no token", access(gcpfake.ProjectID, "db", "latest"), nil, 401, "UNAUTHENTICATED", "missing required authentication credential"},
		{"unknown token", access(gcpfake.ProjectID, "db", "latest"), map[string]string{"Authorization": "Bearer nope"}, 401, "UNAUTHENTICATED", "invalid authentication credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, http.MethodGet, tt.url, tt.header, "")
			assert.Equal(t, tt.wantHTTP, r.status)
			code, status, msg := googleError(t, r.body)
			assert.Equal(t, tt.wantHTTP, code)
			assert.Equal(t, tt.wantStatus, status)
			assert.Contains(t, msg, tt.wantMsg)
		})
	}

	r = do(t, http.MethodGet, f.URL+"/v1/projects/p/secrets/s:access", auth, "")
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Contains(t, r.header.Get("Content-Type"), "text/html", "a URL no API serves gets the front end's page, not an API error")

	assert.Panics(t, func() { f.PutSecret("with.dot", "x") }, "the service refuses such ids")

	reqs := f.RequestsTo(gcpfake.APISecretManager)
	require.NotEmpty(t, reqs)
	assert.Equal(t, gcpfake.ProjectID, reqs[0].Project)
	assert.Equal(t, "db", reqs[0].Secret)
	assert.Equal(t, "latest", reqs[0].Version)
}

func TestFaults(t *testing.T) {
	f := gcpfake.New(t)
	f.AllowUnauthenticated()
	f.PutSecret("s", "value")
	u := f.URL + "/v1/projects/" + gcpfake.ProjectID + "/secrets/s/versions/latest:access"

	f.AddFault(gcpfake.Fault{Secret: "s", Status: "RESOURCE_EXHAUSTED", Message: "Quota exceeded", Times: 2})
	for range 2 {
		r := do(t, http.MethodGet, u, nil, "")
		assert.Equal(t, http.StatusTooManyRequests, r.status)
		_, status, _ := googleError(t, r.body)
		assert.Equal(t, "RESOURCE_EXHAUSTED", status)
	}
	assert.Equal(t, http.StatusOK, do(t, http.MethodGet, u, nil, "").status, "the fault is used up")

	f.ClearFaults()
	f.AddFault(gcpfake.Fault{Status: "UNAVAILABLE"})
	assert.Equal(t, http.StatusServiceUnavailable, do(t, http.MethodGet, u, nil, "").status)

	f.ClearFaults()
	f.AddFault(gcpfake.Fault{BadCRC: true})
	r := do(t, http.MethodGet, u, nil, "")
	assert.NotContains(t, r.body, strconv.FormatInt(gcpfake.Checksum([]byte("value")), 10))
	assert.Contains(t, r.body, "dataCrc32c")

	f.ClearFaults()
	f.AddFault(gcpfake.Fault{NoCRC: true})
	assert.NotContains(t, do(t, http.MethodGet, u, nil, "").body, "dataCrc32c")

	f.ClearFaults()
	f.AddFault(gcpfake.Fault{Body: "<html>bad gateway</html>", HTTPStatus: 502, ContentType: "text/html"})
	r = do(t, http.MethodGet, u, nil, "")
	assert.Equal(t, 502, r.status)
	assert.Equal(t, "<html>bad gateway</html>", r.body)
	assert.Equal(t, 7, f.Count(gcpfake.APISecretManager))
}

func TestMetadata(t *testing.T) {
	f := gcpfake.New(t)
	base := "http://" + f.MetadataHost() + "/computeMetadata/v1/"
	flavor := map[string]string{"Metadata-Flavor": "Google"}

	r := do(t, http.MethodGet, base+"instance/service-accounts/default/token", nil, "")
	assert.Equal(t, http.StatusForbidden, r.status, "the header is required")
	assert.Equal(t, "Google", r.header.Get("Metadata-Flavor"))

	r = do(t, http.MethodGet, base+"instance/service-accounts/default/token?scopes="+url.QueryEscape("https://www.googleapis.com/auth/cloud-platform"), flavor, "")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "Google", r.header.Get("Metadata-Flavor"))
	assert.JSONEq(t, `{"access_token":"`+gcpfake.MetadataToken+`","expires_in":3599,"token_type":"Bearer"}`, r.body)
	last := f.RequestsTo(gcpfake.APIMetadata)
	assert.Equal(t, []string{"https://www.googleapis.com/auth/cloud-platform"}, last[len(last)-1].Scopes)

	assert.Equal(t, gcpfake.ProjectID, do(t, http.MethodGet, base+"project/project-id", flavor, "").body)
	f.SetMetadataProject("")
	assert.Equal(t, http.StatusNotFound, do(t, http.MethodGet, base+"project/project-id", flavor, "").status)
	assert.Equal(t, http.StatusNotFound, do(t, http.MethodGet, base+"instance/nope", flavor, "").status)
}

func TestTokenEndpoint(t *testing.T) {
	f := gcpfake.New(t)
	f.ServiceAccountKey("sa@secretpath-test.iam.gserviceaccount.com")
	form := func(v url.Values) reply {
		return do(t, http.MethodPost, f.TokenURI(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, v.Encode())
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	forged := signJWT(t, other, map[string]any{
		"iss": "sa@secretpath-test.iam.gserviceaccount.com", "aud": f.TokenURI(), "scope": "s", "iat": 1, "exp": 2,
	})
	r := form(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {forged}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.body, "invalid_grant")
	assert.Contains(t, r.body, "Invalid JWT Signature.")

	r = form(url.Values{"grant_type": {"password"}})
	assert.Contains(t, r.body, "unsupported_grant_type")

	var user struct{ ClientID, ClientSecret, RefreshToken string }
	cfg := f.AuthorizedUser("cli-1")
	require.NoError(t, json.Unmarshal(cfg, &struct {
		ClientID     *string `json:"client_id"`
		ClientSecret *string `json:"client_secret"`
		RefreshToken *string `json:"refresh_token"`
	}{&user.ClientID, &user.ClientSecret, &user.RefreshToken}))
	r = form(url.Values{"grant_type": {"refresh_token"}, "client_id": {user.ClientID}, "client_secret": {user.ClientSecret}, "refresh_token": {user.RefreshToken}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, gcpfake.UserToken("cli-1"))
	r = form(url.Values{"grant_type": {"refresh_token"}, "client_id": {user.ClientID}, "client_secret": {user.ClientSecret}, "refresh_token": {"stolen"}})
	assert.Contains(t, r.body, "invalid_grant")
}

func signJWT(t *testing.T, k *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims)
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sha256Digest(signed))
	require.NoError(t, err)
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func sha256Digest(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func TestIAMCredentials(t *testing.T) {
	f := gcpfake.New(t)
	target := "target@secretpath-test.iam.gserviceaccount.com"
	u := f.URL + "/v1/projects/-/serviceAccounts/" + target + ":generateAccessToken"
	hdr := map[string]string{"Authorization": "Bearer " + gcpfake.MetadataToken, "Content-Type": "application/json"}
	body := `{"scope": ["https://www.googleapis.com/auth/cloud-platform"], "lifetime": "3600s"}`

	r := do(t, http.MethodPost, u, hdr, body)
	assert.Equal(t, http.StatusForbidden, r.status)
	_, status, msg := googleError(t, r.body)
	assert.Equal(t, "PERMISSION_DENIED", status)
	assert.Contains(t, msg, "iam.serviceAccounts.getAccessToken")

	f.AllowImpersonation(target)
	r = do(t, http.MethodPost, u, nil, body)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	r = do(t, http.MethodPost, u, hdr, body)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var out struct{ AccessToken, ExpireTime string }
	require.NoError(t, json.Unmarshal([]byte(r.body), &out))
	assert.Equal(t, gcpfake.ImpersonatedToken(target), out.AccessToken)
	assert.NotEmpty(t, out.ExpireTime)

	r = do(t, http.MethodPost, u, hdr, `{"scope": ["s"], "delegates": ["projects/-/serviceAccounts/unknown@x.iam.gserviceaccount.com"]}`)
	assert.Equal(t, http.StatusForbidden, r.status, "every delegate must be allowed")
	r = do(t, http.MethodPost, u, hdr, `{"lifetime": "3600s"}`)
	assert.Equal(t, http.StatusBadRequest, r.status)
}
