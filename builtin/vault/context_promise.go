package vault

import "net/http"

// HonoursContext reports that Lookup and Connection return promptly, with
// ctx.Err() or an error wrapping it, once ctx is done (the resolver's
// promise: see resolver.Backend), so that the resolver runs a cache miss
// in the caller's goroutine. Every read carries ctx (the Vault client's
// retries wait on it too), and a lookup waits for a login, a token_path
// read or a token's lookup-self, which run once for all lookups with a
// context of their own, only until its ctx is done. It holds when the
// Vault client's HTTP client sends through an *http.Transport: the
// backend's own configuration, or an Options.Config whose HttpClient's
// Transport is nil or an *http.Transport. With a RoundTripper of the
// caller's own, which may ignore ctx, the backend makes no promise (the
// resolver then runs misses in a worker).
func (b *Backend) HonoursContext() bool {
	return transportHonoursContext(b.sess.client.CloneConfig().HttpClient)
}

// transportHonoursContext reports whether c ends a request once its
// context is done: net/http's Transport does (the dial, the wait for the
// answer, the body's reads); a RoundTripper of the caller's own may not.
func transportHonoursContext(c *http.Client) bool {
	if c == nil {
		return false
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	_, ok := rt.(*http.Transport)
	return ok
}
