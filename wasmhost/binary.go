package wasmhost

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
	"github.com/secretpath/secretpath/wasmhost/internal/wasmbin"
)

// Limits on module structure that wazero does not impose, checked before
// compiling (by Load and `secretpath wasm check`). wazero's compile time
// and memory grow with them, some faster than linearly: a 43-byte module
// declaring 2^26 locals takes seconds and gigabytes to compile; 10,000
// functions of 49,999 locals (80 KB) took 7.9 GB; nested blocks, if/else
// chains and br_tables compile in time quadratic in their depth and size
// (300 KB of nesting: 176 s); 1M globals cost ~90 MB per instance; tables
// live outside the memory limit.
//
// Each limit leaves at least 4x headroom over the largest value measured
// in the guests we build (the jsondoc and httpsecrets examples of
// examples/custom-backend: std Go built by go1.26.8 and go1.27.3, C by
// clang 14, Rust 1.63, AssemblyScript; the .wat fixtures are far below):
//
//	quantity                          Go       C    Rust      AS        limit  headroom
//	defined functions              2,493      31      94      56       50,000    20x
//	locals, every function        11,421      84     270     138      500,000    43x
//	locals, one function              20      19      33      18       50,000  1500x
//	function body bytes           29,238   2,179   4,903   3,610      262,144     9x
//	block nesting depth              549      12      23      14        2,500   4.5x
//	depth sum, one function    3,944,828   5,269  26,483  12,963   16,000,000   4.1x
//	depth sum, all functions  62,649,279  15,568  84,259  25,829  256,000,000   4.1x
//	br_table targets, one            964      84      14      14        4,096   4.2x
//	br_table targets, all         98,686     163      92      34      400,000   4.1x
//	globals                            8       1       3      17        1,000    58x
//	data segments                 42,224       1       1     103      200,000   4.7x
//	element segments                   1       0       1       0        1,000  1000x
//	table elements                 6,589       1      20       0    1,000,000   150x
//
// The depth sum of a function is the sum over its instructions of the
// nesting depth each is at: wazero's compile time follows it (a chain of d
// blocks sums to about d²; measured ~5e-8 s a unit), so the module-wide
// sum bounds the quadratic part of compiling and the other limits bound
// the linear parts and the memory. At the limits the worst shape measured
// compiles in about the time of a few std-Go examples (each 7-9 s on a
// loaded 2-core machine): the limits bound the cost, they do not make
// large modules cheap. Globals cost at most 16 bytes each (v128).
const (
	// MaxLocalsPerFunction bounds a function's declared locals.
	MaxLocalsPerFunction = 50_000
	// MaxTableElements bounds the elements of all tables together, initial
	// or grown: every table's maximum is lowered to fit. Tables are not
	// counted in a tenant's MemoryBytes (8 bytes an element: 8 MB per
	// instance at most).
	MaxTableElements = 1_000_000
)

// DefaultModuleLimits returns the limits Load applies (see the table
// above).
func DefaultModuleLimits() ModuleLimits { return defaultModuleLimits }

var defaultModuleLimits = ModuleLimits{
	Functions:         50_000,
	Locals:            500_000,
	LocalsPerFunction: MaxLocalsPerFunction,
	BodyBytes:         256 << 10,
	Depth:             2_500,
	FunctionDepthSum:  16_000_000,
	DepthSum:          256_000_000,
	BrTable:           4_096,
	BrTargets:         400_000,
	Globals:           1_000,
	DataSegments:      200_000,
	ElemSegments:      1_000,
	ElemItems:         MaxTableElements,
}

// Structure is what the pre-compile scan measured of a module: the
// quantities ModuleLimits bound.
type Structure struct {
	Functions     int    // defined functions
	Imports       int    // function imports
	Locals        uint64 // declared locals of every function together
	MaxLocals     uint64 // declared locals of the largest function
	CodeBytes     int    // the code section's size
	MaxBodyBytes  int    // the largest function body
	Depth         int    // the deepest block nesting of any function
	BrTable       uint32 // the largest br_table's targets
	BrTargets     uint64 // every br_table's targets together
	DepthSum      uint64 // every instruction's nesting depth together
	MaxDepthSum   uint64 // the same for the function where it is largest
	Globals       int    // defined globals
	GlobalBytes   int    // their values' bytes
	DataSegments  int
	ElemSegments  int
	ElemItems     uint64 // table elements the element segments initialise
	TableElements uint64 // table elements at instantiation, every table together
	MemoryMin     uint32 // pages
	MemoryMax     uint32 // pages; 0 when not declared
}

