package azurekeyvault

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver/config"
)

// clientOpts are the azure-core client options Airflow forwards to
// SecretClient(**kwargs), read and mapped onto azcore's. They apply to the
// vault's client only, as in Airflow (the credential gets none of them).
type clientOpts struct {
	retry policy.RetryOptions // retry_total, retry_backoff_factor, retry_backoff_max, retry_mode

	connectTimeout time.Duration // connection_timeout: dial and TLS handshake
	readTimeout    time.Duration // read_timeout: waiting for the response headers

	proxies map[string]*url.URL // proxies: by request scheme, or "all"

	headers   map[string]string // headers: set on every vault request
	userAgent string            // user_agent: put before the SDK's User-Agent

	loggingEnable bool // logging_enable: accepted, ignored (it would log secrets)
}

// clientOptionKeys are the azure-core keys clientOpts reads.
var clientOptionKeys = []string{
	"retry_total", "retry_backoff_factor", "retry_backoff_max", "retry_mode",
	"connection_timeout", "read_timeout", "proxies", "headers", "user_agent", "logging_enable",
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
	total, err := kw.Int("retry_total", math.MinInt)
	switch {
	case err != nil:
		return clientOpts{}, err
	case total == math.MinInt: // absent: azcore's default (3; azure-core's is 10)
	case total < 0 || total > 100:
		return clientOpts{}, optErr("retry_total", "must be an integer from 0 to 100")
	case total == 0:
		c.retry.MaxRetries = -1 // azcore: below zero is "no retries"; 0 would be its default
	default:
		c.retry.MaxRetries = int32(total)
	}
	factor, factorSet, err := seconds(kw, "retry_backoff_factor", false)
	if err != nil {
		return clientOpts{}, err
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
		return clientOpts{}, err
	}
	if maxSet {
		c.retry.MaxRetryDelay = maxDelay
		if maxDelay == 0 {
			c.retry.MaxRetryDelay = time.Nanosecond // azcore's 0 is its default, 60 s
		}
	}
	mode, err := kw.String("retry_mode", "exponential")
	if err != nil {
		return clientOpts{}, err
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
		return clientOpts{}, optErr("retry_mode", `must be "exponential" or "fixed"`)
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
	if c.headers, err = parseHeaders(kw); err != nil {
		return clientOpts{}, err
	}
	if c.userAgent, err = kw.String("user_agent", ""); err != nil {
		return clientOpts{}, err
	}
	if !validHeaderValue(c.userAgent) {
		return clientOpts{}, optErr("user_agent", "must not hold control characters")
	}
	if c.loggingEnable, err = kw.Bool("logging_enable", false); err != nil {
		return clientOpts{}, err
	}
	return c, nil
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

func sortedKeys(m map[string]string) []string {
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
	return c.connectTimeout > 0 || c.readTimeout > 0 || len(c.proxies) > 0
}

// applyTransport sets the proxies and timeouts on tr (after any test
// hook: the connect timeout wraps whatever dialer tr has).
func (c *clientOpts) applyTransport(tr *http.Transport) {
	if len(c.proxies) > 0 {
		proxies := c.proxies
		tr.Proxy = func(r *http.Request) (*url.URL, error) {
			if u, ok := proxies[r.URL.Scheme]; ok {
				return u, nil
			}
			if u, ok := proxies["all"]; ok {
				return u, nil
			}
			return http.ProxyFromEnvironment(r) // as requests merges the environment's
		}
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
}

// policies returns the per-call policies headers and user_agent need.
func (c *clientOpts) policies() []policy.Policy {
	if len(c.headers) == 0 && c.userAgent == "" {
		return nil
	}
	return []policy.Policy{headerPolicy{headers: c.headers, userAgent: c.userAgent}}
}

// warn logs the options accepted but ignored.
func (c *clientOpts) warn(log *slog.Logger) {
	if c.loggingEnable && log != nil {
		log.Warn("backend_kwargs key ignored: it would log response bodies, i.e. secrets",
			"backend", Name, "key", "logging_enable")
	}
}

// headerPolicy sets headers on every vault request and puts userAgent
// before the User-Agent azcore's telemetry policy (which runs before it)
// wrote, as azure-core's UserAgentPolicy does with user_agent.
type headerPolicy struct {
	headers   map[string]string
	userAgent string
}

func (p headerPolicy) Do(req *policy.Request) (*http.Response, error) {
	h := req.Raw().Header
	for k, v := range p.headers {
		h.Set(k, v)
	}
	if p.userAgent != "" {
		ua := p.userAgent
		if cur := h.Get("User-Agent"); cur != "" {
			ua += " " + cur
		}
		h.Set("User-Agent", ua)
	}
	return req.Next()
}

// knownKeys are every backend_kwargs key the backend reads.
var knownKeys = append([]string{
	"connections_prefix", "variables_prefix", "config_prefix", "vault_url", "sep",
	"tenant_id", "client_id", "client_secret", "managed_identity_client_id", "workload_identity_tenant_id",
	"verify_challenge_resource", "disable_instance_discovery", "connection_verify", "api_version", kit.TimeoutKey,
}, clientOptionKeys...)

// withHints adds a "did you mean" hint to CheckUnused's error for each
// unknown key within two edits of a known one. (resolver/config's
// Kwargs.CheckUnused has no hint yet; its Section.CheckUnused does.)
func withHints(err error, kw *config.Kwargs) error {
	var hints []string
	for _, k := range kw.Keys() {
		if slices.Contains(knownKeys, k) {
			continue
		}
		if h := config.Closest(k, knownKeys); h != "" {
			hints = append(hints, fmt.Sprintf("%s: did you mean %s?", k, h))
		}
	}
	if len(hints) == 0 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(hints, "; "))
}
