package awscommon

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/secretpath/secretpath/resolver/config"
)

// ClientConfig is config_kwargs, the botocore Config options, mapped onto
// the Go SDK. Airflow's secrets backends give them to the STS client of an
// assumed role only (the SSM and Secrets Manager clients get no Config);
// we apply them to every client, service included, since retries,
// timeouts and proxies are what a user setting them means.
type ClientConfig struct {
	Region             string        // region_name (region_name in backend_kwargs wins, as boto3's client argument does)
	RetryMaxAttempts   int           // retries.total_max_attempts, or retries.max_attempts + 1 (0: the SDK's default)
	RetryMode          aws.RetryMode // retries.mode: standard, adaptive ("legacy" maps to standard)
	ConnectTimeout     time.Duration // connect_timeout
	ReadTimeout        time.Duration // read_timeout: the wait for the response headers
	MaxPoolConnections int           // max_pool_connections: idle connections kept per host
	Proxies            map[string]string
	TCPKeepAlive       *bool
	AppID              string // user_agent_appid
	DefaultsMode       aws.DefaultsMode
	UseDualStack       bool
	UseFIPS            bool
	// IgnoreConfiguredEndpointURLs: ignore_configured_endpoint_urls. True:
	// endpoint URLs from the environment (AWS_ENDPOINT_URL,
	// AWS_ENDPOINT_URL_<SERVICE>) and the shared config file are not
	// used; false: they are, whatever AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
	// or the profile says (botocore: the Config wins). nil: the SDK
	// decides from those. Endpoints given as kwargs (endpoint_url,
	// service_config.sts.endpoint_url) always apply, as in botocore.
	IgnoreConfiguredEndpointURLs *bool
}

// configKeys are botocore Config's options: each is mapped, ignored with a
// warning (no meaning for these two services' calls in Go), or refused.
var configKeys = map[string]string{
	// mapped
	"region_name": "", "retries": "", "connect_timeout": "", "read_timeout": "",
	"max_pool_connections": "", "proxies": "", "tcp_keepalive": "", "user_agent_appid": "",
	"defaults_mode": "", "use_dualstack_endpoint": "", "use_fips_endpoint": "", "signature_version": "",
	"ignore_configured_endpoint_urls": "",
	// ignored, with a warning
	"user_agent":                         "ignored: the Go SDK builds its own User-Agent (use user_agent_appid)",
	"user_agent_extra":                   "ignored: the Go SDK builds its own User-Agent (use user_agent_appid)",
	"parameter_validation":               "ignored: Go's types validate the parameters",
	"inject_host_prefix":                 "ignored: GetParameter and GetSecretValue have no host prefix",
	"endpoint_discovery_enabled":         "ignored: SSM and Secrets Manager have no endpoint discovery",
	"s3":                                 "ignored: S3 options",
	"request_min_compression_size_bytes": "ignored: these requests are never compressed",
	"disable_request_compression":        "ignored: these requests are never compressed",
	"request_checksum_calculation":       "ignored: these operations carry no checksums",
	"response_checksum_validation":       "ignored: these operations carry no checksums",
	"account_id_endpoint_mode":           "ignored: SSM and Secrets Manager have no account-based endpoints",
	"sigv4a_signing_region_set":          "ignored: SSM and Secrets Manager sign with SigV4",
	"auth_scheme_preference":             "ignored: SSM and Secrets Manager sign with SigV4",
	"client_context_params":              "ignored: SSM, Secrets Manager and STS have no client context parameters",
	// refused
	"client_cert":    "refused: TLS client certificates are not supported",
	"proxies_config": "refused: proxy TLS options are not supported; give the proxy in proxies",
}

