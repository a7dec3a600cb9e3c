package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

// fuelChunk is how much fuel a metered call gets at a time. The guest calls
// refill each time it runs out, about every millisecond of guest work: that
// is where the host enforces the call's fuel budget and wall deadline and
// notices a caller that gave up, and the only times a metered guest returns
// to Go (so the garbage collector never waits on it for long).
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

// refill is called by a metered guest whose fuel ran out. It stops the call
// (by trapping) when the call's fuel budget is spent, its deadline has
// passed or its caller gave up; otherwise it hands out the next chunk.
func refill(ctx context.Context, mod api.Module, _ []uint64) {
	in := instanceOf(ctx)
	g, ok := mod.ExportedGlobal(fuel.DefaultGlobalExport).(api.MutableGlobal)
	if !ok {
		in.violate("refill: the fuel global is missing")
	}
	in.fuelSpent += in.fuelGiven - int64(g.Get())
	if t := in.t; t.limits.FuelPerCall > 0 && in.fuelSpent >= t.limits.FuelPerCall {
		in.stopped = fmt.Sprintf("CPU limit exceeded: the call used its %d units of fuel", t.limits.FuelPerCall)
		in.stoppedByFuel = true
		panic(cpuLimit{})
	}
	in.stopIfDue()
	in.fuelGiven = fuelChunk
	g.Set(uint64(fuelChunk))
}

// stopIfDue stops a metered call (by trapping) when its wall deadline has
// passed or its caller gave up. refill calls it, and so does a host
// function that may block (http_request), since a metered call runs under a
// context that nothing cancels.
func (in *instance) stopIfDue() {
	switch {
	case time.Since(in.callStart) > in.t.limits.CallTimeout:
		in.stopped = fmt.Sprintf("exceeded the %v time limit", in.t.limits.CallTimeout)
		panic(cpuLimit{})
	case in.callerCtx != nil && in.callerCtx.Err() != nil:
		in.callerGone.Store(true)
		panic(cpuLimit{})
	}
}

// meteredCallContext returns a context for a blocking operation inside a
// metered call: done when the call's deadline passes or its caller gives
// up.
func (in *instance) meteredCallContext() (context.Context, context.CancelFunc) {
	parent := in.callerCtx
	if parent == nil {
		parent = context.Background()
	}
	return context.WithDeadline(parent, in.callStart.Add(in.t.limits.CallTimeout))
}

// startMetered prepares a metered call: a full chunk of fuel, the clock and
// the caller's context for refill to check.
func (in *instance) startMetered(ctx context.Context) {
	in.callStart = time.Now()
	in.callerCtx = ctx
	in.fuelSpent = 0
	in.stopped = ""
	in.stoppedByFuel = false
	if in.depthGlobal != nil {
		in.depthGlobal.Set(0) // a trapped call may have left frames counted
	}
	if in.fuelGlobal != nil {
		in.fuelGiven = fuelChunk
		in.fuelGlobal.Set(uint64(fuelChunk))
	} else {
		in.fuelGiven = 0 // instantiation: the global starts at 0; the first metering point refills
	}
}
