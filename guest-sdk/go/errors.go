package secretpath

import "errors"

// Status is an ABI v1 status code, the result of the module's init and
// lookup exports. The values are stable forever.
type Status int32

// The status codes of ABI v1.
const (
	StatusOK                Status = 0 // the result was set
	StatusNotFound          Status = 1 // the backend does not hold the id
	StatusInvalidArgument   Status = 2 // the id (or, from Init, the kwargs) is not acceptable
	StatusUnavailable       Status = 3 // a transient failure
	StatusPermissionDenied  Status = 4 // the upstream refused access
	StatusInternal          Status = 5 // any other failure
	StatusUnimplemented     Status = 6 // the backend does not serve this kind
	StatusResourceExhausted Status = 7 // a limit was hit (the host's, or the upstream's quota)
	StatusOKInBuffer        Status = 8 // OK, the result is in the exchange buffer (ABI v1.1; the SDK's fast path)
)

var statusNames = [...]string{"OK", "NOT_FOUND", "INVALID_ARGUMENT", "UNAVAILABLE",
	"PERMISSION_DENIED", "INTERNAL", "UNIMPLEMENTED", "RESOURCE_EXHAUSTED", "OK_IN_BUFFER"}

// String returns the code's ABI name, such as "NOT_FOUND".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + itoa(int64(s)) + ")"
}

// statusError is the type of the sentinel errors.
type statusError struct {
	status Status
	text   string
}

func (e *statusError) Error() string { return e.text }

// The sentinel errors. Return one, or an error that wraps one
// (fmt.Errorf("vault: %w", secretpath.ErrUnavailable)), to choose the status
// of a failed call. Any other error is INTERNAL.
var (
	// ErrNotFound: the backend does not hold the id; the resolver asks the
	// next tier. Return it bare on the hot path: no message is sent.
	ErrNotFound error = &statusError{StatusNotFound, "not found"}
	// ErrInvalidArgument: the id is not acceptable to this backend, or,
	// from Init, the kwargs are not.
	ErrInvalidArgument error = &statusError{StatusInvalidArgument, "invalid argument"}
	// ErrUnavailable: a transient failure, such as the upstream being down.
	ErrUnavailable error = &statusError{StatusUnavailable, "unavailable"}
	// ErrPermissionDenied: the upstream refused access. A fail-closed
	// resolver stops its search.
	ErrPermissionDenied error = &statusError{StatusPermissionDenied, "permission denied"}
	// ErrUnimplemented: the backend does not serve this kind of lookup;
	// treated as not found.
	ErrUnimplemented error = &statusError{StatusUnimplemented, "unimplemented"}
)

// StatusOf returns the status a call that failed with err reports:
// StatusOK for nil, the status of the first sentinel found in err's tree
// (depth first, as errors.Is walks it), else StatusInternal.
func StatusOf(err error) Status {
	if err == nil {
		return StatusOK
	}
	if s, ok := findStatus(err); ok {
		return s
	}
	return StatusInternal
}

var sentinels = [...]error{ErrNotFound, ErrInvalidArgument, ErrUnavailable, ErrPermissionDenied, ErrUnimplemented}

// findStatus walks err's tree like errors.Is, honouring Is methods, and
// stops at the first error that is (or claims to be) a sentinel. It does
// not allocate.
func findStatus(err error) (Status, bool) {
	for depth := 0; err != nil && depth < 100; depth++ {
		if se, ok := err.(*statusError); ok {
			return se.status, true
		}
		if x, ok := err.(interface{ Is(error) bool }); ok {
			for _, s := range sentinels {
				if x.Is(s) {
					return s.(*statusError).status, true
				}
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if s, ok := findStatus(e); ok {
					return s, true
				}
			}
			return 0, false
		default:
			return 0, false
		}
	}
	return 0, false
}

// maxMessage is the host's cap on error_set messages (ABI.md §4).
const maxMessage = 1024

// message returns the text error_set sends for err: nothing for a bare
// sentinel, else err.Error() cut to maxMessage bytes on a UTF-8 boundary.
func message(err error) string {
	if _, ok := err.(*statusError); ok {
		return ""
	}
	msg := err.Error()
	if len(msg) > maxMessage {
		i := maxMessage
		for i > maxMessage-4 && msg[i]&0xC0 == 0x80 { // back up over continuation bytes
			i--
		}
		msg = msg[:i]
	}
	return msg
}

// sdkError is an error of this package that wraps a sentinel.
type sdkError struct {
	text string
	kind error
}

func (e *sdkError) Error() string { return e.text }
func (e *sdkError) Unwrap() error { return e.kind }

func newError(text string, kind error) error {
	if kind == nil {
		return errors.New(text)
	}
	return &sdkError{text, kind}
}

// itoa formats i without strconv or fmt.
func itoa(i int64) string {
	var b [20]byte
	n := len(b)
	neg := i < 0
	u := uint64(i)
	if neg {
		u = -u
	}
	for {
		n--
		b[n] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
