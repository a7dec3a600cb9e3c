package fuel

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/secretpath/secretpath/wasmhost/internal/wasmbin"
)

// Defaults for Config's zero fields.
const (
	DefaultImportModule     = "secretpath_fuel"
	DefaultImportName       = "refill"
	DefaultGlobalExport     = "secretpath_fuel"
	DefaultBulkBytesPerFuel = 32
)

// Clamps for the dynamic part of the grow instructions' cost, so that a
// grow that fails (returns -1) without doing any work is not charged for
// an absurd delta: 65,536 pages is the whole 32-bit address space.
const (
	maxGrowPages    = 65536
	maxGrowElements = 1 << 20
)

var (
	// ErrUnsupported is wrapped by the errors of modules the rewriter
	// declines: they use a proposal it does not know (threads, exception
	// handling, GC, multiple memories, memory64, relaxed SIMD...).
	ErrUnsupported = errors.New("fuel: unsupported WebAssembly feature")
	// ErrInstrumented is wrapped by the error for a module that already
	// imports the refill function or exports the fuel global. Such a module
	// is never passed through: a hostile guest could fake the markers.
	ErrInstrumented = errors.New("fuel: module already imports the refill function or exports the fuel global")
)

// Config names what the rewriter adds and tunes the cost model. The zero
// value is valid.
type Config struct {
	// ImportModule and ImportName name the added function import, of type
	// () -> (). Defaults: "secretpath_fuel", "refill".
	ImportModule, ImportName string
	// GlobalExport names the export of the added mutable i64 fuel global.
	// Default "secretpath_fuel".
	GlobalExport string
	// InitialFuel is the global's initial value. With the default 0, the
	// first metering point (in a start function, _initialize or the first
	// call) calls refill.
	InitialFuel int64
	// BulkBytesPerFuel is how many bytes memory.copy, memory.fill,
	// memory.init and memory.grow move or zero per unit of fuel. It must be
	// a power of two; 0 means DefaultBulkBytesPerFuel (32).
	BulkBytesPerFuel uint32
	// MaxCallDepth, when not 0, adds a call-depth counter: a mutable i32
	// global exported as DepthExport, to which every function adds its
	// frame weight (1 + (params+locals)/8: a unit is about 64 bytes of
	// engine stack) at entry and which it subtracts again at every exit
	// (the end of its body, return, br to the body's label, tail calls); a
	// call that would take it past MaxCallDepth traps (unreachable) with
	// the global left above the limit, so the host can tell why. The host
	// sets it to 0 before each call. Functions with more than one result
	// are declined (ErrUnsupported) when it is on.
	MaxCallDepth uint32
	// DepthExport names the export of the depth global. Default
	// "secretpath_depth".
	DepthExport string
}

// DefaultDepthExport is the default name of the depth global's export.
const DefaultDepthExport = "secretpath_depth"

func (c Config) withDefaults() (Config, error) {
	if c.ImportModule == "" {
		c.ImportModule = DefaultImportModule
	}
	if c.ImportName == "" {
		c.ImportName = DefaultImportName
	}
	if c.GlobalExport == "" {
		c.GlobalExport = DefaultGlobalExport
	}
	if c.DepthExport == "" {
		c.DepthExport = DefaultDepthExport
	}
	if c.MaxCallDepth > 1<<30 {
		return c, fmt.Errorf("fuel: MaxCallDepth %d is over 2^30", c.MaxCallDepth)
	}
	if c.BulkBytesPerFuel == 0 {
		c.BulkBytesPerFuel = DefaultBulkBytesPerFuel
	}
	if bits.OnesCount32(c.BulkBytesPerFuel) != 1 || c.BulkBytesPerFuel > 65536 {
		return c, fmt.Errorf("fuel: BulkBytesPerFuel %d is not a power of two <= 65536", c.BulkBytesPerFuel)
	}
	return c, nil
}

// Info describes a module as Inspect sees it.
type Info struct {
	// Instrumented: the module imports cfg's refill function or exports a
	// global named cfg.GlobalExport.
	Instrumented bool
	// RefillFunc is the function index of the refill import, and
	// FuelGlobal the global index of the exported fuel global; both valid
	// only when the module has them (HasRefill, HasGlobal).
	RefillFunc, FuelGlobal uint32
	HasRefill, HasGlobal   bool
}

