package azurekeyvault

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"golang.org/x/net/http/httpproxy"

	"github.com/secretpath/secretpath/resolver/config"
)

// clientOpts are the azure-core client options Airflow forwards to
// SecretClient(**kwargs), read and mapped onto azcore's. They apply to the
// vault's client only, as in Airflow (the credential gets none of them).
type clientOpts struct {
	retry policy.RetryOptions // retry_total, retry_backoff_factor, retry_backoff_max, retry_mode
	// retry_connect, retry_read, retry_status, retry_on_status_codes:
	// azure-core's per-class retry counts and extra retryable statuses
	// (see retryClasses).
	classes retryClasses
	budget  time.Duration // timeout: the retry budget of one vault operation (0: none)

	connectTimeout time.Duration // connection_timeout: dial and TLS handshake
	readTimeout    time.Duration // read_timeout: waiting for the response headers

	proxies    map[string]*url.URL // proxies: by request scheme, or "all"
	noEnvProxy bool                // use_env_settings: false
	clientCert *tls.Certificate    // connection_cert

	redirects redirectOpts // permit_redirects, redirect_max, redirect_remove_headers, redirect_on_status_codes, block_headers_list

	headers     map[string]string // headers: set on every vault request
	userAgent   string            // user_agent: put before the SDK's User-Agent
	uaOverwrite bool              // user_agent_overwrite
	uaEnv       *string           // AZURE_HTTP_USER_AGENT when user_agent_use_env (the default) and set

	requestID requestIDOpts // request_id, auto_request_id

	loggingEnable bool     // logging_enable: accepted, ignored (it would log secrets)
	ignored       []string // keys accepted and ignored with a warning, sorted
}

// ignoredKeys are azure-core keys Airflow forwards that mean nothing for a
// Go lookup: accepted (any value) and ignored with a warning, which says
// why.
var ignoredKeys = map[string]string{
	"connection_data_block_size": "Go's HTTP client reads the body whole; no block size applies",
	"response_encoding":          "Key Vault's answers are JSON in UTF-8, which the SDK decodes as such",
	"network_span_namer":         "secretpath makes no distributed-tracing spans",
	"tracing_attributes":         "secretpath makes no distributed-tracing spans",
	"session_owner":              "no requests session is shared",
	"disable_cleanup":            "the vault's token is never sent to another domain (Go's HTTP client drops Authorization on such a redirect)",
}

// objectKeys are azure-core keys whose value is a Python object (a
// transport, a policy, a session, a callable, a logger): no JSON value can
// give one, so they are refused with that reason rather than as unknown.
// Every key ending in _policy is one too (objectKey).
var objectKeys = []string{
	"transport", "policies", "per_call_policies", "per_retry_policies", "session",
	"raw_request_hook", "raw_response_hook", "logger",
}

// objectKey reports whether key names a Python object in azure-core.
func objectKey(key string) bool {
	return slices.Contains(objectKeys, key) || (strings.HasSuffix(key, "_policy") && len(key) > len("_policy"))
}

func optErr(key, msg string) error {
	return fmt.Errorf("%w: backend_kwargs key %q %s", config.ErrInvalid, key, msg)
}

// seconds reads key as a non-negative number of seconds (azure-core takes
// floats); ok is false when it is absent or null.
func seconds(kw *config.Kwargs, key string, positive bool) (d time.Duration, ok bool, err error) {
	f, err := kw.Float(key, math.NaN())
	if err != nil {
		return 0, false, err
	}
	if math.IsNaN(f) {
		return 0, false, nil
	}
	if math.IsInf(f, 0) || f < 0 || (positive && f == 0) || f > 1e6 {
		if positive {
			return 0, false, optErr(key, "must be a number of seconds above 0 (at most 1000000)")
		}
		return 0, false, optErr(key, "must be a number of seconds, 0 or more (at most 1000000)")
	}
	return time.Duration(f * float64(time.Second)), true, nil
}