// ModuleLimits bound a module's structure; zero fields are not checked.
// DefaultModuleLimits are the ones Load and `secretpath wasm check` apply.
type ModuleLimits struct {
	Functions         int    // defined functions
	Locals            uint64 // declared locals, every function together
	LocalsPerFunction uint64 // declared locals of one function
	BodyBytes         int    // one function body
	Depth             int    // block nesting
	FunctionDepthSum  uint64 // depth sum of one function
	DepthSum          uint64 // depth sum of every function together
	BrTable           uint32 // targets of one br_table
	BrTargets         uint64 // targets of every br_table together
	Globals           int    // defined globals
	DataSegments      int
	ElemSegments      int
	ElemItems         uint64 // table elements the element segments initialise
}

// prescan reads the module's sections before compilation. It refuses
// modules whose structure would cost the host unbounded time or memory
// (see the limits above), and returns the bytes to compile: the same
// bytes, or a copy whose data segments are merged and whose table maxima
// are capped so that table.grow cannot pass MaxTableElements.
//
// It also refuses a WASI command (see isCommand), saying how the module's
// toolchain builds a reactor: compiling it would only delay that verdict.
func prescan(wasm []byte) ([]byte, error) {
	code, _, err := scanModule(wasm, defaultModuleLimits)
	if err == nil && isCommand(wasm) {
		return nil, errors.New(commandHint(toolchainOf(wasm)))
	}
	return code, err
}

// MeasureStructure scans a module's structure without applying any limit.
// The error is for a malformed module.
func MeasureStructure(wasm []byte) (Structure, error) {
	_, s, err := scanModule(wasm, ModuleLimits{})
	return s, err
}

func scanModule(wasm []byte, lim ModuleLimits) ([]byte, Structure, error) {
	var sh Structure
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, sh, errors.New("not a WebAssembly binary (bad magic number)")
	}
	r := wasmbin.Reader{B: wasm, Off: 8}
	var tableSection []byte
	tableStart, tableEnd := -1, -1
	dataStart, dataEnd := -1, -1
	var dataSection []byte
	hasDataCount, hasMemory := false, false
	var globalConsts []*int32 // defined globals' i32.const initialisers
	for !r.Done() {
		secStart := r.Off
		id := r.Byte()
		size := r.U32()
		start := r.Off
		payload := r.Bytes(uint64(size))
		if r.Err != nil {
			return nil, sh, fmt.Errorf("malformed section at byte %d: %w", start, r.Err)
		}
		var err error
		switch id {
		case 2: // import
			err = scanImports(payload, &sh)
		case 3: // function
			pr := wasmbin.Reader{B: payload}
			sh.Functions = int(pr.U32())
			if lim.Functions > 0 && sh.Functions > lim.Functions {
				err = fmt.Errorf("it defines %d functions; the limit is %d", sh.Functions, lim.Functions)
			}
		case 4: // table
			tableSection = payload
			tableStart, tableEnd = secStart, start+int(size)
		case 5: // memory
			hasMemory = true
			err = scanMemory(payload, &sh)
		case 6: // global
			globalConsts, err = scanGlobals(payload, &sh, lim)
		case 9: // element
			err = scanElements(payload, &sh, lim)
		case 10: // code
			err = scanCode(payload, &sh, lim)
		case 11: // data
			dataSection, dataStart, dataEnd = payload, secStart, start+int(size)
			err = scanData(payload, &sh, lim, hasMemory, globalConsts)
		case 12: // data count: segments may be referenced by index
			hasDataCount = true
		}
		if err != nil {
			return nil, sh, err
		}
	}
	out := wasm
	if dataSection != nil && !hasDataCount {
		if merged, ok := mergeData(dataSection); ok {
			out = splice(out, dataStart, dataEnd, 11, merged)
			shift := len(out) - len(wasm)
			if tableStart > dataStart {
				tableStart, tableEnd = tableStart+shift, tableEnd+shift
			}
		}
	}
	wasm = out
	if tableSection == nil {
		return wasm, sh, nil
	}
	capped, changed, total, err := capTables(tableSection)
	sh.TableElements = total
	if err != nil || !changed {
		return wasm, sh, err
	}
	return splice(wasm, tableStart, tableEnd, 4, capped), sh, nil
}

