package gcpfake_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/gcpfake"
)

// verified checks jwt's RS256 signature with pub and returns its header
// and claims.
func verified(t *testing.T, jwt string, pub *rsa.PublicKey) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	require.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig))
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, dst))
	}
	return header, claims
}

// TestSignJWT: IAM v1 signJwt signs the payload as given with the
// account's key for the account's own token (or an allowed impersonator),
// and answers IAM's errors otherwise.
func TestSignJWT(t *testing.T) {
	const a, b = "a@secretpath-test.iam.gserviceaccount.com", "b@secretpath-test.iam.gserviceaccount.com"
	tests := []struct {
		name, account, project, token, payload string
		wantStatus                             int
		want                                   string // the error status, or "" for a signed JWT
	}{
		{name: "own account", account: a, project: gcpfake.ProjectID, token: gcpfake.ServiceAccountToken(a), payload: `{"sub":"a","aud":"vault/r"}`, wantStatus: 200},
		{name: "project wildcard", account: a, project: "-", token: gcpfake.ServiceAccountToken(a), payload: `{"sub":"a"}`, wantStatus: 200},
		{name: "metadata account", account: "default@" + gcpfake.ProjectID + ".iam.gserviceaccount.com", project: gcpfake.ProjectID, token: gcpfake.MetadataToken, payload: `{}`, wantStatus: 200},
		{name: "another account", account: b, project: gcpfake.ProjectID, token: gcpfake.ServiceAccountToken(a), payload: `{}`, wantStatus: 403, want: "PERMISSION_DENIED"},
		{name: "unknown account", account: "c@x.iam.gserviceaccount.com", project: gcpfake.ProjectID, token: gcpfake.ServiceAccountToken(a), payload: `{}`, wantStatus: 404, want: "NOT_FOUND"},
		{name: "no token", account: a, project: gcpfake.ProjectID, payload: `{}`, wantStatus: 401, want: "UNAUTHENTICATED"},
		{name: "payload not an object", account: a, project: gcpfake.ProjectID, token: gcpfake.ServiceAccountToken(a), payload: `[1]`, wantStatus: 400, want: "INVALID_ARGUMENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gcpfake.New(t)
			g.ServiceAccountKey(a)
			g.ServiceAccountKey(b)
			g.AllowToken(gcpfake.ServiceAccountToken(a))
			body, err := json.Marshal(map[string]string{"payload": tt.payload})
			require.NoError(t, err)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
				g.URL+"/v1/projects/"+tt.project+"/serviceAccounts/"+tt.account+":signJwt", strings.NewReader(string(body)))
			require.NoError(t, err)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			out, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, resp.StatusCode, string(out))
			if tt.want != "" {
				assert.Contains(t, string(out), tt.want)
				return
			}
			var got struct{ KeyID, SignedJwt string }
			require.NoError(t, json.Unmarshal(out, &got))
			kid, pub := g.SigningKey(tt.account)
			assert.Equal(t, kid, got.KeyID)
			h, c := verified(t, got.SignedJwt, pub)
			assert.Equal(t, kid, h["kid"])
			var want map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.payload), &want))
			assert.Equal(t, want, c, "the payload as given")
			assert.Len(t, g.RequestsTo(gcpfake.APIIAM), 1)
		})
	}
}

// TestIdentityToken: the metadata server's identity token is signed with
// Google's key, for the audience asked, and carries the instance's claims
// with format=full; without an audience it is a 400.
func TestIdentityToken(t *testing.T) {
	g := gcpfake.New(t)
	get := func(query string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, g.URL+"/computeMetadata/v1/instance/service-accounts/default/identity"+query, nil)
		require.NoError(t, err)
		req.Header.Set("Metadata-Flavor", "Google")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, body := get("")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "non-empty audience parameter required")

	kid, pub := g.SigningKey(gcpfake.GoogleIssuer)
	for _, full := range []bool{false, true} {
		q := "?audience=http://vault/worker"
		if full {
			q += "&format=full"
		}
		status, body = get(q)
		require.Equal(t, http.StatusOK, status, body)
		h, c := verified(t, body, pub)
		assert.Equal(t, kid, h["kid"])
		assert.Equal(t, "http://vault/worker", c["aud"])
		assert.Equal(t, gcpfake.GoogleIssuer, c["iss"])
		assert.Equal(t, g.MetadataAccount(), c["email"])
		assert.Equal(t, full, c["google"] != nil, "instance claims with format=full only")
	}
}
