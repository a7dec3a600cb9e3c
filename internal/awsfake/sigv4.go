package awsfake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Authorization is a parsed SigV4 Authorization header.
type Authorization struct {
	AccessKeyID   string
	Date          string // yyyymmdd of the credential scope
	Region        string
	Service       string // signing name: ssm, secretsmanager, sts
	SignedHeaders []string
	Signature     string // 64 lower-case hex digits
}

var authRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/,]+)/([^/,]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

// ParseAuthorization parses a SigV4 Authorization header value, checking
// its shape.
func ParseAuthorization(h string) (Authorization, error) {
	m := authRE.FindStringSubmatch(h)
	if m == nil {
		return Authorization{}, fmt.Errorf("not a SigV4 Authorization header: %q", h)
	}
	return Authorization{
		AccessKeyID: m[1], Date: m[2], Region: m[3], Service: m[4],
		SignedHeaders: strings.Split(m[5], ";"), Signature: m[6],
	}, nil
}

// checkSignature returns the request's access key id and, when signatures
// are checked, why it is refused ("" = accepted). s.mu is held.
func (s *Server) checkSignature(r *http.Request, body []byte, service string) (akid, refusal string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if s.verify {
			return "", "missing Authorization header"
		}
		return "", ""
	}
	a, err := ParseAuthorization(h)
	if err != nil {
		if s.verify {
			return "", err.Error()
		}
		return "", ""
	}
	if !s.verify {
		return a.AccessKeyID, ""
	}
	return a.AccessKeyID, s.verifyRequest(r, body, service, a)
}

func (s *Server) verifyRequest(r *http.Request, body []byte, service string, a Authorization) string {
	switch {
	case a.Service != service:
		return fmt.Sprintf("signing name %q, want %q", a.Service, service)
	case a.Region != s.vregion:
		return fmt.Sprintf("region %q, want %q", a.Region, s.vregion)
	}
	for _, want := range []string{"host", "x-amz-date", "content-type"} {
		if !slices.Contains(a.SignedHeaders, want) {
			return "SignedHeaders lacks " + want
		}
	}
	if service != "sts" && !slices.Contains(a.SignedHeaders, "x-amz-target") {
		return "SignedHeaders lacks x-amz-target"
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return "bad X-Amz-Date"
	}
	if d := time.Since(t); d > 15*time.Minute || d < -15*time.Minute {
		return "X-Amz-Date is more than 15 minutes away"
	}
	if a.Date != amzDate[:8] {
		return "credential scope date differs from X-Amz-Date"
	}
	creds, ok := s.creds[a.AccessKeyID]
	if !ok {
		return "unknown access key id"
	}
	if creds.SessionToken != r.Header.Get("X-Amz-Security-Token") {
		return "X-Amz-Security-Token does not belong to the access key id"
	}

	// Recompute the signature over exactly the signed headers.
	req, err := http.NewRequestWithContext(context.Background(), r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return err.Error()
	}
	req.Host = r.Host
	req.ContentLength = int64(len(body))
	for _, name := range a.SignedHeaders {
		if name == "host" || name == "content-length" {
			continue
		}
		req.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, a.Region, t); err != nil {
		return err.Error()
	}
	if got := req.Header.Get("Authorization"); got != r.Header.Get("Authorization") {
		return "signature mismatch"
	}
	return ""
}
