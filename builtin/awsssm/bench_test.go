package awsssm_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
)

// The benchmarks compare a lookup through the backend with the same
// GetParameter call made directly with the SDK, from the same aws.Config
// and endpoint (target: ≤ 5% overhead). Each runs the two calls in one loop,
// alternating which goes first, so that both see the same machine load,
// and reports each one's time per call and the backend's overhead in
// percent; ns/op counts both calls.

// BenchmarkGetParameter: against the fake on loopback.
func BenchmarkGetParameter(b *testing.B) {
	awsfake.Isolate(b)
	f := awsfake.New(b)
	f.PutParameter("/airflow/connections/smtp_default", "smtps://user:s3cret@relay.example.com:465", awsfake.SecureString)
	benchPair(b, aws.Config{
		Region:      awsfake.Region,
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, ""),
	}, f.URL)
}

// BenchmarkGetParameterInMemory: the HTTP exchange replaced by a canned
// response, so that the comparison isolates the CPU the backend adds to the
// SDK's own work (the strictest measure).
func BenchmarkGetParameterInMemory(b *testing.B) {
	benchPair(b, aws.Config{
		Region:      awsfake.Region,
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, ""),
		HTTPClient:  cannedClient{},
	}, "http://127.0.0.1:1")
}

func benchPair(b *testing.B, cfg aws.Config, url string) {
	endpoint := func(o *ssm.Options) { o.BaseEndpoint = aws.String(url) }
	backend, err := awsssm.New(awsssm.Options{AWS: cfg, ClientOptions: []func(*ssm.Options){endpoint}})
	if err != nil {
		b.Fatal(err)
	}
	client := ssm.NewFromConfig(cfg, endpoint)
	ctx := b.Context()
	callSDK := func() time.Duration {
		t0 := time.Now()
		name := "/airflow/connections/smtp_default"
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: aws.Bool(true)})
		if err != nil || *out.Parameter.Value == "" {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	req := resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"}
	callBackend := func() time.Duration {
		t0 := time.Now()
		v, err := backend.Lookup(ctx, req)
		if err != nil || v == "" {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	callSDK() // warm both connections up
	callBackend()
	b.ReportAllocs()
	var sdk, ours time.Duration
	n := 0
	for b.Loop() {
		if n%2 == 0 {
			sdk += callSDK()
			ours += callBackend()
		} else {
			ours += callBackend()
			sdk += callSDK()
		}
		n++
	}
	b.ReportMetric(float64(sdk.Nanoseconds())/float64(n), "sdk-ns/call")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(n), "backend-ns/call")
	b.ReportMetric(100*(float64(ours)-float64(sdk))/float64(sdk), "overhead-%")
}

// cannedClient answers every request with one GetParameter response.
type cannedClient struct{}

func (cannedClient) Do(*http.Request) (*http.Response, error) {
	const body = `{"Parameter":{"ARN":"arn:aws:ssm:us-east-1:123456789012:parameter/airflow/connections/smtp_default",` +
		`"DataType":"text","LastModifiedDate":1.7644176E9,"Name":"/airflow/connections/smtp_default","Type":"SecureString",` +
		`"Value":"smtps://user:s3cret@relay.example.com:465","Version":1}}`
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
	}, nil
}

// BenchmarkLookupBatch100: 100 variables (every tenth missing) looked up
// with one LookupBatch (10 GetParameters requests, 4 at once) and with
// 100 single Lookups one after another, against the fake on loopback, in
// one loop alternating which goes first. It reports each one's time per
// 100 ids and the ratio; ns/op counts both.
func BenchmarkLookupBatch100(b *testing.B) {
	awsfake.Isolate(b)
	f := awsfake.New(b)
	backend, err := awsssm.New(awsssm.Options{
		AWS: aws.Config{
			Region:      awsfake.Region,
			Credentials: credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, ""),
		},
		ClientOptions: []func(*ssm.Options){func(o *ssm.Options) { o.BaseEndpoint = aws.String(f.URL) }},
	})
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]resolver.Request, 100)
	for i := range reqs {
		reqs[i] = resolver.Request{Kind: resolver.KindVariable, ID: fmt.Sprintf("v%03d", i)}
		if i%10 != 9 {
			f.PutParameter("/airflow/variables/"+reqs[i].ID, "value", awsfake.SecureString)
		}
	}
	ctx := b.Context()
	answers := make([]resolver.Answer, len(reqs))
	callBatch := func() time.Duration {
		t0 := time.Now()
		backend.LookupBatch(ctx, reqs, answers)
		d := time.Since(t0)
		if answers[0].Err != nil || answers[0].Value != "value" {
			b.Fatal(answers[0].Err)
		}
		return d
	}
	callSingles := func() time.Duration {
		t0 := time.Now()
		for _, req := range reqs {
			if _, err := backend.Lookup(ctx, req); err != nil && !errors.Is(err, resolver.ErrNotFound) {
				b.Fatal(err)
			}
		}
		return time.Since(t0)
	}
	callBatch() // warm the connections up
	callSingles()
	b.ReportAllocs()
	var batch, singles time.Duration
	n := 0
	for b.Loop() {
		if n%2 == 0 {
			batch += callBatch()
			singles += callSingles()
		} else {
			singles += callSingles()
			batch += callBatch()
		}
		n++
	}
	b.ReportMetric(float64(batch.Nanoseconds())/float64(n), "batch-ns/100ids")
	b.ReportMetric(float64(singles.Nanoseconds())/float64(n), "singles-ns/100ids")
	b.ReportMetric(float64(singles)/float64(batch), "singles/batch")
}
