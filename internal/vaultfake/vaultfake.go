// Package vaultfake is a wire-level fake of the HashiCorp Vault HTTP API
// endpoints secretpath's Vault backend calls, for tests: KV version 1 and 2
// reads (KV v1 with the lease_duration a ttl key sets), KV v2 metadata
// reads (each Put is a new version), token lookup-self / renew-self /
// revoke-self, and the login
// endpoints of the approle, userpass, ldap, kubernetes, jwt, github, cert,
// aws (iam), radius, azure and gcp auth methods. It listens on 127.0.0.1
// only.
//
// Answers follow what a real Vault 1.14.1 sends (shared/notes/test-doubles.md
// §1c): the same JSON envelopes, 404 {"errors":[]} for a missing secret, 403
// {"errors":["permission denied"]} for a bad token, 400 with the auth
// method's message for a failed login. A request's X-Vault-Namespace header
// is prefixed to its path, as Vault Enterprise does, so a mount registered
// as "team1/secret" answers /v1/secret/... in namespace team1.
//
// Unlike the real server it can fail any request on demand (Fault), records
// every request, revokes or expires tokens from the test, and enforces a
// token's path prefixes as a stand-in for policies.
package vaultfake

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Auth method types the fake can mount.
const (
	AppRole    = "approle"
	Userpass   = "userpass"
	LDAP       = "ldap"
	Kubernetes = "kubernetes"
	JWT        = "jwt"
	GitHub     = "github"
	Cert       = "cert"
	AWS        = "aws" // aws_iam logins (the signed STS GetCallerIdentity request)
)

// Request is one request the fake received.
type Request struct {
	Method    string
	Path      string // without /v1/ and without the namespace prefix
	Namespace string // the X-Vault-Namespace header
	Token     string // the X-Vault-Token header
	Body      []byte
	Header    http.Header
}

// Fault is an answer the fake gives instead of the normal one.
type Fault struct {
	Path   string // the path (without /v1/) it applies to, or a prefix ending in "*"; "" = any
	Status int    // HTTP status; 0 means 500
	Errors []string
	// Body, when set, is sent as is instead of {"errors": Errors}.
	Body string
	// QuoteBody appends the request's body to each of Errors, as a
	// proxy or a verbose plugin quoting the request would (Vault's own
	// methods do not), so that a test can check a client masks what it
	// sent.
	QuoteBody bool
	// Times is how many matching requests it answers; 0 means all.
	Times int
}

// TokenOptions describe the tokens a login issues or a test creates.
type TokenOptions struct {
	TTL       time.Duration // 0 = no expiry (reported as ttl 0)
	Renewable bool
	// Paths are the path prefixes (namespace included, e.g. "secret/data/")
	// the token may read; nil means every path.
	Paths    []string
	Policies []string // reported only; nil means ["default"]
	// Unenforced: TTL is reported (lease_duration) but the token never
	// expires, so a test can tell a client that logs in again before
	// expiry from one that waits for a 403.
	Unenforced bool
}

// Token is a token the fake knows.
type Token struct {
	ID       string
	Accessor string
	TokenOptions
	Orphan  bool
	Created time.Time
	expires time.Time // zero = never
	revoked bool
	renews  int
	login   string // the auth path that issued it ("" = created by the test)
}

type authMount struct {
	typ   string
	opts  TokenOptions
	creds map[string]string // approle: role_id -> secret_id; userpass/ldap/radius: user -> password; kubernetes/jwt: role -> jwt; github: token -> ""; cert: fingerprint -> role name; azure: role -> ""
	cloud cloudAuth         // azure and gcp: what verifies their JWTs (cloudauth.go)
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port (https with StartTLS).
	URL string

	srv *httptest.Server

	mu      sync.Mutex
	mounts  map[string]int                       // KV mount path (namespace included) -> version
	secrets map[string]map[string]map[string]any // mount -> path -> data
	deleted map[string]bool                      // mount + "\x00" + path: soft-deleted (KV v2)
	meta    map[string]*kvMeta                   // mount + "\x00" + path: a KV v2 secret's metadata
	auths   map[string]*authMount                // auth mount path -> method
	tokens  map[string]*Token
	faults  []*Fault
	reqs    []Request
}

// New starts a plain-HTTP fake that is closed when t ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := NewServer()
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a plain-HTTP fake; Close stops it.
func NewServer() *Server {
	s := newServer()
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL
	return s
}

