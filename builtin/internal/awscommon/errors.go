package awscommon

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/smithy-go"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// accessKeyID matches AWS access key ids (long-term AKIA…, temporary
// ASIA…, and the other IAM unique-id prefixes), which a service's error
// message may quote (SigV4 failures quote the credential scope). It is
// compiled on first use, on an error's path, not at package init: every
// process that links the AWS backends (the CLI) would pay for it at start.
var accessKeyID = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}`)
})

// Redactor masks credentials in error text: every access key id, and the
// credentials it was given that are long enough to be told from ordinary
// words (minRedactLen bytes; real secret keys and session tokens are far
// longer).
type Redactor struct {
	Secrets []string
}

const minRedactLen = 8

// Redact returns s with credentials replaced by "***".
func (r Redactor) Redact(s string) string {
	for _, secret := range r.Secrets {
		if len(secret) >= minRedactLen {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return accessKeyID().ReplaceAllLiteralString(s, "***")
}

// IsAccessDenied reports whether an error code is a service's refusal of
// access.
func IsAccessDenied(code string) bool {
	return code == "AccessDeniedException" || code == "AccessDenied"
}

// unavailableCodes are the AWS error codes saying that the service did
// not serve the request now: it throttled it (the SDK's
// retry.DefaultThrottleErrorCodes a read can get) or failed. With an HTTP
// 429 or 5xx answer and a request that got no answer (refused), they are
// the AWS table of errors marked codes.Unavailable; a service's code that
// means "not found" or "access denied" comes first.
var unavailableCodes = map[string]bool{
	"Throttling":                true,
	"ThrottlingException":       true,
	"ThrottledException":        true,
	"RequestThrottledException": true,
	"TooManyRequestsException":  true,
	"RequestLimitExceeded":      true,
	"RequestThrottled":          true,
	"SlowDown":                  true,
	"PriorRequestNotComplete":   true,
	"InternalFailure":           true,
	"InternalServerError":       true,
	"InternalError":             true,
	"ServiceUnavailable":        true,
	"RequestTimeout":            true,
	"RequestTimeoutException":   true,
}

// unavailable reports whether err, with the service's error code (""
// when there was no API error), is in the AWS table of unavailability.
func unavailable(err error, code string) bool {
	if unavailableCodes[code] {
		return true
	}
	var resp interface{ HTTPStatusCode() int }
	if errors.As(err, &resp) {
		if s := resp.HTTPStatusCode(); s == http.StatusTooManyRequests || s >= 500 {
			return true
		}
	}
	return kit.Unanswered(err)
}

// Error is a failed request to an AWS service. Its text names the request
// and quotes the SDK's error with credentials masked; it unwraps to the
// SDK's error (errors.As finds smithy.APIError and the service's typed
// errors) and to resolver.ErrNotFound or resolver.ErrPermissionDenied when
// the service's error means one. An error the AWS table says is the
// service's unavailability is marked codes.Unavailable (see
// resolver.Code).
type Error struct {
	Code     string // the service's error code, "" when the request got no API error
	sentinel error
	err      error
	msg      string
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns the sentinel, if any, and the SDK's error.
func (e *Error) Unwrap() []error {
	if e.sentinel == nil {
		return []error{e.err}
	}
	return []error{e.sentinel, e.err}
}

// Wrap turns an SDK error from a request about what (`parameter
// "/airflow/connections/x"`) into an *Error. notFound says which error
// codes mean "not found"; AccessDeniedException means permission denied;
// the AWS table of unavailability marks the rest.
func (r Redactor) Wrap(what string, err error, notFound func(code string) bool) error {
	e := &Error{err: err}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code = ae.ErrorCode()
		switch {
		case notFound(e.Code):
			e.sentinel = resolver.ErrNotFound
		case IsAccessDenied(e.Code):
			e.sentinel = resolver.ErrPermissionDenied
		}
	}
	if e.sentinel == nil && unavailable(err, e.Code) {
		e.err = kit.Unavailable(err)
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		// The decoder's message can quote the response ("expected string,
		// got <value>"), which may hold a secret.
		op := "the request"
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			op = oe.ServiceID + " " + oe.OperationName
		}
		e.msg = fmt.Sprintf("%s: %s: the response could not be decoded (details withheld: they can quote the response)", what, op)
		return e
	}
	e.msg = fmt.Sprintf("%s: %s", what, r.Redact(err.Error()))
	return e
}
