// Package executionapi is the Execution API backend: what an Airflow 3
// worker, DAG processor or triggerer asks after its configured backend and
// the environment, in place of the metastore it never opens. It reads
// connections and variables from the API server's Execution API with the
// task's JWT, as the task SDK's ExecutionAPISecretsBackend does (through
// its supervisor's httpx client).
//
// Importing the package registers it as "execution-api" (aliases
// airflow.sdk.execution_time.secrets.ExecutionAPISecretsBackend and
// airflow.sdk.execution_time.secrets.execution_api.ExecutionAPISecretsBackend)
// for the Execution API role: resolver.Open puts it third in a worker's
// search path (config.File.Worker), and falls back to the metastore, with a
// warning, when no token is set. It can also be configured alone:
// [secrets] backend = execution-api.
//
// # Where it asks
//
// The base URL is [core] execution_api_server_url
// (AIRFLOW__CORE__EXECUTION_API_SERVER_URL), Airflow's default
// http://localhost:8080/execution/ when unset; an http or https URL
// without user information, query or fragment. A lookup is one
//
//	GET {base}connections/{conn_id}
//	GET {base}variables/{key}
//
// with the id path-escaped, the headers Authorization: Bearer <token> and
// Airflow-API-Version: [APIVersion] (the newest version of newest Airflow's
// Cadwyn bundle; an older server serves its own newest, a newer one serves
// this version), and a Correlation-Id.
//
// # Token
//
// SECRETPATH_EXECUTION_API_TOKEN holds the token, or
// SECRETPATH_EXECUTION_API_TOKEN_FILE names a file holding it (surrounding
// whitespace ignored). The file is read for every request (each attempt
// of a lookup), so a rotated token is used at once, whether the file was
// swapped or rewritten in place; it must be a regular file (a named pipe
// is an error, not a wait). Setting both is a
// configuration error; setting neither makes the factory fail with an
// error matching resolver.ErrNotFound, which resolver.Open turns into the
// metastore tier with a warning. A Refreshed-API-Token header in an answer
// (the server's JWTReissueMiddleware) is used for later lookups until the
// configured token changes, as the task SDK's client does. The token never
// appears in errors, logs or the backend's printed form.
//
// # backend_kwargs
//
//	timeout   seconds a lookup may take, retries included (default 10;
//	          0: no bound but the caller's context)
//
// Any other key is an error (with a "did you mean" hint).
//
// # TLS
//
// As the task SDK's client: [api] ssl_ca_file replaces the system's CAs
// (unless [api] client_use_public_certs, true by default, adds them back),
// [api] ssl_cert (the API server's certificate) is trusted too, and
// [api] client_ssl_cert with client_ssl_key is the client certificate.
//
// # Lookups
//
// Connections and variables. Configs are not served by the Execution API:
// a config lookup is not found, with no request. The team of a request is
// not sent: the API server takes the team from the task the token was
// issued for (routes' get_team_name_dep), as the task SDK does. A
// connection id holding '/' makes no request (the connections route cannot
// match it; not found), and neither does an empty id.
//
// A connection comes back as Airflow's JSON form built from the
// ConnectionResponse fields (extra stays the JSON string the server sent);
// a variable as its value.
//
// # Errors
//
//   - 404 with the route's {"detail":{"reason":"not_found",...}}, and a
//     variable whose value is null: not found (resolver.ErrNotFound).
//   - 401 and 403: resolver.ErrAccessDenied, naming the id and the status:
//     the resolver asks no further tier, as Airflow's
//     AirflowSecretsBackendAccessDenied.
//   - 422 about the Airflow-API-Version header, or a 404 that no route
//     gave ({"detail":"Not Found"}: the server has no route at this
//     version, or the URL is not its Execution API): a configuration error
//     naming the version sent and the newest the server serves (asked with
//     one request without the header).
//   - 5xx and connection errors are retried: 3 attempts in all, with
//     randomised exponential backoff, within the timeout; then an error
//     marked codes.Unavailable.
//   - Other statuses (a redirect included: it is not followed, so the token
//     goes nowhere else), a 200 whose body does not decode, and a 200 whose
//     body is larger than 8 MiB (not retried) are errors; the body of a 200
//     is never quoted.
//   - Whatever its size, an answer that is not a 200 is its status: the
//     first 64 KiB of its body are read for the server's message and the
//     rest is ignored, so that a proxy's large 401 or 403 page is access
//     denied after one request.
//
// # Deliberate differences from Airflow
//
//   - The timeout bounds the whole lookup, retries included, and there
//     are 3 attempts; [workers] execution_api_timeout,
//     execution_api_retries and execution_api_retry_wait_min/max are not
//     read (Airflow bounds each attempt and, with its defaults, retries
//     for about 30 s): a secrets lookup should not hang a task.
//   - A certificate that does not verify is not retried (httpx retries
//     every transport error).
//   - A connection or variable answer that does not decode is an error
//     (logged, the search goes on); Airflow's backend swallows it as None.
package executionapi

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// Name is the backend's registered name.
const Name = "execution-api"

