package awssecretsmanager_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
)

// BenchmarkLookupBatch100: 100 connections (every tenth missing) looked
// up with one LookupBatch (5 BatchGetSecretValue requests, 4 at once) and
// with 100 single Connection calls one after another, against the fake
// on loopback, in one loop alternating which goes first. It reports each
// one's time per 100 ids and the ratio; ns/op counts both.
func BenchmarkLookupBatch100(b *testing.B) {
	awsfake.Isolate(b)
	f := awsfake.New(b)
	backend, err := awssecretsmanager.New(awssecretsmanager.Options{
		AWS: aws.Config{
			Region:      awsfake.Region,
			Credentials: credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, ""),
		},
		ClientOptions: []func(*secretsmanager.Options){func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(f.URL) }},
	})
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]resolver.Request, 100)
	for i := range reqs {
		reqs[i] = resolver.Request{Kind: resolver.KindConnection, ID: fmt.Sprintf("c%03d", i)}
		if i%10 != 9 {
			f.PutSecret("airflow/connections/"+reqs[i].ID, "postgres://user:pass@host:5432/db")
		}
	}
	ctx := b.Context()
	answers := make([]resolver.Answer, len(reqs))
	callBatch := func() time.Duration {
		t0 := time.Now()
		backend.LookupBatch(ctx, reqs, answers)
		d := time.Since(t0)
		if answers[0].Err != nil || !answers[0].Fields {
			b.Fatal(answers[0].Err)
		}
		return d
	}
	callSingles := func() time.Duration {
		t0 := time.Now()
		for _, req := range reqs {
			if _, err := backend.Connection(ctx, req); err != nil && !errors.Is(err, resolver.ErrNotFound) {
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