// Inspect reports whether wasm carries cfg's instrumentation markers. It
// trusts the markers: use it on modules Instrument produced (e.g. a cache),
// never to skip instrumenting an untrusted module.
func Inspect(wasm []byte, cfg Config) (Info, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Info{}, err
	}
	secs, err := sections(wasm)
	if err != nil {
		return Info{}, err
	}
	var info Info
	var funcs uint32
	for _, s := range secs {
		r := reader{B: s.payload}
		switch s.id {
		case secImport:
			n := r.U32()
			for i := uint32(0); i < n && r.Err == nil; i++ {
				mod, name := r.Name(), r.Name()
				kind := r.Byte()
				if kind == 0 && mod == cfg.ImportModule && name == cfg.ImportName {
					info.RefillFunc, info.HasRefill = funcs, true
				}
				if kind == 0 {
					funcs++
				}
				if err := skipImportDesc(&r, kind); err != nil {
					return Info{}, err
				}
			}
		case secExport:
			n := r.U32()
			for i := uint32(0); i < n && r.Err == nil; i++ {
				name := r.Name()
				kind := r.Byte()
				idx := r.U32()
				if kind == 3 && name == cfg.GlobalExport {
					info.FuelGlobal, info.HasGlobal = idx, true
				}
			}
		}
		if r.Err != nil {
			return Info{}, fmt.Errorf("fuel: malformed section %d: %w", s.id, r.Err)
		}
	}
	info.Instrumented = info.HasRefill || info.HasGlobal
	return info, nil
}

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// order is each known section's rank in the module layout.
var order = map[byte]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5, secTag: 6,
	secGlobal: 7, secExport: 8, secStart: 9, secElement: 10, secDataCount: 11,
	secCode: 12, secData: 13,
}

type section struct {
	id      byte
	payload []byte
	name    string // custom sections
}

func sections(wasm []byte) ([]section, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, errors.New("fuel: not a WebAssembly binary (bad magic number)")
	}
	if string(wasm[4:8]) != "\x01\x00\x00\x00" {
		return nil, unsupported("binary format version %x (components?)", wasm[4:8])
	}
	r := reader{B: wasm, Off: 8}
	var out []section
	for !r.Done() {
		id := r.Byte()
		payload := r.Bytes(uint64(r.U32()))
		if r.Err != nil {
			return nil, fmt.Errorf("fuel: malformed section at byte %d: %w", r.Off, r.Err)
		}
		s := section{id: id, payload: payload}
		if id == secCustom {
			nr := reader{B: payload}
			s.name = nr.Name()
			if nr.Err != nil {
				return nil, fmt.Errorf("fuel: malformed custom section name: %w", nr.Err)
			}
		} else if _, ok := order[id]; !ok {
			return nil, unsupported("section id %d", id)
		}
		out = append(out, s)
	}
	return out, nil
}

func skipImportDesc(r *reader, kind byte) error {
	switch kind {
	case 0:
		r.U32()
	case 1:
		r.Byte()
		limits(r)
	case 2:
		flags := limits(r)
		if flags&4 != 0 && r.Err == nil {
			return unsupported("memory64")
		}
	case 3:
		if t := r.Byte(); !isValType(t) && r.Err == nil {
			return unsupported("global of value type 0x%x", t)
		}
		r.Byte()
	default:
		if r.Err == nil {
			return unsupported("import of kind %d (exception tags?)", kind)
		}
	}
	return nil
}

func limits(r *reader) byte {
	flags := r.Byte()
	r.ULEB(64)
	if flags&1 != 0 {
		r.ULEB(64)
	}
	return flags
}

// module is the state of one rewrite.
type module struct {
	cfg         Config
	importFuncs uint32 // function imports before ours: the refill index
	fuelGlobal  uint32
	refillType  uint32
	funcTypes   []uint32 // type index per defined function
	typeParams  []uint32 // parameter count per type
	typeResults [][]byte // result types per type
	depthGlobal uint32   // the call-depth global, when cfg.MaxCallDepth != 0
}

// remap is the new index of function f once the refill import is added.
func (m *module) remap(f uint32) uint32 {
	if f < m.importFuncs {
		return f
	}
	return f + 1
}