// The defaults.
const (
	// DefaultURL is Airflow's [core] execution_api_server_url default.
	DefaultURL = "http://localhost:8080/execution/"
	// APIVersion is the Airflow-API-Version sent: the newest version of
	// newest Airflow's Execution API (execution_api/versions).
	APIVersion = "2026-11-13"
	// DefaultTimeout bounds a lookup, retries included.
	DefaultTimeout = 10 * time.Second
	// Attempts is how many times a 5xx or a connection error is tried.
	Attempts = 3
)

// The environment variables that give the token.
const (
	TokenEnv     = "SECRETPATH_EXECUTION_API_TOKEN"
	TokenFileEnv = "SECRETPATH_EXECUTION_API_TOKEN_FILE"
)

// Bounds on what a server may send.
const (
	maxBody      = 8 << 20
	maxErrorBody = 64 << 10
	maxToken     = 16 << 10
)

func init() {
	resolver.Register(resolver.Registration{
		Name: Name,
		Aliases: []string{
			"airflow.sdk.execution_time.secrets.ExecutionAPISecretsBackend",
			"airflow.sdk.execution_time.secrets.execution_api.ExecutionAPISecretsBackend",
		},
		Role: resolver.RoleExecutionAPI,
		Doc: "Airflow 3's Execution API on the API server (the task SDK's ExecutionAPISecretsBackend), " +
			"a worker's third tier: [core] execution_api_server_url and " + TokenEnv + " or " + TokenFileEnv,
		Factory: factory,
	})
}

// Options configure a Backend. Exactly one of Token and TokenFile is set.
type Options struct {
	// URL is the Execution API's base URL; "" means DefaultURL.
	URL string
	// Token is the bearer token.
	Token string
	// TokenFile names a file holding the token, read for every request.
	TokenFile string
	// APIVersion is the Airflow-API-Version sent; "" means APIVersion.
	APIVersion string
	// Timeout bounds a lookup, retries included: 0 means DefaultTimeout,
	// a negative value no bound but the caller's context.
	Timeout time.Duration
	// RetryWait is the first backoff between attempts (doubled for the
	// next, randomised); 0 means 500 ms.
	RetryWait time.Duration
	// TLS configures the client's TLS (CAs, client certificate); nil means
	// Go's defaults. Not used with HTTPClient.
	TLS *tls.Config
	// HTTPClient makes the requests; nil means a client of its own.
	HTTPClient *http.Client
	// Logger is where retries are logged; nil discards.
	Logger *slog.Logger
}

// String describes o without its token (nor a URL's user information or
// query).
func (o Options) String() string {
	return fmt.Sprintf("executionapi.Options{URL: %q, Token: %s, TokenFile: %q, APIVersion: %q, Timeout: %s}",
		kit.RedactURL(o.URL), redactedIf(o.Token != ""), o.TokenFile, o.APIVersion, o.Timeout)
}

// GoString is String.
func (o Options) GoString() string { return o.String() }

// Format prints String for every verb.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// MarshalJSON encodes String, so that a token never reaches a log.
func (o Options) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", o.String())), nil }

// LogValue logs String.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

func redactedIf(set bool) string {
	if set {
		return "***"
	}
	return `""`
}

// Backend reads connections and variables from the Execution API. It is
// safe for concurrent use.
type Backend struct {
	base    *url.URL
	display string // base as printed
	version string
	// versionValue is the version header's value, shared by requests
	// (len == cap: an append copies).
	versionValue []string
	timeout      time.Duration
	wait         time.Duration
	client       *http.Client
	ownedTr      *http.Transport
	logger       *slog.Logger
	tokens       *tokenSource
	closeOne     sync.Once
}