// NewTLS starts an HTTPS fake that asks for (but does not require) a client
// certificate, as the cert auth method needs; it is closed when t ends.
// Client is an *http.Client that trusts it; CACertPEM is its certificate.
func NewTLS(t testing.TB) *Server {
	t.Helper()
	s := newServer()
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	s.srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	s.srv.StartTLS()
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

func newServer() *Server {
	return &Server{
		mounts:  map[string]int{},
		secrets: map[string]map[string]map[string]any{},
		deleted: map[string]bool{},
		meta:    map[string]*kvMeta{},
		auths:   map[string]*authMount{},
		tokens:  map[string]*Token{},
	}
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client that trusts the server (for NewTLS).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CACertPEM returns the server's TLS certificate in PEM form (NewTLS only).
func (s *Server) CACertPEM() []byte {
	c := s.srv.Certificate()
	if c == nil {
		return nil
	}
	return pemEncode("CERTIFICATE", c.Raw)
}

// Mount creates a KV mount of the given version (1 or 2) at path.
func (s *Server) Mount(path string, version int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path = strings.Trim(path, "/")
	s.mounts[path] = version
	if s.secrets[path] == nil {
		s.secrets[path] = map[string]map[string]any{}
	}
}

// Put stores data at path in mount (which must exist), replacing any
// previous value and undoing a soft delete. In a KV v2 mount it is a new
// version of the secret (current_version + 1), as `vault kv put` makes.
// In a KV v1 mount, a ttl key in data sets the lease_duration its reads
// answer (see kv1Lease); KV v2 reads answer 0 whatever the data holds.
func (s *Server) Put(mount, path string, data map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mount = strings.Trim(mount, "/")
	if _, ok := s.mounts[mount]; !ok {
		panic("vaultfake: Put into unknown mount " + mount)
	}
	s.secrets[mount][path] = data
	key := mount + "\x00" + path
	delete(s.deleted, key)
	if s.mounts[mount] == 2 {
		m := s.meta[key]
		now := time.Now().UTC()
		if m == nil {
			m = &kvMeta{created: now}
			s.meta[key] = m
		}
		m.versions = append(m.versions, kvVersion{created: now})
		m.updated = now
	}
}

// SoftDelete marks the latest version of a KV v2 secret deleted: reads
// answer 404 with the metadata envelope, and the metadata gives the
// version a deletion_time, as Vault does.
func (s *Server) SoftDelete(mount, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.Trim(mount, "/") + "\x00" + path
	s.deleted[key] = true
	if m := s.meta[key]; m != nil && len(m.versions) > 0 {
		m.versions[len(m.versions)-1].deleted = time.Now().UTC()
		m.updated = time.Now().UTC()
	}
}

// DeleteMetadata removes a KV v2 secret with all its versions and its
// metadata, as `vault kv metadata delete` does: reads of its data and of
// its metadata answer 404.
func (s *Server) DeleteMetadata(mount, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mount = strings.Trim(mount, "/")
	key := mount + "\x00" + path
	delete(s.secrets[mount], path)
	delete(s.deleted, key)
	delete(s.meta, key)
}

// EnableAuth mounts an auth method of type typ at path ("" = typ), whose
// logins issue tokens with opts.
func (s *Server) EnableAuth(path, typ string, opts TokenOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if path == "" {
		path = typ
	}
	s.auths[strings.Trim(path, "/")] = &authMount{typ: typ, opts: opts, creds: map[string]string{}}
}

// AddCredential registers a credential with the auth method at path:
// approle (role_id, secret_id; "" secret_id = bind_secret_id false),
// userpass and ldap (username, password), kubernetes and jwt (role, jwt),
// github (token, ""), cert (SHA-256 hex fingerprint of the client
// certificate's DER, role name), aws (access key id, secret access key:
// the fake recomputes the request's SigV4 signature with them).
func (s *Server) AddCredential(path, key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.auths[strings.Trim(path, "/")]
	if a == nil {
		panic("vaultfake: AddCredential to unknown auth mount " + path)
	}
	a.creds[key] = value
}

// CertFingerprint is the key AddCredential takes for a cert credential.
func CertFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token (as `vault token create` would) and returns its id.
func (s *Server) CreateToken(opts TokenOptions) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTokenLocked(opts, "").ID
}

// RevokeToken revokes one token: later requests with it get 403.
func (s *Server) RevokeToken(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[id]; t != nil {
		t.revoked = true
	}
}

// RevokeLoginTokens revokes every token a login issued, as an expiry
// would, and returns how many.
func (s *Server) RevokeLoginTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tokens {
		if t.login != "" && !t.revoked {
			t.revoked = true
			n++
		}
	}
	return n
}

