package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
)

// Limits bound what one tenant's guest may use. Zero fields take the
// defaults of ABI.md §6.
type Limits struct {
	// MemoryPages caps each instance's linear memory, in 64 KiB pages
	// (default 256 = 16 MiB; the std-Go jsondoc example starts and answers in 60).
	MemoryPages uint32
	// CallTimeout bounds each call into the guest: init and every lookup
	// (default 1 s). Trusted tenants have no deadline.
	CallTimeout time.Duration
	// MaxOutputBytes caps a lookup's result (default 64 KiB).
	MaxOutputBytes int
	// MaxLogBytes caps what a guest may log per call (default 4 KiB).
	MaxLogBytes int
	// PoolSize is how many instances serve lookups at once (default 2).
	PoolSize int
	// MaxCallsPerInstance recycles an instance after that many lookups, so
	// that guest memory that only grows is given back (0 = never).
	MaxCallsPerInstance int
	// FuelPerCall bounds each call of a metered tenant by the work it does
	// (about one unit per WebAssembly instruction; deterministic across
	// machines), on top of CallTimeout. 0 = no fuel budget, the wall
	// deadline only. Deadline-only and trusted tenants are not metered.
	FuelPerCall int64
	// SlowCallRecycle is how long a call of a deadline-only or trusted
	// tenant may run before its instance is recycled rather than reused
	// (default 200 ms): such a call may have recursed deep, and wazero
	// keeps the grown stack with the instance (1.5M frames: ~82 MB);
	// metered tenants' call-depth counter bounds them instead, so it does
	// not apply to them. Measured on a coarse clock (100 ms ticks): a call
	// is seen as slow up to 100 ms after it passes the threshold.
	SlowCallRecycle time.Duration
}

// Default limits.
const (
	DefaultMemoryPages    = 256
	DefaultCallTimeout    = time.Second
	DefaultMaxOutputBytes = 64 << 10
	DefaultMaxLogBytes    = 4 << 10
	DefaultPoolSize       = 2
	// DefaultSlowCallRecycle is Limits.SlowCallRecycle when it is not set.
	DefaultSlowCallRecycle = 200 * time.Millisecond
)

func (l Limits) withDefaults() Limits {
	if l.MemoryPages == 0 {
		l.MemoryPages = DefaultMemoryPages
	}
	if l.CallTimeout <= 0 {
		l.CallTimeout = DefaultCallTimeout
	}
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if l.MaxLogBytes <= 0 {
		l.MaxLogBytes = DefaultMaxLogBytes
	}
	if l.PoolSize <= 0 {
		l.PoolSize = DefaultPoolSize
	}
	if l.SlowCallRecycle <= 0 {
		l.SlowCallRecycle = DefaultSlowCallRecycle
	}
	return l
}

// Capabilities are what a tenant's guest may do beyond computing. The zero
// value grants nothing.
type Capabilities struct {
	Log    bool     // log through the host logger (and see stdout/stderr there)
	Env    []string // environment variables the guest may read by name
	Clock  bool     // clock_now, and real clocks in WASI
	Random bool     // crypto/rand as WASI's random source (else a fixed one)
	HTTP   *HTTPCapability
}

func (c Capabilities) granted(name string) bool {
	switch name {
	case CapLog:
		return c.Log
	case CapEnv:
		return len(c.Env) > 0
	case CapClock:
		return c.Clock
	case CapRandom:
		return c.Random
	case CapHTTP:
		return c.HTTP != nil
	}
	return false
}

// TenantConfig configures a tenant.
type TenantConfig struct {
	// Name identifies the tenant in errors and logs.
	Name string
	// Kwargs is the backend_kwargs JSON object the guest reads at init,
	// passed verbatim ("" or nil = "{}"). They may not be larger than the
	// tenant's memory limit (the guest could not read them).
	Kwargs       []byte
	Limits       Limits
	Capabilities Capabilities
	// Trusted runs the tenant without per-call deadlines, on the runtime
	// that does not check contexts: faster, but nothing can stop a guest
	// that loops. Only for audited modules.
	Trusted bool
	// DeadlineOnly stops an untrusted tenant's calls with context deadlines
	// (wazero's WithCloseOnContextDone) instead of fuel metering. Modules
	// the fuel rewriter declines always run that way.
	DeadlineOnly bool
}