// Instrument rewrites a WebAssembly binary so that it meters its own
// execution; see the package documentation. It returns a new slice and
// never modifies wasm.
func Instrument(wasm []byte, cfg Config) ([]byte, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	secs, err := sections(wasm)
	if err != nil {
		return nil, err
	}
	m := &module{cfg: cfg}
	byID := map[byte]int{}
	for i, s := range secs {
		if s.id == secCustom {
			continue
		}
		if _, dup := byID[s.id]; dup {
			return nil, fmt.Errorf("fuel: duplicate section %d", s.id)
		}
		byID[s.id] = i
	}
	if _, ok := byID[secTag]; ok {
		return nil, unsupported("exception tags")
	}
	if i, ok := byID[secMemory]; ok {
		r := reader{B: secs[i].payload}
		n := r.U32()
		for j := uint32(0); j < n && r.Err == nil; j++ {
			if limits(&r)&4 != 0 && r.Err == nil {
				return nil, unsupported("memory64")
			}
		}
		if r.Err != nil {
			return nil, fmt.Errorf("fuel: malformed memory section: %w", r.Err)
		}
	}
	payload := func(id byte) []byte {
		if i, ok := byID[id]; ok {
			return secs[i].payload
		}
		return nil
	}

	// Pass over the declarations, in dependency order.
	newType, err := m.types(payload(secType))
	if err != nil {
		return nil, err
	}
	newImport, importGlobals, err := m.imports(payload(secImport))
	if err != nil {
		return nil, err
	}
	if err := m.functions(payload(secFunction)); err != nil {
		return nil, err
	}
	newGlobal, err := m.globals(payload(secGlobal), importGlobals)
	if err != nil {
		return nil, err
	}
	newExport, err := m.exports(payload(secExport))
	if err != nil {
		return nil, err
	}
	replaced := map[byte][]byte{
		secType: newType, secImport: newImport, secGlobal: newGlobal, secExport: newExport,
	}
	if p, ok := byID[secStart]; ok {
		r := reader{B: secs[p].payload}
		f := r.U32()
		if r.Err != nil || !r.Done() {
			return nil, fmt.Errorf("fuel: malformed start section")
		}
		replaced[secStart] = wasmbin.AppendU32(nil, m.remap(f))
	}
	if p, ok := byID[secElement]; ok {
		if replaced[secElement], err = m.elements(secs[p].payload); err != nil {
			return nil, err
		}
	}
	if p, ok := byID[secCode]; ok {
		if replaced[secCode], err = m.code(secs[p].payload); err != nil {
			return nil, err
		}
	} else if len(m.funcTypes) != 0 {
		return nil, fmt.Errorf("fuel: %d functions declared but no code section", len(m.funcTypes))
	}

	// Reassemble: rewritten sections in place, missing ones (type, import,
	// global, export) inserted at their rank.
	out := make([]byte, 0, len(wasm)+len(wasm)/8+64)
	out = append(out, wasm[:8]...)
	emitMissing := func(uptoRank int) {
		for _, id := range []byte{secType, secImport, secGlobal, secExport} {
			if _, ok := byID[id]; ok || order[id] >= uptoRank {
				continue
			}
			if p, ok := replaced[id]; ok {
				out = wasmbin.AppendSection(out, id, p)
				delete(replaced, id)
			}
		}
	}
	for _, s := range secs {
		if s.id == secCustom {
			p := s.payload
			if s.name == "name" {
				if p = m.names(p); p == nil {
					continue // malformed: dropped (it is advisory)
				}
			}
			out = wasmbin.AppendSection(out, secCustom, p)
			continue
		}
		emitMissing(order[s.id])
		if p, ok := replaced[s.id]; ok {
			out = wasmbin.AppendSection(out, s.id, p)
			delete(replaced, s.id)
		} else {
			out = wasmbin.AppendSection(out, s.id, s.payload)
		}
	}
	emitMissing(1 << 30)
	return out, nil
}

func (m *module) types(p []byte) ([]byte, error) {
	r := reader{B: p}
	var n uint32
	if p != nil {
		n = r.U32()
	}
	m.typeParams = make([]uint32, 0, min(n, 1<<16)+1)
	found := false
	for i := uint32(0); i < n && r.Err == nil; i++ {
		if form := r.Byte(); form != 0x60 && r.Err == nil {
			return nil, unsupported("type form 0x%x (GC types)", form)
		}
		var counts [2]uint32
		var results []byte
		for k := range counts {
			counts[k] = r.U32()
			for j := uint32(0); j < counts[k] && r.Err == nil; j++ {
				t := r.Byte()
				if !isValType(t) && r.Err == nil {
					return nil, unsupported("value type 0x%x", t)
				}
				if k == 1 {
					results = append(results, t)
				}
			}
		}
		m.typeParams = append(m.typeParams, counts[0])
		m.typeResults = append(m.typeResults, results)
		if !found && counts == [2]uint32{} {
			m.refillType, found = i, true
		}
	}
	if r.Err != nil || !r.Done() {
		return nil, fmt.Errorf("fuel: malformed type section: %v", r.Err)
	}
	if found {
		return p, nil
	}
	m.refillType = n
	m.typeParams = append(m.typeParams, 0)
	m.typeResults = append(m.typeResults, nil)
	out := wasmbin.AppendU32(nil, n+1)
	out = append(out, p[lenPrefix(p):]...)
	return append(out, 0x60, 0, 0), nil
}