// TokenInfo returns a copy of the token's state, and whether it exists.
func (s *Server) TokenInfo(id string) (Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[id]
	if !ok {
		return Token{}, false
	}
	return *t, true
}

// Revoked reports whether token id exists and is revoked.
func (s *Server) Revoked(id string) bool {
	t, ok := s.TokenInfo(id)
	return ok && t.revoked
}

// Renewals returns how many times token id was renewed.
func (s *Server) Renewals(id string) int {
	t, _ := s.TokenInfo(id)
	return t.renews
}

// LoginTokens returns the ids of the tokens logins issued, oldest first.
func (s *Server) LoginTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ts []*Token
	for _, t := range s.tokens {
		if t.login != "" {
			ts = append(ts, t)
		}
	}
	sortTokens(ts)
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}

// Fail installs a fault.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Count returns how many requests had the given path (without /v1/ and
// namespace); a path ending in "*" is a prefix.
func (s *Server) Count(path string) int {
	n := 0
	for _, r := range s.Requests() {
		if match(path, r.Path) {
			n++
		}
	}
	return n
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

func match(pattern, path string) bool {
	if pattern == "" {
		return true
	}
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, p)
	}
	return pattern == path
}

// ---- HTTP ----

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	path, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		writeErrors(w, http.StatusNotFound, nil)
		return
	}
	ns := strings.Trim(r.Header.Get("X-Vault-Namespace"), "/")
	method := r.Method
	if method == http.MethodGet && r.URL.Query().Get("list") == "true" {
		method = "LIST"
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{
		Method: method, Path: path, Namespace: ns, Token: r.Header.Get("X-Vault-Token"),
		Body: body, Header: r.Header.Clone(),
	})
	if f := s.faultLocked(path); f != nil {
		s.mu.Unlock()
		if f.Body != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, f.Body)
			return
		}
		errs := f.Errors
		if f.QuoteBody {
			errs = make([]string, len(f.Errors))
			for i, e := range f.Errors {
				errs[i] = e + string(body)
			}
		}
		writeErrors(w, f.Status, errs)
		return
	}
	status, resp := s.route(r, method, ns, path, body)
	s.mu.Unlock()
	writeJSON(w, status, resp)
}

