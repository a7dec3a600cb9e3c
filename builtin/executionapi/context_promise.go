package executionapi

import "net/http"

// HonoursContext reports that Lookup returns promptly, with ctx.Err() or an
// error wrapping it, once ctx is done (the resolver's promise: see
// resolver.Backend), so that the resolver runs a cache miss in the
// caller's goroutine. It holds with a fixed token (Options.Token,
// SECRETPATH_EXECUTION_API_TOKEN) and the backend's own HTTP client, or an
// Options.HTTPClient whose Transport is nil or an *http.Transport: every
// request carries ctx, and the wait before a retry ends with ctx. A token
// file (Options.TokenFile) is read before every attempt without a context,
// and a read of a file on a network filesystem can block regardless of
// ctx; a RoundTripper of the caller's own may ignore ctx: with either, the
// backend makes no promise (the resolver then runs misses in a worker).
func (b *Backend) HonoursContext() bool {
	return b.tokens.file == "" && transportHonoursContext(b.client)
}

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
