// Package azurefake is a wire-level fake of the Azure services secretpath's
// Azure Key Vault backend talks to, for tests. One HTTPS server on
// 127.0.0.1 (httptest's self-signed certificate, which is its own CA) plays
//
//   - the vault: GET /secrets/{name}/{version}?api-version=... with Key
//     Vault's challenge-based bearer authentication: a request without
//     Authorization gets 401 and a WWW-Authenticate challenge naming the
//     tenant and the resource https://vault.azure.net, a request with a
//     token the fake issued gets the documented 200 body, 404 SecretNotFound,
//     400 BadParameter for a name Key Vault refuses, or any fault;
//   - the vault's Get Secret Versions, GET /secrets/{name}/versions, with
//     the same authentication: every version's id and attributes, never a
//     value, in pages with nextLink (versions.go);
//   - the Microsoft Entra authority for client-secret credentials:
//     GET /{tenant}/v2.0/.well-known/openid-configuration and
//     POST /{tenant}/oauth2/v2.0/token (client_credentials), checking the
//     client id and secret;
//
// The HTTPS server asks each connection for a TLS client certificate
// (without requiring or verifying one) and records its common name.
//
// A plain-HTTP server on 127.0.0.1 plays the App Service managed
// identity endpoint (IDENTITY_ENDPOINT, api-version 2019-08-01, checking
// X-IDENTITY-HEADER). Every request is recorded. Shapes follow what the
// services send (shared/notes/test-doubles.md §4).
//
// Use [Isolate] in every test that builds a credential: it empties the
// machine's Azure environment and points the managed identity variables at
// this fake, so no credential chain can reach 169.254.169.254.
package azurefake

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fixed identities the fake knows. None is valid anywhere.
const (
	// Tenant is the tenant the vault's challenge names and the authority
	// serves.
	Tenant = "00000000-0000-4000-8000-0000000000aa"
	// ClientID and ClientSecret are the client-secret credential the
	// authority accepts.
	ClientID     = "00000000-0000-4000-8000-0000000000cc"
	ClientSecret = "fake-client-secret-Q8~not-a-real-one"
	// ManagedIdentityClientID is the user-assigned managed identity the
	// identity endpoint knows (besides the system-assigned one).
	ManagedIdentityClientID = "00000000-0000-4000-8000-0000000000dd"
	// IdentityHeader is the X-IDENTITY-HEADER value (IDENTITY_HEADER) the
	// identity endpoint requires.
	IdentityHeader = "fake-identity-header"
	// Resource is the resource the vault's challenge names; tokens are
	// requested for Resource + "/.default".
	Resource = "https://vault.azure.net"
	// IdentityPath is the identity endpoint's path.
	IdentityPath = "/msi/token"
)

// Request kinds, as recorded in Request.Kind.
const (
	KindGetSecret       = "GetSecret"
	KindListVersions    = "GetSecretVersions"
	KindOpenID          = "OpenIDConfiguration"
	KindToken           = "Token"
	KindManagedIdentity = "ManagedIdentity"
)

// Request is one request the fake received.
type Request struct {
	Kind string // one of the Kind constants, or "" for a request the fake does not serve
	// Name is the secret name as sent (GetSecret), the client id (Token),
	// or the user-assigned client id asked for ("" = system-assigned)
	// (ManagedIdentity).
	Name       string
	Version    string // the secret version asked for ("" = latest)
	APIVersion string // the api-version query parameter
	Tenant     string // the tenant in the authority path (OpenID, Token)
	Scope      string // Token: the scope; ManagedIdentity: the resource
	// Authorized: the request carried "Authorization: Bearer <token>"
	// (GetSecret), whether or not the token was valid.
	Authorized bool
	Path       string
	Query      url.Values
	Header     http.Header
	// ClientCert is the common name of the TLS client certificate the
	// request's connection presented ("" = none). The HTTPS server asks
	// for one and does not verify it (see WriteClientCert).
	ClientCert string
}