// splice returns a copy of wasm with the section at [start, end) replaced
// by a section of the given id and payload.
func splice(wasm []byte, start, end int, id byte, payload []byte) []byte {
	out := make([]byte, 0, len(wasm)-(end-start)+len(payload)+6)
	out = wasmbin.AppendSection(append(out, wasm[:start]...), id, payload)
	return append(out, wasm[end:]...)
}

// maxDataGap is the largest run of zero bytes mergeData fills between two
// segments it joins.
const maxDataGap = 4096

// mergeData joins adjacent active data segments when that cannot change
// what memory holds: every segment is active on memory 0 at a constant
// offset, no two overlap (so their writes into fresh, zeroed memory commute
// and may be applied in offset order), a gap filled with zeros lies between
// offset-neighbours (so no segment writes there), and nothing refers to
// segments by index (the caller checks there is no data-count section).
// Standard Go modules carry tens of thousands of tiny segments, each
// costing time and memory at every instantiation; merged, a few remain. ok
// is false when the section is left as it is.
//
// The zeros it writes are bounded by the section's own size: a gap is
// filled only while the total fill stays within len(p), so the output is
// never larger than twice its input plus a few bytes (a std-Go module's
// gaps add up to about half its data section; 250,000 empty segments 4 KiB
// apart would otherwise become a 1 GiB segment).
func mergeData(p []byte) ([]byte, bool) {
	r := wasmbin.Reader{B: p}
	n := r.U32()
	type seg struct {
		off  uint32
		data []byte
	}
	segs := make([]seg, 0, min(uint64(n), uint64(len(p))/4))
	for i := uint32(0); i < n && r.Err == nil; i++ {
		if r.U32() != 0 || r.Byte() != 0x41 { // flags 0 (active, memory 0), i32.const
			return nil, false
		}
		off := r.S32()
		if r.Byte() != 0x0b || off < 0 { // end
			return nil, false
		}
		segs = append(segs, seg{off: uint32(off), data: r.Bytes(uint64(r.U32()))})
	}
	if r.Err != nil || !r.Done() || len(segs) < 2 {
		return nil, false
	}
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].off < segs[j].off })
	for i := 1; i < len(segs); i++ {
		if uint64(segs[i].off) < uint64(segs[i-1].off)+uint64(len(segs[i-1].data)) {
			return nil, false // overlapping: their order matters, keep as is
		}
	}
	fillBudget := uint64(len(p))
	out := make([]byte, 0, len(p)+len(p)/2)
	out = wasmbin.AppendU32(out, 0) // the count, patched below
	merged := 0
	for i := 0; i < len(segs); {
		// The run segs[i:j] becomes one segment.
		size := uint64(len(segs[i].data))
		j := i + 1
		for ; j < len(segs); j++ {
			end := uint64(segs[j-1].off) + uint64(len(segs[j-1].data))
			gap := uint64(segs[j].off) - end
			if gap > maxDataGap || gap > fillBudget {
				break
			}
			fillBudget -= gap
			size += gap + uint64(len(segs[j].data))
		}
		out = append(out, 0, 0x41)
		out = wasmbin.AppendS64(out, int64(segs[i].off))
		out = append(out, 0x0b)
		out = wasmbin.AppendU32(out, uint32(size))
		for k := i; k < j; k++ {
			if k > i {
				gap := int(segs[k].off - (segs[k-1].off + uint32(len(segs[k-1].data))))
				out = append(out, make([]byte, gap)...)
			}
			out = append(out, segs[k].data...)
		}
		merged++
		i = j
	}
	if merged == len(segs) {
		return nil, false
	}
	count := wasmbin.AppendU32(nil, uint32(merged))
	return append(count, out[1:]...), true
}