func (s *Server) faultLocked(path string) *Fault {
	for i, f := range s.faults {
		if !match(f.Path, path) {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		out := *f
		if out.Status == 0 {
			out.Status = http.StatusInternalServerError
		}
		return &out
	}
	return nil
}

// route answers one request; s.mu is held. resp nil means an empty body.
// path is the request's path, ns its namespace.
func (s *Server) route(r *http.Request, method, ns, path string, body []byte) (int, any) {
	// Logins need no token.
	if mount, rest, ok := s.authMountLocked(ns, path); ok {
		if rest == "login" || strings.HasPrefix(rest, "login/") {
			if method != http.MethodPost && method != http.MethodPut {
				return http.StatusMethodNotAllowed, errorsBody(nil)
			}
			return s.loginLocked(r, mount, rest, body)
		}
	}
	tok := s.validTokenLocked(r.Header.Get("X-Vault-Token"))
	if tok == nil {
		return http.StatusForbidden, errorsBody([]string{"permission denied"})
	}
	switch path {
	case "auth/token/lookup-self":
		return http.StatusOK, envelope(tokenData(tok), nil, 0)
	case "auth/token/renew-self":
		if method != http.MethodPost && method != http.MethodPut {
			return http.StatusMethodNotAllowed, errorsBody(nil)
		}
		if !tok.Renewable {
			return http.StatusBadRequest, errorsBody([]string{"lease is not renewable"})
		}
		var in struct {
			Increment json.RawMessage `json:"increment"`
		}
		_ = json.Unmarshal(body, &in)
		tok.renews++
		if tok.TTL > 0 && !tok.Unenforced {
			tok.expires = time.Now().Add(tok.TTL)
		}
		return http.StatusOK, envelope(nil, authBody(tok, nil), 0)
	case "auth/token/revoke-self":
		if method != http.MethodPost && method != http.MethodPut {
			return http.StatusMethodNotAllowed, errorsBody(nil)
		}
		tok.revoked = true
		return http.StatusNoContent, nil
	}
	if method != http.MethodGet {
		return http.StatusMethodNotAllowed, errorsBody(nil)
	}
	if ns != "" {
		path = ns + "/" + path
	}
	return s.readLocked(tok, path)
}

func (s *Server) readLocked(tok *Token, path string) (int, any) {
	if !tok.allowed(path) {
		return http.StatusForbidden, errorsBody([]string{"1 error occurred:\n\t* permission denied\n\n"})
	}
	mount, rest := s.kvMountLocked(path)
	if mount == "" {
		return http.StatusNotFound, errorsBody([]string{fmt.Sprintf("no handler for route %q. route entry not found.", path)})
	}
	if s.mounts[mount] == 1 {
		data, ok := s.secrets[mount][rest]
		if !ok {
			return http.StatusNotFound, errorsBody(nil)
		}
		return http.StatusOK, envelope(data, nil, kv1Lease(data))
	}
	if key, ok := strings.CutPrefix(rest, "metadata/"); ok {
		m := s.meta[mount+"\x00"+key]
		if m == nil || key == "" {
			return http.StatusNotFound, errorsBody(nil)
		}
		return http.StatusOK, envelope(m.body(), nil, 0)
	}
	key, ok := strings.CutPrefix(rest, "data/")
	if !ok {
		// Vault answers reads of a KV v2 mount outside data/ like this.
		return http.StatusNotFound, errorsBody(nil)
	}
	data, ok := s.secrets[mount][key]
	if !ok {
		return http.StatusNotFound, errorsBody(nil)
	}
	meta := map[string]any{
		"created_time": "2026-11-29T11:46:23.842434206Z", "custom_metadata": nil,
		"deletion_time": "", "destroyed": false, "version": 1,
	}
	if m := s.meta[mount+"\x00"+key]; m != nil && len(m.versions) > 0 {
		meta["version"] = len(m.versions)
		meta["created_time"] = m.versions[len(m.versions)-1].created.Format(time.RFC3339Nano)
	}
	if s.deleted[mount+"\x00"+key] {
		meta["deletion_time"] = "2026-11-29T12:00:00.000000000Z"
		return http.StatusNotFound, envelope(map[string]any{"data": nil, "metadata": meta}, nil, 0)
	}
	return http.StatusOK, envelope(map[string]any{"data": data, "metadata": meta}, nil, 0)
}

// DefaultLease is the lease_duration, in seconds, of a KV v1 read of a
// secret without a ttl key: the mount's default lease TTL, 32 days unless
// tuned.
const DefaultLease = 2764800

// kv1Lease is a KV v1 read's lease_duration: the secret's ttl key, as the
// real server (1.14.1, internal/testinfra/vaultdev) answers it: a whole
// number of seconds (a JSON integer or a string of digits, negative
// numbers echoed as they are) or a duration string with a unit ("1s",
// "1500ms" = 1, "2m", "1d"), rounded down to whole seconds; "0" is 0. A
// ttl of any other form (a fraction, a boolean, a string that does not
// parse) and no ttl at all give the mount's default, DefaultLease. Vault
// does not cap it at the mount's max TTL. The KV docs
// (developer.hashicorp.com/vault/docs/secrets/kv/kv-v1#ttls) call it the
// refresh interval: Vault never removes the secret.
func kv1Lease(data map[string]any) int {
	switch v := data["ttl"].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64: // what a JSON integer decodes to
		if v == math.Trunc(v) {
			return int(v)
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return int(n)
		}
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		if days, ok := strings.CutSuffix(v, "d"); ok {
			if n, err := strconv.Atoi(days); err == nil {
				return n * 86400
			}
		}
		if d, err := time.ParseDuration(v); err == nil {
			return int(d / time.Second)
		}
	}
	return DefaultLease
}

// kvMeta is a KV v2 secret's metadata: its versions, oldest first
// (version n is versions[n-1]; the last is current_version).
type kvMeta struct {
	created, updated time.Time
	versions         []kvVersion
}

type kvVersion struct {
	created, deleted time.Time // deleted zero: not deleted
}

