// Package awsfake is a wire-level fake of the AWS APIs secretpath's AWS
// backends call, for tests: SSM GetParameter, GetParameters and
// DescribeParameters and Secrets Manager GetSecretValue,
// BatchGetSecretValue and DescribeSecret (awsJson1_1: POST / with
// X-Amz-Target; batch.go, describe.go), STS AssumeRole and
// AssumeRoleWithWebIdentity
// (awsQuery) and a container credentials endpoint. It listens on
// 127.0.0.1 only.
//
// Besides the normal answers (including a secret scheduled for deletion),
// it answers with any error (throttling, 5xx, AccessDenied, KMS failures,
// malformed bodies) a given number of times, records every request with
// its headers, and can check each request's SigV4 signature against known
// credentials. Shapes and
// headers follow what the real services send (shared/notes/test-doubles.md
// §2b).
package awsfake

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The requests the fake serves, as recorded in Request.Target.
const (
	TargetGetParameter              = "AmazonSSM.GetParameter"
	TargetGetParameters             = "AmazonSSM.GetParameters"
	TargetGetSecretValue            = "secretsmanager.GetSecretValue"
	TargetBatchGetSecretValue       = "secretsmanager.BatchGetSecretValue"
	TargetDescribeParameters        = "AmazonSSM.DescribeParameters"
	TargetDescribeSecret            = "secretsmanager.DescribeSecret"
	TargetAssumeRole                = "STS.AssumeRole"
	TargetAssumeRoleWithWebIdentity = "STS.AssumeRoleWithWebIdentity"
	TargetContainerCredentials      = "container-credentials"
)

// ContainerCredentialsPath is the path of the container credentials endpoint
// (AWS_CONTAINER_CREDENTIALS_FULL_URI = URL + this path).
const ContainerCredentialsPath = "/container-credentials"

// Region is the region ARNs carry.
const Region = "us-east-1"

// Parameter types.
const (
	String       = "String"
	SecureString = "SecureString"
)

// Request is one request the fake received.
type Request struct {
	Target string // one of the Target constants, or the X-Amz-Target as sent
	Name   string // the parameter's Name, the secret's SecretId, or the RoleArn
	// Names are a batch request's names: GetParameters' Names,
	// BatchGetSecretValue's SecretIdList, the values of DescribeParameters'
	// ParameterFilters, as sent.
	Names  []string
	Body   []byte      // the JSON body (awsJson), or the form (STS)
	Form   url.Values  // STS only
	Header http.Header // as received
	// AccessKeyID is the credential the request was signed with ("" when
	// unsigned).
	AccessKeyID string
	// SignatureError says why the signature was refused, when signatures
	// are checked ("" = accepted or not checked).
	SignatureError string
	// WithDecryption is GetParameter's and GetParameters' flag.
	WithDecryption bool
}

// Fault is an answer the fake gives instead of the normal one.
//
// In a batch request, a Fault with a Name applies when the request asks
// for that name: for GetParameters it is the whole request's answer (SSM
// has no per-name errors: IAM refuses the whole call when one name is
// denied); for BatchGetSecretValue it is that secret's entry in the
// response's Errors (Code and Message; Status, Body and Hang apply only
// to a fault without a Name, the whole request's).
type Fault struct {
	Target string // the request it applies to ("" = any)
	Name   string // the parameter or secret it applies to ("" = any)

	Code    string // the error code (__type), e.g. "ThrottlingException"
	Message string
	Status  int // HTTP status; 0 means 400

	// Body, when set, is sent as is (with Status, 0 meaning 200) instead of
	// an error document: a malformed response.
	Body string

	// Times is how many matching requests it answers; 0 means all.
	Times int

	// Hang, when set, answers nothing: the request waits until the client
	// gives up (SSM and Secrets Manager requests). A timeout test needs it:
	// a fault answered at once ends in the SDK's retry limit, in however
	// little time its jittered backoff happens to take.
	Hang bool
}

type secret struct {
	str     *string
	bin     []byte
	deleted bool // scheduled for deletion (DeleteSecret)
	// version is the AWSCURRENT version's id, previous AWSPREVIOUS's ("":
	// none); changed is when the secret was last changed.
	version, previous string
	changed           time.Time
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port.
	URL string

	srv *httptest.Server

	mu        sync.Mutex
	params    map[string]Parameter
	secrets   map[string]secret
	faults    []*Fault
	reqs      []Request
	verify    bool
	vregion   string
	creds     map[string]aws.Credentials // by access key id
	assumed   aws.Credentials
	ctrToken  string
	ctrCreds  aws.Credentials
	ctrServed bool
	clock     time.Time           // the time of the last change (fake: one second a change)
	versions  int                 // secret versions made
	pageSize  int                 // DescribeParameters' page size (0: MaxResults)
	rotations map[string]Rotation // by secret name: set with SetRotation
}

