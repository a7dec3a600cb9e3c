package wasmhost

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

// instance is one initialised module instance of a tenant. It is used by one
// goroutine at a time (the pool guarantees it).
type instance struct {
	t      *Tenant
	mod    api.Module
	mem    *limitedMemory
	fns    [4]api.Function // by resolver.Kind; nil when not exported
	stack  []uint64
	bufPtr uint32
	// bufSize is the exchange buffer's size.
	bufSize uint32
	origin  time.Time
	calls   int
	broken  bool // discard instead of reuse
	// lend is the instance's lend state (lendFree, ...): see Tenant.takeHot
	// and Host.Close.
	lend atomic.Int32
	slow bool // the last call ran past Limits.SlowCallRecycle (not metered)
	// trustedCtx carries the instance for metered calls and for trusted
	// calls made without a cancellable context, so that they allocate
	// nothing (an *instCtx).
	trustedCtx context.Context

	// Untrusted calls run under dctx, which carries the instance and is
	// cancelled by timer at the deadline or by the caller's context: wazero
	// then stops the call and closes the module. Reusing one context and one
	// timer per instance saves ~0.7 µs and 6 allocations per call over a
	// fresh context.WithTimeout; a cancelled dctx is never reused because
	// its instance is discarded.
	dctx    context.Context
	dcancel context.CancelFunc
	timer   *time.Timer
	// unwatch stops cancelling dctx when the host closes (Host.Close).
	unwatch    func() bool
	timedOut   atomic.Bool
	callerGone atomic.Bool

	// Metered calls (classMetered): see meter.go.
	fuelGlobal  api.MutableGlobal
	depthGlobal api.MutableGlobal // the call-depth counter (fuel.Config.MaxCallDepth)
	fuelGiven   int64             // the global's value at the last refill
	fuelSpent   int64             // fuel used by this call so far
	owed        int64             // fuel for host work not yet taken from the global (hostOwedMax)
	callStart   time.Time         // when clockStarted (see sinceStart)
	// clockStarted says callStart is this call's.
	clockStarted bool
	// coarseDeadline is the deadline in unix nanoseconds, for the host
	// functions to compare with coarseNow.
	coarseDeadline int64
	callerCtx      context.Context
	stopped        string // why refill stopped the call
	stoppedByFuel  bool   // it stopped the call for its fuel, not its time

	// Per-call state, reset before each call. out holds what result_set
	// copied (the guest runs on and may reuse its bytes); an OK_IN_BUFFER
	// result goes from guest memory straight into the lookup's string.
	out        []byte
	resultSet  bool
	errMsg     []byte
	violation  string
	exhausted  string
	logBudget  int
	logDropped int
	http       httpState
	// httpRefusals counts the requests the host refused in this call (see
	// httpRefused).
	httpRefusals int
}

