// Package vaultaws is the Vault backend's aws_iam auth method (Airflow's
// auth_type "aws_iam"): the login is an STS GetCallerIdentity request
// signed with SigV4, as hvac's iam_login builds it, which Vault replays to
// STS to learn who the caller is.
//
// It lives apart from package vault because it needs the AWS SDK, which
// the vault package does not link. Importing it, usually for its side
// effect only, registers the method with vault.RegisterAuthMethod:
//
//	import _ "github.com/secretpath/secretpath/builtin/vault/vaultaws"
//
// The root package github.com/secretpath/secretpath and the secretpath
// command import it. Without it, a Vault backend with auth_type aws_iam is
// a configuration error that names this package.
//
// The kwargs (key_id, secret_id, role_id, region, assume_role_kwargs) are
// decoded by package vault into vault.Auth: KeyID and SecretID are static
// AWS credentials; without them the AWS SDK's default chain is used, first
// assuming AssumeRole when set. assume_role_kwargs is STS AssumeRole's
// input, whole, as Airflow passes it to boto3's sts.assume_role: RoleArn
// (required), RoleSessionName (default "secretpath-vault"), ExternalId,
// DurationSeconds, Policy, PolicyArns, Tags, TransitiveTagKeys,
// SourceIdentity, SerialNumber, TokenCode, ProvidedContexts, ... (decoded
// as the AWS backends decode theirs, package awscommon, and checked when
// the backend is built). Region signs the request (default
// us-east-1). RoleID is the Vault role. The default mount is "aws". Login
// errors (the SDK's and Vault's) have the AWS access key ids and the
// configured credentials masked. Each login logs (debug, to the backend's
// logger) where its AWS credentials came from and the signing region,
// never a key.
package vaultaws

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/secretpath/secretpath/builtin/internal/awscommon"
	"github.com/secretpath/secretpath/builtin/vault"
)

// mount is the aws_iam method's default mount path (Vault's "aws" auth
// method).
const mount = "aws"

func init() {
	vault.RegisterAuthMethod(vault.AuthAWSIAM, vault.AuthMethod{Mount: mount, Login: login, Check: check, Redact: redact})
}

// check decodes assume_role_kwargs as STS AssumeRole's input, with the AWS
// backends' decoding (builtin/internal/awscommon): every input STS takes
// is accepted, as Airflow passes the dict whole to sts.assume_role; an
// unknown key or a value of the wrong shape is a configuration error.
func check(a vault.Auth) error {
	if a.AssumeRole == nil {
		return nil
	}
	if _, err := awscommon.DecodeAssumeRoleInput(a.AssumeRole.Inputs); err != nil {
		return fmt.Errorf("%s: auth_type aws_iam: %w", vault.Name, err)
	}
	return nil
}

// assumeRoleInput is ar's STS AssumeRole input, with our default session
// name (STS requires one; Airflow's users must give it).
func assumeRoleInput(ar *vault.AssumeRole) (sts.AssumeRoleInput, error) {
	in, err := awscommon.DecodeAssumeRoleInput(ar.Inputs)
	if err != nil {
		return sts.AssumeRoleInput{}, fmt.Errorf("%s: auth_type aws_iam: %w", vault.Name, err)
	}
	// The typed fields, for an AssumeRole built in Go without Inputs.
	if in.RoleArn == nil {
		in.RoleArn = aws.String(ar.RoleArn)
	}
	if in.RoleSessionName == nil && ar.RoleSessionName != "" {
		in.RoleSessionName = aws.String(ar.RoleSessionName)
	}
	if in.ExternalId == nil && ar.ExternalID != "" {
		in.ExternalId = aws.String(ar.ExternalID)
	}
	if in.DurationSeconds == nil && ar.DurationSeconds > 0 {
		in.DurationSeconds = aws.Int32(int32(min(ar.DurationSeconds, math.MaxInt32)))
	}
	if aws.ToString(in.RoleSessionName) == "" {
		in.RoleSessionName = aws.String(defaultSessionName)
	}
	return in, nil
}

// defaultSessionName is the role session name when assume_role_kwargs
// gives none.
const defaultSessionName = "secretpath-vault"

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

// redact masks AWS access key ids and the aws_iam credentials in a login
// error (STS messages can quote a credential scope).
func redact(a vault.Auth, err error) error {
	r := awscommon.Redactor{Secrets: []string{a.KeyID, a.SecretID}}
	return &redactedError{msg: r.Redact(err.Error()), err: err}
}

// redactedError is an error with credentials masked in its text; it
// unwraps to the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// login returns the body of an aws_iam login: the signed
// GetCallerIdentity request, base64-encoded, and the role.
func login(ctx context.Context, req vault.LoginRequest) (map[string]any, error) {
	a := &req.Auth
	region := a.Region
	var provider aws.CredentialsProvider
	attrs := []slog.Attr{slog.String("credentials", "static key_id and secret_id")}
	if a.KeyID != "" && a.SecretID != "" {
		provider = credentials.NewStaticCredentialsProvider(a.KeyID, a.SecretID, "")
	} else {
		attrs[0] = slog.String("credentials", "the AWS default chain")
		var opts []func(*config.LoadOptions) error
		if region != "" {
			opts = append(opts, config.WithRegion(region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s: aws_iam: the AWS default configuration: %w", vault.Name, err)
		}
		if region == "" {
			region = cfg.Region
		}
		provider = cfg.Credentials
		if ar := a.AssumeRole; ar != nil {
			attrs = []slog.Attr{slog.String("credentials", "a role assumed with the AWS default chain"), slog.String("role_arn", ar.RoleArn)}
			if cfg.Region == "" {
				cfg.Region = stsRegion
			}
			in, err := assumeRoleInput(ar)
			if err != nil {
				return nil, err
			}
			provider = awscommon.NewAssumeRoleProvider(sts.NewFromConfig(cfg), in)
		}
		if provider == nil {
			return nil, fmt.Errorf("%s: aws_iam: no AWS credentials (key_id and secret_id, or the default chain)", vault.Name)
		}
	}
	if region == "" {
		region = stsRegion
	}
	creds, err := provider.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: aws_iam: AWS credentials: %w", vault.Name, err)
	}
	if req.Logger != nil {
		req.Logger.LogAttrs(ctx, slog.LevelDebug, "vault: aws_iam login",
			append(attrs, slog.String("source", creds.Source), slog.String("region", region))...)
	}
	sr, err := http.NewRequestWithContext(ctx, http.MethodPost, stsURL, strings.NewReader(stsBody))
	if err != nil {
		return nil, fmt.Errorf("%s: aws_iam: the STS request: %w", vault.Name, err)
	}
	sr.Header.Set("Content-Type", stsFormType)
	sum := sha256.Sum256([]byte(stsBody))
	if err := v4.NewSigner().SignHTTP(ctx, creds, sr, hex.EncodeToString(sum[:]), "sts", region, time.Now()); err != nil {
		return nil, fmt.Errorf("%s: aws_iam: signing: %w", vault.Name, err)
	}
	headers := map[string][]string{"Host": {stsHost}}
	for k, v := range sr.Header {
		headers[k] = v
	}
	hj, err := json.Marshal(headers)
	if err != nil {
		return nil, fmt.Errorf("%s: aws_iam: the signed headers: %w", vault.Name, err)
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