var (
	_ resolver.Backend = (*Backend)(nil)
	_ resolver.Named   = (*Backend)(nil)
	_ io.Closer        = (*Backend)(nil)
)

// New returns a backend for o. It makes no request; a token file is read
// once to check it.
func New(o Options) (*Backend, error) {
	raw := o.URL
	if raw == "" {
		raw = DefaultURL
	}
	base, err := parseBase(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: Options.URL %s", config.ErrInvalid, Name, err)
	}
	ts, err := newTokenSource(o.Token, o.TokenFile)
	if err != nil {
		return nil, err
	}
	b := &Backend{base: base, display: base.String(), version: o.APIVersion, timeout: o.Timeout, wait: o.RetryWait,
		client: o.HTTPClient, logger: o.Logger, tokens: ts}
	if b.version == "" {
		b.version = APIVersion
	}
	b.versionValue = []string{b.version}[:1:1]
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	if b.wait <= 0 {
		b.wait = 500 * time.Millisecond
	}
	if b.client == nil {
		// Redirects are not followed, as the task SDK's httpx client does
		// not: the token goes to the configured server only.
		b.ownedTr = http.DefaultTransport.(*http.Transport).Clone()
		if o.TLS != nil {
			b.ownedTr.TLSClientConfig = o.TLS.Clone()
		}
		b.client = &http.Client{Transport: b.ownedTr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	return b, nil
}

// parseBase checks an execution_api_server_url: http or https, a host, no
// user information, query or fragment. The error never holds the URL.
func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil:
		return nil, fmt.Errorf("is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("must be an http or https URL")
	case u.Host == "":
		return nil, fmt.Errorf("has no host")
	case u.User != nil:
		return nil, fmt.Errorf("must not hold user information (the Execution API authenticates with the task's token)")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("must not hold a query or a fragment")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// Name returns "execution-api".
func (b *Backend) Name() string { return Name }

// String describes the backend without its token.
func (b *Backend) String() string {
	return fmt.Sprintf("execution-api(%s, Airflow-API-Version %s, token %s)", b.display, b.version, b.tokens)
}

// Format prints String for every verb.
func (b *Backend) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, b.String()) }

// LogValue logs String.
func (b *Backend) LogValue() slog.Value { return slog.StringValue(b.String()) }

// Close releases idle connections of the backend's own client.
func (b *Backend) Close() error {
	b.closeOne.Do(func() {
		if b.ownedTr != nil {
			b.ownedTr.CloseIdleConnections()
		}
	})
	return nil
}

// route returns the URL a lookup of req reads, base + the route's path
// (one string), or why none is read.
func route(base string, req resolver.Request) (target, skip string) {
	switch req.Kind {
	case resolver.KindConnection:
		switch {
		case req.ID == "":
			return "", "empty id"
		case strings.Contains(req.ID, "/"):
			return "", "the connections route cannot hold a '/' in an id"
		}
		return base + "connections/" + escape(req.ID), ""
	case resolver.KindVariable:
		if req.ID == "" {
			return "", "empty id"
		}
		return base + "variables/" + escape(req.ID), ""
	}
	return "", ""
}

// escape path-escapes one segment; "." and ".." are escaped too, so that
// no client or proxy takes them as dot segments.
func escape(id string) string {
	e := url.PathEscape(id)
	if strings.Trim(e, ".") == "" {
		return strings.ReplaceAll(e, ".", "%2E")
	}
	return e
}

// Lookup asks the Execution API for req.
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	target, skip := route(b.display, req)
	if target == "" {
		if skip == "" {
			return "", kit.NotServed(req.Kind)
		}
		return "", fmt.Errorf("%s %q: no request (%s): %w", req.Kind, req.ID, skip, resolver.ErrNotFound)
	}
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	rb, err := b.get(ctx, req, target)
	if err != nil {
		return "", err
	}
	defer rb.Put()
	if req.Kind == resolver.KindConnection {
		return decodeConnection(req, rb.Bytes())
	}
	return decodeVariable(req, rb.Bytes())
}