// Fault is an answer the vault gives instead of the normal one, to
// requests that carry a valid token.
type Fault struct {
	// Name is the secret it applies to (compared ignoring case, as Key
	// Vault does); "" = any.
	Name string
	// Kind is the vault request it applies to (KindGetSecret,
	// KindListVersions); "" = both.
	Kind string
	// Status is the HTTP status; 0 means 500.
	Status int
	// Code, Inner and Message make Key Vault's error document
	// {"error":{"code":..,"message":..,"innererror":{"code":..}}}.
	Code, Inner, Message string
	// Header is added to the answer (for instance Retry-After).
	Header map[string]string
	// Body, when set, is sent as is instead of an error document (a
	// malformed or hostile response), with Status (0 meaning 200).
	Body string
	// Hang: no answer; the request waits until the client gives up (or
	// the fake is closed).
	Hang bool
	// Times is how many matching requests it answers; 0 means all.
	Times int
}

// Secret is a stored secret.
type Secret struct {
	Value       string
	ContentType string
	Disabled    bool // a disabled secret answers 403 Forbidden / SecretDisabled
	// Expires is the version's expiry, sent as attributes.exp (Unix
	// seconds: the sub-second part is dropped, as Key Vault keeps whole
	// seconds); zero: none, and no exp attribute. As Key Vault documents,
	// an expired secret's value can still be read: Get Secret answers 200.
	Expires time.Time
}

type token struct {
	tenant, resource string
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the vault's URL and the authority host: https://127.0.0.1:port.
	URL string
	// IdentityEndpoint is the managed identity endpoint's URL
	// (IDENTITY_ENDPOINT): http://127.0.0.1:port/msi/token.
	IdentityEndpoint string

	srv, idSrv *httptest.Server

	mu      sync.Mutex
	tenant  string
	secrets map[string]stored // by lower-cased name
	faults  []*Fault
	reqs    []Request
	tokens  map[string]token
	issued  int
	// pageSize is the Get Secret Versions page size (0 = DefaultPageSize).
	pageSize int
}

type stored struct {
	name    string // as created
	version string
	Secret
	// history is every version, the current one last.
	history []versionInfo
}

// versionInfo is a version's properties, as Get Secret Versions lists them.
type versionInfo struct {
	id               string
	created, updated int64 // Unix seconds, as Key Vault sends them
	enabled          bool
	contentType      string
	expires          int64 // Unix seconds; 0: no exp attribute
}

