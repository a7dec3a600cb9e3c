package vaultfake_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/vaultfake"
)

// jwtFor signs claims with key under kid (RS256).
func jwtFor(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(map[string]string{"alg": "RS256", "kid": kid, "typ": "JWT"})
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	signed := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	require.NoError(t, err)
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestCloudLogins: the radius, azure and gcp logins accept what Vault
// accepts and refuse, with Vault's kind of message, a wrong password, a
// token for another tenant or audience, and a JWT with a bad signature,
// an unknown key, the wrong audience, an expiry too far or past, or an
// account the role is not bound to.
func TestCloudLogins(t *testing.T) {
	vaultfake.Isolate(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	const sa = "sa@p.iam.gserviceaccount.com"
	now := time.Now().Unix()
	iam := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iat": now, "exp": now + 900, "sub": sa, "aud": "vault/r"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	gce := map[string]any{"iss": vaultfake.GoogleIssuer, "aud": "http://vault/g", "email": sa, "iat": now, "exp": now + 3600,
		"google": map[string]any{"compute_engine": map[string]any{"project_id": "p", "instance_name": "vm", "zone": "z"}}}
	tests := []struct {
		name, path string
		body       map[string]any
		want       string // "" = a token
	}{
		{name: "radius", path: "auth/radius/login/u", body: map[string]any{"password": "pw"}},
		{name: "radius, username in the body", path: "auth/radius/login", body: map[string]any{"username": "u", "password": "pw"}},
		{name: "radius, wrong password", path: "auth/radius/login/u", body: map[string]any{"password": "nope"}, want: "invalid username or password"},
		{name: "azure", path: "auth/azure/login", body: map[string]any{"role": "r", "jwt": "tok-good"}},
		{name: "azure, unknown token", path: "auth/azure/login", body: map[string]any{"role": "r", "jwt": "tok-forged"}, want: "oidc: malformed jwt"},
		{name: "azure, other tenant", path: "auth/azure/login", body: map[string]any{"role": "r", "jwt": "tok-tenant"}, want: "issued by a different provider"},
		{name: "azure, other audience", path: "auth/azure/login", body: map[string]any{"role": "r", "jwt": "tok-aud"}, want: "expected audience"},
		{name: "azure, unknown role", path: "auth/azure/login", body: map[string]any{"role": "x", "jwt": "tok-good"}, want: `invalid role name "x"`},
		{name: "azure, no jwt", path: "auth/azure/login", body: map[string]any{"role": "r"}, want: "jwt is required"},
		{name: "gcp iam", path: "auth/gcp/login", body: map[string]any{"role": "r", "jwt": jwtFor(t, key, "k1", iam(nil))}},
		{name: "gcp iam, signed by another key", path: "auth/gcp/login", body: map[string]any{"role": "r", "jwt": jwtFor(t, other, "k1", iam(nil))},
			want: "unable to verify signed JWT"},
		{name: "gcp iam, unknown key id", path: "auth/gcp/login", body: map[string]any{"role": "r", "jwt": jwtFor(t, key, "k2", iam(nil))},
			want: "unable to get public key"},
		{name: "gcp iam, wrong audience", path: "auth/gcp/login",
			body: map[string]any{"role": "r", "jwt": jwtFor(t, key, "k1", iam(func(c map[string]any) { c["aud"] = "vault/other" }))},
			want: "expected audience"},
		{name: "gcp iam, exp beyond max_jwt_exp", path: "auth/gcp/login",
			body: map[string]any{"role": "r", "jwt": jwtFor(t, key, "k1", iam(func(c map[string]any) { c["exp"] = now + 3600 }))},
			want: "beyond max_jwt_exp"},
		{name: "gcp iam, expired", path: "auth/gcp/login",
			body: map[string]any{"role": "r", "jwt": jwtFor(t, key, "k1", iam(func(c map[string]any) { c["exp"] = now - 600 }))},
			want: "expired"},
		{name: "gcp iam, unbound account", path: "auth/gcp/login", body: map[string]any{"role": "bound-elsewhere", "jwt": jwtFor(t, key, "k1", iam(func(c map[string]any) {
			c["aud"] = "vault/bound-elsewhere"
		}))}, want: "is not authorized for role"},
		{name: "gcp gce", path: "auth/gcp/login", body: map[string]any{"role": "g", "jwt": jwtFor(t, key, "google-1", gce)}},
		{name: "gcp gce, signed by the account's key", path: "auth/gcp/login", body: map[string]any{"role": "g", "jwt": jwtFor(t, key, "k1", gce)},
			want: "unable to get public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := vaultfake.New(t)
			f.EnableAuth("", vaultfake.Radius, vaultfake.TokenOptions{})
			f.AddCredential("radius", "u", "pw")
			f.EnableAuth("", vaultfake.Azure, vaultfake.TokenOptions{})
			f.AddCredential("azure", "r", "")
			f.SetAzureVerifier("azure", vaultfake.AzureVerifier{Tenant: "t1", Resource: "https://management.azure.com/", Check: func(tok string) (string, string, bool) {
				switch tok {
				case "tok-good":
					return "t1", "https://management.azure.com/", true
				case "tok-tenant":
					return "t2", "https://management.azure.com/", true
				case "tok-aud":
					return "t1", "https://vault.azure.net", true
				}
				return "", "", false
			}})
			f.EnableAuth("", vaultfake.GCP, vaultfake.TokenOptions{})
			f.AddGCPKey("gcp", sa, "k1", &key.PublicKey)
			f.AddGCPKey("gcp", vaultfake.GoogleIssuer, "google-1", &key.PublicKey)
			f.AddGCPRole("gcp", "r", vaultfake.GCPRole{Type: "iam", ServiceAccount: sa})
			f.AddGCPRole("gcp", "bound-elsewhere", vaultfake.GCPRole{Type: "iam", ServiceAccount: "other@p.iam.gserviceaccount.com"})
			f.AddGCPRole("gcp", "g", vaultfake.GCPRole{Type: "gce", ServiceAccount: sa})
			s, err := client(t, f, "").Logical().WriteWithContext(t.Context(), tt.path, tt.body)
			if tt.want == "" {
				require.NoError(t, err)
				require.NotNil(t, s)
				require.NotNil(t, s.Auth)
				assert.NotEmpty(t, s.Auth.ClientToken)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, f.LoginTokens())
		})
	}
}