func configKeyNames() []string {
	out := make([]string, 0, len(configKeys))
	for k := range configKeys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parseClientConfig reads config_kwargs; warnings name the keys accepted
// but ignored. Errors name config_kwargs.<key>, never a value.
func parseClientConfig(kw *config.Kwargs) (ClientConfig, []string, error) {
	const key = "config_kwargs"
	var c ClientConfig
	m, err := decodeObject(kw, key)
	if err != nil || len(m) == 0 {
		return c, nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var warnings []string
	bad := func(k, want string) error {
		return fmt.Errorf("%w: backend_kwargs key %s.%s %s", config.ErrInvalid, key, k, want)
	}
	for _, k := range keys {
		raw := m[k]
		if string(raw) == "null" {
			continue // botocore's default
		}
		why, known := configKeys[k]
		switch {
		case !known:
			msg := fmt.Sprintf("backend_kwargs key %s.%s is not a botocore Config option", key, k)
			if hint := config.Closest(k, configKeyNames()); hint != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", hint)
			}
			return ClientConfig{}, nil, fmt.Errorf("%w: %s", config.ErrInvalid, msg)
		case strings.HasPrefix(why, "ignored"):
			warnings = append(warnings, fmt.Sprintf("backend_kwargs key %s.%s %s", key, k, why))
			continue
		case strings.HasPrefix(why, "refused"):
			return ClientConfig{}, nil, bad(k, "is "+why)
		}
		switch k {
		case "region_name":
			if json.Unmarshal(raw, &c.Region) != nil {
				return ClientConfig{}, nil, bad(k, "must be a string")
			}
		case "signature_version":
			var v string
			if json.Unmarshal(raw, &v) != nil || (v != "v4" && v != "s3v4") {
				return ClientConfig{}, nil, bad(k, `must be "v4": the Go SDK signs these services with SigV4 only`)
			}
		case "retries":
			if err := parseRetries(raw, &c); err != nil {
				return ClientConfig{}, nil, err
			}
		case "connect_timeout", "read_timeout":
			var secs float64
			if json.Unmarshal(raw, &secs) != nil || secs <= 0 || secs > 3600 || math.IsNaN(secs) {
				return ClientConfig{}, nil, bad(k, "must be a number of seconds above 0 and at most 3600")
			}
			d := time.Duration(secs * float64(time.Second))
			if k == "connect_timeout" {
				c.ConnectTimeout = d
			} else {
				c.ReadTimeout = d
			}
		case "max_pool_connections":
			if json.Unmarshal(raw, &c.MaxPoolConnections) != nil || c.MaxPoolConnections < 1 {
				return ClientConfig{}, nil, bad(k, "must be a positive integer")
			}
		case "proxies":
			if json.Unmarshal(raw, &c.Proxies) != nil {
				return ClientConfig{}, nil, bad(k, `must be an object of scheme to proxy URL ({"https": "http://proxy:3128"})`)
			}
			for scheme, p := range c.Proxies {
				u, err := url.Parse(p)
				if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
					// The URL is not echoed: it may carry user information.
					return ClientConfig{}, nil, bad(k+"."+scheme, "must be an http://, https:// or socks5:// URL with a host")
				}
				if scheme != "http" && scheme != "https" {
					return ClientConfig{}, nil, bad(k+"."+scheme, `: only "http" and "https" proxies are used (one per endpoint scheme)`)
				}
			}
		case "tcp_keepalive":
			var b bool
			if json.Unmarshal(raw, &b) != nil {
				return ClientConfig{}, nil, bad(k, "must be true or false")
			}
			c.TCPKeepAlive = &b
		case "user_agent_appid":
			if json.Unmarshal(raw, &c.AppID) != nil {
				return ClientConfig{}, nil, bad(k, "must be a string")
			}
		case "defaults_mode":
			var v string
			_ = json.Unmarshal(raw, &v)
			if !c.DefaultsMode.SetFromString(v) {
				return ClientConfig{}, nil, bad(k, "must be one of auto, cross-region, in-region, legacy, mobile, standard")
			}
		case "ignore_configured_endpoint_urls":
			var b bool
			if json.Unmarshal(raw, &b) != nil {
				return ClientConfig{}, nil, bad(k, "must be true or false")
			}
			c.IgnoreConfiguredEndpointURLs = &b
		case "use_dualstack_endpoint", "use_fips_endpoint":
			var b bool
			if json.Unmarshal(raw, &b) != nil {
				return ClientConfig{}, nil, bad(k, "must be true or false")
			}
			if k == "use_fips_endpoint" {
				c.UseFIPS = b
			} else {
				c.UseDualStack = b
			}
		}
	}
	return c, warnings, nil
}

// parseRetries reads botocore's retries: {"total_max_attempts": N} (every
// attempt) or {"max_attempts": N} (retries after the first), and "mode".
func parseRetries(raw json.RawMessage, c *ClientConfig) error {
	var r map[string]json.RawMessage
	if json.Unmarshal(raw, &r) != nil {
		return fmt.Errorf("%w: backend_kwargs key config_kwargs.retries must be an object (max_attempts, total_max_attempts, mode)", config.ErrInvalid)
	}
	known := []string{"max_attempts", "mode", "total_max_attempts"}
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		bad := func(want string) error {
			return fmt.Errorf("%w: backend_kwargs key config_kwargs.retries.%s %s", config.ErrInvalid, k, want)
		}
		switch k {
		case "max_attempts", "total_max_attempts":
			var n int
			if json.Unmarshal(r[k], &n) != nil || n < 0 || n > 100 {
				return bad("must be an integer between 0 and 100")
			}
			if k == "max_attempts" {
				n++ // botocore counts retries; the SDK counts attempts
			}
			if k == "total_max_attempts" || c.RetryMaxAttempts == 0 {
				c.RetryMaxAttempts = max(n, 1)
			}
		case "mode":
			var m string
			_ = json.Unmarshal(r[k], &m)
			switch m {
			case "standard", "legacy":
				// legacy's backoff differs a little; its attempts are kept.
				c.RetryMode = aws.RetryModeStandard
			case "adaptive":
				c.RetryMode = aws.RetryModeAdaptive
			default:
				return bad(`must be "standard", "adaptive" or "legacy"`)
			}
		default:
			msg := fmt.Sprintf("backend_kwargs key config_kwargs.retries.%s is not a botocore retries option", k)
			if hint := config.Closest(k, known); hint != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", hint)
			}
			return fmt.Errorf("%w: %s", config.ErrInvalid, msg)
		}
	}
	// total_max_attempts wins over max_attempts, as in botocore.
	if v, ok := r["total_max_attempts"]; ok {
		var n int
		_ = json.Unmarshal(v, &n)
		c.RetryMaxAttempts = max(n, 1)
	}
	return nil
}

