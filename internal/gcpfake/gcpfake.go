// Package gcpfake is a wire-level fake of the Google Cloud endpoints that
// secretpath's GCP Secret Manager backend talks to, for tests. One loopback
// server (127.0.0.1 only) answers:
//
//   - Secret Manager's REST AccessSecretVersion,
//     GET /v1/projects/{project}/secrets/{secret}/versions/{version}:access,
//     with the service's JSON (base64 payload, dataCrc32c as a decimal int64
//     in a JSON string, the project number in the returned name) and its
//     error JSON ({"error": {"code", "message", "status"}});
//   - Secret Manager's REST GetSecretVersion (metadata, no payload),
//     GET /v1/projects/{project}/secrets/{secret}/versions/{version}, with
//     the SecretVersion resource (name, createTime, destroyTime, state,
//     replicationStatus, etag) and the same errors (versions.go);
//   - Secret Manager's REST GetSecret (the Secret resource: expireTime,
//     rotation.nextRotationTime, no payload),
//     GET /v1/projects/{project}/secrets/{secret} (secret.go);
//   - the GCE metadata server under /computeMetadata/v1/ (point
//     GCE_METADATA_HOST at [Server.MetadataHost] for Application Default
//     Credentials): it requires Metadata-Flavor: Google, as the real one does;
//   - an OAuth 2.0 token endpoint at /token for credentials whose token_uri
//     names it: the JWT bearer grant of service-account keys (the JWT's
//     RS256 signature is checked against the key [Server.ServiceAccountKey]
//     made) and the refresh-token grant of authorized users
//     ([Server.AuthorizedUser]);
//   - IAM Credentials generateAccessToken, for impersonation;
//   - IAM v1 projects.serviceAccounts.signJwt and the metadata server's
//     instance identity tokens, whose RS256 signatures [SigningKey] checks
//     (signjwt.go).
//
// Requests to Secret Manager must carry a bearer token the fake issued (or
// one allowed with [Server.AllowToken]) unless [Server.AllowUnauthenticated];
// every request is recorded. Faults make any endpoint answer with any error,
// a wrong or missing checksum, or a malformed body, a given number of times.
// Shapes follow the services' documentation and shared/notes/test-doubles.md
// §3.
package gcpfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The APIs the fake serves, as recorded in Request.API and matched by
// Fault.API.
const (
	APISecretManager  = "secretmanager"
	APIMetadata       = "metadata"
	APIOAuth2         = "oauth2"
	APIIAMCredentials = "iamcredentials"
	APIIAM            = "iam" // IAM v1 projects.serviceAccounts.signJwt (signjwt.go)
)

// The project every server knows. Secret Manager answers requests naming
// either; the names it returns carry the number, as the service does.
const (
	ProjectID     = "secretpath-test"
	ProjectNumber = "123456789012"
)

// MetadataToken is the access token the metadata server hands out.
const MetadataToken = "ya29.fake-metadata-token"

// Version states.
const (
	Enabled   = "ENABLED"
	Disabled  = "DISABLED"
	Destroyed = "DESTROYED"
)

// Request is one request the fake received.
type Request struct {
	API string // one of the API constants, "" for a URL no API serves
	// Route is Secret Manager's method: RouteAccess or RouteGetVersion
	// ("" for other APIs and for paths Secret Manager does not serve).
	Route  string
	Method string
	Path   string // the escaped path as sent
	Query  url.Values
	Header http.Header
	Body   []byte

	// Secret Manager: the path's parts, unescaped.
	Project, Secret, Version string
	// OAuth2: the JWT's issuer; IAM: the service account impersonated;
	// metadata: the service account whose token was asked for.
	Principal string
	// The scopes asked for (metadata's scopes parameter, the JWT's scope
	// claim, IAM's scope field).
	Scopes []string
	// IAM: the delegates, as sent.
	Delegates []string
}

// Fault is an answer the fake gives instead of the normal one.
type Fault struct {
	API    string // the API it applies to ("" = Secret Manager)
	Secret string // Secret Manager: the secret id it applies to ("" = any)
	// Route is the Secret Manager method it applies to (RouteAccess,
	// RouteGetVersion, RouteGetSecret; "" = any).
	Route string

	// Status is a google.rpc code name ("RESOURCE_EXHAUSTED"); the HTTP
	// status follows from it unless HTTPStatus is set. The error JSON
	// carries Message.
	Status     string
	Message    string
	HTTPStatus int

	// Body, when set, is sent as is with HTTPStatus (0 = 200) and
	// ContentType (default application/json; charset=UTF-8) instead of an
	// error document.
	Body        string
	ContentType string

	// BadCRC answers normally but with a dataCrc32c that does not match the
	// payload; NoCRC answers normally without dataCrc32c.
	BadCRC, NoCRC bool

	// Times is how many matching requests it answers; 0 means all.
	Times int
}

