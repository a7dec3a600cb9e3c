package wasmhost

// HonoursContext reports that Lookup returns promptly, with ctx.Err() or an
// error wrapping it, once ctx is done (the resolver's promise: see
// resolver.Backend), so that the resolver runs a cache miss in the
// caller's goroutine. An untrusted tenant keeps it: a metered call checks
// its caller's ctx at every fuel refill, a deadline-only call runs on a
// runtime that stops the guest when ctx is done, the guest's host calls
// (http_request included) carry ctx, and a lookup waits for a free
// instance only until ctx is done. A trusted tenant (TenantConfig.Trusted)
// runs its guest on a runtime that no context can stop, so a guest that
// spins holds its caller past ctx: it makes no promise (the resolver then
// runs misses in a worker, which its callers can leave).
func (t *Tenant) HonoursContext() bool { return t.class != classTrusted }