// parseClientOpts reads the azure-core client options.
func parseClientOpts(kw *config.Kwargs) (clientOpts, error) {
	var c clientOpts
	for _, k := range kw.Keys() {
		if objectKey(k) {
			return clientOpts{}, optErr(k, "is a Python object in Airflow (azure-core's "+k+"); no JSON value can give it")
		}
	}
	if err := c.parseRetries(kw); err != nil {
		return clientOpts{}, err
	}
	var err error
	if c.budget, _, err = seconds(kw, "timeout", true); err != nil {
		return clientOpts{}, err
	}
	if c.connectTimeout, _, err = seconds(kw, "connection_timeout", true); err != nil {
		return clientOpts{}, err
	}
	if c.readTimeout, _, err = seconds(kw, "read_timeout", true); err != nil {
		return clientOpts{}, err
	}
	if c.proxies, err = parseProxies(kw); err != nil {
		return clientOpts{}, err
	}
	useEnv, err := kw.Bool("use_env_settings", true)
	if err != nil {
		return clientOpts{}, err
	}
	c.noEnvProxy = !useEnv
	if c.clientCert, err = parseClientCert(kw); err != nil {
		return clientOpts{}, err
	}
	if c.redirects, err = parseRedirects(kw); err != nil {
		return clientOpts{}, err
	}
	if c.headers, err = parseHeaders(kw); err != nil {
		return clientOpts{}, err
	}
	if c.userAgent, err = kw.String("user_agent", ""); err != nil {
		return clientOpts{}, err
	}
	if !validHeaderValue(c.userAgent) {
		return clientOpts{}, optErr("user_agent", "must not hold control characters")
	}
	if c.uaOverwrite, err = kw.Bool("user_agent_overwrite", false); err != nil {
		return clientOpts{}, err
	}
	uaEnv, err := kw.Bool("user_agent_use_env", true)
	if err != nil {
		return clientOpts{}, err
	}
	if v, ok := os.LookupEnv(envUserAgent); ok && uaEnv {
		if !validHeaderValue(v) {
			return clientOpts{}, fmt.Errorf("%w: environment variable %s must not hold control characters (or set backend_kwargs key %q to false)", config.ErrInvalid, envUserAgent, "user_agent_use_env")
		}
		c.uaEnv = &v
	}
	if c.requestID, err = parseRequestID(kw); err != nil {
		return clientOpts{}, err
	}
	if c.loggingEnable, err = kw.Bool("logging_enable", false); err != nil {
		return clientOpts{}, err
	}
	for _, k := range sortedKeys(ignoredKeys) {
		var v any
		_, _ = kw.Decode(k, &v) // any JSON value; asked even when absent, so "did you mean" can name it
		if kw.Has(k) {
			c.ignored = append(c.ignored, k)
		}
	}
	return c, nil
}

// envUserAgent is what azure-core's UserAgentPolicy appends to the
// User-Agent when user_agent_use_env is true (the default).
const envUserAgent = "AZURE_HTTP_USER_AGENT"

// parseRetries reads retry_total, the per-class counts, the statuses and
// the delays.
func (c *clientOpts) parseRetries(kw *config.Kwargs) error {
	counts := []struct {
		key string
		dst *int
		def int
	}{
		{"retry_total", &c.classes.total, 10}, // azure-core's defaults
		{"retry_connect", &c.classes.connect, 3},
		{"retry_read", &c.classes.read, 3},
		{"retry_status", &c.classes.status, 3},
	}
	for _, n := range counts {
		v, err := kw.Int(n.key, n.def)
		switch {
		case err != nil:
			return err
		case v < 0 || v > 100:
			return optErr(n.key, "must be an integer from 0 to 100")
		}
		*n.dst = v
	}
	c.retry.MaxRetries = int32(c.classes.total)
	if c.classes.total == 0 {
		c.retry.MaxRetries = -1 // azcore: below zero is "no retries"; 0 would be its default
	}
	codes, err := statusCodes(kw, "retry_on_status_codes")
	if err != nil {
		return err
	}
	c.classes.extra = codes
	c.retry.ShouldRetry = c.classes.shouldRetry
	factor, factorSet, err := seconds(kw, "retry_backoff_factor", false)
	if err != nil {
		return err
	}
	if factorSet {
		c.retry.RetryDelay = factor
		if factor == 0 {
			// Not azcore's "below zero is no delay": v1.23.3's calcDelay
			// takes the 0 it becomes for an overflow and waits
			// MaxRetryDelay (60 s). A nanosecond is no delay.
			c.retry.RetryDelay = time.Nanosecond
		}
	}
	maxDelay, maxSet, err := seconds(kw, "retry_backoff_max", false)
	if err != nil {
		return err
	}
	if maxSet {
		c.retry.MaxRetryDelay = maxDelay
		if maxDelay == 0 {
			c.retry.MaxRetryDelay = time.Nanosecond // azcore's 0 is its default, 60 s
		}
	}
	mode, err := kw.String("retry_mode", "exponential")
	if err != nil {
		return err
	}
	switch strings.ToLower(mode) {
	case "exponential":
	case "fixed":
		// azcore's delay is RetryDelay*(2^try-1), jittered, capped at
		// MaxRetryDelay: capping at the first delay makes it fixed.
		d := c.retry.RetryDelay
		if d == 0 {
			d = 800 * time.Millisecond // azcore's default, and azure-core's (0.8)
		}
		if !maxSet || d < c.retry.MaxRetryDelay {
			c.retry.MaxRetryDelay = d // retry_backoff_max still caps it
		}
	default:
		return optErr("retry_mode", `must be "exponential" or "fixed"`)
	}
	return nil
}

