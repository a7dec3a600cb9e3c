package awscommon

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// HonoursContext reports whether an AWS service client with these
// credentials, HTTP client and number of APIOptions returns once its
// operation's ctx is done, the resolver's HonoursContext promise (see
// resolver.Backend). The SDK's requests carry ctx and its retries wait on
// it. It holds when the credentials are an *aws.CredentialsCache (what
// config.LoadDefaultConfig gives: an operation waits for a refresh only
// until its ctx is done), static or anonymous; the HTTP client is the
// SDK's (awshttp.BuildableClient) or an *http.Client whose Transport is
// nil or an *http.Transport; and no APIOptions add middleware. A
// credentials provider not in a cache, a RoundTripper or middleware of the
// caller's own may ignore ctx.
func HonoursContext(creds aws.CredentialsProvider, hc any, apiOptions int) bool {
	if apiOptions != 0 {
		return false
	}
	switch creds.(type) {
	case nil, *aws.CredentialsCache, credentials.StaticCredentialsProvider, *credentials.StaticCredentialsProvider,
		aws.AnonymousCredentials, *aws.AnonymousCredentials:
	default:
		return false
	}
	switch c := hc.(type) {
	case nil, *awshttp.BuildableClient:
		return true
	case *http.Client:
		rt := c.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		_, ok := rt.(*http.Transport)
		return ok
	}
	return false
}