// Tenant is one configured instance of a module: a resolver.Backend. It is
// safe for concurrent use; each call borrows an instance from the tenant's
// pool.
type Tenant struct {
	host    *Host
	module  *Module
	name    string
	kwargs  []byte
	limits  Limits
	caps    Capabilities
	class   int
	cm      wazero.CompiledModule
	logger  *slog.Logger
	metrics *tenantMetrics // nil without a MeterProvider

	httpCap    *HTTPCapability // with defaults; nil when not granted
	httpClient *http.Client

	hot      atomic.Pointer[instance] // the hot instance, tried before idle (see takeHot)
	waiting  atomic.Int32             // lookups in wait (see put)
	idle     chan *instance           // initialised instances not in use
	slots    chan struct{}            // one token per live instance
	memBytes atomic.Int64             // linear memory of live instances
	lastUsed atomic.Int64             // unix nanoseconds
	closed   atomic.Bool
}

// NewTenant creates a tenant from a loaded module. It creates and
// initialises the first instance at once, so a module or kwargs that fail
// init fail here. The tenant holds the module until it is closed; a failed
// NewTenant does not (see Module.Close).
func (h *Host) NewTenant(ctx context.Context, m *Module, cfg TenantConfig) (_ *Tenant, err error) {
	if err := h.acquire(m); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			h.release(m)
		}
	}()
	if err := h.begin(); err != nil { // it compiles and runs the guest's init
		return nil, fmt.Errorf("wasmhost: tenant %q (module %s): %w", cfg.Name, m.ID(), err)
	}
	defer h.end()
	t := &Tenant{
		host: h, module: m, name: cfg.Name, limits: cfg.Limits.withDefaults(),
		caps: cfg.Capabilities, logger: h.logger,
	}
	if t.name == "" {
		t.name = m.ID()
	}
	t.metrics = h.metrics.forTenant(t.name, m.ID())
	if max := uint64(t.limits.MemoryPages) * pageSize; uint64(len(cfg.Kwargs)) > max {
		// kwargs_read writes only into guest memory: the guest could never
		// read them, and the host would keep them for nothing.
		return nil, t.refusef("kwargs of %d bytes exceed the tenant's memory limit of %d bytes (%d pages)", len(cfg.Kwargs), max, t.limits.MemoryPages)
	}
	t.kwargs = append([]byte(nil), cfg.Kwargs...)
	if len(strings.TrimSpace(string(t.kwargs))) == 0 {
		t.kwargs = []byte("{}")
	}
	switch {
	case cfg.Trusted:
		t.class = classTrusted
	case !cfg.DeadlineOnly:
		t.class = classMetered
	}
	if c := t.caps.HTTP; c != nil {
		t.httpCap = c.withDefaults()
		t.httpClient = t.httpCap.client()
	}
	for _, c := range m.info.Capabilities {
		if !t.caps.granted(c) {
			return nil, t.refusef("module imports %s functions but the tenant is not granted %q", c, c)
		}
	}
	if m.info.MinMemory > t.limits.MemoryPages {
		return nil, t.refusef("module's memory starts at %d pages, over the tenant's limit of %d", m.info.MinMemory, t.limits.MemoryPages)
	}
	cm, err := h.compiledFor(ctx, m, t.class)
	if errors.Is(err, errNotMetered) {
		h.logger.Warn("wasm module not fuel-metered; its calls are bounded by context deadlines instead",
			"tenant", t.name, "module", m.ID(), "reason", err.Error())
		t.class = classUntrusted
		cm, err = h.compiledFor(ctx, m, t.class)
	}
	if err != nil {
		return nil, t.errorf("%v", err)
	}
	t.cm = cm
	t.idle = make(chan *instance, t.limits.PoolSize)
	t.slots = make(chan struct{}, t.limits.PoolSize)
	t.slots <- struct{}{}
	in, err := t.newInstance(ctx)
	if err != nil {
		<-t.slots
		return nil, err
	}
	in.lend.Store(lendIdle)
	t.idle <- in
	t.lastUsed.Store(time.Now().UnixNano())
	h.track(t, true)
	return t, nil
}