// decodeList reads key as a JSON array into dst; a string holding a JSON
// array (as a per-key environment override gives) is read too. It
// returns false when the key is absent or null.
func decodeList(kw *config.Kwargs, key string, dst any, what string) (bool, error) {
	var raw json.RawMessage
	ok, err := kw.Decode(key, &raw)
	if err != nil || !ok {
		return ok, err
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	if json.Unmarshal(raw, dst) != nil {
		return false, optErr(key, "must be a list of "+what)
	}
	return true, nil
}

// statusCodes reads key as a list of HTTP statuses.
func statusCodes(kw *config.Kwargs, key string) ([]int, error) {
	var codes []int
	if _, err := decodeList(kw, key, &codes, "HTTP status codes"); err != nil {
		return nil, err
	}
	for _, c := range codes {
		if c < 100 || c > 999 {
			return nil, optErr(key, fmt.Sprintf("holds %d: HTTP status codes are 100 to 999", c))
		}
	}
	return codes, nil
}

// headerNames reads key as a list of header names.
func headerNames(kw *config.Kwargs, key string) ([]string, bool, error) {
	var names []string
	ok, err := decodeList(kw, key, &names, "header names")
	if err != nil {
		return nil, false, err
	}
	for _, n := range names {
		if !validHeaderName(n) {
			return nil, false, optErr(key, fmt.Sprintf("has an invalid header name %q", n))
		}
	}
	return names, ok, nil
}

// parseProxies reads proxies as requests takes it: {"http": URL, "https":
// URL, "all": URL}; a URL without a scheme is http://. Values are never
// echoed (they may carry credentials).
func parseProxies(kw *config.Kwargs) (map[string]*url.URL, error) {
	var raw map[string]string
	if ok, err := kw.Decode("proxies", &raw); err != nil || !ok {
		if err != nil {
			return nil, optErr("proxies", "must be an object of scheme to proxy URL strings (http, https, all)")
		}
		return nil, nil
	}
	out := make(map[string]*url.URL, len(raw))
	for _, scheme := range sortedKeys(raw) {
		switch scheme {
		case "http", "https", "all":
		default:
			return nil, optErr("proxies", fmt.Sprintf("has key %q: the keys are http, https and all", scheme))
		}
		v := raw[scheme]
		if !strings.Contains(v, "://") {
			v = "http://" + v
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
			return nil, optErr("proxies", fmt.Sprintf("entry %q must be a proxy URL with a host and no path, query or fragment", scheme))
		}
		switch u.Scheme {
		case "http", "https", "socks5", "socks5h":
		default:
			return nil, optErr("proxies", fmt.Sprintf("entry %q must be an http, https, socks5 or socks5h URL", scheme))
		}
		out[scheme] = u
	}
	return out, nil
}

// parseHeaders reads headers: an object of header names to strings. Values
// are never echoed.
func parseHeaders(kw *config.Kwargs) (map[string]string, error) {
	var h map[string]string
	if ok, err := kw.Decode("headers", &h); err != nil || !ok {
		if err != nil {
			return nil, optErr("headers", "must be an object of header names to strings")
		}
		return nil, nil
	}
	for _, name := range sortedKeys(h) {
		if !validHeaderName(name) {
			return nil, optErr("headers", fmt.Sprintf("has an invalid header name %q", name))
		}
		if strings.EqualFold(name, "Authorization") {
			return nil, optErr("headers", `must not set Authorization (the credential does)`)
		}
		if !validHeaderValue(h[name]) {
			return nil, optErr("headers", fmt.Sprintf("entry %q must not hold control characters", name))
		}
	}
	return h, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validHeaderName: an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue: no control characters but tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// needsTransport reports whether the options change the transport.
func (c *clientOpts) needsTransport() bool {
	return c.connectTimeout > 0 || c.readTimeout > 0 || len(c.proxies) > 0 || c.noEnvProxy ||
		c.clientCert != nil || c.redirects.set
}

// applyTransport sets the proxies, timeouts and client certificate on tr
// (after any test hook: the connect timeout wraps whatever dialer tr has).
func (c *clientOpts) applyTransport(tr *http.Transport) {
	var env func(*url.URL) (*url.URL, error) // as requests merges the environment's
	if !c.noEnvProxy {
		env = httpproxy.FromEnvironment().ProxyFunc()
	}
	proxies := c.proxies
	tr.Proxy = func(r *http.Request) (*url.URL, error) {
		if u, ok := proxies[r.URL.Scheme]; ok {
			return u, nil
		}
		if u, ok := proxies["all"]; ok {
			return u, nil
		}
		if env == nil {
			return nil, nil
		}
		return env(r.URL)
	}
	if d := c.connectTimeout; d > 0 {
		dial := tr.DialContext
		if dial == nil {
			dial = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
		}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			return dial(ctx, network, addr)
		}
		tr.TLSHandshakeTimeout = d
	}
	if c.readTimeout > 0 {
		tr.ResponseHeaderTimeout = c.readTimeout
	}
	if c.clientCert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{*c.clientCert}
	}
}

