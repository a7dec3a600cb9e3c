package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// The work every lookup benchmark does: an id of 16 bytes in, this 60-byte
// URI out (the URI is fixed in floor.wat, bench_guest.wat and the Extism
// guest; jsondoc serves it from its kwargs).
const (
	ID  = "analytics_pg_01a"
	URI = "postgres://user:password@db.example.com:5432/analytics?x=123"
)

// Deadline is the per-call deadline of every "with deadline" row: the
// host's default (wasmhost.DefaultCallTimeout) and the Extism manifest's
// timeout.
const Deadline = time.Second

// goGuestLimits are what a standard-Go guest needs (ABI.md §6).
var goGuestLimits = wasmhost.Limits{MemoryPages: 1024}

// jsondocKwargs makes jsondoc serve URI for ID.
var jsondocKwargs = func() []byte {
	b, _ := json.Marshal(map[string]any{"connections": map[string]string{ID: URI}})
	return b
}()

// lazy is a value made once, on first use, by f.
type lazy[T any] struct {
	once sync.Once
	f    func() (T, error)
	v    T
	err  error
}

func newLazy[T any](f func() (T, error)) *lazy[T] { return &lazy[T]{f: f} }

func (l *lazy[T]) get() (T, error) {
	l.once.Do(func() { l.v, l.err = l.f() })
	return l.v, l.err
}

// closers run at Close, last first.
var closers struct {
	sync.Mutex
	fs []func()
}

func onClose(f func()) {
	closers.Lock()
	closers.fs = append(closers.fs, f)
	closers.Unlock()
}

// Close frees every runtime, host, tenant and plug-in the benchmarks made,
// and removes the guests built (Cleanup). Lazy values are not made again
// afterwards: call it once, at the end of the process.
func Close() {
	closers.Lock()
	fs := closers.fs
	closers.fs = nil
	closers.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	Cleanup()
}

var ctx = context.Background()

// ---- the floor: a bare wazero export call ----

// floorCaller calls floor.wasm's lookup(id_ptr, id_len) -> ptr<<32|len the
// cheapest way wazero allows: a cached api.Function, CallWithStack with a
// reused stack, the id written into the module's buffer, the result copied
// out into a Go string (as the host does).
type floorCaller struct {
	mem      api.Memory
	fn       api.Function
	buf      uint32
	stack    []uint64
	deadline bool // a per-call context.WithTimeout (on a WithCloseOnContextDone runtime)
}

func newFloor(closeOnDone bool) (*floorCaller, error) {
	path, err := floorPath()
	if err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(closeOnDone))
	onClose(func() { _ = rt.Close(ctx) })
	mod, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("bench: floor.wasm: %w", err)
	}
	res, err := mod.ExportedFunction("buffer").Call(ctx)
	if err != nil {
		return nil, err
	}
	f := &floorCaller{mem: mod.Memory(), fn: mod.ExportedFunction("lookup"), buf: uint32(res[0]), stack: make([]uint64, 2), deadline: closeOnDone}
	if got, err := f.lookup(ID); err != nil || got != URI {
		return nil, fmt.Errorf("bench: floor lookup returned %q, %v", got, err)
	}
	return f, nil
}

func (f *floorCaller) lookup(id string) (string, error) {
	if !f.mem.WriteString(f.buf, id) {
		return "", errors.New("floor: buffer out of memory")
	}
	f.stack[0], f.stack[1] = uint64(f.buf), uint64(len(id))
	var err error
	if f.deadline {
		cctx, cancel := context.WithTimeout(ctx, Deadline)
		err = f.fn.CallWithStack(cctx, f.stack)
		cancel()
	} else {
		err = f.fn.CallWithStack(ctx, f.stack)
	}
	if err != nil {
		return "", err
	}
	ptr, n := uint32(f.stack[0]>>32), uint32(f.stack[0])
	if n == 0 {
		return "", resolver.ErrNotFound
	}
	b, ok := f.mem.Read(ptr, n)
	if !ok {
		return "", errors.New("floor: result out of memory")
	}
	return string(b), nil
}

var (
	floorPlain    = newLazy(func() (*floorCaller, error) { return newFloor(false) })
	floorDeadline = newLazy(func() (*floorCaller, error) { return newFloor(true) })
)

// ---- the ABI floor: bench_guest through bare wazero ----