type version struct {
	data    []byte
	state   string
	created time.Time
	changed time.Time // the last state change (destroyTime when destroyed)
	etag    int       // bumped at each state change
}

type project struct {
	id, number string
	secrets    map[string][]version
	meta       map[string]secretMeta // the Secret resource's fields (secret.go)
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port: Secret Manager's
	// endpoint, and the IAM Credentials endpoint.
	URL string

	srv *httptest.Server

	mu          sync.Mutex
	projects    map[string]*project // by id
	byNumber    map[string]*project
	faults      []*Fault
	reqs        []Request
	tokens      map[string]bool // access tokens accepted by Secret Manager and IAM
	openAccess  bool
	mdProject   string
	mdAccount   string
	accounts    map[string]*serviceAccount // by client email
	users       map[string]user            // authorized users, by OAuth client id
	impersonate map[string]bool
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
		projects:    map[string]*project{},
		byNumber:    map[string]*project{},
		tokens:      map[string]bool{MetadataToken: true},
		mdProject:   ProjectID,
		mdAccount:   "default@" + ProjectID + ".iam.gserviceaccount.com",
		accounts:    map[string]*serviceAccount{},
		users:       map[string]user{},
		impersonate: map[string]bool{},
	}
	s.AddProject(ProjectID, ProjectNumber)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// MetadataHost is host:port for GCE_METADATA_HOST.
func (s *Server) MetadataHost() string { return strings.TrimPrefix(s.URL, "http://") }

// TokenURI is the OAuth 2.0 token endpoint (a key's token_uri).
func (s *Server) TokenURI() string { return s.URL + "/token" }

// AddProject makes a project known under its id and number.
func (s *Server) AddProject(id, number string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &project{id: id, number: number, secrets: map[string][]version{}, meta: map[string]secretMeta{}}
	s.projects[id] = p
	s.byNumber[number] = p
}

// PutSecret adds an enabled version holding value to secret in ProjectID,
// creating the secret if needed. It panics on a secret id the service would
// refuse (only letters, digits, '-' and '_', at most 255).
func (s *Server) PutSecret(secret, value string) {
	s.PutSecretVersion(ProjectID, secret, []byte(value))
}

// PutSecretVersion adds an enabled version holding data to secret in
// project (which must be known) and returns its number.
func (s *Server) PutSecretVersion(projectID, secret string, data []byte) int {
	if !ValidSecretID(secret) {
		panic(fmt.Sprintf("gcpfake: secret id %q is not one the service accepts", secret))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[projectID]
	if p == nil {
		panic("gcpfake: unknown project " + projectID)
	}
	now := time.Now().UTC()
	p.secrets[secret] = append(p.secrets[secret], version{data: append([]byte(nil), data...), state: Enabled, created: now, changed: now, etag: 1})
	return len(p.secrets[secret])
}

// SetVersionState sets a version's state (Enabled, Disabled, Destroyed).
func (s *Server) SetVersionState(projectID, secret string, n int, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := &s.projects[projectID].secrets[secret][n-1]
	v.state, v.changed = state, time.Now().UTC()
	v.etag++
}

// DeleteSecret removes a secret and its versions.
func (s *Server) DeleteSecret(projectID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.projects[projectID].secrets, secret)
	delete(s.projects[projectID].meta, secret)
}

// AllowToken makes Secret Manager and IAM accept a bearer token the fake did
// not issue.
func (s *Server) AllowToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = true
}

// AllowUnauthenticated makes Secret Manager answer requests without a
// valid bearer token.
func (s *Server) AllowUnauthenticated() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.openAccess = true
}

// SetMetadataProject sets the project id the metadata server reports (""
// = none: 404, as on a machine without one). The metadata client library
// caches the project for the whole process the first time it reads it, so
// this only matters before then.
func (s *Server) SetMetadataProject(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mdProject = id
}

// AddFault makes the fake answer matching requests with f (faults are
// tried in the order added).
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.API == "" {
		f.API = APISecretManager
	}
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

// RequestsTo returns the requests to api, in order.
func (s *Server) RequestsTo(api string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.API == api {
			out = append(out, r)
		}
	}
	return out
}