// Name returns "wasm:" and the tenant's name.
func (t *Tenant) Name() string { return "wasm:" + t.name }

// Metered reports whether the tenant's calls are bounded by fuel metering
// (rather than context deadlines, or nothing for trusted tenants).
func (t *Tenant) Metered() bool { return t.class == classMetered }

// Module returns the tenant's module.
func (t *Tenant) Module() *Module { return t.module }

// MemoryBytes reports the linear memory of the tenant's live instances.
func (t *Tenant) MemoryBytes() int64 { return t.memBytes.Load() }

// LastUsed is when a lookup last finished.
func (t *Tenant) LastUsed() time.Time { return time.Unix(0, t.lastUsed.Load()) }

// touch records a use. It reads the host's coarse clock (updated every
// 100 ms): LastUsed is for idle eviction, and time.Now on every lookup cost
// ~10% of a trusted lookup.
func (t *Tenant) touch() {
	if now := coarseNow.Load(); t.lastUsed.Load() != now {
		t.lastUsed.Store(now)
	}
}

// Evict closes the tenant's idle instances, giving their memory back; the
// next lookup creates a fresh one. Use it for tenants idle a while.
func (t *Tenant) Evict(ctx context.Context) int {
	n := 0
	if in := t.takeHot(); in != nil {
		t.hot.CompareAndSwap(in, nil)
		in.close(ctx)
		<-t.slots
		t.endLend(in, lendDead)
		n++
	}
	for {
		select {
		case in := <-t.idle:
			in.lend.Store(lendDead)
			in.close(ctx)
			<-t.slots
			n++
		default:
			return n
		}
	}
}

// Close closes the tenant's idle instances and idle HTTP connections.
//
// Host and tenant lifecycle: Close does not wait for, or stop, lookups in
// flight; their instances, and their connections, are closed as those
// lookups end (Host.Close stops them). Later lookups fail ("tenant is
// closed"). The tenant must not be used afterwards.
func (t *Tenant) Close() error {
	if !t.closed.CompareAndSwap(false, true) {
		return nil
	}
	t.Evict(context.Background())
	t.closeIdleHTTP()
	t.untrackIfDrained()
	t.host.release(t.module)
	return nil
}

// untrackIfDrained removes a closed tenant from its host's tenants once
// its hot slot is empty. A lookup may run on the hot instance without
// counting itself in the host's calls (see Tenant.lookup): Host.Close
// finds it through the tenants it tracks, so a closed tenant stays tracked
// until the lookup holding its hot instance has put it back (put then
// untracks it). A hot instance installed later is taken by a lookup that
// sees the tenant closed, and runs no guest code.
func (t *Tenant) untrackIfDrained() {
	if t.hot.Load() == nil {
		t.host.track(t, false)
	}
}

// closeIdleHTTP closes the HTTP connections the tenant's guests left idle
// (and, until the next request, those that become idle).
func (t *Tenant) closeIdleHTTP() {
	if t.httpClient != nil {
		t.httpClient.CloseIdleConnections()
	}
}

// Lookup asks the guest for req.ID through the export of req.Kind
// (secretpath_get_connection, _variable or _config). A guest without
// secretpath_get_config holds no configs, and a kind the ABI does not
// know is not looked up: both are not found. req.Team is not passed to the
// guest (ABI v1 has no teams): the id is looked up as if it were "".
func (t *Tenant) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	switch req.Kind {
	case resolver.KindConnection, resolver.KindVariable:
	case resolver.KindConfig:
		if !t.module.info.Configs {
			return "", resolver.ErrNotFound
		}
	default:
		return "", fmt.Errorf("%s: no lookup of %s: %w", t.prefix(), req.Kind, resolver.ErrNotFound)
	}
	return t.lookup(ctx, req.Kind, req.ID)
}

var exportOf = [...]string{
	resolver.KindConnection: exportConn,
	resolver.KindVariable:   exportVar,
	resolver.KindConfig:     exportConfig,
}

