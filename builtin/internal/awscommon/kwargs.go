package awscommon

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver/config"
)

// Settings are the backend_kwargs both AWS backends read.
type Settings struct {
	Session     Session
	EndpointURL string        // endpoint_url: the service client's endpoint ("" = AWS's)
	Timeout     time.Duration // 0: the backend's default; < 0: none
	Locations   kit.Locations
}

// ParseSettings reads the kwargs both AWS backends share. The caller reads
// its own keys, then calls [CheckKwargs].
func ParseSettings(kw *config.Kwargs) (Settings, error) {
	var s Settings
	var err error
	if s.Locations, err = Scheme("", "", [3]string{}).Parse(kw); err != nil {
		return Settings{}, err
	}
	if s.Session, err = parseSession(kw); err != nil {
		return Settings{}, err
	}
	if s.EndpointURL, err = kw.String("endpoint_url", ""); err != nil {
		return Settings{}, err
	}
	if s.EndpointURL != "" {
		u, perr := url.Parse(s.EndpointURL)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The URL is not echoed: it may carry user information.
			return Settings{}, fmt.Errorf("%w: backend_kwargs key %q must be an http:// or https:// URL with a host", config.ErrInvalid, "endpoint_url")
		}
	}
	if s.Timeout, err = kit.Timeout(kw); err != nil {
		return Settings{}, err
	}
	// boto3 client arguments Airflow passes on: api_version has no meaning
	// for the Go SDK (one API version per service); use_ssl=false would
	// switch AWS's own endpoints to plain HTTP, which we do not do.
	if _, err := kw.String("api_version", ""); err != nil {
		return Settings{}, err
	}
	useSSL, err := kw.Bool("use_ssl", true)
	if err != nil {
		return Settings{}, err
	}
	if !useSSL {
		return Settings{}, fmt.Errorf("%w: backend_kwargs key %q: false is not supported; give an http:// endpoint_url instead", config.ErrInvalid, "use_ssl")
	}
	return s, nil
}

// unsupported are options of Airflow's AWS connection (which Airflow's AWS
// backends forward their unknown kwargs to) that we do not implement.
var unsupported = map[string]string{
	"config_kwargs":         "botocore Config options; use AWS_MAX_ATTEMPTS, AWS_RETRY_MODE and timeout_seconds",
	"service_config":        "per-service options",
	"session_kwargs":        "deprecated in Airflow; use aws_access_key_id, aws_secret_access_key, profile_name",
	"assume_role_with_saml": "SAML federation",
	"external_id":           "removed from Airflow; use assume_role_kwargs {\"ExternalId\": ...}",
	"s3_config_file":        "removed from Airflow; use profile_name",
	"s3_config_format":      "removed from Airflow; use profile_name",
	"profile":               "use profile_name",
	"aws_account_id":        "SAML federation",
	"aws_iam_role":          "SAML federation; use role_arn",
	"host":                  "use endpoint_url",
}

// CheckKwargs returns a config.ErrInvalid error for an Airflow AWS connection
// option we do not support (saying so), or for any other key no getter
// read (naming every one).
func CheckKwargs(kw *config.Kwargs, backend string) error {
	var msgs []string
	for _, key := range kw.Keys() {
		if why, ok := unsupported[key]; ok {
			msgs = append(msgs, fmt.Sprintf("%q is an Airflow AWS connection option secretpath does not support (%s)", key, why))
		}
	}
	if len(msgs) > 0 {
		sort.Strings(msgs)
		return fmt.Errorf("%w: backend %s: backend_kwargs key %s", config.ErrInvalid, backend, strings.Join(msgs, "; "))
	}
	return kw.CheckUnused(backend)
}

// decodeObject decodes key's JSON object into its members, or returns nil
// when the key is absent or null.
func decodeObject(kw *config.Kwargs, key string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if _, err := kw.Decode(key, &m); err != nil {
		return nil, err
	}
	return m, nil
}