// lenPrefix is the length of the vector count at the start of p.
func lenPrefix(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	r := reader{B: p}
	r.U32()
	return r.Off
}

func (m *module) imports(p []byte) ([]byte, uint32, error) {
	r := reader{B: p}
	var n uint32
	if p != nil {
		n = r.U32()
	}
	var globals uint32
	for i := uint32(0); i < n && r.Err == nil; i++ {
		mod, name := r.Name(), r.Name()
		kind := r.Byte()
		if kind == 0 && mod == m.cfg.ImportModule && name == m.cfg.ImportName {
			return nil, 0, fmt.Errorf("%w (import %s.%s)", ErrInstrumented, mod, name)
		}
		switch kind {
		case 0:
			m.importFuncs++
		case 3:
			globals++
		}
		if err := skipImportDesc(&r, kind); err != nil {
			return nil, 0, err
		}
	}
	if r.Err != nil || !r.Done() {
		return nil, 0, fmt.Errorf("fuel: malformed import section: %v", r.Err)
	}
	out := wasmbin.AppendU32(nil, n+1)
	out = append(out, p[lenPrefix(p):]...)
	out = wasmbin.AppendName(out, m.cfg.ImportModule)
	out = wasmbin.AppendName(out, m.cfg.ImportName)
	out = append(out, 0)
	return wasmbin.AppendU32(out, m.refillType), globals, nil
}

func (m *module) functions(p []byte) error {
	if p == nil {
		return nil
	}
	r := reader{B: p}
	n := r.U32()
	m.funcTypes = make([]uint32, 0, min(n, uint32(len(p))))
	for i := uint32(0); i < n && r.Err == nil; i++ {
		t := r.U32()
		if t >= uint32(len(m.typeParams)) && r.Err == nil {
			return fmt.Errorf("fuel: function %d has unknown type %d", i, t)
		}
		m.funcTypes = append(m.funcTypes, t)
	}
	if r.Err != nil || !r.Done() {
		return fmt.Errorf("fuel: malformed function section: %v", r.Err)
	}
	return nil
}

func (m *module) globals(p []byte, imported uint32) ([]byte, error) {
	r := reader{B: p}
	var n uint32
	if p != nil {
		n = r.U32()
	}
	out := []byte{}
	for i := uint32(0); i < n && r.Err == nil; i++ {
		t, mut := r.Byte(), r.Byte()
		if !isValType(t) && r.Err == nil {
			return nil, unsupported("global of value type 0x%x", t)
		}
		out = append(out, t, mut)
		var err error
		if out, err = m.constExpr(&r, out); err != nil {
			return nil, err
		}
	}
	if r.Err != nil || !r.Done() {
		return nil, fmt.Errorf("fuel: malformed global section: %v", r.Err)
	}
	m.fuelGlobal = imported + n
	added := uint32(1)
	if m.cfg.MaxCallDepth != 0 {
		m.depthGlobal = m.fuelGlobal + 1
		added++
	}
	res := wasmbin.AppendU32(nil, n+added)
	res = append(res, out...)
	res = append(res, 0x7E, 1, opI64Const)
	res = wasmbin.AppendS64(res, m.cfg.InitialFuel)
	res = append(res, opEnd)
	if m.cfg.MaxCallDepth != 0 {
		res = append(res, 0x7F, 1, opI32Const, 0, opEnd)
	}
	return res, nil
}