func (t *Tenant) lookup(ctx context.Context, kind resolver.Kind, id string) (string, error) {
	// Few returns here, the work in lookupIn: with at most 15 returns ×
	// defers, Go inlines the deferred calls at each return (open-coded
	// defers) instead of running them from a list at exit, which cost a
	// quarter of a trusted OK_IN_BUFFER lookup.
	if err := ctx.Err(); err != nil {
		return "", err
	}
	in := t.takeHot()
	if in == nil {
		return t.lookupPooled(ctx, kind, id)
	}
	// The fast path: the hot instance, lent to this lookup, which does not
	// count itself in the host's calls (two atomic writes on every lookup).
	// Host.Close sees the instance lent and waits for it instead; lookupIn
	// looks at closing after the lend, so that either Close sees the lend
	// or this lookup sees Close (see Host.Close).
	defer t.put(in)
	return t.lookupIn(ctx, in, kind, id)
}

// lookupPooled is lookup when the hot instance is not free: it borrows an
// instance from the pool (or creates one, or waits), counted as a call of
// the host.
func (t *Tenant) lookupPooled(ctx context.Context, kind resolver.Kind, id string) (string, error) {
	if err := t.host.begin(); err != nil {
		return "", t.hostClosed("")
	}
	defer t.host.end()
	in, err := t.get(ctx)
	if err != nil {
		return "", err
	}
	defer t.put(in)
	return t.lookupIn(ctx, in, kind, id)
}

// lookupIn is lookup on a borrowed instance. It runs no guest code once
// the host is closing or the tenant is closed.
func (t *Tenant) lookupIn(ctx context.Context, in *instance, kind resolver.Kind, id string) (string, error) {
	if t.host.closing.Load() {
		return "", t.hostClosed("")
	}
	if t.closed.Load() {
		return "", t.tenantClosed()
	}
	if uint32(len(id)) > in.bufSize {
		return "", t.statusError(exportOf[kind], StatusInvalidArgument,
			fmt.Sprintf("id of %d bytes does not fit the guest's %d-byte buffer", len(id), in.bufSize))
	}
	status, result, err := in.lookup(ctx, kind, id)
	if err != nil {
		return "", err
	}
	if status.Code() != codes.OK && t.class != classTrusted && t.host.closing.Load() {
		// Host.Close may have cut the guest's host calls short (an HTTP
		// request failed under it): its miss or failure is not an answer.
		// (Close waits for a trusted call: what it answers stands.)
		return "", t.hostClosed(exportOf[kind])
	}
	switch status.Code() {
	case codes.OK:
		return result, nil
	case codes.NotFound, codes.Unimplemented: // "ask the next tier" (ABI.md §4)
		return "", resolver.ErrNotFound
	}
	return "", t.statusError(exportOf[kind], status, string(in.errMsg))
}

// get borrows an initialised instance, creating one when the pool has room,
// else waiting for one (bounded by ctx).
func (t *Tenant) get(ctx context.Context) (*instance, error) {
	if t.closed.Load() {
		return nil, t.tenantClosed()
	}
	if in := t.takeHot(); in != nil {
		return in, nil
	}
	select {
	case in := <-t.idle:
		in.lend.Store(lendLent)
		return in, nil
	default:
	}
	in, slot, err := t.wait(ctx)
	if !slot {
		return in, err
	}
	if t.host.closing.Load() {
		<-t.slots
		return nil, t.hostClosed("")
	}
	in, err = t.newInstance(ctx)
	if err != nil {
		<-t.slots
		return nil, err
	}
	return in, nil
}

// Lend states of an instance (instance.lend).
const (
	// lendFree: the tenant's hot instance, not lent. Only a hot instance
	// is ever free.
	lendFree int32 = iota
	// lendLent: lent to a lookup (or to its creator, or to Evict).
	lendLent
	// lendWaited: lent, and Host.Close counted the lend in the host's
	// calls: whoever ends the lend ends that call (endLend, release).
	lendWaited
	// lendIdle: in the tenant's idle channel.
	lendIdle
	// lendDead: closed, or taken out of use by Host.Close.
	lendDead
)

