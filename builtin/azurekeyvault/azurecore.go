package azurekeyvault

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/secretpath/secretpath/resolver/config"
)

// This file holds what azure-core's pipeline does and azcore's does not:
// RetryPolicy's per-class counts and total time, RedirectPolicy,
// RequestIdPolicy, and the transport's client certificate.

// retryClasses are azure-core RetryPolicy's counts. azure-core retries a
// failed try while no count has gone below zero, taking one from total and
// one from the failure's class: connect (no connection: the request was not
// sent), read (the request was sent, no answer came back), or status (an
// answer it retries). total is azcore's MaxRetries; the classes are kept
// per operation (operationPolicy), status by shouldRetry and the others by
// classPolicy.
type retryClasses struct {
	total, connect, read, status int
	extra                        []int // retry_on_status_codes
}

// retryableStatus is azure-core's rule: an answer of 400 or more is retried
// when it carries Retry-After, or when its status is 408, 429, 500, 502,
// 503, 504, 506 to 998 (azure-core's _RETRY_CODES) or one of extra.
func (c retryClasses) retryableStatus(resp *http.Response) bool {
	s := resp.StatusCode
	switch {
	case s < 400:
		return false
	case resp.Header.Get("Retry-After") != "":
		return true
	case s == 408, s == 429, s == 500, s == 502, s == 503, s == 504, s >= 506 && s <= 998:
		return true
	}
	return slices.Contains(c.extra, s)
}

// counters are one operation's remaining retries by class.
type counters struct{ connect, read, status int }

type countersKey struct{}

// shouldRetry is azcore's RetryOptions.ShouldRetry: an error is retried
// (classPolicy has already made it non-retriable when its class is spent);
// an answer when azure-core would retry it and the status count allows.
func (c retryClasses) shouldRetry(resp *http.Response, err error) bool {
	if err != nil || resp == nil {
		return err != nil
	}
	if !c.retryableStatus(resp) {
		return false
	}
	if resp.Request == nil {
		return true
	}
	n, ok := resp.Request.Context().Value(countersKey{}).(*counters)
	if !ok {
		return true
	}
	n.status--
	return n.status >= 0
}

// operationPolicy is a per-call policy: it runs once for each vault
// operation, before azcore's retry policy. It gives the operation its
// retry counters and bounds it, retries included, by the timeout kwarg
// (azure-core's total retry time).
type operationPolicy struct {
	budget  time.Duration
	classes retryClasses
}

func (p operationPolicy) Do(req *policy.Request) (*http.Response, error) {
	ctx := context.WithValue(req.Raw().Context(), countersKey{},
		&counters{connect: p.classes.connect, read: p.classes.read, status: p.classes.status})
	if p.budget <= 0 {
		return req.WithContext(ctx).Next()
	}
	outer := ctx
	ctx, cancel := context.WithTimeout(ctx, p.budget)
	defer cancel() // the SDK has read the body before the pipeline returns
	resp, err := req.WithContext(ctx).Next()
	if err != nil && outer.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("the vault operation's time (backend_kwargs key %q, %s) ran out: %w", "timeout", p.budget, err)
	}
	return resp, err
}

// classPolicy is a per-retry policy: it sees each try's transport error,
// takes it from its class's count, and makes it non-retriable for azcore's
// retry policy when that count is spent. The class is azure-core's: a try
// that got no connection (dial, proxy or TLS handshake failed: requests'
// connection errors, azure-core's ServiceRequestError) is a connect error;
// one that got a connection and no answer (a reset, a read timeout:
// ServiceResponseError) is a read error.
type classPolicy struct{}

func (classPolicy) Do(req *policy.Request) (*http.Response, error) {
	n, ok := req.Raw().Context().Value(countersKey{}).(*counters)
	if !ok {
		return req.Next()
	}
	var connected atomic.Bool
	ctx := httptrace.WithClientTrace(req.Raw().Context(), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	})
	resp, err := req.WithContext(ctx).Next()
	if err == nil || req.Raw().Context().Err() != nil {
		return resp, err
	}
	left := &n.read
	if !connected.Load() {
		left = &n.connect
	}
	*left--
	if *left < 0 {
		return resp, spentError{err}
	}
	return resp, err
}

// spentError is a transport error whose class has no retries left:
// azcore's retry policy does not retry an error with a NonRetriable method.
type spentError struct{ err error }

func (e spentError) Error() string { return e.err.Error() }
func (e spentError) Unwrap() error { return e.err }
func (spentError) NonRetriable()   {}

// requestIDOpts is azure-core's RequestIdPolicy: x-ms-client-request-id
// is request_id on every request when given, a new UUID for each operation
// when auto_request_id (the default), and not set when request_id is null
// or auto_request_id false. A value headers gives wins, as headers run
// after it in Key Vault's pipeline.
type requestIDOpts struct {
	fixed *string
	auto  bool
}

const requestIDHeader = "x-ms-client-request-id"

