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
	Session Session
	// EndpointURL: endpoint_url, the service client's endpoint ("" =
	// AWS's). As in Airflow's backends, it is the only endpoint kwarg the
	// service client reads: service_config's ssm and secretsmanager
	// sections are ignored (with a warning); service_config.sts.endpoint_url
	// is Session.STSEndpointURL.
	EndpointURL string
	Timeout     time.Duration // 0: the backend's default; < 0: none
	Locations   kit.Locations
	// Poll is changes_poll_interval_seconds and changes_poll_jitter_seconds.
	Poll Poll

	// Warnings name the keys accepted but ignored; the backend logs them.
	Warnings []string
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
	if err := checkEndpoint("endpoint_url", s.EndpointURL); err != nil {
		return Settings{}, err
	}
	if err := parseServiceConfig(kw, &s); err != nil {
		return Settings{}, err
	}
	var warnings []string
	if s.Session.Client, warnings, err = parseClientConfig(kw); err != nil {
		return Settings{}, err
	}
	s.Warnings = append(s.Warnings, warnings...)
	if s.Timeout, err = kit.Timeout(kw); err != nil {
		return Settings{}, err
	}
	if s.Poll, err = parsePoll(kw); err != nil {
		return Settings{}, err
	}
	// boto3 client arguments Airflow passes on: api_version has no meaning
	// for the Go SDK (one API version per service), so it is ignored with a
	// warning, as other such keys are; use_ssl=false would switch AWS's own
	// endpoints to plain HTTP, which we do not do.
	if v, err := kw.String("api_version", ""); err != nil {
		return Settings{}, err
	} else if v != "" {
		s.Warnings = append(s.Warnings, "backend_kwargs key api_version ignored: the Go SDK speaks one API version per service")
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

func checkEndpoint(key, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is not echoed: it may carry user information.
		return fmt.Errorf("%w: backend_kwargs key %q must be an http:// or https:// URL with a host", config.ErrInvalid, key)
	}
	return nil
}

// services are the clients these backends make; other services'
// service_config sections are ignored with a warning (with a "did you
// mean" among these).
var services = []string{"secretsmanager", "ssm", "sts"}

// parseServiceConfig reads service_config, Airflow's per-service client
// options: {"<service>": {"endpoint_url": ...}}. Airflow's secrets
// backends read only sts.endpoint_url there (for the STS client of an
// assumed role, base_aws.py's _refresh_credentials): they build the SSM
// and Secrets Manager clients with endpoint_url and nothing from
// service_config. So do we: every other entry is ignored, with a warning
// naming it.
func parseServiceConfig(kw *config.Kwargs, s *Settings) error {
	const key = "service_config"
	m, err := decodeObject(kw, key)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, svc := range names {
		var sc map[string]json.RawMessage
		if json.Unmarshal(m[svc], &sc) != nil {
			return fmt.Errorf("%w: backend_kwargs key %s.%s must be an object", config.ErrInvalid, key, svc)
		}
		if !contains(services, svc) {
			msg := fmt.Sprintf("backend_kwargs key %s.%s ignored: this backend's clients are %s", key, svc, strings.Join(services, ", "))
			if hint := config.Closest(svc, services); hint != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", hint)
			}
			s.Warnings = append(s.Warnings, msg)
			continue
		}
		opts := make([]string, 0, len(sc))
		for k := range sc {
			opts = append(opts, k)
		}
		sort.Strings(opts)
		for _, k := range opts {
			name := key + "." + svc + "." + k
			switch {
			case svc != "sts" && k == "endpoint_url":
				s.Warnings = append(s.Warnings, fmt.Sprintf("backend_kwargs key %s ignored, as Airflow's secrets backends ignore them; use endpoint_url", name))
				continue
			case svc != "sts":
				s.Warnings = append(s.Warnings, fmt.Sprintf("backend_kwargs key %s ignored, as Airflow's secrets backends ignore them", name))
				continue
			case k != "endpoint_url":
				s.Warnings = append(s.Warnings, fmt.Sprintf("backend_kwargs key %s ignored: Airflow reads only endpoint_url for STS", name))
				continue
			}
			var u string
			if string(sc[k]) == "null" {
				continue
			}
			if json.Unmarshal(sc[k], &u) != nil {
				return fmt.Errorf("%w: backend_kwargs key %s must be a string", config.ErrInvalid, name)
			}
			if err := checkEndpoint(name, u); err != nil {
				return err
			}
			s.Session.STSEndpointURL = u
		}
	}
	return nil
}

// unsupported are options of Airflow's AWS connection (which Airflow's AWS
// backends forward their unknown kwargs to) that we do not implement.
var unsupported = map[string]string{
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
// read (naming every one, with config.Kwargs.CheckUnused's "did you mean"
// among the keys the getters read).
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