// loadOptions are c's options for awsconfig.LoadDefaultConfig, and the
// transport changes it needs (applied to the HTTP client the caller builds).
func (c *ClientConfig) loadOptions() []func(*awsconfig.LoadOptions) error {
	var opts []func(*awsconfig.LoadOptions) error
	if c.RetryMaxAttempts > 0 {
		opts = append(opts, awsconfig.WithRetryMaxAttempts(c.RetryMaxAttempts))
	}
	if c.RetryMode != "" {
		opts = append(opts, awsconfig.WithRetryMode(c.RetryMode))
	}
	if c.AppID != "" {
		opts = append(opts, awsconfig.WithAppID(c.AppID))
	}
	if c.DefaultsMode != "" {
		opts = append(opts, awsconfig.WithDefaultsMode(c.DefaultsMode))
	}
	if c.UseDualStack {
		opts = append(opts, awsconfig.WithUseDualStackEndpoint(aws.DualStackEndpointStateEnabled))
	}
	if c.UseFIPS {
		opts = append(opts, awsconfig.WithUseFIPSEndpoint(aws.FIPSEndpointStateEnabled))
	}
	return opts
}

// ignoreEndpoints is a configuration source that answers the SDK's
// "ignore configured endpoint URLs?" question (config_kwargs'
// ignore_configured_endpoint_urls). Put first in aws.Config.ConfigSources,
// it wins over the environment and the shared config file, as botocore's
// Config does. The service clients ask it for AWS_ENDPOINT_URL_<SERVICE>
// and the profile's services section.
type ignoreEndpoints bool

func (v ignoreEndpoints) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return bool(v), true, nil
}

// applyEndpointPolicy applies IgnoreConfiguredEndpointURLs to a loaded
// cfg: the global configured endpoint (aws.Config.BaseEndpoint, from
// AWS_ENDPOINT_URL or the profile's endpoint_url) is dropped or, when the
// environment or profile had it ignored, restored; the per-service ones
// follow ignoreEndpoints.
func (c *ClientConfig) applyEndpointPolicy(cfg *aws.Config) {
	if c.IgnoreConfiguredEndpointURLs == nil {
		return
	}
	ignore := *c.IgnoreConfiguredEndpointURLs
	cfg.ConfigSources = append([]any{ignoreEndpoints(ignore)}, cfg.ConfigSources...)
	if ignore {
		cfg.BaseEndpoint = nil
		return
	}
	if cfg.BaseEndpoint != nil {
		return
	}
	// The SDK's order: environment, then the shared config.
	for _, src := range cfg.ConfigSources {
		var u string
		switch v := src.(type) {
		case awsconfig.EnvConfig:
			u = v.BaseEndpoint
		case awsconfig.SharedConfig:
			u = v.BaseEndpoint
		}
		if u != "" {
			cfg.BaseEndpoint = aws.String(u)
			return
		}
	}
}

// hasTransport reports whether c changes the HTTP transport.
func (c *ClientConfig) hasTransport() bool {
	return c.ConnectTimeout > 0 || c.ReadTimeout > 0 || c.MaxPoolConnections > 0 || len(c.Proxies) > 0 || c.TCPKeepAlive != nil
}

func (c *ClientConfig) transport(tr *http.Transport) {
	if c.ReadTimeout > 0 {
		tr.ResponseHeaderTimeout = c.ReadTimeout
	}
	if c.MaxPoolConnections > 0 {
		tr.MaxIdleConnsPerHost = c.MaxPoolConnections
	}
	if len(c.Proxies) > 0 {
		proxies := c.Proxies
		tr.Proxy = func(r *http.Request) (*url.URL, error) {
			p, ok := proxies[r.URL.Scheme]
			if !ok {
				return nil, nil
			}
			return url.Parse(p)
		}
	}
}

func (c *ClientConfig) dialer(d *net.Dialer) {
	if c.ConnectTimeout > 0 {
		d.Timeout = c.ConnectTimeout
	}
	if c.TCPKeepAlive != nil && !*c.TCPKeepAlive {
		d.KeepAlive = -1
	}
}
