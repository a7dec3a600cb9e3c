package awsssm

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/secretpath/secretpath/builtin/internal/awscommon"
	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// MaxBatch is how many names one GetParameters request takes (SSM's
// limit).
const MaxBatch = 10

// LookupBatch answers reqs (resolver.BatchBackend) as Lookup answers each,
// with GetParameters requests of up to MaxBatch names, WithDecryption set,
// up to 4 at once (see the package doc's "Batch lookups").
func (b *Backend) LookupBatch(ctx context.Context, reqs []resolver.Request, answers []resolver.Answer) {
	if len(reqs) == 0 {
		return
	}
	if err := ctx.Err(); err != nil {
		for i := range answers {
			answers[i] = resolver.Answer{Err: err}
		}
		return
	}
	p, ok := b.places.For(reqs[0].Kind)
	if !ok {
		for i := range answers {
			answers[i] = resolver.Answer{Err: kit.NotServed(reqs[0].Kind)}
		}
		return
	}
	for i, f := range b.teams.Batch(ctx, p, reqs, parameterPath, MaxBatch, b.getMany) {
		answers[i] = resolver.Answer{Value: f.Value, Err: f.Err}
	}
}

// getMany reads names with one GetParameters request (awscommon.Fetch).
// When the request fails in a way that may be one name's
// (awscommon.PerName: access denied to one of them, a name SSM refuses),
// each name is read alone, as its single lookup would read it; any other
// failure is every name's.
func (b *Backend) getMany(ctx context.Context, names []string, got []awscommon.Got) {
	out, err := b.getParameters(ctx, names)
	if err != nil {
		if len(names) > 1 && ctx.Err() == nil && awscommon.PerName(err) {
			for i, name := range names {
				got[i].Value, got[i].Err = b.getBounded(ctx, name)
			}
			return
		}
		for i, name := range names {
			got[i].Err = b.redactor.Wrap(fmt.Sprintf("parameter %q", name), err, isNotFound)
		}
		return
	}
	values := make(map[string]*string, len(out.Parameters))
	for _, p := range out.Parameters {
		// A name with a version or label selector ("name:3") comes back
		// as the name, with the selector apart.
		values[aws.ToString(p.Name)+aws.ToString(p.Selector)] = p.Value
	}
	invalid := make(map[string]bool, len(out.InvalidParameters))
	for _, name := range out.InvalidParameters {
		invalid[name] = true
	}
	for i, name := range names {
		v, ok := values[name]
		switch {
		case ok && v != nil:
			got[i].Value = *v
		case invalid[name]:
			got[i].Err = b.redactor.Wrap(fmt.Sprintf("parameter %q", name),
				awscommon.BatchItemError("SSM", "GetParameters", "ParameterNotFound", "listed in InvalidParameters"), isNotFound)
		default:
			got[i].Err = fmt.Errorf("parameter %q: %w", name, errNoValue)
		}
	}
}

// getParameters is one GetParameters request, bounded as a lookup is.
func (b *Backend) getParameters(ctx context.Context, names []string) (*ssm.GetParametersOutput, error) {
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	return b.client.GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(true)})
}

// getBounded is get bounded as a lookup is.
func (b *Backend) getBounded(ctx context.Context, name string) (string, error) {
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	return b.get(ctx, name)
}
