package gcpsecretmanager

import "net/http"

// HonoursContext reports that Lookup returns promptly, with ctx.Err() or an
// error wrapping it, once ctx is done (the resolver's promise: see
// resolver.Backend), so that the resolver runs a cache miss in the
// caller's goroutine. It holds with the backend's own HTTP client or an
// Options.HTTPClient whose Transport is nil or an *http.Transport: every
// request carries ctx, the wait before a retry ends with ctx, and a lookup
// waits for an access token (which a token source fetches without a
// context) only until ctx is done. With a RoundTripper of the caller's
// own, which may ignore ctx, the backend makes no promise (the resolver
// then runs misses in a worker).
func (b *Backend) HonoursContext() bool { return transportHonoursContext(b.client) }

// transportHonoursContext reports whether c ends a request once its
// context is done: net/http's Transport does (the dial, the wait for the
// answer, the body's reads); a RoundTripper of the caller's own may not.
func transportHonoursContext(c *http.Client) bool {
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	_, ok := rt.(*http.Transport)
	return ok
}