func parseRequestID(kw *config.Kwargs) (requestIDOpts, error) {
	var r requestIDOpts
	var err error
	if r.auto, err = kw.Bool("auto_request_id", true); err != nil {
		return r, err
	}
	id, on, err := kw.OptString("request_id", "")
	switch {
	case err != nil:
		return r, err
	case !on: // null: no request id at all
		r.auto = false
	case kw.Has("request_id"):
		if !validHeaderValue(id) {
			return r, optErr("request_id", "must not hold control characters")
		}
		r.fixed = &id
	}
	return r, nil
}

func (p requestIDOpts) Do(req *policy.Request) (*http.Response, error) {
	h := req.Raw().Header
	switch {
	case h.Get(requestIDHeader) != "":
	case p.fixed != nil:
		h.Set(requestIDHeader, *p.fixed)
	case p.auto:
		h.Set(requestIDHeader, newUUID())
	}
	return req.Next()
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// redirectOpts is azure-core's RedirectPolicy (and the redirect half of
// SensitiveHeaderCleanupPolicy), as the vault's http.Client follows
// redirects.
type redirectOpts struct {
	set    bool // any key given: the vault gets its own http.Client
	permit bool
	max    int
	remove []string // redirect_remove_headers: dropped on every redirect
	block  []string // block_headers_list: dropped on a redirect to another host
	extra  []int    // redirect_on_status_codes: followed besides 300-308
}

// goRedirects are the statuses Go's http.Client follows.
var goRedirects = []int{301, 302, 303, 307, 308}

func parseRedirects(kw *config.Kwargs) (redirectOpts, error) {
	r := redirectOpts{permit: true, max: 30} // azure-core's defaults
	var err error
	for _, k := range []string{"permit_redirects", "redirect_max", "redirect_remove_headers", "redirect_on_status_codes", "block_headers_list"} {
		r.set = r.set || kw.Has(k)
	}
	if r.permit, err = kw.Bool("permit_redirects", true); err != nil {
		return r, err
	}
	if r.max, err = kw.Int("redirect_max", 30); err != nil {
		return r, err
	}
	if r.max < 0 || r.max > 1000 {
		return r, optErr("redirect_max", "must be an integer from 0 to 1000")
	}
	if r.remove, _, err = headerNames(kw, "redirect_remove_headers"); err != nil {
		return r, err
	}
	var ok bool
	if r.block, ok, err = headerNames(kw, "block_headers_list"); err != nil {
		return r, err
	}
	if !ok {
		r.block = []string{"Authorization", "x-ms-authorization-auxiliary"}
	}
	// 300 is azure-core's too; Go's client does not follow it.
	codes, err := statusCodes(kw, "redirect_on_status_codes")
	if err != nil {
		return r, err
	}
	for _, c := range append([]int{300}, codes...) {
		if !slices.Contains(goRedirects, c) && !slices.Contains(r.extra, c) {
			r.extra = append(r.extra, c)
		}
	}
	return r, nil
}

// httpClient returns the vault's http.Client over tr, following redirects
// as azure-core's RedirectPolicy does (by default: up to 30, 300 included;
// Go's own default is 10, 300 not followed).
func (r redirectOpts) httpClient(tr *http.Transport) *http.Client {
	c := &http.Client{Transport: tr}
	if !r.permit {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return c
	}
	c.Transport = redirectStatuses{next: tr, codes: r.extra}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > r.max {
			return fmt.Errorf("more than %d redirects (backend_kwargs key %q)", r.max, "redirect_max")
		}
		for _, h := range r.remove {
			req.Header.Del(h)
		}
		if !strings.EqualFold(req.URL.Hostname(), via[0].URL.Hostname()) {
			for _, h := range r.block {
				req.Header.Del(h)
			}
		}
		return nil
	}
	return c
}

// redirectStatuses makes Go's client follow an answer whose status is one
// of codes and that names a Location, as a 307 (same method: the vault's
// requests are GETs without a body).
type redirectStatuses struct {
	next  http.RoundTripper
	codes []int
}

func (t redirectStatuses) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil && slices.Contains(t.codes, resp.StatusCode) && resp.Header.Get("Location") != "" {
		resp.StatusCode = http.StatusTemporaryRedirect
	}
	return resp, err
}

// parseClientCert reads connection_cert as requests takes it: the path
// of one PEM file holding the certificate and its key, or a pair [cert
// path, key path].
func parseClientCert(kw *config.Kwargs) (*tls.Certificate, error) {
	var raw any
	if ok, err := kw.Decode("connection_cert", &raw); err != nil || !ok {
		return nil, err
	}
	var certFile, keyFile string
	switch v := raw.(type) {
	case string:
		certFile, keyFile = v, v
	case []any:
		if len(v) == 2 {
			certFile, _ = v[0].(string)
			keyFile, _ = v[1].(string)
		}
	}
	if certFile == "" || keyFile == "" {
		return nil, optErr("connection_cert", "must be the path of a PEM file holding the client certificate and its key, or a pair [certificate path, key path]")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, optErr("connection_cert", "could not be loaded: "+oneLine(err.Error(), maxMessage))
	}
	return &cert, nil
}
