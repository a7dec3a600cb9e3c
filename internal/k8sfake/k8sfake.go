// Package k8sfake is a wire-level fake of the part of the Kubernetes API
// server secretpath's kubernetes-secrets backend talks to, for tests: one
// HTTPS server on 127.0.0.1 whose certificate is signed by a CA of its own
// (written to a file, as a service account's ca.crt or a kubeconfig's
// certificate-authority names it), serving
//
//	GET /api/v1/namespaces/{namespace}/secrets?labelSelector=...&resourceVersion=...
//
// and its watch (watch=1: see watch.go; resourceVersions, a change
// history the tests can compact, 410 Gone as a status or an ERROR event,
// bookmarks, streams the tests can end)
// as the API server documents it: a v1 SecretList whose items carry their
// data base64-encoded, filtered by an equality-based label selector
// (key=value, key==value, key!=value, key, !key; comma-joined
// requirements, all of which must hold), and failures as v1 Status objects
// (kind Status, status Failure, reason and code); an Accept header asking
// for PartialObjectMetadataList (a watch: PartialObjectMetadata) gets the
// secrets' metadata without their data; 401 Unauthorized without
// valid credentials, 403 Forbidden for a namespace the caller may not list,
// 400 BadRequest for a selector the server cannot parse, 404 NotFound for a
// path it does not serve.
//
// Callers authenticate with "Authorization: Bearer <token>" for a token
// the fake accepts ([Server.AllowToken]), or a client certificate issued
// by the fake's CA ([Server.ClientCert]); [Server.RequireClientCert] makes
// a certificate the only way in. Listing secrets in a namespace that holds
// none (or does not exist) answers an empty list, as the real server does;
// [Server.NamespaceNotFound] makes one answer 404 instead, as a server
// behind a path-rewriting proxy or an aggregated API may. Every request is
// recorded; [Server.Fault] injects any answer (a 5xx, a huge or malformed
// body) and [Server.Hang] leaves requests unanswered.
package k8sfake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request the fake received.
type Request struct {
	Method, Path string
	// Namespace is the namespace of a secrets list ("" for another path).
	Namespace string
	// LabelSelector and ResourceVersion are the query parameters as sent.
	LabelSelector, ResourceVersion string
	// Watch says the request was a watch (watch=1 or watch=true).
	Watch bool
	// Accept is the Accept header; MetadataOnly says it asked for
	// PartialObjectMetadata(List), which the fake then served: the
	// secrets' metadata without their data.
	Accept       string
	MetadataOnly bool
	// Token is the bearer token sent ("" for none); ClientCN is the common
	// name of the verified client certificate ("" for none).
	Token, ClientCN string
}

// Secret is a stored secret.
type Secret struct {
	Namespace, Name string
	Labels          map[string]string
	// Data is the secret's data, served base64-encoded; nil is served as no
	// data field at all.
	Data map[string][]byte
}

// Server is the fake API server. It is safe for concurrent use.
type Server struct {
	// URL is the server's base URL (https://127.0.0.1:port).
	URL string
	// Host and Port are URL's parts, as KUBERNETES_SERVICE_HOST and
	// KUBERNETES_SERVICE_PORT give them in a pod.
	Host, Port string
	// CAFile is the CA certificate's PEM file; CAPEM its content.
	CAFile string
	CAPEM  []byte

	srv    *httptest.Server
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	dir    string
	hang   chan struct{}

	mu          sync.Mutex
	tokens      map[string]bool
	users       map[string]bool // client certificate common names allowed
	requireCert bool
	forbidden   map[string]bool
	missing     map[string]bool
	secrets     []Secret
	faults      []http.HandlerFunc
	requests    []Request
	hanging     bool

	// Resource versions and the watch history (watch.go).
	rv        int64            // the last resource version given out (etcd's revision)
	secretRV  map[string]int64 // namespace/name -> the secret's resourceVersion
	history   []event          // changes after compacted, oldest first
	compacted int64            // a watch from an older resourceVersion is 410 Gone
	watches   map[*watch]bool  // open watch streams
	goneEvent bool             // report 410 as an ERROR event rather than an HTTP status
	listHold  chan struct{}    // non-nil: lists wait until it is closed
}

