package wasmhost

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand"
	"os"
	"slices"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// instKey is the context key under which a call carries its instance, for
// the host functions.
type instKey struct{}

// abiViolation is the panic value of a host function that found the guest
// breaking the ABI; the call then fails and the instance is discarded.
type abiViolation struct{ msg string }

// instCtx is the context of the calls made without a caller's context
// that can end (metered calls, and trusted calls without one): Background
// carrying the instance. It answers the instance for instKey, and nil for
// the keys wazero looks up on every call, without a walk up a chain of
// contexts; instanceOf finds it without a key lookup at all.
type instCtx struct {
	context.Context // context.Background()
	in              *instance
}

func (c *instCtx) Value(key any) any {
	if _, ok := key.(instKey); ok {
		return c.in
	}
	return nil // Background holds no values
}

func instanceOf(ctx context.Context) *instance {
	if c, ok := ctx.(*instCtx); ok {
		return c.in
	}
	in, _ := ctx.Value(instKey{}).(*instance)
	if in == nil {
		panic(abiViolation{"host function called outside a secretpath call"})
	}
	return in
}

// violate records an ABI violation and traps the guest.
func (in *instance) violate(format string, args ...any) {
	in.violation = fmt.Sprintf(format, args...)
	panic(abiViolation{in.violation})
}

// region returns guest memory [ptr, ptr+n), trapping the guest when it is
// out of bounds. The slice is a view: copy before returning to the guest.
// It charges nothing: use input for a region the host reads.
func (in *instance) region(mod api.Module, fn string, ptr, n uint32) []byte {
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		in.violate("%s: region [%d, %d+%d) is outside the guest's %d bytes of memory", fn, ptr, ptr, n, mod.Memory().Size())
	}
	return b
}

// input is region for an argument the host reads: its bytes are charged
// (hostByteFuel each) before the host touches them.
func (in *instance) input(mod api.Module, fn string, ptr, n uint32) []byte {
	b := in.region(mod, fn, ptr, n)
	in.work(mod, int64(len(b))*hostByteFuel)
	return b
}

// copyIn copies src to dst (len(dst) >= len(src)) in charged pieces: a
// copy of many megabytes is checked as it goes.
func (in *instance) copyIn(mod api.Module, dst, src []byte) {
	for len(src) > 0 {
		n := min(len(src), hostPiece)
		in.work(mod, int64(n)*hostByteFuel)
		copy(dst, src[:n])
		dst, src = dst[n:], src[n:]
	}
}

// readInto implements the (buf, limit) -> len rule: data is written at buf
// only when it fits in limit bytes; its length is returned either way.
func (in *instance) readInto(mod api.Module, fn string, data []byte, buf, limit uint32) uint64 {
	dst := in.region(mod, fn, buf, limit) // the whole claimed buffer must be in bounds
	if len(data) <= len(dst) {
		in.copyIn(mod, dst, data)
	}
	return uint64(uint32(len(data)))
}

// hostImplFunc implements a secretpath_v1 function (a row of hostFunctions):
// called with the call's instance, after the entry check (hostEntry).
type hostImplFunc = func(in *instance, ctx context.Context, mod api.Module, stack []uint64)

// hostKwargsRead implements kwargs_read(buf, limit) -> len.
func hostKwargsRead(in *instance, _ context.Context, mod api.Module, s []uint64) {
	s[0] = in.readInto(mod, "kwargs_read", in.t.kwargs, uint32(s[0]), uint32(s[1]))
}

// hostResultSet implements result_set(ptr, len).
func hostResultSet(in *instance, _ context.Context, mod api.Module, s []uint64) {
	b := in.region(mod, "result_set", uint32(s[0]), uint32(s[1]))
	if len(b) > in.t.limits.MaxOutputBytes {
		in.exhausted = fmt.Sprintf("result of %d bytes exceeds the %d-byte output limit", len(b), in.t.limits.MaxOutputBytes)
		return
	}
	in.work(mod, int64(len(b))*hostByteFuel)
	in.out = append(in.out[:0], b...)
	in.resultSet = true
	if in.exhausted != "" {
		in.exhausted = "" // a second result_set replaces the first
	}
}

// hostErrorSet implements error_set(ptr, len).
func hostErrorSet(in *instance, _ context.Context, mod api.Module, s []uint64) {
	b := in.region(mod, "error_set", uint32(s[0]), uint32(s[1]))
	b = b[:min(len(b), maxErrorBytes)]
	in.work(mod, int64(len(b))*hostByteFuel)
	in.errMsg = append(in.errMsg[:0], b...)
}

// hostLog implements log(level, ptr, len).
func hostLog(in *instance, ctx context.Context, mod api.Module, s []uint64) {
	b := in.input(mod, "log", uint32(s[1]), uint32(s[2]))
	in.log(ctx, int32(s[0]), b)
}

