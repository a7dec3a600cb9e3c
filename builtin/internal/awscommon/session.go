package awscommon

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
	// the default chain's). assume_role_method picks the STS call;
	// assume_role_kwargs are that call's inputs, as STS names them.
	RoleARN     string
	Method      string // "assume_role" or "assume_role_with_web_identity"
	AssumeRole  sts.AssumeRoleInput
	WebIdentity sts.AssumeRoleWithWebIdentityInput

	// WebIdentityTokenFile: assume_role_with_web_identity_token_file, else
	// AWS_WEB_IDENTITY_TOKEN_FILE (read at each STS call).
	WebIdentityTokenFile string

	// Client: config_kwargs. STSEndpointURL: service_config.sts.endpoint_url
	// (as in Airflow, endpoint_url itself never applies to STS).
	Client         ClientConfig
	STSEndpointURL string

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
	if err := parseAssumeRole(kw, &s); err != nil {
		return Session{}, err
	}
	if err := parseVerify(kw, &s); err != nil {
		return Session{}, err
	}
	return s, nil
}

// parseAssumeRole reads assume_role_method, assume_role_kwargs (the extra
// arguments Airflow passes to sts.assume_role or, through botocore's
// web-identity fetcher, to sts.assume_role_with_web_identity) and the web
// identity keys.
func parseAssumeRole(kw *config.Kwargs, s *Session) error {
	const key = "assume_role_kwargs"
	var err error
	if s.Method, err = kw.String("assume_role_method", "assume_role"); err != nil {
		return err
	}
	federation, err := kw.String("assume_role_with_web_identity_federation", "")
	if err != nil {
		return err
	}
	tokenFile, err := kw.String("assume_role_with_web_identity_token_file", "")
	if err != nil {
		return err
	}
	audience, err := kw.String("assume_role_with_web_identity_federation_audience", "")
	if err != nil {
		return err
	}
	m, err := decodeObject(kw, key)
	if err != nil {
		return err
	}
	switch s.Method {
	case "assume_role":
		if err := decodeSTSInput(m, assumeRoleKeys, "AssumeRole", &s.AssumeRole); err != nil {
			return err
		}
		if err := checkDuration(s.AssumeRole.DurationSeconds); err != nil {
			return err
		}
	case "assume_role_with_web_identity":
		if s.RoleARN == "" {
			return fmt.Errorf("%w: backend_kwargs key %q = %q needs role_arn", config.ErrInvalid, "assume_role_method", s.Method)
		}
		switch federation {
		case "file":
		case "google":
			return fmt.Errorf("%w: backend_kwargs key %q: \"google\" (a Google ID token) is not supported; write the token to a file and use \"file\" with assume_role_with_web_identity_token_file", config.ErrInvalid, "assume_role_with_web_identity_federation")
		case "":
			return fmt.Errorf("%w: backend_kwargs key %q must be set with assume_role_method %q (as in Airflow): \"file\"", config.ErrInvalid, "assume_role_with_web_identity_federation", s.Method)
		default:
			return fmt.Errorf("%w: backend_kwargs key %q: unsupported federation (supported: \"file\")", config.ErrInvalid, "assume_role_with_web_identity_federation")
		}
		if audience != "" {
			return fmt.Errorf("%w: backend_kwargs key %q applies only to the \"google\" federation", config.ErrInvalid, "assume_role_with_web_identity_federation_audience")
		}
		s.WebIdentityTokenFile = tokenFile
		if s.WebIdentityTokenFile == "" {
			s.WebIdentityTokenFile = os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE")
		}
		if s.WebIdentityTokenFile == "" {
			return fmt.Errorf("%w: backend_kwargs key %q (or AWS_WEB_IDENTITY_TOKEN_FILE) must name the web identity token file", config.ErrInvalid, "assume_role_with_web_identity_token_file")
		}
		if err := decodeSTSInput(m, webIdentityKeys, "AssumeRoleWithWebIdentity", &s.WebIdentity); err != nil {
			return err
		}
		if err := checkDuration(s.WebIdentity.DurationSeconds); err != nil {
			return err
		}
	case "assume_role_with_saml":
		return fmt.Errorf("%w: backend_kwargs key %q: SAML federation is not supported (supported: \"assume_role\", \"assume_role_with_web_identity\")", config.ErrInvalid, "assume_role_method")
	default:
		msg := fmt.Sprintf("backend_kwargs key %q: unknown method (supported: \"assume_role\", \"assume_role_with_web_identity\")", "assume_role_method")
		if hint := config.Closest(s.Method, []string{"assume_role", "assume_role_with_web_identity"}); hint != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", hint)
		}
		return fmt.Errorf("%w: %s", config.ErrInvalid, msg)
	}
	if s.Method != "assume_role_with_web_identity" && (federation != "" || tokenFile != "" || audience != "") {
		return fmt.Errorf("%w: backend_kwargs keys assume_role_with_web_identity_* need assume_role_method %q", config.ErrInvalid, "assume_role_with_web_identity")
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
	switch {
	case s.Region != "":
		opts = append(opts, awsconfig.WithRegion(s.Region))
	case s.Client.Region != "":
		opts = append(opts, awsconfig.WithRegion(s.Client.Region))
	}
	opts = append(opts, s.Client.loadOptions()...)
	if s.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, s.SessionToken)))
	}
	if s.InsecureSkipVerify || s.Client.hasTransport() {
		client := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			if s.InsecureSkipVerify {
				if tr.TLSClientConfig == nil {
					tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
				}
				tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the user asked for verify=false
			}
			s.Client.transport(tr)
		}).WithDialerOptions(s.Client.dialer)
		opts = append(opts, awsconfig.WithHTTPClient(client))
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
	s.Client.applyEndpointPolicy(&cfg)
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("%w: no AWS region: set region_name in backend_kwargs, AWS_REGION, or a profile's region", config.ErrInvalid)
	}
	if s.RoleARN != "" {
		// As in Airflow, the STS client never uses endpoint_url (that is the
		// service's) but service_config's sts.endpoint_url;
		// AWS_ENDPOINT_URL_STS and profiles still apply.
		client := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if s.STSEndpointURL != "" {
				o.BaseEndpoint = aws.String(s.STSEndpointURL)
			}
		})
		var provider aws.CredentialsProvider
		if s.Method == "assume_role_with_web_identity" {
			in := s.WebIdentity
			in.RoleArn = aws.String(s.RoleARN)
			if in.RoleSessionName == nil {
				// botocore's web identity fetcher's default.
				in.RoleSessionName = aws.String(fmt.Sprintf("botocore-session-%d", time.Now().Unix()))
			}
			provider = &webIdentityProvider{client: client, input: in, tokenFile: s.WebIdentityTokenFile}
		} else {
			in := s.AssumeRole
			in.RoleArn = aws.String(s.RoleARN)
			if in.RoleSessionName == nil {
				in.RoleSessionName = aws.String(roleSessionName)
			}
			provider = &assumeRoleProvider{client: client, input: in}
		}
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
