package awsssm

import "github.com/secretpath/secretpath/builtin/internal/awscommon"

// HonoursContext reports that Lookup (and LookupBatch, every request of
// it) returns promptly, with ctx.Err() or an
// error wrapping it, once ctx is done (the resolver's promise: see
// resolver.Backend), so that the resolver runs a cache miss in the
// caller's goroutine. It holds for a backend from a config file, and for
// one from New when the client's credentials are an *aws.CredentialsCache
// (what config.LoadDefaultConfig gives), static or anonymous; its HTTP
// client is the SDK's or an *http.Client whose Transport is nil or an
// *http.Transport; and no APIOptions add middleware (awscommon.HonoursContext).
// Otherwise the backend makes no promise (the resolver then runs misses in
// a worker).
func (b *Backend) HonoursContext() bool {
	o := b.client.Options()
	return awscommon.HonoursContext(o.Credentials, o.HTTPClient, len(o.APIOptions))
}
