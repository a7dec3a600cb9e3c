package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

// fuelChunk is how much fuel a metered call gets at a time (at most: never
// more than what is left of its budget). The guest calls refill each time it
// runs out, about every millisecond of guest work: that is where the host
// enforces the call's fuel budget and wall deadline exactly and notices a
// caller that gave up, and the only times a metered guest returns to Go
// but for its host calls (so the garbage collector never waits on it for
// long). Host calls are charged too, and check the same limits (charge).
const fuelChunk = 1 << 20

// maxCallDepth bounds a metered call's stack, in frame-weight units of
// about 64 bytes of wazero's stack (1 + (params+locals)/8 a frame; see
// fuel.Config.MaxCallDepth): 65,536 units is a few MB. wazero has no stack
// size setting, and a 1.5M-deep recursion that returns normally left ~82 MB
// of stack with each pooled instance. Measured maxima of the example
// guests over their conformance vectors: 29 frames (std Go; C 8, Rust 14,
// AssemblyScript 10), at most 3 units each: under 100 units, so the limit
// leaves over 600x headroom for deeper documents and recursion.
const maxCallDepth = 65_536

// fuelConfig is how the host rewrites modules for metered tenants.
var fuelConfig = fuel.Config{MaxCallDepth: maxCallDepth}

// errNotMetered wraps the rewriter's reason for declining a module.
var errNotMetered = errors.New("module cannot be fuel-metered")

// tooDeep reports whether a metered call failed at the call-depth limit:
// the rewritten entry traps with the depth global left above it.
func (in *instance) tooDeep() bool {
	return in.depthGlobal != nil && uint32(in.depthGlobal.Get()) > maxCallDepth
}

// cpuLimit is the panic value with which refill stops a metered call.
type cpuLimit struct{}

// instantiateFuelModule defines the refill import of metered modules.
func instantiateFuelModule(ctx context.Context, rt wazero.Runtime) error {
	_, err := rt.NewHostModuleBuilder(fuel.DefaultImportModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(refill), nil, nil).
		Export(fuel.DefaultImportName).
		Instantiate(ctx)
	return err
}

// Host work is charged as fuel, so that FuelPerCall bounds what a call
// makes the host do and the call's limits are checked while it runs in host
// functions: every host call costs hostCallFuel, plus fuel for the bytes it
// handles, charged before it handles them. The rates follow the fuel
// rewriter's (one unit is about one WebAssembly instruction, ~1 ns):
// copying or comparing a byte costs hostByteFuel, generating one (random_get)
// or parsing one (a URL, request headers) hostWorkByteFuel. A long host
// operation is done in pieces of at most hostPiece bytes, each charged (and
// so checked) before it is done.
const (
	hostCallFuel     int64 = 64
	hostByteFuel     int64 = 1
	hostWorkByteFuel int64 = 4
	hostPiece              = 64 << 10
)

// refill is called by a metered guest whose fuel ran out. It stops the call
// (by trapping) when the call's fuel budget is spent, its deadline has
// passed or its caller gave up; otherwise it hands out the next chunk.
func refill(ctx context.Context, mod api.Module, _ []uint64) {
	in := instanceOf(ctx)
	in.refuel(in.fuel(mod))
}

// fuel returns the call's fuel global. An instance being instantiated (its
// start section running) has none cached yet: it is read from the module
// (mod may be nil once a host function's entry check has found it).
func (in *instance) fuel(mod api.Module) api.MutableGlobal {
	if in.fuelGlobal == nil {
		if mod == nil {
			in.violate("host work charged before the fuel global was found")
		}
		g, ok := mod.ExportedGlobal(fuel.DefaultGlobalExport).(api.MutableGlobal)
		if !ok {
			in.violate("the fuel global is missing")
		}
		in.fuelGlobal = g
	}
	return in.fuelGlobal
}

// refuel settles the fuel used since the last refill and checks the call's
// limits exactly: it stops the call (by trapping) when the fuel used is
// over the budget, the deadline has passed or the caller gave up; else it
// hands out the next chunk, never more than what is left of the budget, so
// that a budget smaller than a chunk is honoured to within one metering
// point.
func (in *instance) refuel(g api.MutableGlobal) {
	in.fuelSpent += in.fuelGiven - int64(g.Get()) + in.owed
	in.owed = 0
	budget := in.t.limits.FuelPerCall
	if budget > 0 && in.fuelSpent > budget {
		in.stopped = fmt.Sprintf("CPU limit exceeded: the call used %d units of fuel, over its budget of %d", in.fuelSpent, budget)
		in.stoppedByFuel = true
		panic(cpuLimit{})
	}
	in.stopIfDue()
	in.fuelGiven = in.chunk()
	g.Set(uint64(in.fuelGiven))
}

// chunk is the fuel to hand out next: fuelChunk, or what is left of the
// call's budget when less.
func (in *instance) chunk() int64 {
	if budget := in.t.limits.FuelPerCall; budget > 0 {
		return min(fuelChunk, budget-in.fuelSpent)
	}
	return fuelChunk
}

// hostOwedMax is how much fuel for host work a metered call without a fuel
// budget may owe before charge takes it from the fuel global (1/256 of a
// chunk, a few microseconds of work). Reading and writing the global
// through wazero's API on every host call cost ~10% of a metered lookup
// that makes one; the deadline and the caller are still checked on every
// host call, and between two exact checks a call now does at most one chunk
// of guest work and hostOwedMax of host work. A call with a fuel budget owes
// nothing: its budget is honoured as exactly as before.
const hostOwedMax = fuelChunk / 256

