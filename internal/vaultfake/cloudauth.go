package vaultfake

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The radius, azure and gcp auth methods.
const (
	// Radius logins: POST auth/<mount>/login/<username> (or auth/<mount>/login
	// with "username" in the body), {"password"}, checked against
	// AddCredential(mount, username, password), as Vault's RADIUS method
	// asks its RADIUS server.
	Radius = "radius"
	// Azure logins: POST auth/<mount>/login {"role", "jwt",
	// "subscription_id"?, "resource_group_name"?, "vm_name"?, "vmss_name"?,
	// "resource_id"?}. The role must be registered with
	// AddCredential(mount, role, ""); the JWT must be an access token the
	// verifier set with SetAzureVerifier accepts, for the configured tenant
	// and resource (Vault checks the token's signature, issuer and
	// audience against its azure config).
	Azure = "azure"
	// GCP logins: POST auth/<mount>/login {"role", "jwt"}. The JWT's RS256
	// signature is checked against the keys AddGCPKey registered, its
	// claims against the role AddGCPRole registered.
	GCP = "gcp"
)

// MaxGCPJWTExp is Vault's default max_jwt_exp for gcp iam roles: a signed
// JWT must expire at most this long after the login.
const MaxGCPJWTExp = 15 * time.Minute

// AzureVerifier is what Vault's azure auth method is configured with
// (auth/azure/config: tenant_id, resource) and how the fake checks an
// access token, which a real Vault does against Microsoft Entra's OpenID
// keys.
type AzureVerifier struct {
	Tenant, Resource string
	// Check returns the tenant and resource (audience) the access token
	// was issued for, and whether the issuer knows it.
	Check func(token string) (tenant, resource string, ok bool)
}

// GCPRole is a role of Vault's gcp auth method.
type GCPRole struct {
	// Type is "iam" or "gce".
	Type string
	// ServiceAccount is the service account email the role is bound to
	// (bound_service_accounts); "*" allows any.
	ServiceAccount string
}

// GoogleIssuer is the issuer of GCE identity tokens; AddGCPKey takes it
// as the "service account" of Google's own signing keys.
const GoogleIssuer = "https://accounts.google.com"

type cloudAuth struct {
	azure    *AzureVerifier
	gcpKeys  map[string]*rsa.PublicKey // service account email (or GoogleIssuer) + "\x00" + key id
	gcpRoles map[string]GCPRole
}

// SetAzureVerifier configures the azure auth method mounted at path.
func (s *Server) SetAzureVerifier(path string, v AzureVerifier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mountLocked(path).cloud.azure = &v
}

// AddGCPKey registers the public key kid of service account email (as
// IAM serves it to Vault), or of Google's certificates when email is
// GoogleIssuer (GCE identity tokens), with the gcp auth method at path.
func (s *Server) AddGCPKey(path, email, kid string, pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.mountLocked(path).cloud
	if c.gcpKeys == nil {
		c.gcpKeys = map[string]*rsa.PublicKey{}
	}
	c.gcpKeys[email+"\x00"+kid] = pub
}

// AddGCPRole registers a role with the gcp auth method at path.
func (s *Server) AddGCPRole(path, name string, r GCPRole) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.mountLocked(path).cloud
	if c.gcpRoles == nil {
		c.gcpRoles = map[string]GCPRole{}
	}
	c.gcpRoles[name] = r
}

func (s *Server) mountLocked(path string) *authMount {
	a := s.auths[strings.Trim(path, "/")]
	if a == nil {
		panic("vaultfake: unknown auth mount " + path)
	}
	return a
}

// cloudLogin checks a radius, azure or gcp login; it returns the token's
// metadata, or the status and Vault's message of a refusal.
func cloudLogin(a *authMount, rest string, in map[string]any) (meta map[string]any, status int, msg string) {
	str := func(k string) string { v, _ := in[k].(string); return v }
	switch a.typ {
	case Radius:
		user, ok := strings.CutPrefix(rest, "login/")
		if !ok {
			if rest != "login" {
				return nil, http.StatusNotFound, "unsupported path"
			}
			user = str("username")
		}
		if user == "" {
			return nil, http.StatusBadRequest, "username cannot be empty"
		}
		if str("password") == "" {
			return nil, http.StatusBadRequest, "password cannot be empty"
		}
		want, ok := a.creds[user]
		if !ok || want != str("password") {
			return nil, http.StatusBadRequest, "invalid username or password"
		}
		return map[string]any{"username": user, "policies": "default"}, 0, ""
	case Azure:
		if rest != "login" {
			return nil, http.StatusNotFound, "unsupported path"
		}
		if str("jwt") == "" {
			return nil, http.StatusBadRequest, "jwt is required"
		}
		role := str("role")
		if role == "" {
			return nil, http.StatusBadRequest, "role is required"
		}
		if _, ok := a.creds[role]; !ok {
			return nil, http.StatusBadRequest, fmt.Sprintf("invalid role name %q", role)
		}
		v := a.cloud.azure
		if v == nil {
			return nil, http.StatusInternalServerError, "unable to retrieve backend configuration: no tenant_id configured"
		}
		tenant, resource, ok := v.Check(str("jwt"))
		switch {
		case !ok:
			return nil, http.StatusInternalServerError, "oidc: malformed jwt: the token is not one the issuer signed"
		case tenant != v.Tenant:
			return nil, http.StatusInternalServerError, fmt.Sprintf("oidc: id token issued by a different provider, expected \"https://sts.windows.net/%s/\" got \"https://sts.windows.net/%s/\"", v.Tenant, tenant)
		case strings.TrimSuffix(resource, "/") != strings.TrimSuffix(v.Resource, "/"):
			return nil, http.StatusInternalServerError, fmt.Sprintf("oidc: expected audience %q got [%q]", v.Resource, resource)
		}
		meta = map[string]any{"role": role, "resource_group_name": str("resource_group_name"), "subscription_id": str("subscription_id")}
		return meta, 0, ""
	case GCP:
		if rest != "login" {
			return nil, http.StatusNotFound, "unsupported path"
		}
		return gcpLogin(&a.cloud, str("role"), str("jwt"))
	}
	return nil, http.StatusNotFound, ""
}

