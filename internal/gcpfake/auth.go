package gcpfake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// testKey is the RSA key behind every service-account key the fakes make
// (generated once per process: it is never valid anywhere).
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

type serviceAccount struct {
	keyID string
	pub   *rsa.PublicKey
}

// ServiceAccountKey registers a service account and returns a JSON key
// file for it, as IAM's keys.create returns one: type service_account,
// project_id ProjectID, a PKCS#8 PEM private key, and token_uri pointing at
// this fake. The token endpoint answers JWTs that key signs with the token
// [ServiceAccountToken] names.
func (s *Server) ServiceAccountKey(email string) []byte {
	k := testKey()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	keyID := fmt.Sprintf("fake-key-%x", sha256.Sum256([]byte(email)))[:24]
	s.mu.Lock()
	s.accounts[email] = &serviceAccount{keyID: keyID, pub: &k.PublicKey}
	s.mu.Unlock()
	b, err := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  ProjectID,
		"private_key_id":              keyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   "104697446432538741000",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   s.TokenURI(),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// ServiceAccountToken is the access token the token endpoint issues to
// service account email.
func ServiceAccountToken(email string) string { return "ya29.fake-sa-" + email }

// ImpersonatedToken is the access token IAM Credentials issues for target.
func ImpersonatedToken(target string) string { return "ya29.fake-impersonated-" + target }

// AllowImpersonation lets any authenticated caller get tokens for the
// service account email through generateAccessToken (or use it as a
// delegate).
func (s *Server) AllowImpersonation(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.impersonate[email] = true
}

// serveMetadata serves the GCE metadata server's paths that credential
// libraries use.
func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request, req *Request) {
	suffix := strings.TrimPrefix(req.Path, "/computeMetadata/v1/")
	if sc := r.URL.Query().Get("scopes"); sc != "" {
		req.Scopes = strings.Split(sc, ",")
	}
	if acct, ok := strings.CutPrefix(suffix, "instance/service-accounts/"); ok {
		req.Principal, _, _ = strings.Cut(acct, "/")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, *req)
	w.Header().Set("Metadata-Flavor", "Google")
	w.Header().Set("Server", "Metadata Server for VM")
	if r.Header.Get("Metadata-Flavor") != "Google" || r.Header.Get("X-Forwarded-For") != "" {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "Missing required header \"Metadata-Flavor\": \"Google\"\n")
		return
	}
	if f := s.fault(APIMetadata, ""); f != nil && writeFault(w, f) {
		return
	}
	text := func(v string) {
		w.Header().Set("Content-Type", "application/text")
		fmt.Fprint(w, v)
	}
	switch suffix {
	case "instance/service-accounts/default/token", "instance/service-accounts/" + s.mdAccount + "/token":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":3599,"token_type":"Bearer"}`, MetadataToken)
	case "instance/service-accounts/default/identity", "instance/service-accounts/" + s.mdAccount + "/identity":
		s.serveIdentityLocked(w, r)
	case "instance/service-accounts/default/email":
		text(s.mdAccount)
	case "project/project-id":
		if s.mdProject == "" {
			metadataNotFound(w)
			return
		}
		text(s.mdProject)
	case "project/numeric-project-id":
		text(ProjectNumber)
	case "universe/universe-domain":
		text("googleapis.com")
	default:
		metadataNotFound(w)
	}
}

func metadataNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, "<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title><p>The requested URL was not found on this server.\n")
}

