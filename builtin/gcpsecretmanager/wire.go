package gcpsecretmanager

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
	"golang.org/x/oauth2"

	"github.com/secretpath/secretpath/builtin/internal/kit"
)

const userAgent = "secretpath/" + Name

// maxBody bounds a response body: a secret's payload is at most 64 KiB
// (about 88 KB in base64).
const maxBody = 1 << 20

// accessOnce sends one AccessSecretVersion request (REST: GET
// /v1/{name=projects/*/secrets/*/versions/*}:access) to target,
// b.secretsURL + the secret's name + accessSuffix.
//
// The request carries what the service needs, the access token, and our
// User-Agent in place of Go's: no Accept (REST answers JSON) and no
// X-Goog-Request-Params (a routing header for gRPC; REST routes on the
// URL, which names the secret).
func (b *Backend) accessOnce(ctx context.Context, target string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", err
	}
	// The header's values are shared, read-only slices (the User-Agent's,
	// the token's, made once per token): a RoundTripper must not modify
	// the request, and one that appends to a value gets a copy (len ==
	// cap). The map is the request's own.
	req.Header["User-Agent"] = userAgentValue
	if b.tokens != nil {
		tok, err := b.tokens.token(ctx)
		if err != nil {
			return "", err
		}
		req.Header["Authorization"] = tok.auth
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	rb := kit.GetBody()
	defer rb.Put()
	over, err := rb.Read(resp.Body, maxBody)
	if err == nil && over {
		err = errTooLarge
	}
	if err != nil {
		return "", fmt.Errorf("reading the response (HTTP %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", parseAPIError(resp.StatusCode, rb.Bytes())
	}
	data, err := decodeAccess(rb.Bytes())
	if err != nil {
		return "", err
	}
	if len(data) == 0 {
		return "", nil
	}
	// data is decodeAccess's own (decoded from base64 into new memory,
	// nothing else refers to it) and is not written again: the string can
	// share it instead of copying a secret a second time.
	return unsafe.String(unsafe.SliceData(data), len(data)), nil
}

// accessSuffix follows the secret's name in an AccessSecretVersion URL.
const accessSuffix = "/versions/latest:access"

// userAgentValue is the User-Agent header's value, shared by every request
// (len == cap: an append copies).
var userAgentValue = []string{userAgent}[:1:1]

// readBody reads r into buf, at most maxBody bytes.
func readBody(buf *bytes.Buffer, r io.Reader) error {
	if _, err := buf.ReadFrom(io.LimitReader(r, maxBody+1)); err != nil {
		return err
	}
	if buf.Len() > maxBody {
		return errTooLarge
	}
	return nil
}

// errTooLarge is a response body over maxBody.
var errTooLarge = fmt.Errorf("the response is larger than %d bytes", maxBody)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errDecode is wrapped by the errors of responses that do not decode.
var errDecode = errors.New("the response could not be decoded")

// decodeAccess returns the payload of an AccessSecretVersionResponse
// (proto3 JSON), after checking its CRC32C checksum when there is one and
// that it is UTF-8. Errors say where the body is wrong, never what it
// holds.
//
// It reads the three fields a lookup needs with gjson, after checking
// that the body is valid JSON, rather than decoding the response into a
// struct with encoding/json (as the vault backend reads its answer):
// name (the service always names the version it read, so a body without
// it is not this API's answer), payload.data and payload.dataCrc32c (or
// the proto field name data_crc32c, as protojson accepts). Field names
// are matched exactly, as protojson does.
func decodeAccess(body []byte) ([]byte, error) {
	// json.Valid first: it is iterative with a 10,000-level limit, while
	// gjson's validator recurses once per level (1 MiB of "[" took ~226 MiB
	// of goroutine stack). Both, so that what gjson reads is what it checked.
	if !json.Valid(body) || !gjson.ValidBytes(body) {
		// Where it is wrong, from the standard decoder: on errors only.
		return nil, fmt.Errorf("%w: %s", errDecode, jsonWhere(json.Unmarshal(body, new(any))))
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object: not an AccessSecretVersion response", errDecode)
	}
	// gjson.Get on a view of body rather than GetBytes, which copies every
	// value it returns: the results are read here and dropped (the payload
	// is decoded into new memory), and body is not written meanwhile.
	doc := unsafe.String(unsafe.SliceData(body), len(body))
	switch n := gjson.Get(doc, "name"); {
	case !n.Exists() || n.Type == gjson.Null || n.Type == gjson.String && n.Str == "":
		// The service always names the version it read: this is not its
		// answer (a proxy's, or another API's).
		return nil, fmt.Errorf("%w: no version name: not an AccessSecretVersion response", errDecode)
	case n.Type != gjson.String:
		return nil, unexpected(n, "name")
	}
	payload := gjson.Get(doc, "payload")
	switch {
	case payload.Type == gjson.Null: // absent or null
		// proto3 JSON leaves out an empty payload.
		return []byte{}, nil
	case !payload.IsObject():
		return nil, unexpected(payload, "payload")
	}
	crcs := [2]gjson.Result{payload.Get("dataCrc32c"), payload.Get("data_crc32c")}
	var data []byte
	switch d := payload.Get("data"); d.Type {
	case gjson.Null: // absent or null: proto3 JSON leaves out empty bytes
		data = []byte{}
	case gjson.String:
		var err error
		if data, err = decodeBytes(d.Str); err != nil {
			return nil, fmt.Errorf("%w: payload.data is not base64 (%v)", errDecode, err)
		}
	default:
		return nil, unexpected(d, "payload.data")
	}
	if err := checkCRC(data, crcs[:]...); err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("the payload is not UTF-8 text (invalid byte at offset %d)", invalidUTF8At(data))
	}
	return data, nil
}

