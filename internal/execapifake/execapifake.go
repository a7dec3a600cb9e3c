// Package execapifake is a wire-level fake of the two Airflow 3 Execution
// API routes secretpath's execution-api backend calls, for tests:
//
//	GET {base}connections/{connection_id}
//	GET {base}variables/{variable_key:path}
//
// written from airflow-core's api_fastapi/execution_api (routes/connections.py,
// routes/variables.py, security.py, app.py) and the Cadwyn middleware that
// routes its versions. It listens on 127.0.0.1 only; its base URL ends in
// /execution/ as Airflow's default execution_api_server_url does.
//
// What it answers, as the API server does:
//
//   - the Airflow-API-Version header is validated first (Cadwyn's
//     VersionPickingMiddleware): not a date → 422 with FastAPI's list of
//     validation errors; absent → the newest version; a date between two
//     versions → the closest earlier one; a date before the earliest → no
//     route matches: 404 {"detail":"Not Found"}. Every answer echoes the
//     version the request asked for (or the default) in Airflow-API-Version;
//   - no Authorization: Bearer header → 401 {"detail":"Missing auth token"};
//     a token it did not issue → 403 {"detail":"Invalid auth token: ..."}
//     (JWTBearer);
//   - an id the test forbade → 403 {"detail":"Task does not have access to
//     connection <id>"} (the multi-team access check);
//   - a missing id → 404 {"detail":{"reason":"not_found","message":...}};
//   - a connection → ConnectionResponse (conn_id, conn_type, host, schema,
//     login, password, port, extra: extra is a JSON string, port an int or
//     null); a variable → VariableResponse {"key","value"};
//   - a Refreshed-API-Token header when the test asked for one (the
//     JWTReissueMiddleware).
//
// Unlike the real server it can answer the next requests with any status
// and body (a 5xx, a proxy's HTML page: [Server.Fail], [Server.FailAs]), hang
// until the client gives up, and it records every request.
package execapifake

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secretpath/secretpath/resolver/connection"
)

// Versions is the bundle the fake serves by default, newest first: newest
// Airflow's execution_api/versions (the Cadwyn VersionBundle).
var Versions = []string{
	"2026-11-13", "2026-10-30", "2026-06-30", "2026-04-06", "2025-11-05", "2025-10-27",
	"2025-09-23", "2025-08-10", "2025-05-20", "2025-04-28", "2025-04-11",
}

// VersionHeader is the header Cadwyn routes on.
const VersionHeader = "Airflow-API-Version"

// Connection is the ConnectionResponse the fake serves for an id: nil
// fields are JSON null.
type Connection struct {
	ConnType string  `json:"conn_type"`
	Host     *string `json:"host"`
	Schema   *string `json:"schema"`
	Login    *string `json:"login"`
	Password *string `json:"password"`
	Port     *int    `json:"port"`
	Extra    *string `json:"extra"`
}

// ConnectionFrom is the ConnectionResponse the API server sends for a
// connection stored as value (an Airflow URI or JSON form): the server
// parses it into its Connection model and sends the model's fields.
func ConnectionFrom(connID, value string) (Connection, error) {
	c, err := connection.Parse(connID, value)
	if err != nil {
		return Connection{}, err
	}
	opt := func(s string, f connection.Field) *string {
		if !c.Has(f) {
			return nil
		}
		return &s
	}
	out := Connection{
		ConnType: c.ConnType,
		Host:     opt(c.Host, connection.FieldHost),
		Schema:   opt(c.Schema, connection.FieldSchema),
		Login:    opt(c.Login, connection.FieldLogin),
	}
	if pw := c.Password.Reveal(); pw != "" {
		out.Password = &pw
	}
	if c.Has(connection.FieldPort) {
		p := c.Port
		out.Port = &p
	}
	if c.Extra != "" {
		e := c.Extra
		out.Extra = &e
	}
	return out, nil
}

// Request is one request the fake received.
type Request struct {
	Method  string
	Path    string // decoded, as Starlette routes it
	RawPath string // as sent
	Header  http.Header
}

// Token is the Authorization header's bearer token (without "Bearer ").
func (r Request) Token() string {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return cred
}