// hostLogEnabled implements log_enabled(level) -> 0 or 1.
func hostLogEnabled(in *instance, ctx context.Context, _ api.Module, s []uint64) {
	level := int32(s[0])
	s[0] = 0
	if in.t.caps.Log && in.t.logger.Enabled(ctx, slogLevel(level)) {
		s[0] = 1
	}
}

// hostEnvGet implements env_get(name_ptr, name_len, buf, limit) -> len or -1.
func hostEnvGet(in *instance, _ context.Context, mod api.Module, s []uint64) {
	name := in.input(mod, "env_get", uint32(s[0]), uint32(s[1]))
	v, ok := "", false
	// Compared without copying: a guest's name may be as long as its memory.
	if i := slices.IndexFunc(in.t.caps.Env, func(e string) bool { return e == string(name) }); i >= 0 {
		v, ok = os.LookupEnv(in.t.caps.Env[i])
	}
	if !ok {
		in.region(mod, "env_get", uint32(s[2]), uint32(s[3])) // still bounds-check the buffer
		s[0] = uint64(uint32(0xffffffff))                     // -1
		return
	}
	s[0] = in.readInto(mod, "env_get", []byte(v), uint32(s[2]), uint32(s[3]))
}

// hostClockNow implements clock_now() -> nanoseconds.
func hostClockNow(in *instance, _ context.Context, _ api.Module, s []uint64) {
	s[0] = uint64(time.Since(in.origin).Nanoseconds())
}

// hostEntry wraps a host function with what every call of it does first:
// find the call's instance and check the call's limits (instance.enter,
// which charges a metered call hostCallFuel).
func hostEntry(impl hostImplFunc) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		in := instanceOf(ctx)
		in.enter(mod)
		impl(in, ctx, mod, stack)
	}
}

// instantiateHostModule defines module secretpath_v1 in rt, one function
// per row of hostFunctions. Its functions are shared by every instance in
// the runtime; each call finds its instance in the call's context.
// Capability functions exist for every module but NewTenant refuses a
// module that imports one its tenant is not granted.
func instantiateHostModule(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(importModule)
	for _, hf := range hostFunctions {
		if hf.impl == nil {
			return fmt.Errorf("no implementation of %s", hf.name)
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(hostEntry(hf.impl), apiTypes(hf.params), apiTypes(hf.results)).
			Export(hf.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func apiTypes(ts []valType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}

func slogLevel(level int32) slog.Level {
	switch {
	case level < levelInfo:
		return slog.LevelDebug
	case level == levelInfo:
		return slog.LevelInfo
	case level == levelWarn:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// log sends a guest's message to the host logger, within the tenant's
// per-call log budget. The message is made printable (as error messages
// are): a guest cannot end the line and forge another, naming another
// tenant, in a handler that writes messages raw.
func (in *instance) log(ctx context.Context, level int32, msg []byte) {
	t := in.t
	if !t.caps.Log || !t.logger.Enabled(ctx, slogLevel(level)) {
		return
	}
	if in.logBudget <= 0 {
		in.logDropped++
		return
	}
	if len(msg) > in.logBudget {
		msg = msg[:in.logBudget]
		in.logDropped++
	}
	line := cutString(printable(string(msg)), in.logBudget) // a replacement character is longer than the byte it replaces
	in.logBudget -= len(line)
	if t.class == classMetered {
		// The handler may block (a full stderr pipe): the call's clock
		// must be running, so that the time counts towards its limit
		// (see sinceStart).
		in.sinceStart()
	}
	t.logger.LogAttrs(ctx, slogLevel(level), line, slog.String("tenant", t.name), slog.String("module", t.module.ID()))
}

// logWriter is a guest's WASI stdout and stderr: what the guest writes is
// charged like any host work (see meter.go) and, when the tenant may log,
// sent to the log at debug level within the same budget.
type logWriter struct{ in **instance }

func (w logWriter) Write(p []byte) (int, error) {
	if in := *w.in; in != nil {
		// The WASI function's entry check has found the fuel global.
		in.work(nil, hostCallFuel/4+int64(len(p))*hostByteFuel)
		in.log(context.Background(), levelDebug, bytes.TrimSuffix(p, []byte("\n")))
	}
	return len(p), nil
}

// randSource is a guest's WASI random source: crypto/rand with the random
// capability, else the fixed source wazero uses by default. Each read is at
// most hostPiece bytes and charged before it is made.
type randSource struct {
	in  **instance
	src io.Reader
}

func newRandSource(in **instance, random bool) randSource {
	if random {
		return randSource{in, crand.Reader}
	}
	return randSource{in, mrand.New(mrand.NewSource(42))} // wazero's default source: deterministic on purpose
}

func (r randSource) Read(p []byte) (int, error) {
	p = p[:min(len(p), hostPiece)]
	if in := *r.in; in != nil {
		in.work(nil, int64(len(p))*hostWorkByteFuel)
	}
	return r.src.Read(p)
}