// takeHot borrows the hot instance when it is free.
//
// The hot slot is the pool's fast path: one instance stays in t.hot while
// it is lent and returned, and its lend state says whether it is lent. An
// instance is free only while it is in t.hot and not lent, so a borrower
// that read t.hot long ago cannot take an instance that has left it; only
// the borrower holding the hot instance takes it out of t.hot, and an
// instance goes in only when t.hot is empty. A lookup thus costs one CAS
// on the state and one on its return, not a Swap and a CompareAndSwap of
// the pointer (each with a write barrier while the garbage collector
// marks).
func (t *Tenant) takeHot() *instance {
	if in := t.hot.Load(); in != nil && in.lend.CompareAndSwap(lendFree, lendLent) {
		return in
	}
	return nil
}

// release ends the lend of the hot instance, which stays hot, free. When
// Host.Close counted the lend, the instance goes out of use instead and
// the call Close counted ends.
func (t *Tenant) release(in *instance) {
	if !in.lend.CompareAndSwap(lendLent, lendFree) {
		t.releaseWaited(in) // apart, so that release inlines
	}
}

func (t *Tenant) releaseWaited(in *instance) {
	in.lend.Store(lendDead)
	t.host.end()
}

// endLend ends the lend of an instance leaving the hot slot (or never in
// it), to state to (lendIdle or lendDead), ending the call Host.Close
// counted for the lend, if it did.
func (t *Tenant) endLend(in *instance, to int32) {
	if in.lend.Swap(to) == lendWaited {
		t.host.end()
	}
}

// holdHot is Host.Close's look at the tenant's hot instance, after it set
// closing: a free one is taken out of use (a lookup can no longer take
// it), and a lent one is counted as a call of the host, which the lend's
// end ends (release, endLend). A lookup that takes a hot instance looks at
// closing after its CAS, and Close sets closing before this CAS: either
// Close counts the lend, or the lookup sees closing and runs no guest
// code.
func (t *Tenant) holdHot() {
	for {
		in := t.hot.Load()
		if in == nil {
			return
		}
		switch in.lend.Load() {
		case lendFree:
			if in.lend.CompareAndSwap(lendFree, lendDead) {
				return
			}
		case lendLent:
			t.host.calls.Add(1)
			if in.lend.CompareAndSwap(lendLent, lendWaited) {
				return
			}
			t.host.calls.Add(-1) // Close holds a call of its own: never the last
		default:
			// Waited or out of use already (a Close before), or it has left
			// the hot slot meanwhile: look again unless it is still there.
			if t.hot.Load() == in {
				return
			}
		}
	}
}

// wait waits for an idle instance (in) or room in the pool (slot: a token
// taken), bounded by ctx and the host, counted in waiting meanwhile. It
// counts itself before its last look at the hot slot, and put looks at
// waiting after freeing the hot instance, so a hot instance freed is never
// missed: either put sees the waiter and moves its instance to idle, or
// takeHot here finds it.
func (t *Tenant) wait(ctx context.Context) (in *instance, slot bool, err error) {
	t.waiting.Add(1)
	defer t.waiting.Add(-1)
	if in := t.takeHot(); in != nil {
		return in, false, nil
	}
	select {
	case in := <-t.idle:
		in.lend.Store(lendLent)
		return in, false, nil
	case t.slots <- struct{}{}:
		return nil, true, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case <-t.host.done.Done():
		return nil, false, t.hostClosed("")
	}
}