// newInstance instantiates and initialises an instance: _initialize, the
// exchange buffer, then secretpath_init with the tenant's kwargs.
func (t *Tenant) newInstance(ctx context.Context) (*instance, error) {
	in := &instance{t: t, stack: make([]uint64, 1), origin: time.Now()}
	in.lend.Store(lendLent) // to its creator
	in.mem = &limitedMemory{max: uint64(t.limits.MemoryPages) * pageSize, total: &t.memBytes}
	in.trustedCtx = &instCtx{Context: context.Background(), in: in}
	if t.class == classUntrusted {
		in.dctx, in.dcancel = context.WithCancel(in.trustedCtx)
		in.timer = time.AfterFunc(time.Hour, func() { in.timedOut.Store(true); in.dcancel() })
		in.timer.Stop()
		in.unwatch = context.AfterFunc(t.host.done, in.dcancel) // Host.Close stops the call
	}

	// stdout, stderr and the random source are the host's own, which charge
	// the work a guest asks of them (meter.go), with or without the log and
	// random capabilities.
	w := logWriter{in: &in}
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions() // we call _initialize ourselves, under a deadline
	cfg = cfg.WithStdout(w).WithStderr(w).WithRandSource(newRandSource(&in, t.caps.Random))
	if t.caps.Clock {
		cfg = cfg.WithSysWalltime().WithSysNanotime()
	}
	ictx := experimental.WithMemoryAllocator(context.WithValue(ctx, instKey{}, in), allocator{in.mem})
	switch t.class {
	case classUntrusted:
		// A start section runs at instantiation: bound it too.
		var cancel context.CancelFunc
		ictx, cancel = context.WithTimeout(ictx, t.limits.CallTimeout)
		defer cancel()
		defer context.AfterFunc(t.host.done, cancel)()
	case classMetered:
		in.startMetered(ctx) // refill bounds a start section
	}
	mod, err := t.host.rt[t.class].InstantiateModule(ictx, t.cm, cfg)
	if err != nil {
		in.mem.Free() // a failed instantiation may not have freed it (idempotent)
		err = in.failure(ctx, "instantiate", err)
		in.close(ctx)
		return nil, err
	}
	in.mod = mod
	if t.class == classMetered {
		in.fuelGlobal, _ = mod.ExportedGlobal(fuel.DefaultGlobalExport).(api.MutableGlobal)
		in.depthGlobal, _ = mod.ExportedGlobal(fuel.DefaultDepthExport).(api.MutableGlobal)
	}
	in.fns[resolver.KindConnection] = mod.ExportedFunction(exportConn)
	in.fns[resolver.KindVariable] = mod.ExportedFunction(exportVar)
	in.fns[resolver.KindConfig] = mod.ExportedFunction(exportConfig)

	fail := func(err error) (*instance, error) {
		in.close(ctx)
		return nil, err
	}
	if t.module.info.Reactor {
		if err := in.call(ctx, mod.ExportedFunction(exportReactor)); err != nil {
			return fail(in.failure(ctx, exportReactor, err))
		}
	}
	if err := in.call(ctx, mod.ExportedFunction(exportBuffer)); err != nil {
		return fail(in.failure(ctx, exportBuffer, err))
	}
	in.bufPtr = uint32(in.stack[0])
	if err := in.call(ctx, mod.ExportedFunction(exportBufSize)); err != nil {
		return fail(in.failure(ctx, exportBufSize, err))
	}
	in.bufSize = uint32(in.stack[0])
	if in.bufSize < minBufferSize {
		return fail(t.statusError(exportBufSize, StatusInvalidArgument,
			fmt.Sprintf("exchange buffer is %d bytes; ABI v1 needs at least %d", in.bufSize, minBufferSize)))
	}
	if _, ok := in.exchange(); !ok {
		return fail(t.statusError(exportBuffer, StatusInvalidArgument,
			fmt.Sprintf("exchange buffer [%d, %d+%d) is outside the guest's %d bytes of memory", in.bufPtr, in.bufPtr, in.bufSize, mod.Memory().Size())))
	}
	in.reset()
	if err := in.call(ctx, mod.ExportedFunction(exportInit)); err != nil {
		return fail(in.failure(ctx, exportInit, err))
	}
	if s := Status(uint32(in.stack[0])); s != StatusOK {
		return fail(t.statusError(exportInit, s, string(in.errMsg)))
	}
	t.metrics.instanceCreated()
	return in, nil
}

// reset clears the per-call state. It stores a pointer only when it must:
// while the garbage collector marks, each pointer store pays its write
// barrier, on every lookup.
func (in *instance) reset() {
	in.resultSet = false
	if len(in.errMsg) > 0 {
		in.errMsg = in.errMsg[:0]
	}
	if in.exhausted != "" {
		in.exhausted = ""
	}
	in.logBudget = in.t.limits.MaxLogBytes
	in.logDropped = 0
	if in.http.open() {
		in.http.reset()
	}
}

