package secretpath

import "unsafe"

// Getenv returns the value of a host environment variable that is on the
// tenant's allow-list, and whether it is set (and allowed). It needs the
// "env" capability.
func Getenv(name string) (string, bool) {
	np, nl := unsafe.Pointer(unsafe.StringData(name)), int32(len(name))
	b, n := pull(func(buf unsafe.Pointer, limit int32) int32 { return envGet(np, nl, buf, limit) })
	if n < 0 {
		return "", false
	}
	return bytesToString(b), true
}

// Now returns monotonic nanoseconds since an arbitrary origin, the same
// for the life of the instance. It needs the "clock" capability. (Without
// it, the time package runs on a fake clock.)
func Now() int64 {
	return clockNow()
}

// Header is an HTTP request header.
type Header struct {
	Name, Value string
}

// Response is an HTTP response.
type Response struct {
	Status int    // the HTTP status, 100 to 599
	Body   []byte // the whole body (the host caps its size)
	seq    uint64
}

// Header returns the first value of the response header name (matched
// case-insensitively by the host), and whether it is present. The host
// keeps the headers of the last response of the current call only: for an
// older response Header returns "", false.
func (r *Response) Header(name string) (string, bool) {
	if r == nil || r.seq != callSeq {
		return "", false
	}
	np, nl := unsafe.Pointer(unsafe.StringData(name)), int32(len(name))
	b, n := pull(func(buf unsafe.Pointer, limit int32) int32 { return httpResponseHeader(np, nl, buf, limit) })
	if n < 0 {
		return "", false
	}
	return bytesToString(b), true
}

// HTTPRequest makes an HTTP request from the host and returns the response,
// whatever its status. It needs the "http" capability. The URL's host must
// be on the tenant's allow-list; the host applies the tenant's timeout and
// response-size cap and does not follow redirects.
//
// The errors wrap a sentinel, so that a backend can return them as they
// are: [ErrUnavailable] for a network failure or timeout,
// [ErrPermissionDenied] when the URL's host is not allowed,
// [ErrInvalidArgument] for a request the host refuses as malformed (or a
// header name or value this function refuses: a value must not contain a
// line break). No error contains the URL, a header value or the body.
func HTTPRequest(method, url string, headers []Header, body []byte) (*Response, error) {
	h, err := headerBlock(headers)
	if err != nil {
		return nil, err
	}
	status := httpRequest(
		unsafe.Pointer(unsafe.StringData(method)), int32(len(method)),
		unsafe.Pointer(unsafe.StringData(url)), int32(len(url)),
		unsafe.Pointer(unsafe.SliceData(h)), int32(len(h)),
		unsafe.Pointer(unsafe.SliceData(body)), int32(len(body)))
	callSeq++
	switch {
	case status == httpBadRequest:
		return nil, errHTTPBadRequest
	case status == httpNetwork:
		return nil, errHTTPNetwork
	case status == httpNotAllowed:
		return nil, errHTTPNotAllowed
	case status < 100 || status > 599:
		return nil, newError("secretpath: http_request returned "+itoa(int64(status)), nil)
	}
	b, n := pull(httpResponseBody)
	if n == unstable {
		return nil, errUnstable
	}
	return &Response{Status: int(status), Body: b, seq: callSeq}, nil
}

// What http_request returns when it makes no request or gets no response:
// a status code, negated (ABI.md §5, "HTTP failures").
const (
	httpBadRequest int32 = -2 // -INVALID_ARGUMENT: the request is malformed
	httpNetwork    int32 = -3 // -UNAVAILABLE: network failure or timeout
	httpNotAllowed int32 = -4 // -PERMISSION_DENIED: the URL's host is not allowed
)

var (
	errHTTPBadRequest = newError("secretpath: the host refused the HTTP request as malformed", ErrInvalidArgument)
	errHTTPNetwork    = newError("secretpath: HTTP request failed: network failure or timeout", ErrUnavailable)
	errHTTPNotAllowed = newError("secretpath: HTTP request refused: the URL's host is not on the tenant's allow-list", ErrPermissionDenied)
)

// headerBlock encodes headers as ABI.md wants them: "Name: value" lines
// separated by "\n".
func headerBlock(headers []Header) ([]byte, error) {
	if len(headers) == 0 {
		return nil, nil
	}
	size := 0
	for i, h := range headers {
		if !validHeaderName(h.Name) {
			return nil, newError("secretpath: HTTP header #"+itoa(int64(i))+" has an invalid name", ErrInvalidArgument)
		}
		for i := 0; i < len(h.Value); i++ {
			if c := h.Value[i]; c == '\r' || c == '\n' || c == 0 {
				return nil, newError("secretpath: HTTP header "+h.Name+": the value contains a line break or NUL", ErrInvalidArgument)
			}
		}
		size += len(h.Name) + 2 + len(h.Value) + 1
	}
	b := make([]byte, 0, size)
	for i, h := range headers {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
	}
	return b, nil
}

// validHeaderName reports whether s is an HTTP token (RFC 9110 §5.1).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c < 0x80 && c > ' ' && c != 0x7f && !isSeparator(c):
		default:
			return false
		}
	}
	return true
}

func isSeparator(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
		return true
	}
	return false
}

// bytesToString returns b as a string without copying: b must never be
// written again.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