// Parameter is an SSM parameter.
type Parameter struct {
	Value string
	Type  string // String (default), StringList or SecureString
	// Version counts the parameter's values, from 1; Modified is when the
	// last was put. PutParameter sets both.
	Version  int64
	Modified time.Time
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
		params:    map[string]Parameter{},
		secrets:   map[string]secret{},
		creds:     map[string]aws.Credentials{},
		rotations: map[string]Rotation{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// PutParameter stores an SSM parameter, as PutParameter with Overwrite
// does: a new parameter is version 1, a stored one gets the next version;
// both get a new LastModifiedDate. A SecureString is only returned in
// clear to a request WithDecryption.
func (s *Server) PutParameter(name, value, typ string) {
	if typ == "" {
		typ = String
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.params[name] = Parameter{Value: value, Type: typ, Version: s.params[name].Version + 1, Modified: s.tick()}
}

// RotateParameter puts a new version of stored parameter name holding
// value, of the same type, and returns its version (0 when the parameter
// is not stored: nothing is put).
func (s *Server) RotateParameter(name, value string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.params[name]
	if !ok {
		return 0
	}
	p.Value, p.Version, p.Modified = value, p.Version+1, s.tick()
	s.params[name] = p
	return p.Version
}

// PutSecret stores a secret holding SecretString value, as CreateSecret
// does for a new name and PutSecretValue for a stored one (after
// RestoreSecret, when it was deleted): a new version, labelled AWSCURRENT,
// the former current version AWSPREVIOUS.
func (s *Server) PutSecret(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putSecret(name, secret{str: &value})
}

// RotateSecret puts a new version of stored secret name holding
// SecretString value, and returns its version id ("" when the secret is
// not stored: nothing is put).
func (s *Server) RotateSecret(name, value string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.secrets[name]; !ok {
		return ""
	}
	return s.putSecret(name, secret{str: &value})
}

// PutSecretBinary stores a secret holding only SecretBinary (a new
// version, as PutSecret).
func (s *Server) PutSecretBinary(name string, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putSecret(name, secret{bin: append([]byte(nil), b...)})
}

// putSecret stores sec under name as a new version and returns its id;
// s.mu is held.
func (s *Server) putSecret(name string, sec secret) string {
	s.versions++
	sec.version = fmt.Sprintf("%08x-89ab-4def-8123-456789abcdef", s.versions)
	sec.previous = s.secrets[name].version
	sec.changed = s.tick()
	s.secrets[name] = sec
	return sec.version
}

// tick returns the time of a new change: a second after the last one, so
// that every change has its own LastModifiedDate; s.mu is held.
func (s *Server) tick() time.Time {
	if s.clock.IsZero() {
		s.clock = time.Unix(1764417600, 0).UTC()
	}
	s.clock = s.clock.Add(time.Second)
	return s.clock
}

// DeleteSecret schedules a stored secret for deletion, as Secrets Manager's
// DeleteSecret does during the recovery window: GetSecretValue then answers
// 400 InvalidRequestException. It reports whether the secret existed.
func (s *Server) DeleteSecret(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[name]
	if !ok {
		return false
	}
	sec.deleted = true
	sec.changed = s.tick()
	s.secrets[name] = sec
	return true
}

// Remove forgets the parameter and the secret called name, as if never
// stored (a test's cleanup between table rows).
func (s *Server) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.params, name)
	delete(s.secrets, name)
	delete(s.rotations, name)
}

// AddFault makes the fake answer matching requests with f (faults are
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

// Count returns how many requests with target were received ("" = all).
func (s *Server) Count(target string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if target == "" || r.Target == target {
			n++
		}
	}
	return n
}