// New starts a fake that stops when t ends.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := start(t.TempDir())
	if err != nil {
		t.Fatalf("k8sfake: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake writing its CA under dir; the caller closes it.
func NewServer(dir string) (*Server, error) { return start(dir) }

func start(dir string) (*Server, error) {
	s := &Server{
		dir: dir, hang: make(chan struct{}),
		tokens: map[string]bool{}, users: map[string]bool{},
		forbidden: map[string]bool{}, missing: map[string]bool{},
		rv: 1000, compacted: 1000, secretRV: map[string]int64{}, watches: map[*watch]bool{},
	}
	var err error
	if s.caCert, s.caKey, err = newCA(); err != nil {
		return nil, err
	}
	s.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.caCert.Raw})
	s.CAFile = filepath.Join(dir, "k8sfake-ca.crt")
	if err := os.WriteFile(s.CAFile, s.CAPEM, 0o600); err != nil {
		return nil, err
	}
	serverCert, err := s.issue("kube-apiserver", false, []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost", "kubernetes.default.svc"})
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.caCert)
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are what some tests want
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}
	s.srv.StartTLS()
	s.URL = s.srv.URL
	u, _ := url.Parse(s.URL)
	s.Host, s.Port = u.Hostname(), u.Port()
	return s, nil
}

// Close stops the server (and releases hanging requests).
func (s *Server) Close() {
	s.mu.Lock()
	if s.hanging {
		s.hanging = false
		close(s.hang)
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// AllowToken makes the fake accept a bearer token.
func (s *Server) AllowToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = true
}

// RevokeToken makes the fake refuse a token it accepted.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// RequireClientCert, on, makes a client certificate the only accepted
// credential: a request without one is 401, whatever token it carries.
func (s *Server) RequireClientCert(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requireCert = on
}

// ClientCert issues a client certificate for user, signed by the fake's
// CA, which the fake accepts; it returns the certificate and key as PEM.
func (s *Server) ClientCert(user string) (certPEM, keyPEM []byte, err error) {
	c, err := s.issue(user, true, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	s.users[user] = true
	s.mu.Unlock()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// Forbid makes listing secrets in namespace 403 Forbidden, as RBAC
// answers a service account without the "list secrets" permission there.
func (s *Server) Forbid(namespace string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbidden[namespace] = true
}

// NamespaceNotFound makes listing secrets in namespace 404 NotFound
// (namespaces "<namespace>" not found). The real API server answers an
// empty list instead; this is for what a proxy or a wrong server URL does.
func (s *Server) NamespaceNotFound(namespace string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.missing[namespace] = true
}

// Put stores a secret (replacing one of the same namespace and name),
// with a new resourceVersion, and tells the open watches (ADDED or
// MODIFIED).
func (s *Server) Put(sec Secret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.secrets {
		if old.Namespace == sec.Namespace && old.Name == sec.Name {
			s.secrets[i] = sec
			s.changedLocked(&old, &sec)
			return
		}
	}
	s.secrets = append(s.secrets, sec)
	s.changedLocked(nil, &sec)
}

// Delete removes a secret, if there is one, and tells the open watches
// (DELETED).
func (s *Server) Delete(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.secrets {
		if old.Namespace == namespace && old.Name == name {
			s.secrets = append(s.secrets[:i:i], s.secrets[i+1:]...)
			s.changedLocked(&old, nil)
			return
		}
	}
}

// PutValue stores a secret named name in namespace with one label and one
// data key.
func (s *Server) PutValue(namespace, name, labelKey, labelValue, dataKey, value string) {
	s.Put(Secret{Namespace: namespace, Name: name, Labels: map[string]string{labelKey: labelValue}, Data: map[string][]byte{dataKey: []byte(value)}})
}

// Fault queues a handler that answers the next secrets list (after
// authentication), in place of the fake's own answer: a 5xx, a huge or
// malformed body. Faults are used in order, once each.
func (s *Server) Fault(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, h)
}

// Hang leaves every later request unanswered until the client gives up or
// the server closes.
func (s *Server) Hang() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hanging = true
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the requests received so far (a benchmark making
// millions of requests keeps memory flat with it).
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// Count is how many requests the fake received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Last returns the last request received (zero if none).
func (s *Server) Last() Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}
	}
	return s.requests[len(s.requests)-1]
}