func scanImports(p []byte, sh *Structure) error {
	r := wasmbin.Reader{B: p}
	n := r.U32()
	for i := uint32(0); i < n && r.Err == nil; i++ {
		mod := r.Name()
		name := r.Name()
		kind := r.Byte()
		switch kind {
		case 0: // function: type index
			r.U32()
			sh.Imports++
		case 1:
			return fmt.Errorf("it imports table %s.%s; a guest may import only functions", mod, name)
		case 2:
			return fmt.Errorf("it imports memory %s.%s; a guest must define and export its own", mod, name)
		case 3:
			return fmt.Errorf("it imports global %s.%s; a guest may import only functions", mod, name)
		default:
			return fmt.Errorf("it imports %s.%s of unknown kind %d", mod, name, kind)
		}
	}
	return r.Err
}

// scanMemory records the first memory's limits (wazero refuses more than
// one memory, and memory64, at compilation).
func scanMemory(p []byte, sh *Structure) error {
	r := wasmbin.Reader{B: p}
	if n := r.U32(); n == 0 || r.Err != nil {
		return r.Err
	}
	flags := r.Byte()
	sh.MemoryMin = r.U32()
	if flags&1 != 0 {
		sh.MemoryMax = r.U32()
	}
	if r.Err != nil {
		return fmt.Errorf("malformed memory section: %w", r.Err)
	}
	return nil
}

// globalBytes is the size of a global's value by type.
func globalBytes(t byte) int {
	switch t {
	case 0x7F, 0x7D: // i32, f32
		return 4
	case 0x7B: // v128
		return 16
	}
	return 8 // i64, f64, references
}

// scanGlobals counts the defined globals and returns their i32.const
// initialisers (nil where not one), which data offsets may refer to.
func scanGlobals(p []byte, sh *Structure, lim ModuleLimits) ([]*int32, error) {
	r := wasmbin.Reader{B: p}
	n := r.U32()
	sh.Globals = int(n)
	if lim.Globals > 0 && sh.Globals > lim.Globals {
		return nil, fmt.Errorf("it defines %d globals; the limit is %d", n, lim.Globals)
	}
	consts := make([]*int32, 0, min(uint64(n), uint64(len(p))))
	for i := uint32(0); i < n && r.Err == nil; i++ {
		t := r.Byte()
		r.Byte() // mutability
		sh.GlobalBytes += globalBytes(t)
		v, ok, err := fuel.ConstExpr(&r)
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		if ok {
			consts = append(consts, &v)
		} else {
			consts = append(consts, nil)
		}
	}
	if r.Err != nil || !r.Done() {
		return nil, fmt.Errorf("malformed global section: %v", r.Err)
	}
	return consts, nil
}

// scanElements counts element segments and the table elements they
// initialise.
func scanElements(p []byte, sh *Structure, lim ModuleLimits) error {
	r := wasmbin.Reader{B: p}
	n := r.U32()
	sh.ElemSegments = int(n)
	if lim.ElemSegments > 0 && sh.ElemSegments > lim.ElemSegments {
		return fmt.Errorf("it has %d element segments; the limit is %d", n, lim.ElemSegments)
	}
	for i := uint32(0); i < n && r.Err == nil; i++ {
		flags := r.U32()
		if flags > 7 {
			return fmt.Errorf("element segment %d: unknown flags %d", i, flags)
		}
		if flags&3 == 2 { // explicit table index
			r.U32()
		}
		if flags&1 == 0 { // active: offset
			if _, _, err := fuel.ConstExpr(&r); err != nil {
				return fmt.Errorf("element segment %d: %w", i, err)
			}
		}
		if flags&3 != 0 { // elemkind or reftype
			r.Byte()
		}
		cnt := r.U32()
		sh.ElemItems += uint64(cnt)
		if lim.ElemItems > 0 && sh.ElemItems > lim.ElemItems {
			return fmt.Errorf("its element segments initialise over %d table elements, the limit", lim.ElemItems)
		}
		for j := uint32(0); j < cnt && r.Err == nil; j++ {
			if flags&4 == 0 {
				r.U32()
			} else if _, _, err := fuel.ConstExpr(&r); err != nil {
				return fmt.Errorf("element segment %d: %w", i, err)
			}
		}
	}
	if r.Err != nil || !r.Done() {
		return fmt.Errorf("malformed element section: %v", r.Err)
	}
	return nil
}