// body is the data of GET <mount>/metadata/<path>, as Vault 1.14.1 answers
// it ("Read secret metadata" in the KV v2 API reference,
// developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2#read-secret-metadata;
// the Go client's KVv2.GetMetadata decodes it; the same keys and types
// as the answer captured from internal/testinfra/vaultdev, 404
// {"errors":[]} for a path without metadata): current_version, the
// times, the settings, and versions keyed by number as a string, each
// with its created_time, deletion_time ("" when not deleted) and
// destroyed.
func (m *kvMeta) body() map[string]any {
	versions := map[string]any{}
	for i, v := range m.versions {
		del := ""
		if !v.deleted.IsZero() {
			del = v.deleted.Format(time.RFC3339Nano)
		}
		versions[fmt.Sprint(i+1)] = map[string]any{
			"created_time": v.created.Format(time.RFC3339Nano), "deletion_time": del, "destroyed": false,
		}
	}
	return map[string]any{
		"cas_required": false, "created_time": m.created.Format(time.RFC3339Nano),
		"current_version": len(m.versions), "custom_metadata": nil, "delete_version_after": "0s",
		"max_versions": 0, "oldest_version": 0, "updated_time": m.updated.Format(time.RFC3339Nano),
		"versions": versions,
	}
}

// kvMountLocked finds the KV mount path starts with (longest first).
func (s *Server) kvMountLocked(path string) (mount, rest string) {
	for m := range s.mounts {
		if r, ok := strings.CutPrefix(path, m+"/"); ok && len(m) > len(mount) {
			mount, rest = m, r
		}
	}
	return mount, rest
}

func (s *Server) authMountLocked(ns, path string) (*authMount, string, bool) {
	p, ok := strings.CutPrefix(path, "auth/")
	if !ok {
		return nil, "", false
	}
	if ns != "" {
		p = ns + "/" + p
	}
	var best string
	for m := range s.auths {
		if strings.HasPrefix(p, m+"/") && len(m) > len(best) {
			best = m
		}
	}
	if best == "" {
		return nil, "", false
	}
	return s.auths[best], strings.TrimPrefix(p, best+"/"), true
}

func (s *Server) loginLocked(r *http.Request, a *authMount, rest string, body []byte) (int, any) {
	var in map[string]any
	if len(body) > 0 && json.Unmarshal(body, &in) != nil {
		return http.StatusBadRequest, errorsBody([]string{"failed to parse JSON input"})
	}
	str := func(k string) string { v, _ := in[k].(string); return v }
	meta := map[string]any{}
	switch a.typ {
	case AppRole:
		if rest != "login" {
			return http.StatusNotFound, errorsBody(nil)
		}
		roleID := str("role_id")
		if roleID == "" {
			return http.StatusBadRequest, errorsBody([]string{"missing role_id"})
		}
		want, ok := a.creds[roleID]
		if !ok {
			return http.StatusBadRequest, errorsBody([]string{"invalid role ID"})
		}
		if want != "" && str("secret_id") != want {
			return http.StatusBadRequest, errorsBody([]string{"invalid secret id"})
		}
		meta["role_name"] = "role"
	case Userpass, LDAP:
		user, ok := strings.CutPrefix(rest, "login/")
		if !ok || user == "" {
			return http.StatusBadRequest, errorsBody([]string{"missing username"})
		}
		want, ok := a.creds[user]
		if !ok || str("password") != want || want == "" {
			if a.typ == LDAP {
				return http.StatusBadRequest, errorsBody([]string{"ldap operation failed: failed to bind as user"})
			}
			return http.StatusBadRequest, errorsBody([]string{"invalid username or password"})
		}
		meta["username"] = user
	case Kubernetes, JWT:
		if rest != "login" {
			return http.StatusNotFound, errorsBody(nil)
		}
		role := str("role")
		want, ok := a.creds[role]
		if !ok {
			return http.StatusBadRequest, errorsBody([]string{fmt.Sprintf("invalid role name %q", role)})
		}
		if str("jwt") == "" {
			return http.StatusBadRequest, errorsBody([]string{"missing jwt"})
		}
		if str("jwt") != want {
			return http.StatusForbidden, errorsBody([]string{"permission denied"})
		}
		meta["role"] = role
	case GitHub:
		if rest != "login" {
			return http.StatusNotFound, errorsBody(nil)
		}
		if _, ok := a.creds[str("token")]; !ok || str("token") == "" {
			return http.StatusBadRequest, errorsBody([]string{"user is not part of required org"})
		}
		meta["org"] = "example"
	case Cert:
		if rest != "login" {
			return http.StatusNotFound, errorsBody(nil)
		}
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return http.StatusBadRequest, errorsBody([]string{"client certificate must be supplied"})
		}
		role, ok := a.creds[CertFingerprint(r.TLS.PeerCertificates[0].Raw)]
		if !ok || (str("name") != "" && str("name") != role) {
			return http.StatusBadRequest, errorsBody([]string{"invalid certificate or no client certificate supplied"})
		}
		meta["cert_name"] = role
	case AWS:
		if rest != "login" {
			return http.StatusNotFound, errorsBody(nil)
		}
		arn, msg := checkIAMLogin(r.Context(), a.creds, in)
		if msg != "" {
			return http.StatusBadRequest, errorsBody([]string{msg})
		}
		meta["canonical_arn"] = arn
		meta["role"] = str("role")
	case Radius, Azure, GCP:
		m, status, msg := cloudLogin(a, rest, in)
		if msg != "" {
			return status, errorsBody([]string{msg})
		}
		meta = m
	default:
		return http.StatusNotFound, errorsBody(nil)
	}
	tok := s.newTokenLocked(a.opts, "auth/"+a.typ)
	tok.Orphan = true
	return http.StatusOK, envelope(nil, authBody(tok, meta), 0)
}

