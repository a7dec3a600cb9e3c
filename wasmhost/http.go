package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// HTTPCapability lets a tenant's guest make HTTP requests through the host,
// to the listed hosts only. Each tenant keeps at most 16 idle connections
// (2 per host:port) for reuse, closed after 30 s idle and when the tenant
// or its host closes.
type HTTPCapability struct {
	// AllowHosts lists "host" (any port) or "host:port" entries. A host is
	// a DNS name or an IP literal. After DNS resolution, an address that is
	// loopback, link-local, private, unspecified or multicast is refused
	// unless the entry that allowed the URL is that IP literal itself (or
	// "localhost" for loopback): a name cannot be re-pointed at the host's
	// own network.
	AllowHosts []string
	// Timeout bounds each request (default 5 s, and never past the call's
	// deadline).
	Timeout time.Duration
	// MaxResponseBytes caps a response body (default 1 MiB); a larger one
	// fails the request.
	MaxResponseBytes int
	// MaxRequestsPerCall caps requests per lookup (default 8).
	MaxRequestsPerCall int
	// LookupIP resolves host names; nil means net.DefaultResolver. Every
	// address it returns is checked as above.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Idle HTTP connections a tenant keeps for reuse: in total and per host
// (host:port). Each holds two goroutines; more are closed as they become
// idle, the rest after 30 s idle or when the tenant or its host closes.
const (
	maxIdleHTTPConns        = 16
	maxIdleHTTPConnsPerHost = 2
)

// HTTP results returned to the guest as negated status codes (ABI.md §5,
// "HTTP failures"; named as the SDKs name them).
const (
	httpBadRequest = -int32(StatusInvalidArgument)
	httpNetwork    = -int32(StatusUnavailable)
	httpNotAllowed = -int32(StatusPermissionDenied)
)

type httpState struct {
	status   int
	body     []byte
	header   http.Header
	requests int
}

func (s *httpState) open() bool { return s.status != 0 || s.requests != 0 }

func (s *httpState) reset() { *s = httpState{} }

func (c *HTTPCapability) withDefaults() *HTTPCapability {
	d := *c
	if d.Timeout <= 0 {
		d.Timeout = 5 * time.Second
	}
	if d.MaxResponseBytes <= 0 {
		d.MaxResponseBytes = 1 << 20
	}
	if d.MaxRequestsPerCall <= 0 {
		d.MaxRequestsPerCall = 8
	}
	return &d
}

// allowEntry returns the allow-list entry that admits host:port, or "".
func (c *HTTPCapability) allowEntry(host, port string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, e := range c.AllowHosts {
		eh, ep, err := net.SplitHostPort(e)
		if err != nil {
			eh, ep = e, ""
		}
		eh = strings.ToLower(strings.Trim(eh, "[]"))
		if eh == host && (ep == "" || ep == port) {
			return e
		}
	}
	return ""
}

// special reports addresses a name must not resolve to unless listed.
func special(ip netip.Addr) bool {
	ip = ip.Unmap()
	cgnat := netip.MustParsePrefix("100.64.0.0/10")
	return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsPrivate() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || cgnat.Contains(ip)
}

// client builds the tenant's HTTP client: no proxy, no redirects, a
// dialer that checks every resolved address against the allow-list, and
// few idle connections.
func (c *HTTPCapability) client() *http.Client {
	dialer := &net.Dialer{Timeout: c.Timeout}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			entry := c.allowEntry(host, port)
			if entry == "" {
				return nil, errDenied
			}
			lookup := c.LookupIP
			if lookup == nil {
				lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
					return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
				}
			}
			ips, err := lookup(ctx, host)
			if err != nil {
				return nil, err
			}
			entryHost, _, err := net.SplitHostPort(entry)
			if err != nil {
				entryHost = entry
			}
			entryHost = strings.Trim(entryHost, "[]")
			literal, literalErr := netip.ParseAddr(entryHost)
			for _, ip := range ips {
				allowed := !special(ip) ||
					(literalErr == nil && literal.Unmap() == ip.Unmap()) ||
					(strings.EqualFold(entryHost, "localhost") && ip.IsLoopback())
				if allowed {
					return dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
				}
			}
			return nil, errDenied
		},
		MaxIdleConns:          maxIdleHTTPConns,
		MaxIdleConnsPerHost:   maxIdleHTTPConnsPerHost,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: c.Timeout,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

var errDenied = errors.New("host not allowed")

func i32result(v int32) uint64 { return uint64(uint32(v)) }

// Caps on http_request's arguments, checked before the host copies them:
// no method is longer, and a URL or header block this long is not a
// request any server would take.
const (
	maxHTTPMethodBytes = 64
	maxHTTPURLBytes    = 64 << 10
	maxHTTPHeaderBytes = 1 << 20
)