// call calls fn with in.stack, under the tenant's deadline unless trusted,
// then logs what the call's refused HTTP requests left to log.
func (in *instance) call(ctx context.Context, fn api.Function) (err error) {
	// A deadline-bound or trusted call may leave its instance holding the
	// stack of a deep recursion (wazero keeps it): put recycles an instance
	// whose call ran past Limits.SlowCallRecycle (on the coarse clock: free
	// to read).
	switch in.t.class {
	case classMetered:
		// No context is watched: refill enforces the limits. The call
		// carries the instance for the host functions and allocates nothing.
		in.startMetered(ctx)
		err = fn.CallWithStack(in.trustedCtx, in.stack)
		in.callerCtx = nil
	case classTrusted:
		start := coarseNow.Load()
		if ctx.Done() == nil {
			err = fn.CallWithStack(in.trustedCtx, in.stack)
		} else {
			err = fn.CallWithStack(context.WithValue(ctx, instKey{}, in), in.stack)
		}
		in.slow = coarseNow.Load()-start >= int64(in.t.limits.SlowCallRecycle)
	default:
		err = in.callDeadline(ctx, fn)
	}
	if in.httpRefusals > 0 {
		in.flushHTTPLog(ctx)
	}
	return err
}

// callDeadline is call for a deadline-only tenant: under dctx, which
// the instance's timer or the caller's context cancel.
func (in *instance) callDeadline(ctx context.Context, fn api.Function) error {
	start := coarseNow.Load()
	defer func() { in.slow = coarseNow.Load()-start >= int64(in.t.limits.SlowCallRecycle) }()
	in.timer.Reset(in.t.limits.CallTimeout)
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { in.callerGone.Store(true); in.dcancel() })
	}
	err := fn.CallWithStack(in.dctx, in.stack)
	spent := !in.timer.Stop()
	if stop != nil && !stop() {
		spent = true
	}
	if spent {
		// The deadline or the caller's cancellation fired, perhaps just after
		// the call returned: dctx is cancelled, so this instance is done.
		in.broken = true
		if err == nil {
			// The guest returned after the deadline cut something it was
			// waiting on (an http_request): report the time limit, not
			// whatever the guest made of the cut.
			err = errPastDeadline
		}
	}
	return err
}

// errPastDeadline is a call that returned normally after its deadline or
// its caller's cancellation fired.
var errPastDeadline = errors.New("the call's deadline passed")

// lookup runs one lookup export: its status and, when StatusOK, its
// result. A non-nil error means the call failed in the host; the instance
// is then marked broken.
func (in *instance) lookup(ctx context.Context, kind resolver.Kind, id string) (Status, string, error) {
	fn := in.fns[kind]
	call := exportOf[kind]
	if fn == nil {
		return StatusUnimplemented, "", nil
	}
	in.reset()
	buf, ok := in.exchange()
	if !ok {
		in.broken = true
		return 0, "", in.t.statusError(call, StatusInternal, "the exchange buffer is no longer inside the guest's memory")
	}
	copy(buf, id) // Tenant.lookupIn checked that it fits
	in.stack[0] = uint64(uint32(len(id)))
	if err := in.call(ctx, fn); err != nil {
		return 0, "", in.failure(ctx, call, err)
	}
	status := Status(uint32(in.stack[0]))
	if in.http.open() {
		in.http.reset()
	}
	var result string
	inBuffer := status == StatusOKInBuffer
	if inBuffer {
		var err error
		if result, err = in.resultFromBuffer(call); err != nil {
			return 0, "", err
		}
		status = StatusOK
	}
	switch {
	case in.exhausted != "":
		in.errMsg = append(in.errMsg[:0], in.exhausted...)
		return StatusResourceExhausted, "", nil // kept: the guest did nothing wrong
	case status == StatusOK && !in.resultSet:
		in.broken = true
		return 0, "", in.t.statusError(call, StatusInternal, "ABI violation: returned OK without calling result_set")
	case status > StatusOKInBuffer:
		in.errMsg = append(in.errMsg[:0], fmt.Sprintf("unknown status %d", uint32(status))...)
		return StatusInternal, "", nil
	case status == StatusOK && !inBuffer:
		result = string(in.out)
	}
	return status, result, nil
}

// resultFromBuffer takes an OK_IN_BUFFER result: a little-endian u32 length
// then the bytes, inside the exchange buffer. They are copied once, from
// guest memory into the string returned (the guest has returned and does
// not run again before the caller is done with it).
func (in *instance) resultFromBuffer(call string) (string, error) {
	b, ok := in.exchange()
	if !ok {
		in.broken = true
		return "", in.t.statusError(call, StatusInternal, "the exchange buffer is no longer inside the guest's memory")
	}
	n := uint64(binary.LittleEndian.Uint32(b))
	if n > uint64(len(b))-4 {
		in.broken = true
		return "", in.t.statusError(call, StatusInternal,
			fmt.Sprintf("ABI violation: OK_IN_BUFFER result of %d bytes does not fit the %d-byte exchange buffer", n, len(b)))
	}
	if int(n) > in.t.limits.MaxOutputBytes {
		in.exhausted = fmt.Sprintf("result of %d bytes exceeds the %d-byte output limit", n, in.t.limits.MaxOutputBytes)
		return "", nil
	}
	in.resultSet = true
	return string(b[4 : 4+n]), nil
}