// policies returns the per-call and per-retry policies the options need.
func (c *clientOpts) policies() (perCall, perRetry []policy.Policy) {
	perCall = []policy.Policy{
		// First: the budget bounds the operation, retries included, and
		// the counters are the operation's.
		operationPolicy{budget: c.budget, classes: c.classes},
		c.requestID,
		headerPolicy{headers: c.headers, userAgent: c.userAgent, overwrite: c.uaOverwrite, env: c.uaEnv},
	}
	return perCall, []policy.Policy{classPolicy{}}
}

// warn logs the options accepted but ignored.
func (c *clientOpts) warn(log *slog.Logger) {
	if log == nil {
		return
	}
	if c.loggingEnable {
		log.Warn("backend_kwargs key ignored: it would log response bodies, i.e. secrets",
			"backend", Name, "key", "logging_enable")
	}
	for _, k := range c.ignored {
		log.Warn("backend_kwargs key ignored: "+ignoredKeys[k], "backend", Name, "key", k)
	}
}

// headerPolicy is azure-core's HeadersPolicy then UserAgentPolicy, in the
// order of Key Vault's pipeline: headers are set on every vault request;
// then, unless headers set a User-Agent and user_agent_overwrite is false,
// the User-Agent becomes user_agent, the SDK's own (azcore's telemetry
// policy, which runs first, wrote it), and AZURE_HTTP_USER_AGENT, each
// present one joined by a space.
type headerPolicy struct {
	headers   map[string]string
	userAgent string
	overwrite bool
	env       *string
}

func (p headerPolicy) Do(req *policy.Request) (*http.Response, error) {
	h := req.Raw().Header
	sdk := h.Get("User-Agent")
	own := false
	for k, v := range p.headers {
		h.Set(k, v)
		own = own || strings.EqualFold(k, "User-Agent")
	}
	if p.overwrite || !own {
		ua := sdk
		if p.userAgent != "" {
			ua = strings.TrimSpace(p.userAgent + " " + ua)
		}
		if p.env != nil {
			ua += " " + *p.env
		}
		h.Set("User-Agent", ua)
	}
	return req.Next()
}
