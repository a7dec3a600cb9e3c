package wasmhost

import (
	"time"

	"github.com/secretpath/secretpath/resolver"
)

// Test hooks, exported to the external test package only.

// SetSlowCallRecycle sets how long a call of t (deadline-only or trusted)
// may run before its instance is recycled, 0 included (every call), and
// returns a func restoring it. Call it between t's lookups.
func SetSlowCallRecycle(t *Tenant, d time.Duration) func() {
	old := t.limits.SlowCallRecycle
	t.limits.SlowCallRecycle = d
	return func() { t.limits.SlowCallRecycle = old }
}

// TenantOf returns the tenant of b: a *Tenant, or a backend the "wasm"
// factory opened.
func TenantOf(b resolver.Backend) *Tenant {
	if o, ok := b.(*ownedTenant); ok {
		return o.Tenant
	}
	return b.(*Tenant)
}

// LimitsInForce returns t's limits, defaults filled.
func (t *Tenant) LimitsInForce() Limits { return t.limits }

// Granted returns t's capabilities (HTTP without its defaults).
func (t *Tenant) Granted() Capabilities { return t.caps }

// Trusted reports whether t runs without per-call deadlines.
func (t *Tenant) Trusted() bool { return t.class == classTrusted }
