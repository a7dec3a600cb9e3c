package vault

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/secretpath/secretpath/resolver"
)

// The signed request of an aws_iam login, as hvac's iam_login builds it:
// STS GetCallerIdentity at the global endpoint, signed for the region
// (us-east-1 by default). Vault replays it to STS to learn who we are.
const (
	stsURL      = "https://sts.amazonaws.com/"
	stsHost     = "sts.amazonaws.com"
	stsBody     = "Action=GetCallerIdentity&Version=2011-06-15"
	stsFormType = "application/x-www-form-urlencoded; charset=utf-8"
	stsRegion   = "us-east-1"
)

// AssumeRole is Airflow's assume_role_kwargs for aws_iam auth: the role
// the default credentials assume (STS AssumeRole) before logging in.
type AssumeRole struct {
	RoleArn         string
	RoleSessionName string // "" = "secretpath-vault"
	ExternalID      string
	DurationSeconds int
}

// parseAssumeRole decodes assume_role_kwargs (boto3's assume_role
// arguments: RoleArn, RoleSessionName, ExternalId, DurationSeconds).
func parseAssumeRole(raw map[string]any) (*AssumeRole, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	bad := func(key, want string) error {
		return fmt.Errorf("%w: backend_kwargs key %q: %s %s", resolver.ErrConfig, "assume_role_kwargs", key, want)
	}
	ar := &AssumeRole{}
	for k, v := range raw {
		switch k {
		case "RoleArn", "RoleSessionName", "ExternalId":
			s, ok := v.(string)
			if !ok {
				return nil, bad(k, "must be a string")
			}
			switch k {
			case "RoleArn":
				ar.RoleArn = s
			case "RoleSessionName":
				ar.RoleSessionName = s
			default:
				ar.ExternalID = s
			}
		case "DurationSeconds":
			f, ok := v.(float64)
			if !ok || f != float64(int(f)) || f < 0 {
				return nil, bad(k, "must be a whole number")
			}
			ar.DurationSeconds = int(f)
		default:
			return nil, bad(k, "is not supported (RoleArn, RoleSessionName, ExternalId, DurationSeconds)")
		}
	}
	if ar.RoleArn == "" {
		return nil, bad("RoleArn", "is required")
	}
	return ar, nil
}

// awsIAMLogin returns the body of an aws_iam login: the signed
// GetCallerIdentity request, base64-encoded, and the role.
func (a *Auth) awsIAMLogin(ctx context.Context) (map[string]any, error) {
	region := a.Region
	var provider aws.CredentialsProvider
	if a.KeyID != "" && a.SecretID != "" {
		provider = credentials.NewStaticCredentialsProvider(a.KeyID, a.SecretID, "")
	} else {
		var opts []func(*config.LoadOptions) error
		if region != "" {
			opts = append(opts, config.WithRegion(region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s: aws_iam: the AWS default configuration: %w", Name, err)
		}
		if region == "" {
			region = cfg.Region
		}
		provider = cfg.Credentials
		if ar := a.AssumeRole; ar != nil {
			if cfg.Region == "" {
				cfg.Region = stsRegion
			}
			provider = stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), ar.RoleArn, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = ar.RoleSessionName
				if o.RoleSessionName == "" {
					o.RoleSessionName = "secretpath-vault"
				}
				if ar.ExternalID != "" {
					o.ExternalID = aws.String(ar.ExternalID)
				}
				if ar.DurationSeconds > 0 {
					o.Duration = time.Duration(ar.DurationSeconds) * time.Second
				}
			})
		}
		if provider == nil {
			return nil, fmt.Errorf("%s: aws_iam: no AWS credentials (key_id and secret_id, or the default chain)", Name)
		}
	}
	if region == "" {
		region = stsRegion
	}
	creds, err := provider.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: aws_iam: AWS credentials: %w", Name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, stsURL, strings.NewReader(stsBody))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", stsFormType)
	sum := sha256.Sum256([]byte(stsBody))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", region, time.Now()); err != nil {
		return nil, fmt.Errorf("%s: aws_iam: signing: %w", Name, err)
	}
	headers := map[string][]string{"Host": {stsHost}}
	for k, v := range req.Header {
		headers[k] = v
	}
	hj, err := json.Marshal(headers)
	if err != nil {
		return nil, err
	}
	body := map[string]any{
		"iam_http_request_method": http.MethodPost,
		"iam_request_url":         base64.StdEncoding.EncodeToString([]byte(stsURL)),
		"iam_request_body":        base64.StdEncoding.EncodeToString([]byte(stsBody)),
		"iam_request_headers":     base64.StdEncoding.EncodeToString(hj),
	}
	if a.RoleID != "" {
		body["role"] = a.RoleID
	}
	return body, nil
}