// Names returns the Name of every request with target, in order.
func (s *Server) Names(target string) []string {
	var names []string
	for _, r := range s.Requests() {
		if r.Target == target {
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

// RequireSignatures makes the fake check every signed request's SigV4
// signature: region, signing name, date, signed headers, and the
// signature itself recomputed with the credentials of the request's access
// key id, which must be one of creds (or the STS or container credentials
// the fake hands out). A refused request gets 403.
func (s *Server) RequireSignatures(region string, creds ...aws.Credentials) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.verify = true
	s.vregion = region
	for _, c := range creds {
		s.creds[c.AccessKeyID] = c
	}
}

// SetAssumeRoleCredentials makes STS AssumeRole and AssumeRoleWithWebIdentity
// answer with c.
func (s *Server) SetAssumeRoleCredentials(c aws.Credentials) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.assumed = c
	s.creds[c.AccessKeyID] = c
}

// ServeContainerCredentials makes the container credentials endpoint
// answer requests carrying Authorization: token with c, and returns the
// endpoint's URL (for AWS_CONTAINER_CREDENTIALS_FULL_URI).
func (s *Server) ServeContainerCredentials(token string, c aws.Credentials) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctrToken, s.ctrCreds, s.ctrServed = token, c, true
	s.creds[c.AccessKeyID] = c
	return s.URL + ContainerCredentialsPath
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == ContainerCredentialsPath:
		s.serveContainerCredentials(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/" && r.Header.Get("X-Amz-Target") != "":
		s.serveJSON(w, r, body)
	case r.Method == http.MethodPost && r.URL.Path == "/" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		s.serveQuery(w, r, body)
	default:
		http.Error(w, "awsfake: unexpected request "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

// fault returns the first fault matching a request, counting it.
func (s *Server) fault(target, name string) *Fault {
	for _, f := range s.faults {
		if (f.Target == "" || f.Target == target) && (f.Name == "" || f.Name == name) {
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
	}
	return nil
}

func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, body []byte) {
	target := r.Header.Get("X-Amz-Target")
	req := Request{Target: target, Body: body, Header: r.Header.Clone()}
	var in struct {
		Name           string
		WithDecryption bool
		SecretID       string `json:"SecretId"`
		batchInput
	}
	jsonErr := json.Unmarshal(body, &in)
	req.Name = in.Name + in.SecretID
	req.WithDecryption = in.WithDecryption
	req.Names = slices.Concat(in.Names, in.SecretIDList)
	for _, f := range in.ParameterFilters {
		req.Names = append(req.Names, f.Values...)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	service := "ssm"
	if strings.HasPrefix(target, "secretsmanager.") {
		service = "secretsmanager"
	}
	req.AccessKeyID, req.SignatureError = s.checkSignature(r, body, service)
	s.reqs = append(s.reqs, req)
	switch {
	case req.SignatureError != "":
		code := "InvalidSignatureException"
		if strings.HasPrefix(req.SignatureError, "unknown access key") {
			code = "UnrecognizedClientException"
		}
		writeJSONError(w, http.StatusForbidden, code, "The request signature we calculated does not match the signature you provided.")
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		writeJSONError(w, http.StatusBadRequest, "SerializationException", "unexpected Content-Type")
		return
	case jsonErr != nil:
		writeJSONError(w, http.StatusBadRequest, "SerializationException", "the body is not JSON")
		return
	}
	if target == TargetGetParameters || target == TargetBatchGetSecretValue {
		s.serveBatch(w, r, target, &in.batchInput, in.WithDecryption)
		return
	}
	if target == TargetDescribeParameters {
		s.serveDescribeParameters(w, r, &in.batchInput)
		return
	}
	if f := s.fault(target, req.Name); f != nil {
		if f.Hang {
			s.mu.Unlock()
			<-r.Context().Done()
			s.mu.Lock() // for the deferred Unlock
			return
		}
		writeFault(w, f, "application/x-amz-json-1.1", writeJSONError)
		return
	}
	switch target {
	case TargetGetParameter:
		s.getParameter(w, in.Name, in.WithDecryption)
	case TargetGetSecretValue:
		s.getSecretValue(w, in.SecretID)
	case TargetDescribeSecret:
		s.describeSecret(w, in.SecretID)
	default:
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", "awsfake does not serve "+target)
	}
}

func (s *Server) getParameter(w http.ResponseWriter, name string, decrypt bool) {
	if name == "" {
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
		return
	}
	p, ok := s.params[name]
	if !ok {
		writeJSONError(w, http.StatusBadRequest, "ParameterNotFound", "")
		return
	}
	writeJSON(w, map[string]any{"Parameter": s.parameterShape(name, p, decrypt)})
}

// parameterShape is a Parameter as GetParameter and GetParameters return
// it: a SecureString's value is ciphertext unless decrypt.
func (s *Server) parameterShape(name string, p Parameter, decrypt bool) map[string]any {
	value := p.Value
	if p.Type == SecureString && !decrypt {
		value = "AQICAHiEncryptedBlobNotTheValue=="
	}
	return map[string]any{
		"ARN":              fmt.Sprintf("arn:aws:ssm:%s:123456789012:parameter/%s", Region, strings.TrimPrefix(name, "/")),
		"DataType":         "text",
		"LastModifiedDate": epoch(p.Modified),
		"Name":             name,
		"Type":             p.Type,
		"Value":            value,
		"Version":          p.Version,
	}
}

func (s *Server) getSecretValue(w http.ResponseWriter, id string) {
	sec, ok := s.secrets[id]
	if !ok {
		writeJSONError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	if sec.deleted {
		writeJSONError(w, http.StatusBadRequest, "InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
		return
	}
	writeJSON(w, secretShape(id, sec))
}

// secretShape is a secret's value as GetSecretValue returns it and
// BatchGetSecretValue lists it: SecretString, or SecretBinary alone.
func secretShape(id string, sec secret) map[string]any {
	out := map[string]any{
		"ARN":           fmt.Sprintf("arn:aws:secretsmanager:%s:123456789012:secret:%s-AbCdEf", Region, id),
		"Name":          id,
		"VersionId":     sec.version,
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   epoch(sec.changed),
	}
	if sec.str != nil {
		out["SecretString"] = *sec.str
	} else {
		out["SecretBinary"] = sec.bin // encoding/json writes base64, as the service does
	}
	return out
}

// serveQuery serves STS AssumeRole and AssumeRoleWithWebIdentity (awsQuery:
// a form in, XML out). AssumeRoleWithWebIdentity is unsigned, as STS takes
// it; the form records every input (Request.Form).
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, body []byte) {
	form, _ := url.ParseQuery(string(body))
	req := Request{Target: "STS." + form.Get("Action"), Name: form.Get("RoleArn"), Body: body, Form: form, Header: r.Header.Clone()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Target == TargetAssumeRoleWithWebIdentity {
		// Unsigned, as STS takes it: the token is the proof.
		req.AccessKeyID = ""
	} else {
		req.AccessKeyID, req.SignatureError = s.checkSignature(r, body, "sts")
	}
	s.reqs = append(s.reqs, req)
	if req.SignatureError != "" {
		writeXMLError(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	}
	if f := s.fault(req.Target, req.Name); f != nil {
		writeFault(w, f, "text/xml", writeXMLError)
		return
	}
	if (req.Target != TargetAssumeRole && req.Target != TargetAssumeRoleWithWebIdentity) || s.assumed.AccessKeyID == "" {
		writeXMLError(w, http.StatusBadRequest, "InvalidAction", "awsfake does not serve this action")
		return
	}
	if req.Target == TargetAssumeRoleWithWebIdentity && form.Get("WebIdentityToken") == "" {
		writeXMLError(w, http.StatusBadRequest, "InvalidIdentityToken", "missing WebIdentityToken")
		return
	}
	op := strings.TrimPrefix(req.Target, "STS.")
	c := s.assumed
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<`+op+`Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><`+op+`Result>`+
		`<AssumedRoleUser><Arn>%s/%s</Arn><AssumedRoleId>AROAEXAMPLEID:%s</AssumedRoleId></AssumedRoleUser>`+
		`<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken>`+
		`<Expiration>%s</Expiration></Credentials></`+op+`Result>`+
		`<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata></`+op+`Response>`,
		xmlEscape(form.Get("RoleArn")), xmlEscape(form.Get("RoleSessionName")), xmlEscape(form.Get("RoleSessionName")),
		c.AccessKeyID, c.SecretAccessKey, c.SessionToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
}

func (s *Server) serveContainerCredentials(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, Request{Target: TargetContainerCredentials, Header: r.Header.Clone()})
	if !s.ctrServed || r.Header.Get("Authorization") != s.ctrToken {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"code":"AccessDenied","message":"bad or missing authorization token"}`)
		return
	}
	writeJSONContent(w, "application/json", map[string]any{
		"AccessKeyId":     s.ctrCreds.AccessKeyID,
		"SecretAccessKey": s.ctrCreds.SecretAccessKey,
		"Token":           s.ctrCreds.SessionToken,
		"Expiration":      time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	})
}

func writeFault(w http.ResponseWriter, f *Fault, contentType string, writeErr func(http.ResponseWriter, int, string, string)) {
	if f.Body != "" {
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.Body)
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeErr(w, status, f.Code, f.Message)
}

func writeJSON(w http.ResponseWriter, v any) {
	writeJSONContent(w, "application/x-amz-json-1.1", v)
}

func writeJSONContent(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Requestid", "9f6c5f4e-0000-4000-8000-000000000000")
	_, _ = w.Write(b)
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "9f6c5f4e-0000-4000-8000-000000000000")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeXMLError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>9f6c5f4e</RequestId></ErrorResponse>`,
		xmlEscape(code), xmlEscape(msg))
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// StartTLS serves the same fake over HTTPS too, with httptest's self-signed
// certificate for 127.0.0.1, until t ends. It returns that URL and the
// certificate in PEM (a CA bundle that trusts it).
func (s *Server) StartTLS(t testing.TB) (tlsURL string, caPEM []byte) {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts.URL, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
}