// httpRequest implements http_request(method, url, headers, body) -> i32.
func httpRequest(in *instance, ctx context.Context, mod api.Module, s []uint64) {
	// Bounds first: an argument outside memory is an ABI violation whatever
	// else is wrong with the request. These are views: nothing is copied yet.
	method := in.region(mod, "http_request", uint32(s[0]), uint32(s[1]))
	rawURL := in.region(mod, "http_request", uint32(s[2]), uint32(s[3]))
	headers := in.region(mod, "http_request", uint32(s[4]), uint32(s[5]))
	body := in.region(mod, "http_request", uint32(s[6]), uint32(s[7]))
	s[0] = i32result(in.doHTTP(ctx, mod, method, rawURL, headers, body))
}

// doHTTP makes a guest's request. Its arguments are views into guest
// memory: the refusals that need no copy come first (the capability, the
// per-call request cap, the argument caps); what is then copied and parsed
// is charged before it is (meter.go).
func (in *instance) doHTTP(ctx context.Context, mod api.Module, method, rawURL, headers, body []byte) int32 {
	t := in.t
	c := t.httpCap
	if c == nil {
		return httpNotAllowed
	}
	in.http.status, in.http.body, in.http.header = 0, nil, nil
	if in.http.requests >= c.MaxRequestsPerCall {
		in.httpRefused(ctx, fmt.Sprintf("request refused: more than %d requests in one call", c.MaxRequestsPerCall))
		return httpNotAllowed
	}
	in.http.requests++
	if len(method) > maxHTTPMethodBytes || len(rawURL) > maxHTTPURLBytes || len(headers) > maxHTTPHeaderBytes {
		return httpBadRequest
	}
	in.work(mod, int64(len(method)+len(rawURL)+len(headers))*hostWorkByteFuel)
	u, err := url.Parse(string(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return httpBadRequest
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if c.allowEntry(u.Hostname(), port) == "" {
		in.httpRefused(ctx, "request refused: host "+u.Host+" is not on the allow-list")
		return httpNotAllowed
	}
	in.work(mod, int64(len(body))*hostByteFuel)
	body = bytes.Clone(body)
	if t.class == classMetered {
		// A metered call's context is never cancelled (meter.go): bound the
		// request by the call's deadline and its caller here, and stop the
		// call once the request is over if either ran out.
		in.stopIfDue()
		var cancel context.CancelFunc
		ctx, cancel = in.meteredCallContext()
		defer cancel()
		defer in.stopIfDue()
	}
	rctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, string(method), u.String(), bytes.NewReader(body))
	if err != nil {
		return httpBadRequest
	}
	for _, line := range strings.Split(string(headers), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return httpBadRequest
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	resp, err := t.httpClient.Do(req)
	if err != nil {
		if errors.Is(err, errDenied) {
			in.httpRefused(ctx, "request refused: "+u.Hostname()+" resolves to an address that is not allowed")
			return httpNotAllowed
		}
		return httpNetwork
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, int64(c.MaxResponseBytes)+1))
	if err != nil {
		return httpNetwork
	}
	if len(b) > c.MaxResponseBytes {
		in.httpRefused(ctx, fmt.Sprintf("response refused: body over %d bytes", c.MaxResponseBytes))
		return httpNetwork
	}
	in.http.status, in.http.body, in.http.header = resp.StatusCode, b, resp.Header
	return int32(resp.StatusCode)
}

// httpRefused logs a request the host refused: the first of a call at
// once, the others as one count when the call ends (flushHTTPLog), so that
// a guest looping on refused requests cannot flood the host's log. What
// the guest chose (a host name) is made printable and cut.
func (in *instance) httpRefused(ctx context.Context, msg string) {
	in.httpRefusals++
	if in.httpRefusals == 1 {
		in.t.logger.WarnContext(ctx, "wasm guest HTTP: "+sanitize(msg), "tenant", in.t.name, "module", in.t.module.ID())
	}
}

// flushHTTPLog logs how many more requests the call had refused after the
// first, and starts the count afresh for the next call.
func (in *instance) flushHTTPLog(ctx context.Context) {
	if more := in.httpRefusals - 1; more > 0 {
		in.t.logger.WarnContext(ctx, fmt.Sprintf("wasm guest HTTP: %d more requests refused in this call", more),
			"tenant", in.t.name, "module", in.t.module.ID(), "refused", more)
	}
	in.httpRefusals = 0
}

// httpResponseBody implements http_response_body(buf, limit) -> len.
func httpResponseBody(in *instance, _ context.Context, mod api.Module, s []uint64) {
	s[0] = in.readInto(mod, "http_response_body", in.http.body, uint32(s[0]), uint32(s[1]))
}

// httpResponseHeader implements http_response_header(name, buf, limit) -> len or -1.
func httpResponseHeader(in *instance, _ context.Context, mod api.Module, s []uint64) {
	name := in.input(mod, "http_response_header", uint32(s[0]), uint32(s[1]))
	var vals []string
	for k, v := range in.http.header { // matched without copying the guest's name
		if len(k) == len(name) && strings.EqualFold(k, string(name)) {
			vals = v
			break
		}
	}
	if len(vals) == 0 {
		in.region(mod, "http_response_header", uint32(s[2]), uint32(s[3]))
		s[0] = i32result(-1)
		return
	}
	s[0] = in.readInto(mod, "http_response_header", []byte(vals[0]), uint32(s[2]), uint32(s[3]))
}