type fault struct {
	status      int
	contentType string
	body        string
	times       int
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the Execution API's base URL: http://127.0.0.1:port/execution/.
	URL string

	srv    *httptest.Server
	stop   chan struct{}
	closed sync.Once

	mu        sync.Mutex
	tokens    map[string]bool
	conns     map[string]Connection
	vars      map[string]*string
	forbidden map[string]bool // "connection:id", "variable:key"
	versions  []string        // ascending
	faults    []*fault
	hang      bool
	refresh   string
	reqs      []Request
}

// New starts a fake that accepts token and is closed when t ends.
func New(t testing.TB, token string) *Server {
	t.Helper()
	s := newServer(token)
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL + "/execution/"
	t.Cleanup(s.close)
	return s
}

// NewServer starts a fake that accepts token, for code without a
// testing.TB (the benchmarks); the caller closes it with Close.
func NewServer(token string) *Server {
	s := newServer(token)
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL + "/execution/"
	return s
}

// Close stops the fake; one started with New or NewTLS is also closed
// when its test ends.
func (s *Server) Close() { s.close() }

func newServer(token string) *Server {
	s := &Server{
		stop:      make(chan struct{}),
		tokens:    map[string]bool{token: true},
		conns:     map[string]Connection{},
		vars:      map[string]*string{},
		forbidden: map[string]bool{},
	}
	s.SetVersions(Versions...)
	return s
}

// NewTLS starts an HTTPS fake (a certificate for 127.0.0.1 that no system
// trusts) that accepts token and is closed when t ends. CertPEM is its
// certificate, for [api] ssl_cert or ssl_ca_file.
func NewTLS(t testing.TB, token string) (s *Server, certPEM []byte) {
	t.Helper()
	s = newServer(token)
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what tests check
	s.srv.StartTLS()
	s.URL = s.srv.URL + "/execution/"
	t.Cleanup(s.close)
	return s, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

func (s *Server) close() {
	s.closed.Do(func() {
		close(s.stop)
		s.srv.Close()
	})
}

// SetVersions replaces the version bundle the server knows.
func (s *Server) SetVersions(vs ...string) {
	sorted := append([]string(nil), vs...)
	sort.Strings(sorted)
	s.mu.Lock()
	s.versions = sorted
	s.mu.Unlock()
}

// AcceptToken makes the server accept another token too.
func (s *Server) AcceptToken(token string) {
	s.mu.Lock()
	s.tokens[token] = true
	s.mu.Unlock()
}

// RevokeToken makes the server refuse token (403, as an expired JWT).
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	delete(s.tokens, token)
	s.mu.Unlock()
}

// RefreshTo makes the next successful answer carry Refreshed-API-Token:
// token, and accepts token from then on.
func (s *Server) RefreshTo(token string) {
	s.mu.Lock()
	s.refresh = token
	s.tokens[token] = true
	s.mu.Unlock()
}

// PutConnection serves c for connID.
func (s *Server) PutConnection(connID string, c Connection) {
	s.mu.Lock()
	s.conns[connID] = c
	s.mu.Unlock()
}

// PutVariable serves value for key.
func (s *Server) PutVariable(key, value string) {
	s.mu.Lock()
	s.vars[key] = &value
	s.mu.Unlock()
}

// PutNullVariable serves a VariableResponse whose value is null.
func (s *Server) PutNullVariable(key string) {
	s.mu.Lock()
	s.vars[key] = nil
	s.mu.Unlock()
}

// Forbid answers lookups of kind ("connection" or "variable") id with 403.
func (s *Server) Forbid(kind, id string) {
	s.mu.Lock()
	s.forbidden[kind+":"+id] = true
	s.mu.Unlock()
}

// Fail answers the next n requests with status and body (as is, with
// Content-Type application/json); status 0 is the app's 500
// {"message":"Internal server error"}.
func (s *Server) Fail(n, status int, body string) {
	if status == 0 {
		status, body = http.StatusInternalServerError, `{"message":"Internal server error"}`
	}
	s.FailAs(n, status, "application/json", body)
}

// FailAs answers the next n requests with status and body sent as
// contentType: what a proxy or load balancer in front of the API server
// sends (an HTML error page, of any size).
func (s *Server) FailAs(n, status int, contentType, body string) {
	s.mu.Lock()
	s.faults = append(s.faults, &fault{status: status, contentType: contentType, body: body, times: n})
	s.mu.Unlock()
}