// put returns an instance to the pool, or discards it when it failed, is
// due for recycling (MaxCallsPerInstance, SlowCallRecycle), or the tenant
// or its host is closed.
func (t *Tenant) put(in *instance) {
	t.touch()
	in.calls++
	recycle := (t.limits.MaxCallsPerInstance > 0 && in.calls >= t.limits.MaxCallsPerInstance) || in.slow
	gone := t.closed.Load() || t.host.closing.Load()
	if in.broken || recycle || gone {
		if t.hot.CompareAndSwap(in, nil) && t.closed.Load() { // when it is the hot one
			t.untrackIfDrained()
		}
		if !gone {
			t.metrics.recycle(in.broken)
		}
		in.close(context.Background())
		<-t.slots
		if gone {
			t.closeIdleHTTP() // a request made after Close
		}
		t.endLend(in, lendDead)
		return
	}
	switch {
	case t.hot.Load() == in:
		t.release(in)
	case t.hot.CompareAndSwap(nil, in):
		t.release(in)
	default:
		t.endLend(in, lendIdle)
		t.idle <- in
		return
	}
	// A waiter blocked on idle would miss the hot instance: hand it over
	// (see wait), unless another lookup has taken it meanwhile.
	// It counts itself as a call meanwhile: a lookup on the hot instance
	// was not counted, and Host.Close, which finds nothing in the hot slot
	// then, must see that the lookup is done with the instance's memory
	// before it closes the runtimes (the count orders the two).
	if t.waiting.Load() > 0 && t.host.begin() == nil {
		if in := t.takeHot(); in != nil {
			t.hot.CompareAndSwap(in, nil)
			t.endLend(in, lendIdle)
			t.idle <- in
		}
		t.host.end()
	}
	// Close may have missed the instance, lent when it looked: close it now
	// (Close sets closed before it looks, and the release is before this).
	if t.closed.Load() {
		t.Evict(context.Background())
		t.untrackIfDrained()
	}
}

// tenantClosed is the error of a lookup on a closed tenant.
func (t *Tenant) tenantClosed() error {
	return codes.Wrap(codes.Unavailable, t.errorf("tenant is closed"))
}

func (t *Tenant) prefix() string {
	return fmt.Sprintf("wasm tenant %q (module %s)", t.name, t.module.ID())
}

// hostClosed is the error of a lookup refused, or of a call (an export,
// or "instantiate") stopped, because the host is closing: Unavailable, as
// a service shutting down is.
func (t *Tenant) hostClosed(call string) error {
	if call == "" {
		return codes.Wrap(codes.Unavailable, fmt.Errorf("%s: %w", t.prefix(), ErrHostClosed))
	}
	return codes.Wrap(codes.Unavailable, fmt.Errorf("%s: %s: stopped, the host closed during the call: %w", t.prefix(), call, ErrHostClosed))
}

func (t *Tenant) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s", t.prefix(), fmt.Sprintf(format, args...))
}

// refusef is the error of a tenant NewTenant refuses to create for its
// configuration (its kwargs, limits or grants): InvalidArgument.
func (t *Tenant) refusef(format string, args ...any) error {
	return codes.Wrap(codes.InvalidArgument, t.errorf(format, args...))
}

// GuestError is a lookup or init that the guest answered with a failure
// status, or that failed in the host (trap, time limit, ABI violation).
// The host returns it marked with its code (codes.Wrap; see errorCode), so
// that resolver.Code classifies it; errors.As finds the *GuestError.
type GuestError struct {
	Tenant string
	Module string // "sha256:" and 12 hex digits
	Call   string // the export called
	Status Status
	Msg    string
}

func (e *GuestError) Error() string {
	s := fmt.Sprintf("wasm tenant %q (module %s): %s: %s", e.Tenant, e.Module, e.Call, e.Status)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Is makes a PERMISSION_DENIED answer match resolver.ErrPermissionDenied.
func (e *GuestError) Is(target error) bool {
	return target == resolver.ErrPermissionDenied && e.Status == StatusPermissionDenied
}

// statusError is the error of call with status s: a *GuestError, marked
// with the code s means for an error (errorCode).
func (t *Tenant) statusError(call string, s Status, msg string) error {
	if !strings.HasPrefix(call, "secretpath_") && call != exportReactor {
		call = "secretpath_" + call
	}
	return codes.Wrap(errorCode(s), &GuestError{Tenant: t.name, Module: t.module.ID(), Call: call, Status: s, Msg: sanitize(msg)})
}

// sanitize keeps a guest's message printable, valid UTF-8 and at most
// maxErrorBytes long.
func sanitize(msg string) string {
	return cutString(printable(msg), maxErrorBytes)
}

// printable makes a guest's text safe to put in a line of a log or a
// terminal: invalid UTF-8 becomes U+FFFD; control characters (C0, DEL, C1)
// and the Unicode line and paragraph separators become spaces.
func printable(msg string) string {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, msg)
}

// cutString cuts msg to at most n bytes, between characters.
func cutString(msg string, n int) string {
	if len(msg) <= n {
		return msg
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut]
}
