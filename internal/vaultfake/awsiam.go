package vaultfake

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// IAMRequest is the aws_iam login a real Vault replays to STS.
const (
	IAMRequestURL  = "https://sts.amazonaws.com/"
	IAMRequestBody = "Action=GetCallerIdentity&Version=2011-06-15"
)

// checkIAMLogin checks an aws_iam login body as Vault and STS would: the
// request is STS GetCallerIdentity and its SigV4 signature is right for a
// registered access key (creds: access key id -> secret key). It returns
// the caller's ARN, or Vault's error message.
func checkIAMLogin(ctx context.Context, creds map[string]string, in map[string]any) (arn, msg string) {
	dec := func(k string) string {
		s, _ := in[k].(string)
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return ""
		}
		return string(b)
	}
	if m, _ := in["iam_http_request_method"].(string); m != http.MethodPost {
		return "", "error parsing iam_http_request_method"
	}
	if dec("iam_request_url") != IAMRequestURL || dec("iam_request_body") != IAMRequestBody {
		return "", "invalid request: not sts:GetCallerIdentity"
	}
	var headers map[string][]string
	if err := json.Unmarshal([]byte(dec("iam_request_headers")), &headers); err != nil {
		return "", "error parsing iam_request_headers"
	}
	get := func(k string) string {
		for hk, v := range headers {
			if strings.EqualFold(hk, k) && len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	authz := get("Authorization")
	_, cred, ok := strings.Cut(authz, "Credential=")
	if !ok {
		return "", "missing Authorization"
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/") // akid/date/region/sts/aws4_request
	if len(parts) != 5 || parts[3] != "sts" {
		return "", "bad credential scope"
	}
	secret, ok := creds[parts[0]]
	if !ok {
		return "", "error making upstream request: received error code 403 from STS: InvalidClientTokenId"
	}
	when, err := time.Parse("20060102T150405Z", get("X-Amz-Date"))
	if err != nil {
		return "", "bad X-Amz-Date"
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, IAMRequestURL, strings.NewReader(IAMRequestBody))
	req.Header.Set("Content-Type", get("Content-Type"))
	sum := sha256.Sum256([]byte(IAMRequestBody))
	c := aws.Credentials{AccessKeyID: parts[0], SecretAccessKey: secret, SessionToken: get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(ctx, c, req, hex.EncodeToString(sum[:]), "sts", parts[2], when); err != nil {
		return "", err.Error()
	}
	if req.Header.Get("Authorization") != authz {
		return "", "error making upstream request: received error code 403 from STS: SignatureDoesNotMatch"
	}
	return "arn:aws:iam::123456789012:user/" + parts[0], ""
}