// scanData counts data segments and refuses an active segment that does
// not fit the memory it initialises: instantiation would fail, after
// copying every segment before it.
func scanData(p []byte, sh *Structure, lim ModuleLimits, hasMemory bool, globals []*int32) error {
	r := wasmbin.Reader{B: p}
	n := r.U32()
	sh.DataSegments = int(n)
	if lim.DataSegments > 0 && sh.DataSegments > lim.DataSegments {
		return fmt.Errorf("it has %d data segments; the limit is %d", n, lim.DataSegments)
	}
	for i := uint32(0); i < n && r.Err == nil; i++ {
		flags := r.U32()
		var off int32
		known := false
		switch flags {
		case 1: // passive
		case 0, 2: // active, on memory 0 (flags 2: explicit index)
			if flags == 2 {
				r.U32()
			}
			at := r.Off
			v, ok, err := fuel.ConstExpr(&r)
			if err != nil {
				return fmt.Errorf("data segment %d: %w", i, err)
			}
			if !ok { // global.get of a defined global with an i32.const initialiser
				gr := wasmbin.Reader{B: r.B, Off: at}
				if gr.Byte() == 0x23 {
					if g := gr.U32(); gr.Err == nil && uint64(g) < uint64(len(globals)) && globals[g] != nil {
						v, ok = *globals[g], true
					}
				}
			}
			off, known = v, ok
			if !hasMemory {
				return fmt.Errorf("data segment %d is active but the module defines no memory", i)
			}
		default:
			return fmt.Errorf("data segment %d: unknown flags %d", i, flags)
		}
		size := r.U32()
		r.Bytes(uint64(size))
		if r.Err != nil || !known {
			continue
		}
		end := uint64(uint32(off)) + uint64(size)
		switch {
		case sh.MemoryMax != 0 && end > uint64(sh.MemoryMax)*pageSize:
			return fmt.Errorf("data segment %d [%d, %d) lies outside the memory's maximum of %d pages", i, uint32(off), end, sh.MemoryMax)
		case end > uint64(sh.MemoryMin)*pageSize:
			return fmt.Errorf("data segment %d [%d, %d) lies outside the memory's initial %d pages", i, uint32(off), end, sh.MemoryMin)
		}
	}
	if r.Err != nil || !r.Done() {
		return fmt.Errorf("malformed data section: %v", r.Err)
	}
	return nil
}

