package wasmhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

// coarseNow is a clock in unix nanoseconds, updated every 100 ms while any
// Host is open: cheap enough to read on every lookup.
var coarseNow atomic.Int64

// coarseFrozen stops the coarse clock's ticks: tests make it lag with it,
// as a starved ticker or a suspended process would.
var coarseFrozen atomic.Bool

var clockTicker struct {
	sync.Mutex
	users int
	stop  chan struct{}
}

func startCoarseClock() {
	clockTicker.Lock()
	defer clockTicker.Unlock()
	coarseNow.Store(time.Now().UnixNano())
	clockTicker.users++
	if clockTicker.users > 1 {
		return
	}
	stop := make(chan struct{})
	clockTicker.stop = stop
	go func() {
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case now := <-tk.C:
				if !coarseFrozen.Load() {
					coarseNow.Store(now.UnixNano())
				}
			case <-stop:
				return
			}
		}
	}()
}

func stopCoarseClock() {
	clockTicker.Lock()
	defer clockTicker.Unlock()
	if clockTicker.users--; clockTicker.users == 0 {
		close(clockTicker.stop)
	}
}

// MaxModuleSize is the largest module Load accepts.
const MaxModuleSize = 32 << 20

// Options configure a Host.
type Options struct {
	// CacheDir, when set, keeps compiled modules on disk so that a restart
	// skips compilation (wazero's compilation cache). The cache holds native
	// code that the host runs without verifying it (a module's sha256 pin
	// does not cover it), so New refuses a directory that another local user
	// could write to: it, wazero's subdirectory and files in it, and every
	// parent must be owned by the effective uid or root and not writable by
	// group or others (a sticky parent such as /tmp may be). A missing
	// directory is created 0700. Symbolic links are resolved once, at New.
	// On systems other than Unix a cache directory is refused.
	//
	// The host prunes the directory to CacheMaxBytes when it opens and
	// after each compile. "" keeps compiled code in memory only: a Host
	// made from Go has no cache on disk unless given one (a module opened
	// from a config file has one by default, see the package
	// documentation).
	CacheDir string
	// CacheMaxBytes caps CacheDir: when its compiled code and downloaded
	// modules together pass it, the oldest files (by modification time)
	// are removed until they fit. 0 means DefaultCacheMaxBytes (1 GiB); a
	// negative value never prunes. Unfinished writes younger than an hour
	// are not counted, and files that are not the cache's are never
	// touched.
	CacheMaxBytes int64
	// Logger receives guests' log calls and host events; nil means
	// slog.Default().
	Logger *slog.Logger
	// MeterProvider, when set, receives the host's metrics, per tenant and
	// module: secretpath.wasm.failures (by reason: trap, timeout, fuel,
	// memory_limit, abi, exit, instantiate), secretpath.wasm.instances.recycled
	// (reason failed or max_calls) and secretpath.wasm.instances.created.
	// Nil records nothing.
	MeterProvider metric.MeterProvider
}

// ErrHostClosed is the error (wrapped, naming the tenant or module) of a
// Load, NewTenant or lookup on a Host that is closed or closing, and of a
// call that Host.Close stopped.
var ErrHostClosed = errors.New("wasmhost: host is closed")

// Host compiles modules and runs tenants. It is safe for concurrent use.
//
// It keeps two wazero runtimes: untrusted tenants run on one that stops a
// call when its context is done (WithCloseOnContextDone: every call gets a
// deadline, at a cost of ~1-3 µs per call and much slower tight loops);
// trusted tenants run on one without that check (no deadline can stop
// them). See RATIONALE.md.
type Host struct {
	logger  *slog.Logger
	metrics *hostMetrics // nil without a MeterProvider
	cache   wazero.CompilationCache
	rt      [3]wazero.Runtime // indexed by trust class

	cacheDir string // the cache directory (symbolic links resolved), "" for none
	cacheMax int64  // its cap in bytes; < 0: never pruned

	mu      sync.Mutex
	modules map[[32]byte]*Module
	tenants map[*Tenant]struct{} // open tenants, for EvictIdle

	clock bool // holds a reference to the coarse clock

	// Lifecycle (see Close). calls counts what may run guest code or use a
	// runtime: lookups that borrow from a tenant's pool, tenant creations
	// and compiles, and the lookups on a tenant's hot instance that Close
	// found lent (Tenant.holdHot; such a lookup does not count itself).
	// Close sets closing, after which none begins, and cancels done, which
	// the calls in flight watch; the one that brings calls to zero (or
	// Close, when none runs) closes the runtimes, once, then shut. calls
	// also holds closingBit, which Close adds with its own call (see end).
	calls    atomic.Int64
	closing  atomic.Bool // set under mu, read with or without it
	done     context.Context
	stop     context.CancelFunc
	shutOnce sync.Once
	shut     chan struct{}
	shutErr  error // set before shut is closed

	// wasiFuncs are the WASI functions the host provides, by name.
	wasiFuncs map[string]api.FunctionDefinition
}

