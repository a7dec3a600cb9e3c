package awsssm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
)

var staticCreds = credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, "")

// TestHonoursContext: a backend from a config file, or from New with
// cached or static credentials, the SDK's HTTP client and no middleware of
// the caller's own, promises to return once ctx is done; a credentials
// provider outside a cache, a RoundTripper or middleware of the caller's
// own makes no promise.
func TestHonoursContext(t *testing.T) {
	f := newFake(t)
	for _, tc := range []struct {
		name string
		kw   map[string]any
		want bool
	}{
		{"static keys", fakeKwargs(f, nil), true},
		{"default chain", map[string]any{"region_name": awsfake.Region, "endpoint_url": f.URL}, true},
		{"assumed role", fakeKwargs(f, map[string]any{"role_arn": "arn:aws:iam::123456789012:role/r"}), true},
		{"verify false", fakeKwargs(f, map[string]any{"verify": false}), true},
	} {
		t.Run("config "+tc.name, func(t *testing.T) {
			b := mustOpen(t, tc.kw)
			assert.Equal(t, tc.want, b.(interface{ HonoursContext() bool }).HonoursContext())
		})
	}
	uncached := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { select {} })
	for _, tc := range []struct {
		name string
		cfg  aws.Config
		opts []func(*ssm.Options)
		want bool
	}{
		{"static credentials", aws.Config{Credentials: staticCreds}, nil, true},
		{"cached provider", aws.Config{Credentials: aws.NewCredentialsCache(uncached)}, nil, true},
		{"anonymous", aws.Config{Credentials: aws.AnonymousCredentials{}}, nil, true},
		{"caller's *http.Client", aws.Config{Credentials: staticCreds, HTTPClient: &http.Client{}}, nil, true},
		{"provider outside a cache", aws.Config{Credentials: uncached}, nil, false},
		{"caller's RoundTripper", aws.Config{Credentials: staticCreds, HTTPClient: &http.Client{Transport: kittest.StallingTransport{}}}, nil, false},
		{"caller's middleware", aws.Config{Credentials: staticCreds, APIOptions: []func(*middleware.Stack) error{
			func(*middleware.Stack) error { return nil }}}, nil, false},
		{"caller's middleware in ClientOptions", aws.Config{Credentials: staticCreds}, []func(*ssm.Options){func(o *ssm.Options) {
			o.APIOptions = append(o.APIOptions, func(*middleware.Stack) error { return nil })
		}}, false},
	} {
		t.Run("New "+tc.name, func(t *testing.T) {
			tc.cfg.Region = awsfake.Region
			b, err := awsssm.New(awsssm.Options{AWS: tc.cfg, ClientOptions: tc.opts})
			require.NoError(t, err)
			assert.Equal(t, tc.want, b.HonoursContext())
		})
	}
}

// TestLookupEndsWithContext: a lookup of a backend that declares the
// promise ends with the caller's cancellation while the service never
// answers, while the SDK waits to retry a 500, and while a credentials
// refresh never answers. The bound is a hang detector, not a timing
// assertion.
func TestLookupEndsWithContext(t *testing.T) {
	awsfake.Isolate(t)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"__type":"InternalServerError","message":"try again"}`))
	}))
	t.Cleanup(failing.Close)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stalledCreds := aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		<-release
		return aws.Credentials{}, errors.New("released")
	}))
	slowRetries := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Hour, nil })
		})
	}
	for _, tc := range []struct {
		name, url string
		cfg       aws.Config
	}{
		{"service never answers", kittest.SilentServer(t), aws.Config{Credentials: staticCreds}},
		{"waiting to retry", failing.URL, aws.Config{Credentials: staticCreds, Retryer: slowRetries}},
		{"credentials never answer", failing.URL, aws.Config{Credentials: stalledCreds}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Region = awsfake.Region
			b, err := awsssm.New(awsssm.Options{AWS: tc.cfg, Timeout: time.Hour,
				ClientOptions: []func(*ssm.Options){func(o *ssm.Options) { o.BaseEndpoint = aws.String(tc.url) }}})
			require.NoError(t, err)
			require.True(t, b.HonoursContext())
			for _, kind := range []resolver.Kind{resolver.KindConnection, resolver.KindVariable} {
				kittest.EndsWithContext(t, fmt.Sprint(kind), func(ctx context.Context) error {
					_, err := lookup(ctx, b, kind, "id")
					return err
				})
				// A batch of more ids than one request takes: every
				// request of it ends with ctx.
				kittest.EndsWithContext(t, fmt.Sprint(kind)+" batch", func(ctx context.Context) error {
					reqs := make([]resolver.Request, 2*awsssm.MaxBatch+1)
					for i := range reqs {
						reqs[i] = resolver.Request{Kind: kind, ID: fmt.Sprint("id", i)}
					}
					answers := make([]resolver.Answer, len(reqs))
					b.LookupBatch(ctx, reqs, answers)
					for i, a := range answers {
						if !errors.Is(a.Err, context.Canceled) {
							return fmt.Errorf("id %q: %w", reqs[i].ID, a.Err)
						}
					}
					return answers[0].Err
				})
			}
		})
	}
}