// abiFloorCaller runs bench_guest.wasm (ABI v1) with the least host an ABI
// v1 lookup needs: a result_set host function that copies into a buffer
// captured by its closure (no context lookup, no pool, no status
// handling). The gap between it and Floor is what the ABI's shape costs
// (one guest->host call); the gap between it and Ours is what wasmhost
// adds. A diagnostic row, not a target.
type abiFloorCaller struct {
	mem      api.Memory
	fn       api.Function
	buf      uint32
	stack    []uint64
	result   []byte
	set      bool
	deadline bool
}

func newABIFloor(closeOnDone bool) (*abiFloorCaller, error) {
	path, err := benchGuestPath()
	if err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(closeOnDone))
	onClose(func() { _ = rt.Close(ctx) })
	f := &abiFloorCaller{stack: make([]uint64, 1), deadline: closeOnDone}
	_, err = rt.NewHostModuleBuilder("secretpath_v1").NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, mod api.Module, s []uint64) {
			b, ok := mod.Memory().Read(uint32(s[0]), uint32(s[1]))
			if !ok {
				panic("result_set out of bounds")
			}
			f.result, f.set = append(f.result[:0], b...), true
		}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).
		Export("result_set").Instantiate(ctx)
	if err != nil {
		return nil, err
	}
	mod, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("bench: bench_guest.wasm: %w", err)
	}
	res, err := mod.ExportedFunction("secretpath_buffer").Call(ctx)
	if err != nil {
		return nil, err
	}
	f.mem, f.fn, f.buf = mod.Memory(), mod.ExportedFunction("secretpath_get_connection"), uint32(res[0])
	if got, err := f.lookup(ID); err != nil || got != URI {
		return nil, fmt.Errorf("bench: ABI floor lookup returned %q, %v", got, err)
	}
	return f, nil
}

func (f *abiFloorCaller) lookup(id string) (string, error) {
	f.set = false
	if !f.mem.WriteString(f.buf, id) {
		return "", errors.New("ABI floor: buffer out of memory")
	}
	f.stack[0] = uint64(len(id))
	var err error
	if f.deadline {
		cctx, cancel := context.WithTimeout(ctx, Deadline)
		err = f.fn.CallWithStack(cctx, f.stack)
		cancel()
	} else {
		err = f.fn.CallWithStack(ctx, f.stack)
	}
	if err != nil {
		return "", err
	}
	if uint32(f.stack[0]) != 0 || !f.set {
		return "", resolver.ErrNotFound
	}
	return string(f.result), nil
}

var (
	abiFloorPlain    = newLazy(func() (*abiFloorCaller, error) { return newABIFloor(false) })
	abiFloorDeadline = newLazy(func() (*abiFloorCaller, error) { return newABIFloor(true) })
)

// ---- our host ----

var host = newLazy(func() (*wasmhost.Host, error) {
	h, err := wasmhost.New(ctx, wasmhost.Options{})
	if err != nil {
		return nil, err
	}
	onClose(func() { _ = h.Close(ctx) })
	return h, nil
})

func loadModule(path func() (string, error)) func() (*wasmhost.Module, error) {
	return func() (*wasmhost.Module, error) {
		h, err := host.get()
		if err != nil {
			return nil, err
		}
		p, err := path()
		if err != nil {
			return nil, err
		}
		return h.LoadFile(ctx, p, "")
	}
}

var (
	benchGuestModule    = newLazy(loadModule(benchGuestPath))
	benchGuestBufModule = newLazy(loadModule(benchGuestBufPath))
	jsondocModule       = newLazy(loadModule(jsondocPath))
)

// guest is one of our guests with the tenant configuration it needs.
type guest struct {
	name   string
	module *lazy[*wasmhost.Module]
	cfg    wasmhost.TenantConfig
}

var (
	benchGuest    = guest{name: "bench_guest", module: benchGuestModule}
	benchGuestBuf = guest{name: "bench_guest_buf", module: benchGuestBufModule}
	jsondocGuest  = guest{name: "jsondoc", module: jsondocModule, cfg: wasmhost.TenantConfig{Kwargs: jsondocKwargs, Limits: goGuestLimits}}
)

func newTenant(g guest, trusted bool) func() (*wasmhost.Tenant, error) {
	return newTenantMode(g, trusted, false)
}