// Trust classes: each has its runtime. Untrusted tenants run metered (the
// module rewritten to count its own fuel, on a runtime without context
// checks) or, for modules the rewriter declines or tenants that ask for it,
// with per-call context deadlines; trusted tenants run unchecked.
const (
	classUntrusted = 0 // WithCloseOnContextDone: per-call deadlines
	classTrusted   = 1 // no checks
	classMetered   = 2 // fuel-metered modules, no context checks
)

// New returns a Host. Close it to free every runtime, module and tenant.
func New(ctx context.Context, o Options) (*Host, error) {
	h := &Host{logger: o.Logger, metrics: newHostMetrics(o.MeterProvider), modules: map[[32]byte]*Module{}, tenants: map[*Tenant]struct{}{}, shut: make(chan struct{})}
	h.done, h.stop = context.WithCancel(context.Background())
	if h.logger == nil {
		h.logger = slog.Default()
	}
	if o.CacheDir != "" {
		dir, err := secureCacheDir(o.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasmhost: compilation cache %s: %w", o.CacheDir, err)
		}
		h.cacheDir, h.cacheMax = dir, o.CacheMaxBytes
		if h.cacheMax == 0 {
			h.cacheMax = DefaultCacheMaxBytes
		}
		h.prune()
		c, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("wasmhost: compilation cache %s: %w", o.CacheDir, err)
		}
		h.cache = c
	} else {
		h.cache = wazero.NewCompilationCache()
	}
	for class := range h.rt {
		cfg := wazero.NewRuntimeConfig().WithCompilationCache(h.cache).WithCloseOnContextDone(class == classUntrusted)
		rt := wazero.NewRuntimeWithConfig(ctx, cfg)
		if err := instantiateWASI(ctx, rt, class); err != nil {
			_ = h.Close(ctx)
			return nil, fmt.Errorf("wasmhost: instantiate WASI: %w", err)
		}
		if err := instantiateHostModule(ctx, rt); err != nil {
			_ = h.Close(ctx)
			return nil, fmt.Errorf("wasmhost: instantiate %s: %w", importModule, err)
		}
		if class == classMetered {
			if err := instantiateFuelModule(ctx, rt); err != nil {
				_ = h.Close(ctx)
				return nil, fmt.Errorf("wasmhost: instantiate %s: %w", fuel.DefaultImportModule, err)
			}
		}
		h.rt[class] = rt
	}
	h.wasiFuncs = h.rt[classUntrusted].Module(wasiModule).ExportedFunctionDefinitions()
	startCoarseClock()
	h.clock = true
	return h, nil
}

// Module is a validated WebAssembly module, compiled for the host's
// runtimes. It is safe for concurrent use and shared by every tenant made
// from it.
//
// The host keeps a module while it is held: by each Load that returned it
// (until Close) and by each open tenant made from it. Once nothing holds
// it, the host forgets it and frees its compiled code; a later Load of the
// same bytes compiles them again.
type Module struct {
	host     *Host
	sum      [32]byte
	info     ModuleInfo
	compiled [3]wazero.CompiledModule // per trust class, compiled lazily
	mu       sync.Mutex
	bytes    []byte
	meterErr error // why the fuel rewriter declined the module, once tried

	// Guarded by host.mu.
	refs    int           // Load references not closed, plus open tenants
	ready   chan struct{} // closed when loading is over
	loadErr error         // why loading failed (set before ready is closed)
}

// Info describes the module.
func (m *Module) Info() ModuleInfo { return m.info }

// ID is a short name for the module in messages: "sha256:" and the first 12
// hex digits of its digest.
func (m *Module) ID() string { return "sha256:" + m.info.SHA256[:12] }

// Close releases the reference a Load returned (call it once per Load).
// Tenants made from the module hold their own references: closing the
// module after making its tenants is right, and a module whose tenants
// could not be created is then freed.
func (m *Module) Close() error {
	m.host.release(m)
	return nil
}

// acquire takes a reference for a tenant; it fails when nothing holds the
// module any more (it was closed).
func (h *Host) acquire(m *Module) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing.Load() {
		return fmt.Errorf("wasmhost: module %s: %w", m.ID(), ErrHostClosed)
	}
	if m.refs <= 0 {
		return fmt.Errorf("wasmhost: module %s is closed", m.ID())
	}
	m.refs++
	return nil
}

