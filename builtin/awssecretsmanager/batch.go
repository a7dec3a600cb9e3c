package awssecretsmanager

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/secretpath/secretpath/builtin/internal/awscommon"
	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// MaxBatch is how many secrets one BatchGetSecretValue request takes
// (Secrets Manager's limit).
const MaxBatch = 20

// LookupBatch answers reqs (resolver.BatchBackend) as Lookup, or for
// connections Connection, answers each, with BatchGetSecretValue requests
// of up to MaxBatch secrets, up to 4 at once (see the package doc's
// "Batch lookups").
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
	found := b.teams.Batch(ctx, p, reqs, b.secretName, MaxBatch, b.getMany)
	for i, f := range found {
		v, std, err := b.standardize(reqs[i], f.Name, f.Value, f.Err)
		answers[i] = toAnswer(reqs[i], v, std, err)
	}
	if b.expireAtRotation {
		b.setExpiries(ctx, found, answers)
	}
}

// getMany reads names with one BatchGetSecretValue request
// (awscommon.Fetch). A secret's entry in the response's Errors is
// classified as the same error code answered to GetSecretValue. When the
// whole request fails in a way that may be one name's or the batch
// call's (awscommon.PerName: AccessDeniedException, the role lacking
// secretsmanager:BatchGetSecretValue or one secret's GetSecretValue), each
// name is read alone with GetSecretValue; any other failure is every
// name's. A name the response does not mention (a partial ARN, say) is
// read alone too.
func (b *Backend) getMany(ctx context.Context, names []string, got []awscommon.Got) {
	out, err := b.batchGet(ctx, names)
	if err != nil {
		if ctx.Err() == nil && awscommon.PerName(err) {
			for i, name := range names {
				got[i].Value, got[i].Version, got[i].Err = b.getBounded(ctx, name)
			}
			return
		}
		for i, name := range names {
			got[i].Err = b.redactor.Wrap(fmt.Sprintf("secret %q", name), err, isNotFound)
		}
		return
	}
	type entry struct {
		value   *string
		version string
	}
	values := make(map[string]entry, 2*len(out.SecretValues))
	for _, e := range out.SecretValues {
		// SecretIdList takes a name or an ARN.
		values[aws.ToString(e.Name)] = entry{e.SecretString, aws.ToString(e.VersionId)}
		values[aws.ToString(e.ARN)] = entry{e.SecretString, aws.ToString(e.VersionId)}
	}
	errs := make(map[string]error, len(out.Errors))
	for _, e := range out.Errors {
		errs[aws.ToString(e.SecretId)] = awscommon.BatchItemError("Secrets Manager", "BatchGetSecretValue",
			aws.ToString(e.ErrorCode), aws.ToString(e.Message))
	}
	for i, name := range names {
		if e, ok := values[name]; ok {
			got[i].Value, got[i].Err = secretString(name, e.value)
			got[i].Version = e.version
		} else if err, ok := errs[name]; ok {
			got[i].Err = b.redactor.Wrap(fmt.Sprintf("secret %q", name), err, isNotFound)
		} else {
			got[i].Value, got[i].Version, got[i].Err = b.getBounded(ctx, name)
		}
	}
}

// batchGet is one BatchGetSecretValue request, bounded as a lookup is.
func (b *Backend) batchGet(ctx context.Context, names []string) (*secretsmanager.BatchGetSecretValueOutput, error) {
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	return b.client.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: names})
}

// getBounded is get bounded as a lookup is.
func (b *Backend) getBounded(ctx context.Context, name string) (value, version string, err error) {
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	return b.get(ctx, name)
}
