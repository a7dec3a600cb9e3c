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

// HostFunctionCharges returns, for each secretpath_v1 function, the fuel its
// charge class adds per byte of the work it is charged by (0, hostByteFuel
// or, for parsing, hostWorkByteFuel), and the entry charge of every call.
func HostFunctionCharges() (perByte map[string]int64, entry int64) {
	perByte = map[string]int64{}
	for _, hf := range hostFunctions {
		switch hf.charge {
		case chargeCall:
			perByte[hf.name] = 0
		case chargeCopy:
			perByte[hf.name] = hostByteFuel
		case chargeParse:
			perByte[hf.name] = hostWorkByteFuel
		}
	}
	return perByte, hostCallFuel
}

// FuelOfLastCall returns the fuel the last call of a metered tenant with
// one instance used, or -1 when it has no idle instance. Call it between
// t's lookups.
func FuelOfLastCall(t *Tenant) int64 {
	in := t.hot.Load()
	if in == nil {
		select {
		case in = <-t.idle:
			t.idle <- in
		default:
		}
	}
	if in == nil || in.fuelGlobal == nil {
		return -1
	}
	return in.fuelSpent + in.fuelGiven - int64(in.fuelGlobal.Get()) + in.owed
}

// CacheOf returns the compilation cache directory of the host of b, a
// backend the "wasm" factory opened ("" for none), and its cap.
func CacheOf(b resolver.Backend) (dir string, max int64) {
	h := b.(*ownedTenant).host
	return h.cacheDir, h.cacheMax
}

// CacheDirOfHost returns h's compilation cache directory ("" for none).
func CacheDirOfHost(h *Host) string { return h.cacheDir }

// FuelChunk is how much fuel a metered call gets at a time.
const FuelChunk = fuelChunk

// FreezeCoarseClock sets the coarse clock lag behind the real one and stops
// its ticks, as a starved ticker or a suspended process would leave it;
// the func it returns restarts it. Not for parallel tests.
func FreezeCoarseClock(lag time.Duration) (restore func()) {
	coarseFrozen.Store(true)
	coarseNow.Store(time.Now().Add(-lag).UnixNano())
	return func() {
		coarseFrozen.Store(false)
		coarseNow.Store(time.Now().UnixNano())
	}
}

// CoarseClockLag is how far the coarse clock is behind the real one.
func CoarseClockLag() time.Duration { return time.Since(time.Unix(0, coarseNow.Load())) }