// New starts a fake that is closed when t ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := NewServer()
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake; Close stops it.
func NewServer() *Server {
	s := &Server{
		tenant:  Tenant,
		secrets: map[string]stored{},
		tokens:  map[string]token{},
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	s.srv.StartTLS()
	s.URL = s.srv.URL
	s.idSrv = httptest.NewServer(http.HandlerFunc(s.serveIdentity))
	s.IdentityEndpoint = s.idSrv.URL + IdentityPath
	return s
}

// Close stops the fake.
func (s *Server) Close() {
	s.srv.Close()
	s.idSrv.Close()
}

// CertPEM returns the HTTPS server's certificate in PEM: a CA bundle that
// trusts the fake.
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// WriteCA writes CertPEM to a file in a temporary directory and returns its
// path.
func (s *Server) WriteCA(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "azurefake-ca.pem")
	if err := os.WriteFile(p, s.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Client returns an HTTP client that trusts the fake's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetTenant changes the tenant the vault's challenge names (the authority
// serves any tenant in its path).
func (s *Server) SetTenant(tenant string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tenant = tenant
}

// SetSecret stores a secret's new version (enabled, no content type).
func (s *Server) SetSecret(name, value string) {
	s.Put(name, Secret{Value: value})
}

// Put stores a secret's new version. Names are compared ignoring case, as
// Key Vault does; the name is kept as given.
func (s *Server) Put(name string, sec Secret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(name)
	old := s.secrets[key]
	v := versionInfo{id: newID(), created: time.Now().Unix(), enabled: !sec.Disabled, contentType: sec.ContentType, expires: unixSeconds(sec.Expires)}
	v.updated = v.created
	s.secrets[key] = stored{name: name, version: v.id, Secret: sec, history: append(old.history[:len(old.history):len(old.history)], v)}
}

// SetExpiry sets the expiry (attributes.exp) of secret name's current
// version, as Update Secret (PATCH /secrets/{name}/{version} with
// {"attributes": {"exp": ...}}) does: no new version; the zero time
// removes it. It reports whether the secret exists.
func (s *Server) SetExpiry(name string, exp time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(name)
	sec, ok := s.secrets[key]
	if !ok {
		return false
	}
	sec.Expires = exp
	sec.history = slices.Clone(sec.history)
	last := &sec.history[len(sec.history)-1]
	last.expires, last.updated = unixSeconds(exp), time.Now().Unix()
	s.secrets[key] = sec
	return true
}

// unixSeconds is t as Key Vault's IntDate (whole Unix seconds), 0 for the
// zero time.
func unixSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// Delete removes a secret and all its versions (as a purge does: the
// fake keeps no deleted secrets).
func (s *Server) Delete(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.secrets, strings.ToLower(name))
}

// AddFault makes the vault answer matching requests with f (faults are
// tried in the order added).
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Count returns how many requests of kind were received ("" = all).
func (s *Server) Count(kind string) int {
	n := 0
	for _, r := range s.Requests() {
		if kind == "" || r.Kind == kind {
			n++
		}
	}
	return n
}

// Names returns the Name of every request of kind, in order.
func (s *Server) Names(kind string) []string {
	var names []string
	for _, r := range s.Requests() {
		if r.Kind == kind {
			names = append(names, r.Name)
		}
	}
	return names
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

// TokensIssued returns how many access tokens the authority and the
// identity endpoint have issued.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
}

var (
	secretPath   = regexp.MustCompile(`^/secrets/([^/]*)(?:/([^/]*))?/?$`)
	versionsPath = regexp.MustCompile(`^/secrets/([^/]*)/versions/?$`)
	openIDPath   = regexp.MustCompile(`^/([^/]+)/v2\.0/\.well-known/openid-configuration$`)
	tokenPath    = regexp.MustCompile(`^/([^/]+)/oauth2/v2\.0/token$`)
	validName    = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)
	bearerValue  = regexp.MustCompile(`^Bearer (\S+)$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := Request{Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), APIVersion: r.URL.Query().Get("api-version")}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		req.ClientCert = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	if m := versionsPath.FindStringSubmatch(r.URL.EscapedPath()); m != nil && r.Method == http.MethodGet {
		req.Kind = KindListVersions
		req.Name, _ = url.PathUnescape(m[1])
		s.mu.Lock()
		reply := s.versionsReply(r, req)
		s.mu.Unlock()
		reply(w)
		return
	}
	if m := secretPath.FindStringSubmatch(r.URL.EscapedPath()); m != nil && r.Method == http.MethodGet {
		req.Kind = KindGetSecret
		req.Name, _ = url.PathUnescape(m[1])
		req.Version, _ = url.PathUnescape(m[2])
		s.getSecret(w, r, req)
		return
	}
	if m := openIDPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		req.Kind, req.Tenant = KindOpenID, m[1]
		s.record(req)
		base := s.URL + "/" + m[1]
		writeJSON(w, http.StatusOK, map[string]any{
			"token_endpoint":                        base + "/oauth2/v2.0/token",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
			"issuer":                                base + "/v2.0",
			"tenant_region_scope":                   "EU",
			"cloud_instance_name":                   "microsoftonline.com",
		})
		return
	}
	if m := tokenPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPost {
		req.Kind, req.Tenant = KindToken, m[1]
		s.token(w, r, req)
		return
	}
	s.record(req)
	writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{
		"code": "NotFound", "message": "azurefake does not serve " + r.Method + " " + r.URL.Path,
	}})
}

// challenge is Key Vault's WWW-Authenticate header for the current tenant.
func (s *Server) challenge() string {
	return fmt.Sprintf(`Bearer authorization="https://login.microsoftonline.com/%s", resource="%s"`, s.tenant, Resource)
}

func (s *Server) getSecret(w http.ResponseWriter, r *http.Request, req Request) {
	s.mu.Lock()
	reply := s.secretReply(r, req)
	s.mu.Unlock()
	reply(w) // outside the lock: requests are answered concurrently
}

// kvError is a reply with Key Vault's error document; with challenge it
// carries the WWW-Authenticate challenge. s.mu is held.
func (s *Server) kvError(status int, code, inner, msg string, challenge bool) func(http.ResponseWriter) {
	header := ""
	if challenge {
		header = s.challenge()
	}
	return func(w http.ResponseWriter) {
		if header != "" {
			w.Header().Set("WWW-Authenticate", header)
		}
		writeKVError(w, status, code, inner, msg)
	}
}

// vaultCheck records req and checks what every vault request needs (a
// valid token for the vault, an api-version, a valid name), then the
// faults: it returns the reply when one of them decides it, else nil.
// s.mu is held.
func (s *Server) vaultCheck(r *http.Request, req *Request) func(http.ResponseWriter) {
	auth := r.Header.Get("Authorization")
	req.Authorized = auth != ""
	s.reqs = append(s.reqs, *req)
	kvError := s.kvError
	if auth == "" {
		return kvError(http.StatusUnauthorized, "Unauthorized", "", "AKV10000: Request is missing a Bearer or PoP token.", true)
	}
	m := bearerValue.FindStringSubmatch(auth)
	var tok token
	ok := false
	if m != nil {
		tok, ok = s.tokens[m[1]]
	}
	switch {
	case !ok:
		return kvError(http.StatusUnauthorized, "Unauthorized", "", "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/"+s.tenant+"/.", true)
	case tok.tenant != s.tenant:
		return kvError(http.StatusUnauthorized, "Unauthorized", "", "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/"+s.tenant+"/, found https://sts.windows.net/"+tok.tenant+"/.", true)
	case tok.resource != Resource:
		return kvError(http.StatusUnauthorized, "Unauthorized", "", "AKV10022: Invalid audience. Expected "+Resource+", found: "+tok.resource+".", true)
	case req.APIVersion == "":
		return kvError(http.StatusBadRequest, "BadParameter", "", "The request URI contains an invalid api-version: the api-version parameter is required.", false)
	case !validName.MatchString(req.Name):
		return kvError(http.StatusBadRequest, "BadParameter", "", "The request URI contains an invalid name: "+req.Name, false)
	}
	if f := s.fault(req.Kind, req.Name); f != nil {
		if f.Hang {
			return func(http.ResponseWriter) { <-r.Context().Done() }
		}
		challenge := s.challenge()
		return func(w http.ResponseWriter) { writeFault(w, f, challenge) }
	}
	return nil
}

// secretReply decides the vault's answer to req. s.mu is held.
func (s *Server) secretReply(r *http.Request, req Request) func(http.ResponseWriter) {
	if reply := s.vaultCheck(r, &req); reply != nil {
		return reply
	}
	kvError := s.kvError
	sec, ok := s.secrets[strings.ToLower(req.Name)]
	if !ok || (req.Version != "" && req.Version != sec.version) {
		id := req.Name
		if req.Version != "" {
			id += "/" + req.Version
		}
		return kvError(http.StatusNotFound, "SecretNotFound", "",
			"A secret with (name/id) "+id+" was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182", false)
	}
	if sec.Disabled {
		return kvError(http.StatusForbidden, "Forbidden", "SecretDisabled", "Operation get is not allowed on a disabled secret.", false)
	}
	attrs := map[string]any{
		"enabled": true, "created": 1764417600, "updated": 1764417600,
		"recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90,
	}
	if exp := unixSeconds(sec.Expires); exp != 0 {
		attrs["exp"] = exp // Key Vault's IntDate: Unix seconds
	}
	body := map[string]any{
		"value":      sec.Value,
		"id":         s.URL + "/secrets/" + sec.name + "/" + sec.version,
		"attributes": attrs,
		"tags":       map[string]string{},
	}
	if sec.ContentType != "" {
		body["contentType"] = sec.ContentType
	}
	return func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, body) }
}

// fault returns the first fault matching name, counting it. s.mu is held.
func (s *Server) fault(kind, name string) *Fault {
	for _, f := range s.faults {
		if f.Name != "" && !strings.EqualFold(f.Name, name) || f.Kind != "" && f.Kind != kind {
			continue
		}
		if f.Times < 0 {
			continue
		}
		out := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				f.Times = -1 // used up
			}
		}
		return &out
	}
	return nil
}

// writeFault answers with f; a 401 error document carries challenge, as
// Key Vault's do.
func writeFault(w http.ResponseWriter, f *Fault, challenge string) {
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	if f.Body != "" {
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.Body)
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	writeKVError(w, status, f.Code, f.Inner, f.Message)
}

// writeKVError writes Key Vault's error document.
func writeKVError(w http.ResponseWriter, status int, code, inner, msg string) {
	e := map[string]any{"code": code, "message": msg}
	if inner != "" {
		e["innererror"] = map[string]string{"code": inner}
	}
	w.Header().Set("x-ms-keyvault-service-version", "1.9.2867.1")
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-request-id", "6f1b6e4c-0000-4000-8000-000000000000")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// token serves the authority's client_credentials grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request, req Request) {
	_ = r.ParseForm()
	req.Name = r.PostForm.Get("client_id")
	req.Scope = r.PostForm.Get("scope")
	s.record(req)
	// MSAL adds the OpenID scopes; the resource is the one scope ending in
	// /.default.
	resource := ""
	for _, sc := range strings.Fields(req.Scope) {
		switch {
		case sc == "openid" || sc == "offline_access" || sc == "profile":
		case strings.HasSuffix(sc, "/.default") && resource == "":
			resource = strings.TrimSuffix(sc, "/.default")
		default:
			resource = "" // another scope: invalid
		}
	}
	aadError := func(status int, code, desc string, codes ...int) {
		writeJSON(w, status, map[string]any{
			"error": code, "error_description": desc, "error_codes": codes,
			"timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z"),
			"trace_id":  "0b7d4e1c-0000-4000-8000-000000000000", "correlation_id": "1c8e5f2d-0000-4000-8000-000000000000",
		})
	}
	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		aadError(http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.", 70003)
	case req.Name != ClientID:
		aadError(http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application with identifier '"+req.Name+"' was not found in the directory '"+req.Tenant+"'.", 700016)
	case r.PostForm.Get("client_secret") != ClientSecret:
		aadError(http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.", 7000215)
	case resource == "":
		aadError(http.StatusBadRequest, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.", 1002012)
	default:
		tok := s.issue(req.Tenant, resource)
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
	}
}

// issue records and returns a new access token.
func (s *Server) issue(tenant, resource string) string {
	tok := "fake-access-token-" + newID()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = token{tenant: tenant, resource: resource}
	s.issued++
	return tok
}

// serveIdentity serves the App Service managed identity endpoint.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := Request{Kind: KindManagedIdentity, Path: r.URL.Path, Query: q, Header: r.Header.Clone(),
		APIVersion: q.Get("api-version"), Name: q.Get("client_id"), Scope: q.Get("resource")}
	if r.URL.Path != IdentityPath || r.Method != http.MethodGet {
		req.Kind = ""
		s.record(req)
		http.NotFound(w, r)
		return
	}
	s.record(req)
	msiError := func(status int, msg string) {
		writeJSON(w, status, map[string]any{"statusCode": status, "message": msg, "correlationId": "2d9f6a3e-0000-4000-8000-000000000000"})
	}
	switch {
	case r.Header.Get("X-IDENTITY-HEADER") != IdentityHeader:
		msiError(http.StatusUnauthorized, "The request is missing or has an invalid X-IDENTITY-HEADER.")
	case req.APIVersion != "2019-08-01":
		msiError(http.StatusBadRequest, "Unsupported api-version.")
	case req.Scope == "":
		msiError(http.StatusBadRequest, "The resource parameter is required.")
	case q.Has("mi_res_id") || q.Has("object_id") || (req.Name != "" && req.Name != ManagedIdentityClientID):
		msiError(http.StatusBadRequest, "Unable to load the proper Managed Identity.")
	default:
		s.mu.Lock()
		tenant := s.tenant
		s.mu.Unlock()
		resource := strings.TrimSuffix(req.Scope, "/.default")
		tok := s.issue(tenant, resource)
		cid := req.Name
		if cid == "" {
			cid = "00000000-0000-4000-8000-0000000000ee" // the system-assigned identity
		}
		writeJSON(w, http.StatusOK, map[string]string{
			"access_token": tok,
			"expires_on":   strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10),
			"resource":     req.Scope,
			"token_type":   "Bearer",
			"client_id":    cid,
		})
	}
}

// newID returns 32 random hex digits, the shape of a Key Vault version.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