func (s *Server) newTokenLocked(opts TokenOptions, login string) *Token {
	if opts.Policies == nil {
		opts.Policies = []string{"default"}
	}
	t := &Token{
		ID: "hvs." + randomString(24), Accessor: randomString(24),
		TokenOptions: opts, Created: time.Now(), login: login,
	}
	if opts.TTL > 0 && !opts.Unenforced {
		t.expires = t.Created.Add(opts.TTL)
	}
	s.tokens[t.ID] = t
	return t
}

func (s *Server) validTokenLocked(id string) *Token {
	t := s.tokens[id]
	if t == nil || t.revoked || (!t.expires.IsZero() && time.Now().After(t.expires)) {
		return nil
	}
	return t
}

func (t *Token) allowed(path string) bool {
	if t.Paths == nil {
		return true
	}
	for _, p := range t.Paths {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func (t *Token) ttlSeconds() int {
	if t.expires.IsZero() {
		return 0
	}
	return int(time.Until(t.expires).Round(time.Second) / time.Second)
}

// ---- response shapes (captured from Vault 1.14.1) ----

func envelope(data any, auth any, leaseDuration int) map[string]any {
	return map[string]any{
		"request_id": randomUUID(), "lease_id": "", "renewable": false, "lease_duration": leaseDuration,
		"data": data, "wrap_info": nil, "warnings": nil, "auth": auth,
	}
}

func authBody(t *Token, meta map[string]any) map[string]any {
	return map[string]any{
		"client_token": t.ID, "accessor": t.Accessor, "policies": t.Policies, "token_policies": t.Policies,
		"metadata": meta, "lease_duration": int(t.TTL / time.Second), "renewable": t.Renewable,
		"entity_id": "", "token_type": "service", "orphan": t.Orphan, "mfa_requirement": nil, "num_uses": 0,
	}
}

func tokenData(t *Token) map[string]any {
	var expire any
	if !t.expires.IsZero() {
		expire = t.expires.UTC().Format(time.RFC3339Nano)
	}
	return map[string]any{
		"accessor": t.Accessor, "creation_time": t.Created.Unix(), "creation_ttl": int(t.TTL / time.Second),
		"display_name": "token", "entity_id": "", "expire_time": expire, "explicit_max_ttl": 0,
		"id": t.ID, "issue_time": t.Created.UTC().Format(time.RFC3339Nano), "meta": nil, "num_uses": 0,
		"orphan": t.Orphan, "path": "auth/token/create", "policies": t.Policies,
		"renewable": t.Renewable, "ttl": t.ttlSeconds(), "type": "service",
	}
}

func errorsBody(errs []string) map[string]any {
	if errs == nil {
		errs = []string{}
	}
	return map[string]any{"errors": errs}
}

func writeErrors(w http.ResponseWriter, status int, errs []string) {
	writeJSON(w, status, errorsBody(errs))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if v == nil {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