// unexpected is the error for field holding a JSON value of the wrong
// type; it names the type, never the value.
func unexpected(v gjson.Result, field string) error {
	kind := "value"
	switch {
	case v.IsArray():
		kind = "array"
	case v.IsObject():
		kind = "object"
	case v.Type == gjson.Number:
		kind = "number"
	case v.IsBool():
		kind = "bool"
	case v.Type == gjson.String:
		kind = "string"
	}
	return fmt.Errorf("%w: unexpected JSON %s for %s", errDecode, kind, field)
}

// decodeBytes decodes a proto3 JSON bytes value: standard or URL-safe
// base64, with or without padding.
func decodeBytes(s string) ([]byte, error) {
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	return enc.DecodeString(s)
}

// checkCRC compares data's CRC32C with the response's dataCrc32c (an int64
// as a JSON string or number), when present.
func checkCRC(data []byte, crcs ...gjson.Result) error {
	for _, c := range crcs {
		var text string
		switch c.Type {
		case gjson.Null: // absent or null
			continue
		case gjson.String:
			text = c.Str
		case gjson.Number:
			text = c.Raw // exact: Num is a float64
		default:
			return fmt.Errorf("%w: payload.dataCrc32c is not an int64", errDecode)
		}
		want, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: payload.dataCrc32c is not an int64", errDecode)
		}
		if want != int64(crc32Of(data)) {
			return ErrChecksum
		}
	}
	return nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// jsonWhere describes a JSON decoding error by position and field only,
// so that no part of the body (which may hold a secret) is echoed.
func jsonWhere(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON (syntax error at byte %d)", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("unexpected JSON %s for %s at byte %d", te.Value, te.Field, te.Offset)
	}
	return "not valid JSON"
}

// APIError is an error answer from a Google API (Secret Manager, or IAM
// Credentials when impersonating).
type APIError struct {
	HTTPStatus int
	// Status is the google.rpc code's name ("NOT_FOUND",
	// "PERMISSION_DENIED", ...), or "" when the body was not a Google API
	// error document.
	Status  string
	Message string // the service's message, on one line
}

func (e *APIError) Error() string {
	if e.Status == "" {
		return fmt.Sprintf("HTTP %d, and the response is not a Google API error (is the endpoint right?)", e.HTTPStatus)
	}
	if e.Message == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Status, e.HTTPStatus)
	}
	return fmt.Sprintf("%s (HTTP %d): %s", e.Status, e.HTTPStatus, e.Message)
}

// notFound: the answers Airflow's CloudSecretManagerBackend turns into
// None.
func (e *APIError) notFound() bool {
	switch e.Status {
	case "NOT_FOUND", "PERMISSION_DENIED", "INVALID_ARGUMENT":
		return true
	}
	return false
}

// statusOfHTTP maps an HTTP status to the google.rpc code Google's REST
// APIs use for it, for an error document that has no status.
func statusOfHTTP(code int) string {
	switch code {
	case 400:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 409:
		return "ABORTED"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 501:
		return "UNIMPLEMENTED"
	case 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	if code >= 500 {
		return "INTERNAL"
	}
	return "UNKNOWN"
}

// parseAPIError reads Google's JSON error document,
// {"error": {"code": 404, "message": "...", "status": "NOT_FOUND"}}. A body
// that is not one (a proxy's or front end's page) gives an APIError without
// Status, which never means "not found".
func parseAPIError(httpStatus int, body []byte) *APIError {
	var doc struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	e := &APIError{HTTPStatus: httpStatus}
	if json.Unmarshal(body, &doc) != nil || doc.Error == nil || (doc.Error.Status == "" && doc.Error.Code == 0) {
		return e
	}
	e.Status = doc.Error.Status
	if e.Status == "" {
		e.Status = statusOfHTTP(doc.Error.Code)
	}
	if !isStatusName(e.Status) {
		e.Status = "UNKNOWN"
	}
	e.Message = clean(doc.Error.Message)
	return e
}

func isStatusName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && r != '_' {
			return false
		}
	}
	return true
}

