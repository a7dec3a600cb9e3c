package awscommon

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/aws/smithy-go"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// BatchParallel is how many of a batch's requests the AWS backends run at
// once. A few at once cut a batch's latency by that factor (100 SSM ids
// are 10 requests: 3 round trips instead of 10) while staying far below
// the services' default request rates (SSM's standard throughput shares
// 40 transactions a second among GetParameter and GetParameters); more
// would make throttling of the other lookups the same role makes likelier
// for little gain.
const BatchParallel = 4

// Got is what one name of a batch request answered: its value, or an
// error classified as a single lookup's (one wrapping resolver.ErrNotFound
// when the service does not hold the name).
type Got struct {
	Value string
	// Version is the id of the version read, when the service says it
	// (Secrets Manager's VersionId); "" otherwise.
	Version string
	Err     error
}

// Fetch reads names, at most the batch's size of them, in one request of
// the service's, and sets got[i] to what names[i] answered. It must end
// once ctx is done, with errors wrapping ctx's.
type Fetch func(ctx context.Context, names []string, got []Got)

// Found is a batch's answer to one request: the value or error, and the
// name it was read from ("" when no request was made).
type Found struct {
	Name    string
	Value   string
	Version string // Got.Version
	Err     error
}

// Batch looks reqs (of one kind and team) up at p as the lookups of each
// alone would, in requests of at most size names, BatchParallel at once,
// and returns the answer to each: with multi_team on and a team, the
// team's names first in one round, then the global names of the ids the
// team's round did not find in a second; an id a team rule or p refuses
// is not found without a request (and a team rule's refusal is logged, as
// Names logs it).
func (t Teams) Batch(ctx context.Context, p *kit.Place, reqs []resolver.Request, name func(p *kit.Place, id string) string,
	size int, fetch Fetch) []Found {
	found := make([]Found, len(reqs))
	names := make([][]string, len(reqs))
	var round []int // the requests the round reads
	for i, req := range reqs {
		ns, skip := t.Names(ctx, p, req, name)
		if skip != "" {
			found[i].Err = resolver.ErrNotFound // Describe says why
			continue
		}
		names[i] = ns
		round = append(round, i)
	}
	for r := 0; len(round) > 0; r++ {
		asked := make([]string, len(round))
		for k, i := range round {
			asked[k] = names[i][r]
		}
		got := make([]Got, len(asked))
		fetchAll(ctx, asked, got, size, fetch)
		next := round[:0]
		for k, i := range round {
			found[i] = Found{Name: asked[k], Value: got[k].Value, Version: got[k].Version, Err: got[k].Err}
			// Only "not found" goes on to the global name, as in Airflow.
			if r+1 < len(names[i]) && errors.Is(got[k].Err, resolver.ErrNotFound) {
				next = append(next, i)
			}
		}
		round = next
	}
	return found
}

// fetchAll reads names in requests of at most size, BatchParallel at
// once; a request not started when ctx ends answers ctx's error.
func fetchAll(ctx context.Context, names []string, got []Got, size int, fetch Fetch) {
	n := (len(names) + size - 1) / size
	one := func(c int) {
		lo, hi := c*size, min((c+1)*size, len(names))
		if err := ctx.Err(); err != nil {
			for k := lo; k < hi; k++ {
				got[k].Err = err
			}
			return
		}
		fetch(ctx, names[lo:hi], got[lo:hi])
	}
	if n == 1 {
		one(0)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(BatchParallel, n) {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= n {
					return
				}
				one(c)
			}
		})
	}
	wg.Wait()
}

// PerName reports whether a batch request's failure may be one name's
// rather than the request's: an API error that is neither the service's
// unavailability (throttling, 5xx) nor a refusal of the credentials or
// the signature. IAM refuses a whole GetParameters or
// BatchGetSecretValue call with AccessDeniedException when the caller may
// not make the batch call at all or may not read one of the names, and a
// ValidationException can be one name's; asked one at a time, the other
// names answer as their single lookups do. Throttling is not split: more
// requests would only make it worse.
func PerName(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	code := ae.ErrorCode()
	return !unavailable(err, code) && !credentialCodes[code]
}

// credentialCodes refuse the request's credentials or signature: every
// request signed with them gets the same answer.
var credentialCodes = map[string]bool{
	"UnrecognizedClientException": true,
	"InvalidSignatureException":   true,
	"SignatureDoesNotMatch":       true,
	"IncompleteSignature":         true,
	"MissingAuthenticationToken":  true,
	"InvalidClientTokenId":        true,
	"ExpiredToken":                true,
	"ExpiredTokenException":       true,
	"RequestExpired":              true,
}

// BatchItemError is the error of one item of a batch response (a
// BatchGetSecretValue Errors entry, a name in GetParameters'
// InvalidParameters) as the SDK reports an operation's error, so that
// Wrap classifies it as it classifies the same code answered to a single
// request, and errors.As finds a smithy.APIError with the code.
func BatchItemError(service, operation, code, message string) error {
	return &smithy.OperationError{ServiceID: service, OperationName: operation,
		Err: &smithy.GenericAPIError{Code: code, Message: message, Fault: smithy.FaultClient}}
}
