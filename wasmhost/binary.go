package wasmhost

import (
	"errors"
	"fmt"
	"sort"

	"github.com/secretpath/secretpath/wasmhost/internal/wasmbin"
)

// Limits on module structure that wazero does not impose, checked before
// compiling: a 43-byte module declaring 2^26 locals takes seconds and
// gigabytes to compile, and tables live outside the memory limit.
const (
	// MaxLocalsPerFunction bounds a function's declared locals (std Go
	// guests use at most a few dozen).
	MaxLocalsPerFunction = 50_000
	// MaxTableElements bounds the elements of all tables together, initial
	// or grown: every table's maximum is lowered to fit.
	MaxTableElements = 1_000_000
)

// prescan reads the module's sections before compilation. It refuses
// modules whose structure would cost the host unbounded time or memory,
// and returns the bytes to compile: the same bytes, or a copy whose table
// maxima are capped so that table.grow cannot pass MaxTableElements.
func prescan(wasm []byte) ([]byte, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, errors.New("not a WebAssembly binary (bad magic number)")
	}
	r := wasmbin.Reader{B: wasm, Off: 8}
	var tableSection []byte
	tableStart, tableEnd := -1, -1
	dataStart, dataEnd := -1, -1
	var dataSection []byte
	hasDataCount := false
	for !r.Done() {
		secStart := r.Off
		id := r.Byte()
		size := r.U32()
		start := r.Off
		payload := r.Bytes(uint64(size))
		if r.Err != nil {
			return nil, fmt.Errorf("malformed section at byte %d: %w", start, r.Err)
		}
		switch id {
		case 2: // import
			if err := scanImports(payload); err != nil {
				return nil, err
			}
		case 4: // table
			tableSection = payload
			tableStart, tableEnd = secStart, start+int(size)
		case 10: // code
			if err := scanCode(payload); err != nil {
				return nil, err
			}
		case 11: // data
			dataSection, dataStart, dataEnd = payload, secStart, start+int(size)
		case 12: // data count: segments may be referenced by index
			hasDataCount = true
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
		return wasm, nil
	}
	capped, changed, err := capTables(tableSection)
	if err != nil || !changed {
		return wasm, err
	}
	return splice(wasm, tableStart, tableEnd, 4, capped), nil
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
// segments by index (the caller checks there is no data-count section). Standard Go modules carry tens of
// thousands of tiny segments, each costing time and memory at every
// instantiation; merged, a few remain. ok is false when the section is left
// as it is.
func mergeData(p []byte) ([]byte, bool) {
	r := wasmbin.Reader{B: p}
	n := r.U32()
	type seg struct {
		off  uint32
		data []byte
	}
	segs := make([]seg, 0, n)
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
	var merged []seg
	for _, s := range segs {
		if len(merged) > 0 {
			last := &merged[len(merged)-1]
			end := uint64(last.off) + uint64(len(last.data))
			if uint64(s.off) < end {
				return nil, false // overlapping: their order matters, keep as is
			}
			if gap := uint64(s.off) - end; gap <= maxDataGap {
				last.data = append(append(last.data, make([]byte, gap)...), s.data...)
				continue
			}
		}
		merged = append(merged, seg{off: s.off, data: append([]byte(nil), s.data...)})
	}
	if len(merged) == len(segs) {
		return nil, false
	}
	out := wasmbin.AppendU32(nil, uint32(len(merged)))
	for _, s := range merged {
		out = append(out, 0, 0x41)
		out = wasmbin.AppendS64(out, int64(s.off))
		out = append(out, 0x0b)
		out = wasmbin.AppendU32(out, uint32(len(s.data)))
		out = append(out, s.data...)
	}
	return out, true
}

func scanImports(p []byte) error {
	r := wasmbin.Reader{B: p}
	n := r.U32()
	for i := uint32(0); i < n && r.Err == nil; i++ {
		mod := r.Name()
		name := r.Name()
		kind := r.Byte()
		switch kind {
		case 0: // function: type index
			r.U32()
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

func scanCode(p []byte) error {
	r := wasmbin.Reader{B: p}
	n := r.U32()
	for i := uint32(0); i < n && r.Err == nil; i++ {
		body := r.Bytes(uint64(r.U32()))
		br := wasmbin.Reader{B: body}
		groups := br.U32()
		var locals uint64
		for g := uint32(0); g < groups && br.Err == nil; g++ {
			locals += uint64(br.U32())
			br.Byte() // value type
			if locals > MaxLocalsPerFunction {
				return fmt.Errorf("function %d (of the code section) declares over %d locals, the limit", i, MaxLocalsPerFunction)
			}
		}
		if br.Err != nil {
			return fmt.Errorf("malformed function body %d: %w", i, br.Err)
		}
	}
	return r.Err
}

// capTables re-encodes a table section with every table's maximum at most
// its share of MaxTableElements; tables whose initial sizes already exceed
// the budget are refused.
func capTables(p []byte) ([]byte, bool, error) {
	r := wasmbin.Reader{B: p}
	n := r.U32()
	type table struct {
		ref      byte
		min, max uint32
		hasMax   bool
	}
	tables := make([]table, 0, n)
	var total uint64
	for i := uint32(0); i < n && r.Err == nil; i++ {
		t := table{ref: r.Byte()}
		flags := r.Byte()
		t.min = r.U32()
		if flags&1 != 0 {
			t.max, t.hasMax = r.U32(), true
		}
		if flags > 1 {
			return nil, false, fmt.Errorf("table %d: unsupported limits flags 0x%x", i, flags)
		}
		total += uint64(t.min)
		tables = append(tables, t)
	}
	if r.Err != nil || !r.Done() {
		return nil, false, fmt.Errorf("malformed table section: %v", r.Err)
	}
	if total > MaxTableElements {
		return nil, false, fmt.Errorf("its tables start with %d elements; the limit is %d", total, MaxTableElements)
	}
	// Each table may grow into an equal share of what the initial sizes
	// leave of the budget.
	share := uint32((MaxTableElements - total) / uint64(max(len(tables), 1)))
	changed := false
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
	return out, changed, nil
}