// AuthorizedUser registers an OAuth client and its user's refresh token
// and returns the authorized_user credentials file gcloud writes for it
// (application_default_credentials.json), with token_uri pointing at this
// fake. The token endpoint answers its refresh-token grant with the token
// [UserToken] names.
func (s *Server) AuthorizedUser(clientID string) []byte {
	u := user{secret: "fake-client-secret-" + clientID, refresh: "1//fake-refresh-token-" + clientID}
	s.mu.Lock()
	s.users[clientID] = u
	s.mu.Unlock()
	b, err := json.MarshalIndent(map[string]string{
		"type":          "authorized_user",
		"client_id":     clientID,
		"client_secret": u.secret,
		"refresh_token": u.refresh,
		"token_uri":     s.TokenURI(),
	}, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// UserToken is the access token the token endpoint issues for an
// authorized user's refresh token.
func UserToken(clientID string) string { return "ya29.fake-user-" + clientID }

type user struct{ secret, refresh string }

// serveToken serves the OAuth 2.0 token endpoint: the JWT bearer grant
// (RFC 7523) that service-account keys use, and the refresh-token grant of
// authorized-user credentials.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, req *Request) {
	form, _ := url.ParseQuery(string(req.Body))
	grant := form.Get("grant_type")
	claims, header, sig, signed, jwtErr := splitJWT(form.Get("assertion"))
	switch grant {
	case jwtBearer:
		req.Principal = claims.Iss
		if claims.Scope != "" {
			req.Scopes = strings.Fields(claims.Scope)
		}
	case "refresh_token":
		req.Principal = form.Get("client_id")
		if sc := form.Get("scope"); sc != "" {
			req.Scopes = strings.Fields(sc)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, *req)
	oauthErr := func(code, desc string) {
		b, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(b)
	}
	issue := func(tok string) {
		s.tokens[tok] = true
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":3599,"token_type":"Bearer"}`, tok)
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		oauthErr("invalid_request", "Bad Request")
		return
	}
	if f := s.fault(APIOAuth2, ""); f != nil && writeFault(w, f) {
		return
	}
	switch grant {
	case jwtBearer:
	case "refresh_token":
		u, ok := s.users[form.Get("client_id")]
		switch {
		case !ok || u.secret != form.Get("client_secret"):
			oauthErr("invalid_client", "The OAuth client was not found.")
		case u.refresh != form.Get("refresh_token"):
			oauthErr("invalid_grant", "Bad Request")
		default:
			issue(UserToken(form.Get("client_id")))
		}
		return
	default:
		oauthErr("unsupported_grant_type", "Invalid grant_type: "+grant)
		return
	}
	if jwtErr != nil {
		oauthErr("invalid_grant", "Invalid JWT: "+jwtErr.Error())
		return
	}
	acct := s.accounts[claims.Iss]
	now := time.Now().Unix()
	switch {
	case acct == nil:
		oauthErr("invalid_grant", "Invalid grant: account not found")
	case header.Alg != "RS256" || (header.Kid != "" && header.Kid != acct.keyID):
		oauthErr("invalid_grant", "Invalid JWT Signature.")
	case rsa.VerifyPKCS1v15(acct.pub, crypto.SHA256, sha256Sum(signed), sig) != nil:
		oauthErr("invalid_grant", "Invalid JWT Signature.")
	case claims.Aud != s.TokenURI():
		oauthErr("invalid_grant", "Invalid JWT: Failed audience check.")
	case claims.Exp-claims.Iat > 3600 || claims.Exp < now-60 || claims.Iat > now+300:
		oauthErr("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
	case claims.Scope == "":
		oauthErr("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
	default:
		issue(ServiceAccountToken(claims.Iss))
	}
}

const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type jwtClaims struct {
	Iss   string `json:"iss"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Exp   int64  `json:"exp"`
	Iat   int64  `json:"iat"`
}

func splitJWT(jwt string) (claims jwtClaims, header jwtHeader, sig, signed []byte, err error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return claims, header, nil, nil, fmt.Errorf("not a JWT")
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil {
		return claims, header, nil, nil, fmt.Errorf("malformed JWT")
	}
	return claims, header, sig, []byte(parts[0] + "." + parts[1]), nil
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// serveIAM serves IAM Credentials'
// POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken.
func (s *Server) serveIAM(w http.ResponseWriter, r *http.Request, req *Request) {
	rest := strings.TrimPrefix(req.Path, "/v1/projects/-/serviceAccounts/")
	target, isGenerate := strings.CutSuffix(rest, ":generateAccessToken")
	target, unescErr := url.PathUnescape(target)
	req.Principal = target
	var in struct {
		Delegates []string `json:"delegates"`
		Scope     []string `json:"scope"`
		Lifetime  string   `json:"lifetime"`
	}
	bodyErr := json.Unmarshal(req.Body, &in)
	req.Scopes, req.Delegates = in.Scope, in.Delegates
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, *req)
	if !isGenerate || unescErr != nil || r.Method != http.MethodPost {
		writeGFE404(w, req.Path)
		return
	}
	if !s.authorizedIAM(w, r) {
		return
	}
	if f := s.fault(APIIAMCredentials, ""); f != nil && writeFault(w, f) {
		return
	}
	if bodyErr != nil {
		writeError(w, 0, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	if len(in.Scope) == 0 {
		writeError(w, 0, "INVALID_ARGUMENT", "Scope required.")
		return
	}
	denied := "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist)."
	for _, d := range in.Delegates {
		email, ok := strings.CutPrefix(d, "projects/-/serviceAccounts/")
		if !ok || !s.impersonate[email] {
			writeError(w, 0, "PERMISSION_DENIED", denied)
			return
		}
	}
	if !s.impersonate[target] {
		writeError(w, 0, "PERMISSION_DENIED", denied)
		return
	}
	tok := ImpersonatedToken(target)
	s.tokens[tok] = true
	writeJSON(w, http.StatusOK, map[string]string{
		"accessToken": tok,
		"expireTime":  time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	})
}

// authorizedIAM checks the caller's token as IAM does. The caller holds s.mu.
func (s *Server) authorizedIAM(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !s.tokens[tok] {
		writeError(w, 0, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return false
	}
	return true
}