var secretsPath = regexp.MustCompile(`^/api/v1/namespaces/([^/]+)/secrets$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := Request{Method: r.Method, Path: r.URL.Path,
		LabelSelector: r.URL.Query().Get("labelSelector"), ResourceVersion: r.URL.Query().Get("resourceVersion")}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		req.Token = tok
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		req.ClientCN = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	m := secretsPath.FindStringSubmatch(r.URL.Path)
	if m != nil {
		req.Namespace = m[1]
	}
	q := r.URL.Query()
	req.Watch = q.Get("watch") == "1" || q.Get("watch") == "true"
	req.Accept = r.Header.Get("Accept")
	req.MetadataOnly = metadataOnly(req.Accept, req.Watch)
	s.mu.Lock()
	s.requests = append(s.requests, req)
	hanging := s.hanging
	authed := (req.ClientCN != "" && s.users[req.ClientCN]) || (!s.requireCert && req.Token != "" && s.tokens[req.Token])
	s.mu.Unlock()
	if hanging {
		select {
		case <-r.Context().Done():
		case <-s.hang:
		}
		// Abort, not return: a handler that returns answers an empty 200,
		// which a client whose deadline fired meanwhile could still read.
		panic(http.ErrAbortHandler)
	}
	if !authed {
		writeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized", nil)
		return
	}
	if r.Method != http.MethodGet || m == nil {
		writeStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource", nil)
		return
	}
	ns := m[1]
	user := "system:serviceaccount:" + ns + ":default"
	if req.ClientCN != "" {
		user = req.ClientCN
	}
	s.mu.Lock()
	forbidden, missing := s.forbidden[ns], s.missing[ns]
	var fault http.HandlerFunc
	if len(s.faults) > 0 {
		fault, s.faults = s.faults[0], s.faults[1:]
	}
	s.mu.Unlock()
	switch {
	case forbidden:
		writeStatus(w, http.StatusForbidden, "Forbidden",
			fmt.Sprintf("secrets is forbidden: User %q cannot list resource \"secrets\" in API group \"\" in the namespace %q", user, ns),
			map[string]any{"kind": "secrets"})
		return
	case missing:
		writeStatus(w, http.StatusNotFound, "NotFound", fmt.Sprintf("namespaces %q not found", ns), map[string]any{"name": ns, "kind": "namespaces"})
		return
	case fault != nil:
		fault(w, r)
		return
	}
	sel, err := ParseSelector(req.LabelSelector)
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", "unable to parse requirement: "+err.Error(), nil)
		return
	}
	if req.Watch {
		s.serveWatch(w, r, ns, sel, req.MetadataOnly)
		return
	}
	s.mu.Lock()
	hold := s.listHold
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	items := []any{}
	s.mu.Lock()
	matched := make([]Secret, 0, len(s.secrets))
	for _, sec := range s.secrets {
		if sec.Namespace == ns && sel.Matches(sec.Labels) {
			matched = append(matched, sec)
		}
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].Name < matched[j].Name }) // etcd key order
	for _, sec := range matched {
		items = append(items, s.objectLocked(&sec, s.secretRV[sec.Namespace+"/"+sec.Name], req.MetadataOnly))
	}
	rv := s.rv
	s.mu.Unlock()
	kind, apiVersion := "SecretList", "v1"
	if req.MetadataOnly {
		kind, apiVersion = "PartialObjectMetadataList", "meta.k8s.io/v1"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": kind, "apiVersion": apiVersion, "metadata": map[string]any{"resourceVersion": strconv.FormatInt(rv, 10)}, "items": items,
	})
}

// objectLocked is sec as the API server serves a v1 Secret, with
// resourceVersion rv, or its PartialObjectMetadata (metadata only).
func (s *Server) objectLocked(sec *Secret, rv int64, metaOnly bool) map[string]any {
	meta := map[string]any{"name": sec.Name, "namespace": sec.Namespace, "labels": sec.Labels,
		"uid": "00000000-0000-4000-8000-000000000001", "resourceVersion": strconv.FormatInt(rv, 10)}
	if metaOnly {
		return map[string]any{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
	}
	item := map[string]any{"kind": "Secret", "apiVersion": "v1", "metadata": meta, "type": "Opaque"}
	if sec.Data != nil {
		item["data"] = sec.Data // []byte marshals as base64, as the API server encodes data
	}
	return item
}

// metadataOnly reports whether accept asks for the objects' metadata
// alone, as the API server serves it ("Receiving resources as metadata
// only": application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1
// for a list, as=PartialObjectMetadata for a watch's events; client-go's
// metadata client sends these, with a plain type after a comma as the
// fallback for servers without them).
func metadataOnly(accept string, watch bool) bool {
	want := "as=PartialObjectMetadataList"
	if watch {
		want = "as=PartialObjectMetadata"
	}
	for _, part := range strings.Split(accept, ",") {
		params := strings.Split(part, ";")
		if strings.TrimSpace(params[0]) != "application/json" {
			continue
		}
		var as, g, v bool
		for _, p := range params[1:] {
			switch strings.TrimSpace(p) {
			case want:
				as = true
			case "g=meta.k8s.io":
				g = true
			case "v=v1":
				v = true
			}
		}
		if as && g && v {
			return true
		}
	}
	return false
}

// writeStatus answers a v1 Status object, as the API server reports a
// failure.
func writeStatus(w http.ResponseWriter, code int, reason, msg string, details map[string]any) {
	st := map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": msg, "reason": reason, "code": code}
	if details != nil {
		st["details"] = details
	}
	writeJSON(w, code, st)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteStatus answers a v1 Status object: for faults.
func WriteStatus(w http.ResponseWriter, code int, reason, msg string) {
	writeStatus(w, code, reason, msg, nil)
}

// Requirement is one requirement of an equality-based label selector.
type Requirement struct {
	Key   string
	Op    string // "=", "!=", "exists", "!exists"
	Value string
}

// Selector is a parsed label selector: every requirement must hold.
type Selector []Requirement

// Matches reports whether labels satisfy every requirement.
func (sel Selector) Matches(labels map[string]string) bool {
	for _, r := range sel {
		v, ok := labels[r.Key]
		switch r.Op {
		case "=":
			if !ok || v != r.Value {
				return false
			}
		case "!=":
			if ok && v == r.Value {
				return false
			}
		case "exists":
			if !ok {
				return false
			}
		case "!exists":
			if ok {
				return false
			}
		}
	}
	return true
}

var (
	labelName  = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$`)
	labelValue = regexp.MustCompile(`^(([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?)$`)
	dnsSub     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

