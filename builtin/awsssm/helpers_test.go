package awsssm_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
)

// openKwargs builds the backend through the registry, as a config file does.
func openKwargs(t *testing.T, kw map[string]any) (resolver.Backend, error) {
	t.Helper()
	return testutil.OpenKwargs(t, awsssm.Name, kw)
}

// lookup asks b for id of kind, without a team.
func lookup(ctx context.Context, b resolver.Backend, kind resolver.Kind, id string) (string, error) {
	return b.Lookup(ctx, resolver.Request{Kind: kind, ID: id})
}

func mustOpen(t *testing.T, kw map[string]any) resolver.Backend {
	t.Helper()
	b, err := openKwargs(t, kw)
	require.NoError(t, err)
	return b
}

// fakeKwargs points a backend at f with the fake's static credentials, plus
// extra.
func fakeKwargs(f *awsfake.Server, extra map[string]any) map[string]any {
	kw := map[string]any{
		"endpoint_url":          f.URL,
		"region_name":           awsfake.Region,
		"aws_access_key_id":     awsfake.Creds.AccessKeyID,
		"aws_secret_access_key": awsfake.Creds.SecretAccessKey,
	}
	maps.Copy(kw, extra)
	return kw
}

// newFake starts a fake that checks every signature, in an isolated AWS
// environment.
func newFake(t *testing.T) *awsfake.Server {
	t.Helper()
	awsfake.Isolate(t)
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	return f
}

// fastRetries is the SDK's standard retryer with millisecond backoff, so
// that retry tests do not sleep for seconds.
func fastRetries() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	})
}

// newGo builds the backend through the Go API against f, with fast retries.
func newGo(t *testing.T, f *awsfake.Server, o awsssm.Options) *awsssm.Backend {
	t.Helper()
	o.AWS = aws.Config{
		Region:      awsfake.Region,
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, ""),
		Retryer:     fastRetries,
	}
	o.ClientOptions = append(o.ClientOptions, func(so *ssm.Options) { so.BaseEndpoint = aws.String(f.URL) })
	b, err := awsssm.New(o)
	require.NoError(t, err)
	return b
}