// Hang makes every later request wait until its client gives up.
func (s *Server) Hang() {
	s.mu.Lock()
	s.hang = true
	s.mu.Unlock()
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// ResetRequests forgets the requests received so far (a benchmark making
// millions of requests keeps memory flat with it).
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

// Count is the number of requests received so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), Header: r.Header.Clone()})
	hang := s.hang
	var f *fault
	if len(s.faults) > 0 {
		f = s.faults[0]
		if f.times--; f.times <= 0 {
			s.faults = s.faults[1:]
		}
	}
	s.mu.Unlock()
	if hang {
		select {
		case <-r.Context().Done():
		case <-s.stop:
		case <-time.After(time.Minute):
		}
		// Abort, not return: a handler that returns answers an empty 200,
		// which a client whose deadline fired meanwhile could still read.
		panic(http.ErrAbortHandler)
	}
	if f != nil {
		w.Header().Set("Content-Type", f.contentType)
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(f.body))
		return
	}

	// Cadwyn's VersionPickingMiddleware, then its router.
	version, ok := s.pickVersion(w, r)
	if !ok {
		return
	}
	w.Header().Set(VersionHeader, version)
	if !s.routable(version) {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
		return
	}

	rest, found := strings.CutPrefix(r.URL.Path, "/execution/")
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
		return
	}
	kind, id, _ := strings.Cut(rest, "/")
	switch {
	case kind == "connections" && id != "" && !strings.Contains(id, "/"):
		kind = "connection"
	case kind == "variables" && id != "":
		kind = "variable"
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
		return
	}

	// JWTBearer (HTTPBearer with auto_error=False), then the route's
	// access check.
	tok := Request{Header: r.Header}.Token()
	s.mu.Lock()
	valid := s.tokens[tok]
	denied := s.forbidden[kind+":"+id]
	s.mu.Unlock()
	switch {
	case tok == "":
		writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": "Missing auth token"})
		return
	case !valid:
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Invalid auth token: Signature verification failed"})
		return
	case denied:
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Task does not have access to " + kind + " " + id})
		return
	}

	s.mu.Lock()
	c, haveConn := s.conns[id]
	v, haveVar := s.vars[id]
	refresh := s.refresh
	s.mu.Unlock()
	if kind == "connection" {
		if !haveConn {
			writeJSON(w, http.StatusNotFound, map[string]any{"detail": map[string]string{
				"reason": "not_found", "message": "Connection with ID " + id + " not found"}})
			return
		}
		s.refreshed(w, refresh)
		writeJSON(w, http.StatusOK, struct {
			ConnID string `json:"conn_id"`
			Connection
		}{id, c})
		return
	}
	if !haveVar {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": map[string]string{
			"reason": "not_found", "message": "Variable with key '" + id + "' not found"}})
		return
	}
	s.refreshed(w, refresh)
	writeJSON(w, http.StatusOK, map[string]any{"key": id, "value": v})
}

// refreshed sends the Refreshed-API-Token header once.
func (s *Server) refreshed(w http.ResponseWriter, token string) {
	if token == "" {
		return
	}
	w.Header().Set("Refreshed-API-Token", token)
	s.mu.Lock()
	if s.refresh == token {
		s.refresh = ""
	}
	s.mu.Unlock()
}

// pickVersion validates the version header as Cadwyn does (a date), or
// answers 422.
func (s *Server) pickVersion(w http.ResponseWriter, r *http.Request) (string, bool) {
	v, given := r.Header[http.CanonicalHeaderKey(VersionHeader)]
	s.mu.Lock()
	newest := s.versions[len(s.versions)-1]
	s.mu.Unlock()
	if !given || len(v) == 0 {
		return newest, true
	}
	if _, err := time.Parse(time.DateOnly, v[0]); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode([]map[string]any{{
			"type":  "date_from_datetime_parsing",
			"loc":   []string{"header", "airflow-api-version"},
			"msg":   "Input should be a valid date or datetime, invalid character in year",
			"input": v[0],
		}})
		return "", false
	}
	return v[0], true
}

// routable says whether Cadwyn finds routes for version: an exact
// version, or the closest earlier one; none before the earliest.
func (s *Server) routable(version string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return version >= s.versions[0]
}