// scanCode checks every function body: its locals, its size, and (walking
// its instructions) its nesting depth and br_tables.
func scanCode(p []byte, sh *Structure, lim ModuleLimits) error {
	sh.CodeBytes = len(p)
	r := wasmbin.Reader{B: p}
	n := r.U32()
	for i := uint32(0); i < n && r.Err == nil; i++ {
		body := r.Bytes(uint64(r.U32()))
		if r.Err != nil {
			break
		}
		sh.MaxBodyBytes = max(sh.MaxBodyBytes, len(body))
		if lim.BodyBytes > 0 && len(body) > lim.BodyBytes {
			return fmt.Errorf("function %d (of the code section) is %d bytes; the limit is %d", i, len(body), lim.BodyBytes)
		}
		br := wasmbin.Reader{B: body}
		groups := br.U32()
		var locals uint64
		for g := uint32(0); g < groups && br.Err == nil; g++ {
			locals += uint64(br.U32())
			br.Byte() // value type
			if lim.LocalsPerFunction > 0 && locals > lim.LocalsPerFunction {
				return fmt.Errorf("function %d (of the code section) declares over %d locals, the limit", i, lim.LocalsPerFunction)
			}
			if lim.Locals > 0 && sh.Locals+locals > lim.Locals {
				return fmt.Errorf("its functions declare over %d locals together, the limit (at function %d of the code section)", lim.Locals, i)
			}
		}
		if br.Err != nil {
			return fmt.Errorf("malformed function body %d: %w", i, br.Err)
		}
		sh.Locals += locals
		sh.MaxLocals = max(sh.MaxLocals, locals)
		fs, err := fuel.BodyShape(body[br.Off:], fuel.Limits{MaxDepth: lim.Depth, MaxBrTable: lim.BrTable})
		sh.Depth = max(sh.Depth, fs.MaxDepth)
		sh.BrTable = max(sh.BrTable, fs.MaxBrTable)
		sh.BrTargets += fs.BrTableTargets
		sh.DepthSum += fs.DepthSum
		sh.MaxDepthSum = max(sh.MaxDepthSum, fs.DepthSum)
		if err != nil {
			if errors.Is(err, fuel.ErrUnsupported) {
				return fmt.Errorf("function %d (of the code section): %s", i, trimFuel(err))
			}
			return fmt.Errorf("function %d (of the code section): %w", i, err)
		}
		switch {
		case lim.FunctionDepthSum > 0 && fs.DepthSum > lim.FunctionDepthSum:
			return fmt.Errorf("function %d (of the code section) has a nesting depth sum of %d; the limit is %d", i, fs.DepthSum, lim.FunctionDepthSum)
		case lim.DepthSum > 0 && sh.DepthSum > lim.DepthSum:
			return fmt.Errorf("its functions' nesting depth sums add up to over %d, the limit (at function %d of the code section)", lim.DepthSum, i)
		}
		if lim.BrTargets > 0 && sh.BrTargets > lim.BrTargets {
			return fmt.Errorf("its br_tables have over %d targets together, the limit (at function %d of the code section)", lim.BrTargets, i)
		}
	}
	if r.Err != nil || !r.Done() {
		return fmt.Errorf("malformed code section: %v", r.Err)
	}
	return nil
}

// capTables re-encodes a table section with every table's maximum at most
// its share of MaxTableElements; tables whose initial sizes already exceed
// the budget are refused. total is the tables' initial elements.
func capTables(p []byte) (_ []byte, changed bool, total uint64, _ error) {
	r := wasmbin.Reader{B: p}
	n := r.U32()
	type table struct {
		ref      byte
		min, max uint32
		hasMax   bool
	}
	tables := make([]table, 0, min(uint64(n), uint64(len(p))))
	for i := uint32(0); i < n && r.Err == nil; i++ {
		t := table{ref: r.Byte()}
		flags := r.Byte()
		t.min = r.U32()
		if flags&1 != 0 {
			t.max, t.hasMax = r.U32(), true
		}
		if flags > 1 {
			return nil, false, total, fmt.Errorf("table %d: unsupported limits flags 0x%x", i, flags)
		}
		total += uint64(t.min)
		tables = append(tables, t)
	}
	if r.Err != nil || !r.Done() {
		return nil, false, total, fmt.Errorf("malformed table section: %v", r.Err)
	}
	if total > MaxTableElements {
		return nil, false, total, fmt.Errorf("its tables start with %d elements; the limit is %d", total, MaxTableElements)
	}
	// Each table may grow into an equal share of what the initial sizes
	// leave of the budget.
	share := uint32((MaxTableElements - total) / uint64(max(len(tables), 1)))
	out := wasmbin.AppendU32(nil, uint32(len(tables)))
	for _, t := range tables {
		limit := t.min + share
		if !t.hasMax || t.max > limit {
			t.max, t.hasMax, changed = limit, true, true
		}
		out = append(out, t.ref, 1)
		out = wasmbin.AppendU32(out, t.min)
		out = wasmbin.AppendU32(out, t.max)
	}
	return out, changed, total, nil
}

// trimFuel drops the rewriter's "fuel: " prefix from a decoder message.
func trimFuel(err error) string { return strings.TrimPrefix(err.Error(), "fuel: ") }