// newTenantMode makes a tenant: trusted (no bound), or untrusted bounded by
// fuel metering (the default) or, with deadlineOnly, context deadlines.
func newTenantMode(g guest, trusted, deadlineOnly bool) func() (*wasmhost.Tenant, error) {
	return func() (*wasmhost.Tenant, error) {
		h, err := host.get()
		if err != nil {
			return nil, err
		}
		m, err := g.module.get()
		if err != nil {
			return nil, err
		}
		cfg := g.cfg
		cfg.Name, cfg.Trusted, cfg.DeadlineOnly = g.name, trusted, deadlineOnly
		t, err := h.NewTenant(ctx, m, cfg)
		if err != nil {
			return nil, err
		}
		onClose(func() { _ = t.Close() })
		if got, err := t.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: ID}); err != nil || got != URI {
			return nil, fmt.Errorf("bench: %s lookup returned %q, %v", g.name, got, err)
		}
		return t, nil
	}
}

var (
	benchUntrusted   = newLazy(newTenant(benchGuest, false))
	benchTrusted     = newLazy(newTenant(benchGuest, true))
	benchDeadline    = newLazy(newTenantMode(benchGuest, false, true))
	bufDeadline      = newLazy(newTenantMode(benchGuestBuf, false, true))
	bufUntrusted     = newLazy(newTenant(benchGuestBuf, false))
	bufTrusted       = newLazy(newTenant(benchGuestBuf, true))
	jsondocUntrusted = newLazy(newTenant(jsondocGuest, false))
	jsondocTrusted   = newLazy(newTenant(jsondocGuest, true))
)

func newResolver(t *lazy[*wasmhost.Tenant]) func() (*resolver.Resolver, error) {
	return func() (*resolver.Resolver, error) {
		tn, err := t.get()
		if err != nil {
			return nil, err
		}
		r := resolver.New(resolver.WithBackend("", tn)) // no cache
		c, err := r.Connection(ctx, ID)
		if err != nil || c.Host != "db.example.com" {
			return nil, fmt.Errorf("bench: resolver lookup returned %+v, %v", c, err)
		}
		return r, nil
	}
}

var (
	resolverUntrusted = newLazy(newResolver(benchUntrusted))
	resolverTrusted   = newLazy(newResolver(benchTrusted))
)

// ---- Extism ----

// extismCache shares compiled code between the two Extism runtimes.
var extismCache = newLazy(func() (wazero.CompilationCache, error) {
	c := wazero.NewCompilationCache()
	onClose(func() { _ = c.Close(ctx) })
	return c, nil
})

func newExtismCompiled(timeout bool) func() (*extism.CompiledPlugin, error) {
	return func() (*extism.CompiledPlugin, error) {
		path, err := extismGuestPath()
		if err != nil {
			return nil, err
		}
		cache, _ := extismCache.get()
		m := extism.Manifest{Wasm: []extism.Wasm{extism.WasmFile{Path: path}}}
		if timeout {
			m.Timeout = uint64(Deadline.Milliseconds()) // also turns on WithCloseOnContextDone
		}
		cp, err := extism.NewCompiledPlugin(ctx, m, extism.PluginConfig{
			EnableWasi:    true, // std-Go guests need WASI
			RuntimeConfig: wazero.NewRuntimeConfig().WithCompilationCache(cache),
		}, nil)
		if err != nil {
			return nil, fmt.Errorf("bench: extism: %w", err)
		}
		onClose(func() { _ = cp.Close(ctx) })
		return cp, nil
	}
}

var (
	extismCompiled        = newLazy(newExtismCompiled(false))
	extismCompiledTimeout = newLazy(newExtismCompiled(true))
)

func newExtismPlugin(c *lazy[*extism.CompiledPlugin]) func() (*extism.Plugin, error) {
	return func() (*extism.Plugin, error) {
		cp, err := c.get()
		if err != nil {
			return nil, err
		}
		p, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
		if err != nil {
			return nil, err
		}
		onClose(func() { _ = p.Close(ctx) })
		if got, err := extismLookup(p, []byte(ID)); err != nil || got != URI { // runs _initialize too
			return nil, fmt.Errorf("bench: extism lookup returned %q, %v", got, err)
		}
		return p, nil
	}
}

func extismLookup(p *extism.Plugin, id []byte) (string, error) {
	rc, out, err := p.Call("lookup", id)
	if err != nil {
		return "", err
	}
	if rc != 0 {
		return "", resolver.ErrNotFound
	}
	return string(out), nil
}

var (
	extismPlugin        = newLazy(newExtismPlugin(extismCompiled))
	extismPluginTimeout = newLazy(newExtismPlugin(extismCompiledTimeout))
)