// exchange returns the exchange buffer: a slice of the guest's linear
// memory, or false when the buffer is not inside it (the memory is
// gone). It reads the memory limitedMemory backs (wazero's buffer is the
// one its Reallocate returned: the allocator serves every memory a module
// may have, as imported memories are refused), without an interface call
// to api.Memory.
func (in *instance) exchange() ([]byte, bool) {
	mem := in.mem.buf
	end := uint64(in.bufPtr) + uint64(in.bufSize)
	if end > uint64(len(mem)) {
		return nil, false
	}
	return mem[in.bufPtr:end:end], true
}

// failure turns a failed call into an error naming the reason, and marks
// the instance broken. A caller's own cancellation is returned as is.
func (in *instance) failure(ctx context.Context, call string, err error) error {
	in.broken = true
	reason, ferr := in.classify(ctx, call, err)
	in.t.metrics.failed(reason)
	return ferr
}

// classify names why a call failed, for the caller (the error) and for
// the secretpath.wasm.failures metric (the reason; "" when the caller's own
// context ended it, which is not the guest's failure).
func (in *instance) classify(ctx context.Context, call string, err error) (reason string, _ error) {
	t := in.t
	timeLimit := func() (string, error) {
		return reasonTimeout, t.statusError(call, StatusResourceExhausted, fmt.Sprintf("exceeded the %v time limit", t.limits.CallTimeout))
	}
	// Before the guest ran, a trap or an exit is the instantiation's failure.
	guest := func(r string) string {
		if call == "instantiate" {
			return reasonInstantiate
		}
		return r
	}
	if t.host.closing.Load() {
		// Whatever the guest was doing, Host.Close stopped it (or might
		// have): not the guest's failure.
		return "", t.hostClosed(call)
	}
	if in.violation != "" {
		return reasonABI, t.statusError(call, StatusInternal, "ABI violation: "+in.violation)
	}
	if in.callerGone.Load() && ctx.Err() != nil {
		return "", ctx.Err()
	}
	if in.tooDeep() {
		return guest(reasonTrap), t.statusError(call, StatusResourceExhausted,
			fmt.Sprintf("exceeded the call depth limit (%d units of stack, about 64 bytes each)", maxCallDepth))
	}
	if in.stopped != "" {
		if in.stoppedByFuel {
			reason = reasonFuel
		} else {
			reason = reasonTimeout
		}
		return reason, t.statusError(call, StatusResourceExhausted, in.stopped)
	}
	if errors.Is(err, errPastDeadline) {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return timeLimit()
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch {
		case in.timedOut.Load():
			r, e := timeLimit()
			return guest(r), e
		case in.callerGone.Load() && ctx.Err() != nil:
			return "", ctx.Err()
		}
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			r, e := timeLimit()
			return guest(r), e
		case sys.ExitCodeContextCanceled:
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
		}
		return guest(reasonExit), t.statusError(call, StatusInternal, fmt.Sprintf("the guest exited with code %d", exit.ExitCode()))
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if in.mem.refused.Load() {
		return guest(reasonMemory), t.statusError(call, StatusInternal,
			fmt.Sprintf("trapped after reaching its memory limit of %d pages: %s", t.limits.MemoryPages, firstLine(err.Error())))
	}
	return guest(reasonTrap), t.statusError(call, StatusInternal, "trapped: "+firstLine(err.Error()))
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

func (in *instance) close(ctx context.Context) {
	if in.timer != nil {
		in.timer.Stop()
		in.unwatch()
		in.dcancel()
	}
	if in.mod != nil {
		_ = in.mod.Close(ctx)
	}
	in.http.reset()
}