// release drops a reference; the last one frees the module's compiled code
// (or, while it is still loading, the loader does).
func (h *Host) release(m *Module) {
	h.mu.Lock()
	if m.refs <= 0 {
		h.mu.Unlock()
		return
	}
	m.refs--
	drop := m.refs == 0
	if drop && h.modules[m.sum] == m {
		delete(h.modules, m.sum)
	}
	loaded := isClosed(m.ready)
	h.mu.Unlock()
	if drop && loaded {
		m.closeCompiled()
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func (m *Module) closeCompiled() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, cm := range m.compiled {
		if cm != nil {
			_ = cm.Close(context.Background())
			m.compiled[i] = nil
		}
	}
	m.bytes = nil
}

// compileWorkers is how many goroutines compile a module: with more than
// one, wazero checks the context between functions, so a Load whose
// context ends stops compiling within one function (one function's cost is
// bounded by the prescan's limits).
const compileWorkers = 2

// Load validates and compiles a module. Loading the same bytes again while
// the module is held returns the same *Module (and a second reference:
// Close each). The error names what is wrong with a module that does not
// conform to ABI v1 (a *ValidationError).
//
// Modules are compiled outside the host's lock, so a large compile does not
// stall other tenants; concurrent Loads of the same bytes wait for one
// compile. When ctx ends, Load returns at once and the compile stops at the
// next function boundary (wazero offers no finer point).
//
// A module is compiled once for the default (fuel-metered) tenants, and
// validated on that compilation; deadline-only and trusted tenants compile
// it again for their runtimes, when the first such tenant is created.
func (h *Host) Load(ctx context.Context, wasm []byte) (*Module, error) {
	if len(wasm) > MaxModuleSize {
		return nil, fmt.Errorf("wasmhost: module is %d bytes; the limit is %d", len(wasm), MaxModuleSize)
	}
	sum := sha256.Sum256(wasm)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h.mu.Lock()
		if h.closing.Load() {
			h.mu.Unlock()
			return nil, ErrHostClosed
		}
		m, ok := h.modules[sum]
		if !ok {
			m = &Module{host: h, sum: sum, refs: 1, ready: make(chan struct{})}
			m.info.SHA256 = hex.EncodeToString(sum[:])
			m.info.Size = len(wasm)
			h.modules[sum] = m
			h.mu.Unlock()
			code, err := prescan(wasm)
			if err != nil {
				err = fmt.Errorf("wasmhost: module %s: %w", m.ID(), &ValidationError{Problems: []string{err.Error()}})
				h.loaded(m, err)
				return nil, err
			}
			if &code[0] == &wasm[0] {
				code = append([]byte(nil), wasm...) // keep our own copy
			}
			m.bytes = code
			go func() { h.loaded(m, h.compileCall(ctx, m)) }()
		} else {
			m.refs++
			h.mu.Unlock()
		}
		select {
		case <-m.ready:
		case <-ctx.Done():
			h.release(m)
			return nil, ctx.Err()
		}
		if m.loadErr == nil {
			return m, nil
		}
		h.release(m)
		if isContextErr(m.loadErr) && ctx.Err() == nil {
			continue // another Load's context stopped the compile: compile again
		}
		return nil, m.loadErr
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// loaded ends a module's loading: a failed module, or one nobody holds
// any more, is forgotten and its compiled code freed.
func (h *Host) loaded(m *Module, err error) {
	h.mu.Lock()
	m.loadErr = err
	close(m.ready)
	orphan := err != nil || m.refs == 0
	if orphan && h.modules[m.sum] == m {
		delete(h.modules, m.sum)
	}
	h.mu.Unlock()
	if orphan {
		m.closeCompiled()
	}
}

// compileCall compiles m as a call of the host (see Close): Close waits for
// it, and stops it at the next function boundary.
func (h *Host) compileCall(ctx context.Context, m *Module) error {
	if err := h.begin(); err != nil {
		return fmt.Errorf("wasmhost: module %s: %w", m.ID(), err)
	}
	defer h.end()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(h.done, cancel)()
	err := h.compile(ctx, m)
	h.prune()
	if err != nil && h.closing.Load() {
		return fmt.Errorf("wasmhost: module %s: %w", m.ID(), ErrHostClosed)
	}
	return err
}

// compile compiles and validates a prescanned module: once, fuel-metered,
// when the rewriter accepts it (the default tenants run that code), else
// for the deadline-bound runtime.
func (h *Host) compile(ctx context.Context, m *Module) error {
	cctx := experimental.WithCompilationWorkers(ctx, compileWorkers)
	class, code, metered := classUntrusted, m.bytes, false
	if mb, err := fuel.Instrument(m.bytes, fuelConfig); err == nil {
		class, code, metered = classMetered, mb, true
	} else {
		m.meterErr = fmt.Errorf("%w: %v", errNotMetered, err)
	}
	cm, err := h.compileOn(cctx, class, code)
	if err != nil && metered && !isContextErr(err) {
		// Say what is wrong in the guest's own terms: compile it as given.
		m.meterErr = fmt.Errorf("%w: the metered module does not compile: %v", errNotMetered, err)
		class, metered = classUntrusted, false
		cm, err = h.compileOn(cctx, class, m.bytes)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("wasmhost: module %s does not compile: %w", m.ID(), err)
	}
	if err := validate(cm, h.wasiFuncs, &m.info, metered, toolchainOf(m.bytes)); err != nil {
		_ = cm.Close(ctx)
		return fmt.Errorf("wasmhost: module %s: %w", m.ID(), err)
	}
	m.mu.Lock()
	m.compiled[class] = cm
	m.mu.Unlock()
	return nil
}

// compileOn compiles code on a trust class's runtime. wazero fails a
// compile whose code it cannot write to the cache directory (a full disk,
// the directory removed meanwhile), after keeping the code in memory: the
// host then logs a warning and compiles again, which finds it there. (That
// code stays in memory until the host closes: wazero counts the failed
// compile as a reference.)
func (h *Host) compileOn(ctx context.Context, class int, code []byte) (wazero.CompiledModule, error) {
	cm, err := h.rt[class].CompileModule(ctx, code)
	if err != nil && h.cacheIOError(err) {
		h.logger.Warn("wasmhost: the compilation cache could not be written; the module runs compiled in memory", "dir", h.cacheDir, "error", err.Error())
		cm, err = h.rt[class].CompileModule(ctx, code)
	}
	return cm, err
}

// cacheIOError reports whether err is wazero failing to use a file of the
// host's cache directory rather than the module failing to compile.
func (h *Host) cacheIOError(err error) bool {
	if h.cacheDir == "" {
		return false
	}
	in := func(p string) bool { return strings.HasPrefix(p, h.cacheDir+string(filepath.Separator)) }
	var pe *fs.PathError
	var le *os.LinkError
	return errors.As(err, &pe) && in(pe.Path) || errors.As(err, &le) && in(le.New)
}

// LoadFile reads and loads a module file. When pin is not empty, it is the
// hex sha256 the file must have.
func (h *Host) LoadFile(ctx context.Context, path, pin string) (*Module, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("wasmhost: %w", err)
	}
	if fi.Size() > MaxModuleSize {
		return nil, fmt.Errorf("wasmhost: %s is %d bytes; the limit is %d", path, fi.Size(), MaxModuleSize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wasmhost: %w", err)
	}
	if err := checkPin(b, pin); err != nil {
		return nil, fmt.Errorf("wasmhost: %s: %w", path, err)
	}
	m, err := h.Load(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}

func checkPin(b []byte, pin string) error {
	if pin == "" {
		return nil
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != pin {
		return fmt.Errorf("sha256 is %s, but the pin says %s", got, pin)
	}
	return nil
}

// compiledFor returns the module compiled for a trust class's runtime.
func (h *Host) compiledFor(ctx context.Context, m *Module, class int) (wazero.CompiledModule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cm := m.compiled[class]; cm != nil {
		return cm, nil
	}
	if m.bytes == nil {
		return nil, fmt.Errorf("wasmhost: module %s is closed", m.ID())
	}
	if class == classMetered {
		// Load compiled the metered code, or recorded why it could not.
		if m.meterErr == nil {
			return nil, fmt.Errorf("wasmhost: module %s was not compiled", m.ID())
		}
		return nil, m.meterErr
	}
	cm, err := h.compileOn(experimental.WithCompilationWorkers(ctx, compileWorkers), class, m.bytes)
	h.prune()
	if err != nil {
		return nil, fmt.Errorf("wasmhost: module %s: %w", m.ID(), err)
	}
	m.compiled[class] = cm
	return cm, nil
}

// EvictIdle closes the idle instances of every tenant not used for at least
// olderThan (see Tenant.Evict), giving their memory back; those tenants
// create a fresh instance at their next lookup. It returns how many
// instances were closed. A platform hosting many tenants calls it
// periodically.
func (h *Host) EvictIdle(ctx context.Context, olderThan time.Duration) int {
	h.mu.Lock()
	tenants := make([]*Tenant, 0, len(h.tenants))
	for t := range h.tenants {
		tenants = append(tenants, t)
	}
	h.mu.Unlock()
	cutoff := time.Now().Add(-olderThan)
	n := 0
	for _, t := range tenants {
		if t.LastUsed().Before(cutoff) {
			n += t.Evict(ctx)
		}
	}
	return n
}

func (h *Host) track(t *Tenant, open bool) {
	h.mu.Lock()
	if open {
		h.tenants[t] = struct{}{}
	} else {
		delete(h.tenants, t)
	}
	h.mu.Unlock()
}

// begin counts a call into the host's runtimes (a lookup, a tenant's
// creation, a compile) that Close must wait for; it fails once Close has
// begun. Every begin that succeeds is paired with an end.
//
// Lock-free, as it is on every lookup that borrows from a tenant's pool
// (a lookup on the hot instance does not count itself: see
// Tenant.holdHot): a call counts itself before it looks at closing, and
// Close sets closing before it looks at the count, so either the call sees
// closing or Close sees the call.
func (h *Host) begin() error {
	h.calls.Add(1)
	if h.closing.Load() {
		h.end()
		return ErrHostClosed
	}
	return nil
}

// closingBit is added to Host.calls by the first Close, in the same
// atomic add as Close's own call.
const closingBit = 1 << 62

// end ends a call; the last one to end after Close began closes the
// runtimes.
//
// The count and whether Close had begun are read in one atomic add: an
// end that brings the count to zero just before Close adds its call, then
// sees closing set, must not close the runtimes, as Close has yet to count
// the lookups on hot instances (Tenant.holdHot). Reading closing after
// the add let such an end unmap the memory of a lookup running on a hot
// instance.
func (h *Host) end() {
	if h.calls.Add(-1) == closingBit {
		h.shutdown()
	}
}

// shutdown closes the runtimes (every instance of every tenant) and the
// compilation cache, once, when no call is in flight.
func (h *Host) shutdown() { h.shutOnce.Do(h.closeRuntimes) }

func (h *Host) closeRuntimes() {
	if h.clock {
		stopCoarseClock()
	}
	var errs []error
	for _, rt := range h.rt {
		if rt != nil {
			errs = append(errs, rt.Close(context.Background()))
		}
	}
	errs = append(errs, h.cache.Close(context.Background()))
	h.shutErr = errors.Join(errs...)
	close(h.shut)
}

// Close closes the host: every runtime, which closes every instance of
// every tenant, and the tenants' idle HTTP connections.
//
// Host and tenant lifecycle: calls in flight are stopped or waited for,
// never cut from under. Close refuses new lookups, tenants and loads at
// once (ErrHostClosed), stops the metered and deadline-only calls in flight
// (at their next host call or fuel refill, or at once when they wait in a
// host function such as http_request; they fail with ErrHostClosed) and
// waits for them, and for trusted calls, which cannot be stopped and run
// to their end; then it closes the runtimes, which frees the instances'
// memory. When ctx ends first, Close returns an error saying how many
// calls still run, and the last of them closes the runtimes as it
// returns. Closing again waits for the same end.
func (h *Host) Close(ctx context.Context) error {
	// Close counts itself as a call, before it sets closing, until it has
	// looked at the tenants' hot instances: a lookup on a hot instance does
	// not count itself, so that a count of zero (a refused begin's end, the
	// end of the lookups it finds there) does not mean that nothing runs
	// until then. Its end shuts down when nothing runs. The first Close
	// adds closingBit in the same add (see end).
	h.mu.Lock()
	if h.closing.Load() {
		h.calls.Add(1) // closingBit is in already
	} else {
		h.calls.Add(closingBit + 1)
	}
	h.closing.Store(true)
	tenants := make([]*Tenant, 0, len(h.tenants))
	for t := range h.tenants {
		tenants = append(tenants, t)
	}
	h.mu.Unlock()
	h.stop()
	for _, t := range tenants {
		t.closeIdleHTTP()
		t.holdHot()
	}
	h.end()
	select {
	case <-h.shut:
		return h.shutErr
	case <-ctx.Done():
	}
	select {
	case <-h.shut: // it ended meanwhile
		return h.shutErr
	default:
	}
	n := h.calls.Load() &^ closingBit
	calls := "calls"
	if n == 1 {
		calls = "call"
	}
	return fmt.Errorf("wasmhost: close: %d %s still running (trusted calls cannot be stopped); the runtimes are closed when they return: %w", n, calls, ctx.Err())
}