func (m *module) exports(p []byte) ([]byte, error) {
	r := reader{B: p}
	var n uint32
	if p != nil {
		n = r.U32()
	}
	added := uint32(1)
	if m.cfg.MaxCallDepth != 0 {
		added++
	}
	out := wasmbin.AppendU32(nil, n+added)
	for i := uint32(0); i < n && r.Err == nil; i++ {
		name := r.Name()
		kind := r.Byte()
		idx := r.U32()
		if name == m.cfg.GlobalExport || (m.cfg.MaxCallDepth != 0 && name == m.cfg.DepthExport) {
			return nil, fmt.Errorf("%w (export %q)", ErrInstrumented, name)
		}
		if kind == 0 {
			idx = m.remap(idx)
		}
		out = wasmbin.AppendName(out, name)
		out = append(out, kind)
		out = wasmbin.AppendU32(out, idx)
	}
	if r.Err != nil || !r.Done() {
		return nil, fmt.Errorf("fuel: malformed export section: %v", r.Err)
	}
	out = wasmbin.AppendName(out, m.cfg.GlobalExport)
	out = append(out, 3)
	out = wasmbin.AppendU32(out, m.fuelGlobal)
	if m.cfg.MaxCallDepth != 0 {
		out = wasmbin.AppendName(out, m.cfg.DepthExport)
		out = append(out, 3)
		out = wasmbin.AppendU32(out, m.depthGlobal)
	}
	return out, nil
}

// constExpr copies a constant expression from r to out, renumbering
// ref.func.
func (m *module) constExpr(r *reader, out []byte) ([]byte, error) {
	for {
		start := r.Off
		in, err := decodeInstr(r)
		if err != nil {
			return nil, err
		}
		if in.op == opBlock || in.op == opLoop || in.op == opIf {
			return nil, fmt.Errorf("fuel: malformed constant expression")
		}
		out = m.copyInstr(out, r.B, start, r.Off, in)
		if in.op == opEnd {
			return out, nil
		}
	}
}

// copyInstr appends the instruction b[start:end], renumbering its function
// index if it has one.
func (m *module) copyInstr(out, b []byte, start, end int, in instr) []byte {
	if !in.funcImm {
		return append(out, b[start:end]...)
	}
	out = append(out, b[start:in.immStart]...)
	out = wasmbin.AppendU32(out, m.remap(in.funcIdx))
	return append(out, b[in.immEnd:end]...)
}

func (m *module) elements(p []byte) ([]byte, error) {
	r := reader{B: p}
	n := r.U32()
	out := wasmbin.AppendU32(nil, n)
	for i := uint32(0); i < n && r.Err == nil; i++ {
		flags := r.U32()
		if flags > 7 && r.Err == nil {
			return nil, fmt.Errorf("fuel: element segment %d: flags %d", i, flags)
		}
		out = wasmbin.AppendU32(out, flags)
		var err error
		if flags&3 == 2 { // explicit table index
			out = wasmbin.AppendU32(out, r.U32())
		}
		if flags&1 == 0 { // active: offset
			if out, err = m.constExpr(&r, out); err != nil {
				return nil, err
			}
		}
		if flags&3 != 0 { // elemkind or reftype
			out = append(out, r.Byte())
		}
		cnt := r.U32()
		out = wasmbin.AppendU32(out, cnt)
		for j := uint32(0); j < cnt && r.Err == nil; j++ {
			if flags&4 == 0 {
				out = wasmbin.AppendU32(out, m.remap(r.U32()))
			} else if out, err = m.constExpr(&r, out); err != nil {
				return nil, err
			}
		}
	}
	if r.Err != nil || !r.Done() {
		return nil, fmt.Errorf("fuel: malformed element section: %v", r.Err)
	}
	return out, nil
}

// names renumbers the function indices of the "name" custom section
// (function names, local names, label names); it returns nil if the
// section is malformed, and the caller drops it.
func (m *module) names(p []byte) []byte {
	r := reader{B: p}
	r.Name() // "name"
	out := append([]byte(nil), p[:r.Off]...)
	for !r.Done() {
		id := r.Byte()
		sub := r.Bytes(uint64(r.U32()))
		if r.Err != nil {
			return nil
		}
		switch id {
		case 1, 2, 3: // function names; local and label names (indirect maps by function)
			sr := reader{B: sub}
			n := sr.U32()
			var q []byte
			q = wasmbin.AppendU32(q, n)
			for i := uint32(0); i < n && sr.Err == nil; i++ {
				q = wasmbin.AppendU32(q, m.remap(sr.U32()))
				start := sr.Off
				if id == 1 {
					sr.Name()
				} else {
					k := sr.U32()
					for j := uint32(0); j < k && sr.Err == nil; j++ {
						sr.U32()
						sr.Name()
					}
				}
				q = append(q, sub[start:sr.Off]...)
			}
			if sr.Err != nil || !sr.Done() {
				return nil
			}
			sub = q
		}
		out = append(out, id)
		out = wasmbin.AppendU32(out, uint32(len(sub)))
		out = append(out, sub...)
	}
	return out
}
