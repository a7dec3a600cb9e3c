package awsssm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/secretpath/secretpath/builtin/internal/awscommon"
	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.ChangeSource = (*Backend)(nil)

// MaxDescribe is how many parameter names one DescribeParameters request
// of a change poll asks for: the most a ParameterStringFilter's Values
// take (SSM's limit), which is also the most MaxResults takes.
const MaxDescribe = 50

// Changes implements resolver.ChangeSource by polling the version
// metadata of the watched parameters with DescribeParameters (see the
// package doc's "Change events"). With polling off it emits the
// resolver.Event{All: true} and waits for ctx to end.
func (b *Backend) Changes(ctx context.Context, watched func() []resolver.Request, emit func(resolver.Event)) error {
	return awscommon.Changes(ctx, b.poller, watched, emit)
}

// versions is the poller's Versions: the names each request's lookup
// reads, described MaxDescribe at a time.
func (b *Backend) versions(ctx context.Context, reqs []resolver.Request) (map[resolver.Request]string, error) {
	return b.teams.Versions(ctx, &b.places, reqs, parameterPath, b.describeVersions)
}

// describeVersions returns the version of each of names SSM holds,
// "<Version>@<LastModifiedDate>" (a parameter deleted and made again
// starts again at version 1; its date tells it apart), with
// DescribeParameters requests of MaxDescribe names (a Name filter with
// the Equals option), every page, up to awscommon.BatchParallel requests
// at once. No value is read. Any failure fails the poll: IAM's
// ssm:DescribeParameters takes no resource, so a refusal is every name's.
func (b *Backend) describeVersions(ctx context.Context, names []string) (map[string]string, error) {
	pages := make([][]types.ParameterMetadata, (len(names)+MaxDescribe-1)/MaxDescribe)
	err := awscommon.EachChunk(ctx, len(names), MaxDescribe, func(ctx context.Context, lo, hi int) error {
		in := &ssm.DescribeParametersInput{
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("Equals"), Values: names[lo:hi]}},
			MaxResults:       aws.Int32(MaxDescribe),
		}
		// The service answers "on a best-effort basis": a page may hold
		// fewer parameters than asked for, or none, with a NextToken.
		for {
			out, err := b.describeParameters(ctx, in)
			if err != nil {
				return b.redactor.Wrap(describeWhat(names[lo:hi]), err, func(string) bool { return false })
			}
			pages[lo/MaxDescribe] = append(pages[lo/MaxDescribe], out.Parameters...)
			if aws.ToString(out.NextToken) == "" {
				return nil
			}
			in.NextToken = out.NextToken
		}
	})
	if err != nil {
		return nil, err
	}
	asked := make(map[string]bool, len(names))
	for _, n := range names {
		asked[n] = true
	}
	got := make(map[string]string, len(names))
	for _, page := range pages {
		for _, p := range page {
			name := aws.ToString(p.Name)
			if !strings.HasPrefix(name, "/") {
				name = "/" + name // SSM holds "x" and "/x" as one parameter
			}
			if !asked[name] {
				continue // Equals matches exactly; a name not asked for is ignored
			}
			got[name] = strconv.FormatInt(p.Version, 10) + "@" + aws.ToTime(p.LastModifiedDate).UTC().Format(time.RFC3339Nano)
		}
	}
	return got, nil
}

// describeParameters is one DescribeParameters request, bounded as a
// lookup is.
func (b *Backend) describeParameters(ctx context.Context, in *ssm.DescribeParametersInput) (*ssm.DescribeParametersOutput, error) {
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	return b.client.DescribeParameters(ctx, in)
}

// describeWhat names a DescribeParameters request's parameters in an
// error: the first and how many more.
func describeWhat(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("describing parameter %q", names[0])
	}
	return fmt.Sprintf("describing parameters %q and %d more", names[0], len(names)-1)
}