func validKey(k string) bool {
	prefix, name, ok := strings.Cut(k, "/")
	if !ok {
		return labelName.MatchString(k)
	}
	return len(prefix) <= 253 && dnsSub.MatchString(prefix) && labelName.MatchString(name)
}

// ParseSelector parses the equality-based selectors the fake serves; set-
// based ones (in, notin) and anything invalid are errors, which the fake
// answers 400 as the API server does for a selector it cannot parse.
func ParseSelector(s string) (Selector, error) {
	var sel Selector
	if strings.TrimSpace(s) == "" {
		return sel, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		var r Requirement
		switch {
		case strings.Contains(part, "!="):
			r.Key, r.Value, _ = strings.Cut(part, "!=")
			r.Op = "!="
		case strings.Contains(part, "=="):
			r.Key, r.Value, _ = strings.Cut(part, "==")
			r.Op = "="
		case strings.Contains(part, "="):
			r.Key, r.Value, _ = strings.Cut(part, "=")
			r.Op = "="
		case strings.HasPrefix(part, "!"):
			r.Key, r.Op = strings.TrimSpace(part[1:]), "!exists"
		case strings.ContainsAny(part, " ()"):
			return nil, fmt.Errorf("set-based requirement %q is not served by this fake", part)
		default:
			r.Key, r.Op = part, "exists"
		}
		r.Key, r.Value = strings.TrimSpace(r.Key), strings.TrimSpace(r.Value)
		if !validKey(r.Key) {
			return nil, fmt.Errorf("invalid label key %q", r.Key)
		}
		if !labelValue.MatchString(r.Value) {
			return nil, fmt.Errorf("invalid label value: %q", r.Value)
		}
		sel = append(sel, r)
	}
	return sel, nil
}

func newCA() (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "k8sfake-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return c, key, err
}

var serial = struct {
	sync.Mutex
	n int64
}{n: 1}

func (s *Server) issue(cn string, client bool, ips []net.IP, dns []string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial.Lock()
	serial.n++
	n := serial.n
	serial.Unlock()
	usage := x509.ExtKeyUsageServerAuth
	if client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: ips, DNSNames: dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.caCert, &key.PublicKey, s.caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// OtherCA returns the PEM of a CA that did not sign the server's
// certificate (for CA-mismatch tests).
func OtherCA() ([]byte, error) {
	c, _, err := newCA()
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), nil
}