// charge takes n units of fuel for host work about to be done in a metered
// call. It is the check on entry to every host function and before every
// piece of a long one, so it is cheap: a fuel decrement (owed, see
// hostOwedMax), a read of the coarse clock and of the caller's context.
// When the chunk runs out, the coarse clock says the deadline may have
// passed (once the call's clock has started: sinceStart) or the caller gave
// up, refuel checks exactly, and stops the call if it must.
func (in *instance) charge(mod api.Module, n int64) {
	in.owed += n
	due := coarseNow.Load() > in.coarseDeadline || (in.callerCtx != nil && in.callerCtx.Err() != nil) || in.t.host.closing.Load()
	if !due && (in.owed <= hostOwedMax && in.t.limits.FuelPerCall <= 0) {
		return
	}
	g := in.fuel(mod)
	if left := int64(g.Get()) - in.owed; left >= 0 && !due {
		in.owed = 0
		g.Set(uint64(left))
		return
	}
	in.refuel(g)
}

// enter is the check on entry to every host function: a metered call pays
// hostCallFuel (see charge); a deadline-bound call whose context is done
// stops at once, as wazero would stop it at its next loop header. Trusted
// calls are not checked.
func (in *instance) enter(mod api.Module) { in.work(mod, hostCallFuel) }

// work charges units of fuel for a piece of host work (see enter).
func (in *instance) work(mod api.Module, units int64) {
	switch in.t.class {
	case classMetered:
		in.charge(mod, units)
	case classUntrusted:
		in.stopIfDone()
	}
}

// stopIfDone stops a deadline-bound call whose deadline passed or whose
// caller gave up while it was in a host function: the call fails with the
// exit wazero gives a call whose context is done (classify tells the two
// apart).
func (in *instance) stopIfDone() {
	if in.dctx != nil && in.dctx.Err() != nil {
		panic(sys.NewExitError(sys.ExitCodeDeadlineExceeded))
	}
}

// stopIfDue stops a metered call (by trapping) when its wall deadline has
// passed, its caller gave up or its host is closing. refill calls it, and
// so does a host function that may block (http_request), since a metered
// call runs under a context that nothing cancels.
func (in *instance) stopIfDue() {
	switch {
	case in.t.host.closing.Load():
		panic(cpuLimit{}) // classify reports it
	case in.sinceStart() > in.t.limits.CallTimeout:
		in.stopped = fmt.Sprintf("exceeded the %v time limit", in.t.limits.CallTimeout)
		panic(cpuLimit{})
	case in.callerCtx != nil && in.callerCtx.Err() != nil:
		in.callerGone.Store(true)
		panic(cpuLimit{})
	}
}

// meteredCallContext returns a context for a blocking operation inside a
// metered call: done when the call's deadline passes, its caller gives up
// or its host closes.
func (in *instance) meteredCallContext() (context.Context, context.CancelFunc) {
	parent := in.callerCtx
	if parent == nil {
		parent = context.Background()
	}
	in.sinceStart() // starts the call's clock if nothing did yet
	ctx, cancel := context.WithDeadline(parent, in.callStart.Add(in.t.limits.CallTimeout))
	unwatch := context.AfterFunc(in.t.host.done, cancel)
	return ctx, func() { unwatch(); cancel() }
}

// firstFuel is the fuel a metered call starts with (at most): 1/64 of a
// chunk, ~16 µs of guest work, after which its first refill starts its
// clock (sinceStart).
const firstFuel = fuelChunk / 64

// sinceStart is how long the metered call has run by its own clock, which
// starts the first time it is asked: at the call's first refill or
// blocking host call, never at the call's start. Reading the clock at the
// start of every call cost a quarter of a short metered lookup (most never
// refill); the coarse clock cannot stand in for it, since it may lag by a
// tick or more (a starved ticker, a suspended process), which would cut a
// call short. Until the clock starts the call has done at most firstFuel
// units of guest work (and hostOwedMax of host work), so it still ends
// within its time limit plus one chunk (and 1/50 of one), the precision
// refill gives a deadline anyway.
func (in *instance) sinceStart() time.Duration {
	if !in.clockStarted {
		in.clockStarted = true
		in.callStart = time.Now()
		in.coarseDeadline = in.callStart.UnixNano() + int64(in.t.limits.CallTimeout)
		if in.coarseDeadline < in.callStart.UnixNano() {
			in.coarseDeadline = math.MaxInt64 // a time limit of centuries
		}
		return 0
	}
	return time.Since(in.callStart)
}

// startMetered prepares a metered call: a chunk of fuel, and the caller's
// context for refill and the host functions to check. It reads no clock
// (see sinceStart): until the first refill, the call's deadline is not
// known, and charge leaves it to the fuel running out.
func (in *instance) startMetered(ctx context.Context) {
	in.clockStarted = false // callStart is not cleared: a time.Time holds a pointer, and storing one pays a write barrier while the GC marks
	in.coarseDeadline = math.MaxInt64
	in.callerCtx = ctx
	in.fuelSpent = 0
	in.owed = 0
	if in.stopped != "" {
		in.stopped = ""
	}
	in.stoppedByFuel = false
	// The call-depth global needs no reset: a call that traps (perhaps
	// with frames still counted) fails, and its instance is discarded
	// (instance.failure), so every call starts with it at 0.
	if in.fuelGlobal != nil {
		in.fuelGiven = min(in.chunk(), firstFuel)
		in.fuelGlobal.Set(uint64(in.fuelGiven))
	} else {
		in.fuelGiven = 0 // instantiation: the global starts at 0; the first metering point refills
	}
}
