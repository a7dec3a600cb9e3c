// Package kumotest runs the in-process AWS emulator kumo
// (github.com/sivchari/kumo) for tests, and seeds it through the real SDK.
//
// Two things about kumo v0.33.1 shape this package:
//
//   - Its services are registered once per process (in init), so every
//     kumo.NewServer in a test binary shares the same storage. Tests keep
//     apart by putting their data under a name prefix of their own
//     (Namespace).
//   - Its Secrets Manager GetSecretValue writes the secret's
//     LastAccessedDate while holding only a read lock: concurrent reads are
//     a data race that fails `go test -race`. Start therefore puts kumo
//     behind a reverse proxy that passes one request at a time.
package kumotest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/sivchari/kumo"
)

// Region and credentials the emulator is used with (kumo checks no
// signature).
const (
	Region          = "us-east-1"
	AccessKeyID     = "AKIAKUMOTESTEXAMPLE0"
	SecretAccessKey = "kumo-test-secret-access-key-not-a-real-one"
)

// Server is a running emulator behind the serializing proxy.
type Server struct {
	// URL is the proxy's address (http://127.0.0.1:port): the endpoint_url.
	URL string
	SSM *ssm.Client
	SM  *secretsmanager.Client
}

// Start starts kumo and the proxy in front of it; both stop when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	emu := kumo.NewServer()
	t.Cleanup(emu.Close)
	target, err := url.Parse(emu.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	cfg := Config()
	return &Server{
		URL: front.URL,
		SSM: ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(front.URL) }),
		SM:  secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(front.URL) }),
	}
}

// Config is an aws.Config with the test region and static credentials.
func Config() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
	}
}

// Kwargs returns the backend_kwargs that point a backend at the emulator.
func (s *Server) Kwargs() map[string]any {
	return map[string]any{
		"endpoint_url":          s.URL,
		"region_name":           Region,
		"aws_access_key_id":     AccessKeyID,
		"aws_secret_access_key": SecretAccessKey,
	}
}

var namespaces atomic.Int64

// Namespace returns a name no other caller in this process gets, to prefix
// a test's data with.
func Namespace(base string) string {
	return fmt.Sprintf("%s-%d", base, namespaces.Add(1))
}

// PutParameter stores an SSM parameter (typ: String or SecureString).
func (s *Server) PutParameter(t testing.TB, name, value string, typ ssmtypes.ParameterType) {
	t.Helper()
	_, err := s.SSM.PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("kumo PutParameter %q: %v", name, err)
	}
}

// CreateSecret stores a secret holding SecretString value.
func (s *Server) CreateSecret(t testing.TB, name, value string) {
	t.Helper()
	_, err := s.SM.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatalf("kumo CreateSecret %q: %v", name, err)
	}
}

// CreateSecretBinary stores a secret holding only SecretBinary.
func (s *Server) CreateSecretBinary(t testing.TB, name string, b []byte) {
	t.Helper()
	_, err := s.SM.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretBinary: b,
	})
	if err != nil {
		t.Fatalf("kumo CreateSecret %q: %v", name, err)
	}
}

// DeleteSecret schedules a secret for deletion (GetSecretValue then
// answers InvalidRequestException).
func (s *Server) DeleteSecret(t testing.TB, name string) {
	t.Helper()
	_, err := s.SM.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatalf("kumo DeleteSecret %q: %v", name, err)
	}
}
