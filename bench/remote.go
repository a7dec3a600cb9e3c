package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	_ "github.com/secretpath/secretpath" // registers every backend of this build, for plannedRemotes
	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
)

// remote is one remote backend's row. Adding a backend is one entry here
// and one start function: start its loopback double, store URI under ID,
// and return our backend's lookup and the raw SDK call that reads the same
// value from the same double.
type remote struct {
	name   string // the registry name; the rows are Remote/<name> and Remote/<name>/sdk
	double string // what it runs against, for the row's description
	start  func() (*remotePair, error)
}

// remotePair are the two calls a remote row alternates.
type remotePair struct {
	ours, sdk func(context.Context) (string, error)
	// reset, when set, runs after each sample (the double forgets the
	// requests it recorded).
	reset func()
}

var remotes = []remote{
	{name: awsssm.Name, double: "internal/awsfake (SSM GetParameter, SecureString)", start: startSSM},
	{name: awssecretsmanager.Name, double: "internal/awsfake (Secrets Manager GetSecretValue)", start: startSecretsManager},
}

// plannedRemotes are the remote backends DESIGN.md plans (the registry
// names of secretpath.go's planned map). One without an entry in remotes
// shows as "not built in this tree" while no package registers it.
var plannedRemotes = []string{"vault", "gcp-secret-manager", "azure-key-vault"}

// errNoRow: a backend this build registers has no row in remotes yet.
var errNoRow = errors.New("no benchmark row yet")

// remoteOverhead is DESIGN.md §6's target: ≤ 5% over the raw SDK call.
const remoteOverhead = 1.05

func remoteCases() []Case {
	var cs []Case
	for _, r := range remotes {
		l := newLazy(r.start)
		sdk := "Remote/" + r.name + "/sdk"
		cs = append(cs, Case{Name: "Remote/" + r.name,
			What: "our " + r.name + " backend's ConnectionValue(ctx, id) against " + r.double + " on loopback, alternating in blocks of 8 with " + sdk +
				", the same request made with the service's SDK client from the same aws.Config and endpoint; allocs include the in-process double's",
			Paired: sdk, Baseline: sdk, Targets: []Target{ratioAtMost(remoteOverhead)},
			Setup: setup(l), F: pairedBench(l)})
	}
	registered := resolver.Registered()
	for _, name := range plannedRemotes {
		if slices.ContainsFunc(remotes, func(r remote) bool { return r.name == name }) {
			continue
		}
		cs = append(cs, Case{Name: "Remote/" + name, What: "planned: the " + name + " backend against its loopback double",
			Setup: func() error {
				if slices.Contains(registered, name) {
					return fmt.Errorf("bench: backend %q is registered in this build but has %w: add its start function to remotes in bench/remote.go", name, errNoRow)
				}
				return fmt.Errorf("%w (no package registers %q)", ErrNotBuilt, name)
			}})
	}
	return inGroup(GroupRemote, cs)
}

// awsConfig is the configuration of both clients of an AWS row: the fake's
// region and fixed test credentials (no credential chain runs, so nothing
// can reach an instance metadata address).
func awsConfig() aws.Config {
	return aws.Config{
		Region:      awsfake.Region,
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, ""),
	}
}

func startSSM() (*remotePair, error) {
	f := awsfake.NewServer()
	onClose(f.Close)
	name := awsssm.DefaultConnectionsPrefix + "/" + ID
	f.PutParameter(name, URI, awsfake.SecureString)
	endpoint := func(o *ssm.Options) { o.BaseEndpoint = aws.String(f.URL) }
	be, err := awsssm.New(awsssm.Options{AWS: awsConfig(), ClientOptions: []func(*ssm.Options){endpoint}})
	if err != nil {
		return nil, err
	}
	client := ssm.NewFromConfig(awsConfig(), endpoint)
	p := &remotePair{
		ours: func(ctx context.Context) (string, error) { return be.ConnectionValue(ctx, ID) },
		sdk: func(ctx context.Context) (string, error) {
			out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Parameter.Value), nil
		},
		reset: f.ResetRequests,
	}
	return p, p.check()
}

func startSecretsManager() (*remotePair, error) {
	f := awsfake.NewServer()
	onClose(f.Close)
	name := awssecretsmanager.DefaultConnectionsPrefix + awssecretsmanager.DefaultSep + ID
	f.PutSecret(name, URI)
	endpoint := func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(f.URL) }
	be, err := awssecretsmanager.New(awssecretsmanager.Options{AWS: awsConfig(), ClientOptions: []func(*secretsmanager.Options){endpoint}})
	if err != nil {
		return nil, err
	}
	client := secretsmanager.NewFromConfig(awsConfig(), endpoint)
	p := &remotePair{
		ours: func(ctx context.Context) (string, error) { return be.ConnectionValue(ctx, ID) },
		sdk: func(ctx context.Context) (string, error) {
			out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.SecretString), nil
		},
		reset: f.ResetRequests,
	}
	return p, p.check()
}

// check makes both calls once (which also opens their connections).
func (p *remotePair) check() error {
	for what, f := range map[string]func(context.Context) (string, error){"backend": p.ours, "SDK": p.sdk} {
		if got, err := f(ctx); err != nil || got != URI {
			return fmt.Errorf("bench: the %s call returned %q, %v", what, got, err)
		}
	}
	return nil
}

// pairedBench alternates our call and the SDK's in blocks of 8 (which goes
// first alternates too), timing each call with the clock and counting
// allocations with runtime.ReadMemStats around each block (outside the
// timed part), and reports both per call: ns/op, allocs/op and B/op for
// ours, base-* for the SDK's.
func pairedBench(l *lazy[*remotePair]) func(b *testing.B) {
	return func(b *testing.B) {
		p := must(b, l)
		if p.reset != nil {
			defer p.reset()
		}
		type tally struct {
			d             time.Duration
			allocs, bytes uint64
		}
		var ms runtime.MemStats
		block := func(f func(context.Context) (string, error), k int, t *tally) {
			runtime.ReadMemStats(&ms)
			m0, b0 := ms.Mallocs, ms.TotalAlloc
			for range k {
				t0 := time.Now()
				got, err := f(ctx)
				t.d += time.Since(t0)
				if err != nil || got != URI {
					b.Fatalf("remote call returned %q, %v", got, err)
				}
			}
			runtime.ReadMemStats(&ms)
			t.allocs += ms.Mallocs - m0
			t.bytes += ms.TotalAlloc - b0
		}
		const blockSize = 8
		var ours, sdk tally
		n := 0
		for i := 0; n < b.N; i++ {
			k := min(blockSize, b.N-n)
			if i%2 == 0 {
				block(p.ours, k, &ours)
				block(p.sdk, k, &sdk)
			} else {
				block(p.sdk, k, &sdk)
				block(p.ours, k, &ours)
			}
			n += k
		}
		per := func(v uint64) float64 { return float64(v) / float64(n) }
		b.ReportMetric(float64(ours.d.Nanoseconds())/float64(n), MetricNs)
		b.ReportMetric(per(ours.allocs), MetricAllocs)
		b.ReportMetric(per(ours.bytes), MetricBytes)
		b.ReportMetric(float64(sdk.d.Nanoseconds())/float64(n), MetricBaseNs)
		b.ReportMetric(per(sdk.allocs), MetricBaseAllocs)
		b.ReportMetric(per(sdk.bytes), MetricBaseBytes)
	}
}
