package awscommon

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver/config"
)

// Session is how the backend authenticates: Airflow's AWS connection
// options that its AWS backends accept as kwargs.
type Session struct {
	Profile string // profile_name
	Region  string // region_name

	// aws_access_key_id, aws_secret_access_key, aws_session_token: static
	// credentials instead of the default chain.
	AccessKeyID, SecretAccessKey, SessionToken string

	// role_arn: assume this role through STS with the credentials above (or
	// the default chain's). assume_role_kwargs: ExternalId,
	// RoleSessionName, DurationSeconds.
	RoleARN         string
	RoleSessionName string // "" = the backend's default
	ExternalID      string
	RoleDuration    time.Duration

	// verify: false skips TLS verification; a string is a CA bundle file.
	InsecureSkipVerify bool
	CABundle           string
}

func parseSession(kw *config.Kwargs) (Session, error) {
	var s Session
	strs := []struct {
		key string
		dst *string
	}{
		{"profile_name", &s.Profile},
		{"region_name", &s.Region},
		{"aws_access_key_id", &s.AccessKeyID},
		{"aws_secret_access_key", &s.SecretAccessKey},
		{"aws_session_token", &s.SessionToken},
		{"role_arn", &s.RoleARN},
	}
	for _, f := range strs {
		v, err := kw.String(f.key, "")
		if err != nil {
			return Session{}, err
		}
		*f.dst = v
	}
	if (s.AccessKeyID == "") != (s.SecretAccessKey == "") {
		return Session{}, fmt.Errorf("%w: backend_kwargs keys %q and %q go together", config.ErrInvalid, "aws_access_key_id", "aws_secret_access_key")
	}
	if s.SessionToken != "" && s.AccessKeyID == "" {
		return Session{}, fmt.Errorf("%w: backend_kwargs key %q needs aws_access_key_id and aws_secret_access_key", config.ErrInvalid, "aws_session_token")
	}
	method, err := kw.String("assume_role_method", "assume_role")
	if err != nil {
		return Session{}, err
	}
	if method != "assume_role" {
		return Session{}, fmt.Errorf("%w: backend_kwargs key %q: only \"assume_role\" is supported (web identity works through the default credential chain: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)", config.ErrInvalid, "assume_role_method")
	}
	if err := parseAssumeRoleKwargs(kw, &s); err != nil {
		return Session{}, err
	}
	if err := parseVerify(kw, &s); err != nil {
		return Session{}, err
	}
	return s, nil
}

// parseAssumeRoleKwargs reads assume_role_kwargs, Airflow's extra arguments
// of sts.assume_role, of which we take ExternalId, RoleSessionName and
// DurationSeconds.
func parseAssumeRoleKwargs(kw *config.Kwargs, s *Session) error {
	const key = "assume_role_kwargs"
	m, err := decodeObject(kw, key)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var err error
		switch k {
		case "ExternalId":
			err = json.Unmarshal(m[k], &s.ExternalID)
		case "RoleSessionName":
			err = json.Unmarshal(m[k], &s.RoleSessionName)
		case "DurationSeconds":
			var secs int
			if err = json.Unmarshal(m[k], &secs); err == nil {
				if secs < 900 || secs > 43200 {
					return fmt.Errorf("%w: backend_kwargs key %s.%s must be between 900 and 43200", config.ErrInvalid, key, k)
				}
				s.RoleDuration = time.Duration(secs) * time.Second
			}
		default:
			return fmt.Errorf("%w: backend_kwargs key %s.%s is not supported (supported: DurationSeconds, ExternalId, RoleSessionName)", config.ErrInvalid, key, k)
		}
		if err != nil {
			return fmt.Errorf("%w: backend_kwargs key %s.%s has the wrong type", config.ErrInvalid, key, k)
		}
	}
	if len(m) > 0 && s.RoleARN == "" {
		return fmt.Errorf("%w: backend_kwargs key %q needs role_arn", config.ErrInvalid, key)
	}
	return nil
}

// verify is read as boto3 takes it: a boolean, or the path of a CA bundle
// ("" is as if absent).
var verify = kit.VerifyKwarg{Key: "verify"}

func parseVerify(kw *config.Kwargs, s *Session) error {
	v, err := verify.Parse(kw)
	if err != nil {
		return err
	}
	s.InsecureSkipVerify, s.CABundle = v.Insecure, v.CABundle
	return nil
}

// Secrets returns the credentials given as kwargs, for redaction.
func (s *Session) Secrets() []string {
	var out []string
	for _, v := range []string{s.AccessKeyID, s.SecretAccessKey, s.SessionToken} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Config loads the aws.Config the session describes: the SDK's default
// chain (environment, shared config and credentials files and profiles, web
// identity, container and instance credentials) for whatever the kwargs
// leave open. No request is made: credentials are fetched at the first
// lookup. roleSessionName is used when assume_role_kwargs does not give one.
func (s *Session) Config(ctx context.Context, roleSessionName string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if s.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(s.Profile))
	}
	if s.Region != "" {
		opts = append(opts, awsconfig.WithRegion(s.Region))
	}
	if s.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, s.SessionToken)))
	}
	if s.InsecureSkipVerify {
		opts = append(opts, awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the user asked for verify=false
		})))
	}
	if s.CABundle != "" {
		pem, err := os.ReadFile(s.CABundle)
		if err != nil {
			return aws.Config{}, fmt.Errorf("%w: backend_kwargs key %q: %v", config.ErrInvalid, "verify", err)
		}
		opts = append(opts, awsconfig.WithCustomCABundle(bytes.NewReader(pem)))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("%w: loading the AWS configuration: %s", config.ErrInvalid, Redactor{s.Secrets()}.Redact(err.Error()))
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("%w: no AWS region: set region_name in backend_kwargs, AWS_REGION, or a profile's region", config.ErrInvalid)
	}
	if s.RoleARN != "" {
		// As in Airflow, the STS client never uses endpoint_url (that is the
		// service's); AWS_ENDPOINT_URL_STS and profiles still apply.
		client := sts.NewFromConfig(cfg)
		name := s.RoleSessionName
		if name == "" {
			name = roleSessionName
		}
		provider := stscreds.NewAssumeRoleProvider(client, s.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = name
			if s.ExternalID != "" {
				o.ExternalID = aws.String(s.ExternalID)
			}
			if s.RoleDuration > 0 {
				o.Duration = s.RoleDuration
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return cfg, nil
}

// RoleSessionName is Airflow's default session name for an assumed role:
// "Airflow_" + the pseudo connection id its backend builds
// ("<ClassName>__connection"), with characters STS refuses removed.
func RoleSessionName(className string) string {
	name := "Airflow_" + className + "__connection"
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_+=,.@-", r):
			return r
		}
		return -1
	}, name)
}