type gcpClaims struct {
	Iss   string `json:"iss"`
	Sub   string `json:"sub"`
	Aud   string `json:"aud"`
	Email string `json:"email"`
	Exp   int64  `json:"exp"`
	Iat   int64  `json:"iat"`
	// Google: the GCE identity token's instance claims (format=full).
	Google struct {
		ComputeEngine struct {
			ProjectID    string `json:"project_id"`
			InstanceName string `json:"instance_name"`
			Zone         string `json:"zone"`
		} `json:"compute_engine"`
	} `json:"google"`
}

// gcpLogin checks a gcp login as Vault's gcp auth method does: the role
// exists, the JWT is signed (RS256) by a key of the service account it
// names (iam) or by Google (gce), is meant for vault/<role>, has not
// expired and (iam) expires within MaxGCPJWTExp, and names a service
// account the role is bound to.
func gcpLogin(c *cloudAuth, role, jwt string) (map[string]any, int, string) {
	bad := func(msg string) (map[string]any, int, string) { return nil, http.StatusBadRequest, msg }
	if role == "" {
		return bad("role is required")
	}
	r, ok := c.gcpRoles[role]
	if !ok {
		return bad(fmt.Sprintf("role %q not found", role))
	}
	if jwt == "" {
		return bad("jwt is required")
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return bad("unable to parse signed JWT: compact JWS format must have three parts")
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	var claims gcpClaims
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil {
		return bad("unable to parse signed JWT")
	}
	if header.Alg != "RS256" {
		return bad(fmt.Sprintf("unexpected signing algorithm %q", header.Alg))
	}
	signer, account := claims.Sub, claims.Sub // iam: the key is the service account's
	if r.Type == "gce" {
		signer, account = GoogleIssuer, claims.Email
		if claims.Iss != GoogleIssuer && claims.Iss != "accounts.google.com" {
			return bad("JWT issuer is not Google")
		}
	}
	pub := c.gcpKeys[signer+"\x00"+header.Kid]
	if pub == nil {
		return bad(fmt.Sprintf("unable to get public key %q for JWT subject %q: no such key", header.Kid, signer))
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return bad("unable to verify signed JWT: crypto/rsa: verification error")
	}
	now := time.Now()
	if !strings.HasSuffix(claims.Aud, "vault/"+role) || (claims.Aud != "vault/"+role && !strings.HasSuffix(claims.Aud, "://vault/"+role)) {
		return bad(fmt.Sprintf("JWT does not have the expected audience: want \"vault/%s\", got %q", role, claims.Aud))
	}
	if claims.Exp == 0 || now.After(time.Unix(claims.Exp, 0).Add(time.Minute)) {
		return bad("JWT has expired or has no exp")
	}
	if r.Type != "gce" && time.Unix(claims.Exp, 0).After(now.Add(MaxGCPJWTExp+time.Minute)) {
		return bad(fmt.Sprintf("JWT expires %v after the login, beyond max_jwt_exp %v: re-sign with a shorter exp", time.Until(time.Unix(claims.Exp, 0)).Round(time.Second), MaxGCPJWTExp))
	}
	if r.Type == "gce" && claims.Google.ComputeEngine.ProjectID == "" {
		return bad("GCE identity token has no instance claims: ask the metadata server with format=full")
	}
	if r.ServiceAccount != "*" && account != r.ServiceAccount {
		return bad(fmt.Sprintf("service account %q is not authorized for role", account))
	}
	meta := map[string]any{"role": role, "service_account_email": account}
	if r.Type == "gce" {
		meta["project_id"] = claims.Google.ComputeEngine.ProjectID
		meta["instance_name"] = claims.Google.ComputeEngine.InstanceName
		meta["zone"] = claims.Google.ComputeEngine.Zone
	}
	return meta, 0, ""
}