// retryable reports whether a failed request may be sent again: the
// service was unavailable or throttled, or the request did not get an
// answer, and ctx is not done.
func retryable(ctx context.Context, err error) bool {
	var te *tokenError
	if ctx.Err() != nil || errors.As(err, &te) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case "UNAVAILABLE", "RESOURCE_EXHAUSTED":
			return true
		case "":
			switch ae.HTTPStatus {
			case 429, 502, 503, 504:
				return true
			}
		}
		return false
	}
	var ue *url.Error
	return errors.As(err, &ue)
}

// unavailable is the Google table of errors marked codes.Unavailable: an
// answer saying the service is unavailable or throttling (UNAVAILABLE,
// RESOURCE_EXHAUSTED), any HTTP 429 or 5xx answer (Google's own error
// document or a front end's page), and a request that got no answer
// because the connection was refused (Secret Manager's, or a token
// endpoint's). The answers Airflow takes for "not found" are never 5xx.
func unavailable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Status == "UNAVAILABLE", ae.Status == "RESOURCE_EXHAUSTED":
			return true
		case ae.HTTPStatus == http.StatusTooManyRequests, ae.HTTPStatus >= 500:
			return true
		}
		return false
	}
	return kit.Unanswered(err)
}

// clean puts a service's message on one line of at most 300 characters.
func clean(s string) string {
	const limit = 300
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return s
}

// tokenCache hands out access tokens: the last one while it is valid,
// without a call; otherwise a new one from the source.
type tokenCache struct {
	src oauth2.TokenSource
	cur atomic.Pointer[cachedToken]
}

// cachedToken is a token and the Authorization header's value for it,
// made once per token rather than per request.
type cachedToken struct {
	tok  *oauth2.Token
	auth []string // as tok.SetAuthHeader sets it; len == cap, read-only
}

func newTokenCache(src oauth2.TokenSource) *tokenCache { return &tokenCache{src: src} }

func (c *tokenCache) token(ctx context.Context) (*cachedToken, error) {
	if t := c.cur.Load(); t != nil && t.tok.Valid() {
		return t, nil
	}
	tok, err := token(ctx, c.src)
	if err != nil {
		return nil, err
	}
	t := &cachedToken{tok: tok, auth: authValue(tok)}
	c.cur.Store(t)
	return t, nil
}

// authValue is the Authorization header's value for tok, exactly as
// tok.SetAuthHeader sets it (the type's spelling included).
func authValue(tok *oauth2.Token) []string {
	r := &http.Request{Header: make(http.Header, 1)}
	tok.SetAuthHeader(r)
	v := r.Header.Values("Authorization")
	return v[:len(v):len(v)]
}

// token gets an access token from ts, giving up when ctx is done (a token
// source takes no context).
func token(ctx context.Context, ts oauth2.TokenSource) (*oauth2.Token, error) {
	type result struct {
		tok *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		tok, err := ts.Token()
		ch <- result{tok, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, &tokenError{err: r.err}
		}
		if r.tok == nil || r.tok.AccessToken == "" {
			return nil, &tokenError{err: errors.New("the credentials gave an empty access token")}
		}
		return r.tok, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("getting an access token: %w", ctx.Err())
	}
}

// tokenError is a failure to get an access token. Its text leaves out the
// token endpoint's response body.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "getting an access token: " + describeTokenError(e.err) }

func (e *tokenError) Unwrap() error { return e.err }

func describeTokenError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := "the token endpoint refused"
		if re.Response != nil {
			msg = fmt.Sprintf("the token endpoint answered HTTP %d", re.Response.StatusCode)
		}
		code, desc := re.ErrorCode, re.ErrorDescription
		if code == "" {
			// Not every flow parses the RFC 6749 error document (the JWT
			// flow does not): read its two fields, and nothing else of
			// the body.
			var doc struct {
				Code string `json:"error"`
				Desc string `json:"error_description"`
			}
			if json.Unmarshal(re.Body, &doc) == nil {
				code, desc = doc.Code, doc.Desc
			}
		}
		if code != "" {
			msg += ": " + clean(code)
			if desc != "" {
				msg += " (" + clean(desc) + ")"
			}
		}
		return msg
	}
	return clean(err.Error())
}

func crc32Of(data []byte) uint32 { return crc32.Checksum(data, castagnoli) }