// CountRoute returns how many Secret Manager requests of route
// (RouteAccess, RouteGetVersion) were received.
func (s *Server) CountRoute(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.API == APISecretManager && r.Route == route {
			n++
		}
	}
	return n
}

// Count returns how many requests api received ("" = all).
func (s *Server) Count(api string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if api == "" || r.API == api {
			n++
		}
	}
	return n
}

// Secrets returns the secret id of every Secret Manager request, in order.
func (s *Server) Secrets() []string {
	var names []string
	for _, r := range s.RequestsTo(APISecretManager) {
		names = append(names, r.Secret)
	}
	return names
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

var secretIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// ValidSecretID reports whether the service accepts id as a secret id.
func ValidSecretID(id string) bool { return secretIDPattern.MatchString(id) }

// Checksum is the CRC32C (Castagnoli) the service reports for data.
func Checksum(data []byte) int64 {
	return int64(crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	path := req.Path
	switch {
	case strings.HasPrefix(path, "/computeMetadata/"):
		req.API = APIMetadata
		s.serveMetadata(w, r, &req)
	case path == "/token":
		req.API = APIOAuth2
		s.serveToken(w, r, &req)
	case strings.HasPrefix(path, "/v1/projects/") && strings.Contains(path, "/serviceAccounts/") && strings.HasSuffix(path, ":signJwt"):
		req.API = APIIAM
		s.serveSignJWT(w, r, &req)
	case strings.HasPrefix(path, "/v1/projects/-/serviceAccounts/"):
		req.API = APIIAMCredentials
		s.serveIAM(w, r, &req)
	case strings.HasPrefix(path, "/v1/projects/") && !strings.Contains(path, ":") && !strings.Contains(path, "/versions"):
		req.API = APISecretManager
		s.serveGetSecret(w, r, &req)
	case strings.HasPrefix(path, "/v1/projects/") && !strings.Contains(path, ":"):
		req.API = APISecretManager
		s.serveGetVersion(w, r, &req)
	case strings.HasPrefix(path, "/v1/projects/"):
		req.API = APISecretManager
		s.serveAccess(w, r, &req)
	default:
		s.record(req)
		writeGFE404(w, path)
	}
}

func (s *Server) record(req Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, req)
}

// fault returns the first fault matching a request, counting it. The
// caller holds s.mu.
func (s *Server) fault(api, secret string) *Fault { return s.faultOn(api, "", secret) }

// faultOn is fault for a Secret Manager route.
func (s *Server) faultOn(api, route, secret string) *Fault {
	for _, f := range s.faults {
		if f.API != api || (f.Secret != "" && f.Secret != secret) || (f.Route != "" && f.Route != route) || f.Times < 0 {
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

// writeFault writes f unless it only changes a normal answer (BadCRC,
// NoCRC); it reports whether it wrote.
func writeFault(w http.ResponseWriter, f *Fault) bool {
	switch {
	case f.Body != "":
		status := f.HTTPStatus
		if status == 0 {
			status = http.StatusOK
		}
		ct := f.ContentType
		if ct == "" {
			ct = jsonContentType
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.Body)
		return true
	case f.Status != "":
		writeError(w, f.HTTPStatus, f.Status, f.Message)
		return true
	}
	return false
}

// serveAccess serves AccessSecretVersion.
func (s *Server) serveAccess(w http.ResponseWriter, r *http.Request, req *Request) {
	parts := strings.Split(req.Path, "/")
	// "", "v1", "projects", P, "secrets", S, "versions", "V:access"
	ok := len(parts) == 8 && parts[1] == "v1" && parts[2] == "projects" && parts[4] == "secrets" &&
		parts[6] == "versions" && strings.HasSuffix(parts[7], ":access") && r.Method == http.MethodGet
	if ok {
		var err1, err2, err3 error
		req.Project, err1 = url.PathUnescape(parts[3])
		req.Secret, err2 = url.PathUnescape(parts[5])
		req.Version, err3 = url.PathUnescape(strings.TrimSuffix(parts[7], ":access"))
		ok = err1 == nil && err2 == nil && err3 == nil
	}
	if ok {
		req.Route = RouteAccess
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, *req)
	if !ok {
		writeGFE404(w, req.Path)
		return
	}
	if !s.authorized(w, r) {
		return
	}
	f := s.faultOn(APISecretManager, RouteAccess, req.Secret)
	if f != nil && writeFault(w, f) {
		return
	}
	resource := "projects/" + req.Project + "/secrets/" + req.Secret + "/versions/" + req.Version
	if !ValidSecretID(req.Secret) || (req.Version != "latest" && !positiveInt(req.Version)) {
		writeError(w, 0, "INVALID_ARGUMENT", "The provided Secret ID ["+resource+"] does not match the expected format [projects/*/secrets/*/versions/*]")
		return
	}
	p := s.projects[req.Project]
	if p == nil {
		p = s.byNumber[req.Project]
	}
	if p == nil {
		writeError(w, 0, "PERMISSION_DENIED", "Permission 'secretmanager.versions.access' denied for resource '"+resource+"' (or it may not exist).")
		return
	}
	p.expire(req.Secret)
	versions := p.secrets[req.Secret]
	n := len(versions)
	if req.Version != "latest" {
		n, _ = strconv.Atoi(req.Version)
	}
	if len(versions) == 0 {
		writeError(w, 0, "NOT_FOUND", "Secret [projects/"+p.number+"/secrets/"+req.Secret+"] not found or has no versions.")
		return
	}
	if n > len(versions) {
		writeError(w, 0, "NOT_FOUND", "Secret Version [projects/"+p.number+"/secrets/"+req.Secret+"/versions/"+req.Version+"] not found.")
		return
	}
	v := versions[n-1]
	name := fmt.Sprintf("projects/%s/secrets/%s/versions/%d", p.number, req.Secret, n)
	if v.state != Enabled {
		writeError(w, 0, "FAILED_PRECONDITION", "Secret Version ["+name+"] is in "+v.state+" state.")
		return
	}
	payload := map[string]any{"data": base64.StdEncoding.EncodeToString(v.data)}
	crc := Checksum(v.data)
	switch {
	case f != nil && f.NoCRC:
	case f != nil && f.BadCRC:
		payload["dataCrc32c"] = strconv.FormatInt(crc^0x5a5a, 10)
	default:
		payload["dataCrc32c"] = strconv.FormatInt(crc, 10)
	}
	if len(v.data) == 0 {
		delete(payload, "data") // proto3 JSON leaves out empty bytes
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": name, "payload": payload})
}

// authorized checks the request's bearer token, answering 401 when it is
// missing or unknown. The caller holds s.mu.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.openAccess {
		return true
	}
	h := r.Header.Get("Authorization")
	tok, isBearer := strings.CutPrefix(h, "Bearer ")
	switch {
	case h == "":
		writeError(w, 0, "UNAUTHENTICATED", "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
		return false
	case !isBearer || !s.tokens[tok]:
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		writeError(w, 0, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
		return false
	}
	return true
}

func positiveInt(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && strconv.Itoa(n) == s
}

const jsonContentType = "application/json; charset=UTF-8"

// httpStatus maps google.rpc codes to HTTP statuses as Google's REST
// APIs do.
var httpStatus = map[string]int{
	"CANCELLED":           499,
	"UNKNOWN":             500,
	"INVALID_ARGUMENT":    400,
	"DEADLINE_EXCEEDED":   504,
	"NOT_FOUND":           404,
	"ALREADY_EXISTS":      409,
	"PERMISSION_DENIED":   403,
	"RESOURCE_EXHAUSTED":  429,
	"FAILED_PRECONDITION": 400,
	"ABORTED":             409,
	"OUT_OF_RANGE":        400,
	"UNIMPLEMENTED":       501,
	"INTERNAL":            500,
	"UNAVAILABLE":         503,
	"DATA_LOSS":           500,
	"UNAUTHENTICATED":     401,
}

// writeError writes Google's JSON error document. status 0 means the HTTP
// status of code.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	if status == 0 {
		status = httpStatus[code]
		if status == 0 {
			status = http.StatusInternalServerError
		}
	}
	e := map[string]any{"code": status, "message": msg, "status": code}
	if code == "PERMISSION_DENIED" {
		e["details"] = []any{map[string]any{
			"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
			"reason": "IAM_PERMISSION_DENIED",
			"domain": "iam.googleapis.com",
		}}
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Vary", "Origin, X-Origin, Referer")
	w.Header().Set("Server", "ESF")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeGFE404 answers a URL no API serves as Google's front end does: an
// HTML page, not an API error.
func writeGFE404(w http.ResponseWriter, path string) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title>"+
		"<p><b>404.</b> <ins>That’s an error.</ins><p>The requested URL <code>%s</code> was not found on this server.  <ins>That’s all we know.</ins>\n",
		htmlEscape(path))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
