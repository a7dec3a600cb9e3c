package gcpfake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// GoogleCertKeyID is the key id (kid) of the key the metadata server signs
// instance identity tokens with; [SigningKey] of GoogleIssuer returns it.
const GoogleCertKeyID = "fake-google-oauth2-cert"

// GoogleIssuer is the iss of instance identity tokens.
const GoogleIssuer = "https://accounts.google.com"

// InstanceName, InstanceZone and InstanceID describe the VM the metadata
// server plays, in identity tokens of format=full.
const (
	InstanceName = "airflow-worker-1"
	InstanceZone = "europe-west1-b"
	InstanceID   = "4410000000000000001"
)

// keyID is the key id of service account email's key: ServiceAccountKey's
// private_key_id (auth.go derives it the same way).
func keyID(email string) string {
	return fmt.Sprintf("fake-key-%x", sha256.Sum256([]byte(email)))[:24]
}

// MetadataAccount is the service account of the metadata server (the
// "default" account): its tokens and identity tokens are this account's.
func (s *Server) MetadataAccount() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mdAccount
}

// SigningKey returns the key id and public key IAM signs service account
// email's JWTs with (ServiceAccountKey's key, or for the metadata server's
// account one made for it), or with GoogleIssuer the key of instance
// identity tokens: what Vault fetches to verify a gcp login.
func (s *Server) SigningKey(email string) (kid string, pub *rsa.PublicKey) {
	if email == GoogleIssuer {
		return GoogleCertKeyID, &testKey().PublicKey
	}
	return keyID(email), &testKey().PublicKey
}

// signJWT signs claims with the fake's key under kid.
func signJWT(kid string, claims []byte) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "kid": kid, "typ": "JWT"})
	if err != nil {
		return "", err
	}
	signed := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, testKey(), crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// principalLocked is the identity behind an access token the fake issued:
// a service account's email, or "" for another (a user's). The caller
// holds s.mu.
func (s *Server) principalLocked(tok string) string {
	switch {
	case tok == MetadataToken:
		return s.mdAccount
	case strings.HasPrefix(tok, "ya29.fake-sa-"):
		return strings.TrimPrefix(tok, "ya29.fake-sa-")
	case strings.HasPrefix(tok, "ya29.fake-impersonated-"):
		return strings.TrimPrefix(tok, "ya29.fake-impersonated-")
	}
	return ""
}

// serveSignJWT serves IAM v1's
// POST /v1/projects/{project}/serviceAccounts/{email}:signJwt
// {"payload": "<JSON claims>"} -> {"keyId", "signedJwt"}: the caller's
// token must be valid and be the account's own (or the account must allow
// impersonation), the project the fake's id or "-", the payload a JSON
// object.
func (s *Server) serveSignJWT(w http.ResponseWriter, r *http.Request, req *Request) {
	rest := strings.TrimPrefix(req.Path, "/v1/projects/")
	project, acct, _ := strings.Cut(strings.TrimSuffix(rest, ":signJwt"), "/serviceAccounts/")
	email, unescErr := url.PathUnescape(acct)
	req.Principal = email
	var in struct {
		Payload string `json:"payload"`
	}
	bodyErr := json.Unmarshal(req.Body, &in)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, *req)
	if unescErr != nil || r.Method != http.MethodPost || strings.Contains(project, "/") {
		writeGFE404(w, req.Path)
		return
	}
	if !s.authorizedIAM(w, r) {
		return
	}
	if f := s.fault(APIIAM, ""); f != nil && writeFault(w, f) {
		return
	}
	if bodyErr != nil {
		writeError(w, 0, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	caller := s.principalLocked(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	_, known := s.accounts[email]
	if (project != ProjectID && project != "-") || (!known && email != s.mdAccount) {
		writeError(w, 0, "NOT_FOUND", fmt.Sprintf("Service account projects/%s/serviceAccounts/%s does not exist.", project, email))
		return
	}
	if caller != email && !s.impersonate[email] {
		writeError(w, 0, "PERMISSION_DENIED", "Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist).")
		return
	}
	var claims map[string]any
	if err := json.Unmarshal([]byte(in.Payload), &claims); err != nil || claims == nil {
		writeError(w, 0, "INVALID_ARGUMENT", "Invalid JWT payload: the payload must be a JSON object.")
		return
	}
	kid := keyID(email)
	jwt, err := signJWT(kid, []byte(in.Payload))
	if err != nil {
		writeError(w, 0, "INTERNAL", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"keyId": kid, "signedJwt": jwt})
}

// serveIdentityLocked serves the metadata server's
// instance/service-accounts/default/identity?audience=..&format=full: a
// Google-signed identity token of the metadata account. The caller holds
// s.mu.
func (s *Server) serveIdentityLocked(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	aud := q.Get("audience")
	if aud == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, "non-empty audience parameter required\n")
		return
	}
	now := time.Now()
	claims := map[string]any{
		"aud": aud, "azp": "104697446432538741001", "email": s.mdAccount, "email_verified": true,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "iss": GoogleIssuer, "sub": "104697446432538741001",
	}
	if q.Get("format") == "full" {
		claims["google"] = map[string]any{"compute_engine": map[string]any{
			"instance_creation_timestamp": now.Add(-24 * time.Hour).Unix(), "instance_id": InstanceID,
			"instance_name": InstanceName, "project_id": s.mdProject, "project_number": ProjectNumber, "zone": InstanceZone,
		}}
	}
	b, err := json.Marshal(claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	jwt, err := signJWT(GoogleCertKeyID, b)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/text")
	fmt.Fprint(w, jwt)
}
