package awssecretsmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/secretpath/secretpath/builtin/internal/awscommon"
	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.ChangeSource = (*Backend)(nil)

// Changes implements resolver.ChangeSource by polling the version
// metadata of the watched secrets with DescribeSecret (see the package
// doc's "Change events"). With polling off it emits the
// resolver.Event{All: true} and waits for ctx to end.
func (b *Backend) Changes(ctx context.Context, watched func() []resolver.Request, emit func(resolver.Event)) error {
	return awscommon.Changes(ctx, b.poller, watched, emit)
}

// versions is the poller's Versions: the names each request's lookup
// reads, described one by one.
func (b *Backend) versions(ctx context.Context, reqs []resolver.Request) (map[resolver.Request]string, error) {
	return b.teams.Versions(ctx, &b.places, reqs, b.secretName, b.describeVersions)
}

// describeVersions returns the version of each of names: the id of the
// secret's AWSCURRENT version, read with one DescribeSecret request per
// name (no value), up to awscommon.BatchParallel at once. A secret not
// found, or scheduled for deletion (which GetSecretValue refuses), has
// none; one whose DescribeSecret is refused (AccessDeniedException) has
// awscommon.VersionDenied, and a warning is logged once per name; any
// other failure (throttling or 5xx after the SDK's retries, a refused
// connection, a refusal of the credentials) fails the poll.
func (b *Backend) describeVersions(ctx context.Context, names []string) (map[string]string, error) {
	got := make([]string, len(names))
	err := awscommon.EachChunk(ctx, len(names), 1, func(ctx context.Context, i, _ int) error {
		v, err := b.describeVersion(ctx, names[i])
		got[i] = v
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for i, name := range names {
		out[name] = got[i]
	}
	return out, nil
}

// describeVersion is secret name's version (see describeVersions).
func (b *Backend) describeVersion(ctx context.Context, name string) (string, error) {
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	out, err := b.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &name})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch code := ae.ErrorCode(); {
			case describeNotFound(code):
				return "", nil
			case awscommon.IsAccessDenied(code):
				b.warnDenied(ctx, name)
				return awscommon.VersionDenied, nil
			}
		}
		return "", b.redactor.Wrap(fmt.Sprintf("describing secret %q", name), err, func(string) bool { return false })
	}
	if out.DeletedDate != nil {
		return "", nil
	}
	for id, stages := range out.VersionIdsToStages {
		if slices.Contains(stages, "AWSCURRENT") {
			return id, nil
		}
	}
	return "", nil
}

// describeNotFound: the DescribeSecret errors that mean the lookup finds
// nothing (as isNotFound says of GetSecretValue's), but for
// InternalServiceError, which a poll takes for what it is, the service
// failing.
func describeNotFound(code string) bool {
	return code != "InternalServiceError" && isNotFound(code)
}

// warnDenied logs, once per secret, that its changes are not seen.
func (b *Backend) warnDenied(ctx context.Context, name string) {
	if _, warned := b.deniedWarned.LoadOrStore(name, true); warned {
		return
	}
	logger := b.teams.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(ctx, slog.LevelWarn, "change poll: DescribeSecret refused (AccessDeniedException); changes of this secret are not seen until the role may describe it",
		slog.String("backend", Name), slog.String("secret", name))
}
