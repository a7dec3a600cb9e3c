package awscommon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/secretpath/secretpath/resolver/config"
)

// assumeRoleKeys are the inputs of STS AssumeRole as the API (and boto3's
// sts.assume_role, to which Airflow passes assume_role_kwargs) names them,
// less RoleArn (role_arn).
var assumeRoleKeys = []string{
	"DurationSeconds", "ExternalId", "MinimumSessionTokenSize", "Policy", "PolicyArns",
	"ProvidedContexts", "RoleSessionName", "SerialNumber", "SourceIdentity", "Tags",
	"TokenCode", "TransitiveTagKeys",
}

// webIdentityKeys are the inputs of STS AssumeRoleWithWebIdentity, less
// RoleArn and WebIdentityToken (the token file).
var webIdentityKeys = []string{
	"DurationSeconds", "MinimumSessionTokenSize", "Policy", "PolicyArns", "ProviderId", "RoleSessionName",
}

// decodeSTSInput checks m's keys against known (STS's names), then decodes
// m into dst, an STS input struct, refusing any value of the wrong shape.
// Errors name assume_role_kwargs.<Key>, never a value.
func decodeSTSInput(m map[string]json.RawMessage, known []string, method string, dst any) error {
	const key = "assume_role_kwargs"
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "RoleArn" && !contains(known, k) {
			return fmt.Errorf("%w: backend_kwargs key %s.%s: give the role as role_arn", config.ErrInvalid, key, k)
		}
		if k == "WebIdentityToken" && method == "AssumeRoleWithWebIdentity" {
			return fmt.Errorf("%w: backend_kwargs key %s.%s: give the token as a file, assume_role_with_web_identity_token_file", config.ErrInvalid, key, k)
		}
		if !contains(known, k) {
			msg := fmt.Sprintf("backend_kwargs key %s.%s is not an input of STS %s", key, k, method)
			if hint := config.Closest(k, known); hint != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", hint)
			}
			return fmt.Errorf("%w: %s", config.ErrInvalid, msg)
		}
	}
	// Each member alone, so that an error names it (json's own message
	// could quote the value).
	for _, k := range keys {
		one, _ := json.Marshal(map[string]json.RawMessage{k: m[k]})
		dec := json.NewDecoder(bytes.NewReader(one))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst); err != nil {
			return fmt.Errorf("%w: backend_kwargs key %s.%s has the wrong type or shape (see STS %s)", config.ErrInvalid, key, k, method)
		}
	}
	return nil
}

// DecodeAssumeRoleInput decodes m, an assume_role_kwargs given whole to
// STS AssumeRole (as Airflow's Vault aws_iam login passes it to boto3's
// sts.assume_role: RoleArn included), into that call's input. Every input
// STS takes is accepted; an unknown key is an error with a "did you mean",
// a value of the wrong shape an error naming assume_role_kwargs.<Key>
// (never the value). Errors wrap config.ErrInvalid.
func DecodeAssumeRoleInput(m map[string]json.RawMessage) (sts.AssumeRoleInput, error) {
	var in sts.AssumeRoleInput
	known := append([]string{"RoleArn"}, assumeRoleKeys...)
	if err := decodeSTSInput(m, known, "AssumeRole", &in); err != nil {
		return sts.AssumeRoleInput{}, err
	}
	if err := checkDuration(in.DurationSeconds); err != nil {
		return sts.AssumeRoleInput{}, err
	}
	return in, nil
}

// NewAssumeRoleProvider returns a provider of the credentials STS
// AssumeRole gives for in, called with client at each Retrieve (wrap it in
// aws.NewCredentialsCache to reuse them). Unlike stscreds' provider, it
// sends every input in carries.
func NewAssumeRoleProvider(client *sts.Client, in sts.AssumeRoleInput) aws.CredentialsProvider {
	return &assumeRoleProvider{client: client, input: in}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkDuration refuses a DurationSeconds STS would refuse.
func checkDuration(d *int32) error {
	if d != nil && (*d < 900 || *d > 43200) {
		return fmt.Errorf("%w: backend_kwargs key assume_role_kwargs.DurationSeconds must be between 900 and 43200", config.ErrInvalid)
	}
	return nil
}

// stsAPI is the part of the STS client the providers call.
type stsAPI interface {
	AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
	AssumeRoleWithWebIdentity(context.Context, *sts.AssumeRoleWithWebIdentityInput, ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)
}

// assumeRoleProvider calls STS AssumeRole with every input the kwargs give
// (stscreds' provider carries only some of them).
type assumeRoleProvider struct {
	client stsAPI
	input  sts.AssumeRoleInput
}

func (p *assumeRoleProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	in := p.input
	out, err := p.client.AssumeRole(ctx, &in)
	if err != nil {
		return aws.Credentials{}, err
	}
	return stsCredentials(out.Credentials.AccessKeyId, out.Credentials.SecretAccessKey, out.Credentials.SessionToken, out.Credentials.Expiration, "AssumeRoleProvider")
}

// webIdentityProvider calls STS AssumeRoleWithWebIdentity with the token
// read from tokenFile at each call (a projected token rotates).
type webIdentityProvider struct {
	client    stsAPI
	input     sts.AssumeRoleWithWebIdentityInput
	tokenFile string
}

func (p *webIdentityProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	b, err := os.ReadFile(p.tokenFile)
	if err != nil {
		// The os error names the file, not its content.
		return aws.Credentials{}, fmt.Errorf("backend_kwargs key assume_role_with_web_identity_token_file: %w", err)
	}
	in := p.input
	in.WebIdentityToken = aws.String(strings.TrimSpace(string(b)))
	out, err := p.client.AssumeRoleWithWebIdentity(ctx, &in)
	if err != nil {
		return aws.Credentials{}, err
	}
	return stsCredentials(out.Credentials.AccessKeyId, out.Credentials.SecretAccessKey, out.Credentials.SessionToken, out.Credentials.Expiration, "WebIdentityCredentials")
}

func stsCredentials(id, secret, token *string, exp *time.Time, source string) (aws.Credentials, error) {
	if id == nil || secret == nil {
		return aws.Credentials{}, fmt.Errorf("STS answered without credentials")
	}
	c := aws.Credentials{AccessKeyID: *id, SecretAccessKey: *secret, SessionToken: aws.ToString(token), Source: source}
	if exp != nil {
		c.CanExpire, c.Expires = true, *exp
	}
	return c, nil
}
