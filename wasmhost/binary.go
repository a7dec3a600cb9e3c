package wasmhost

import (
	"errors"
	"fmt"
	"sort"
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
	r := reader{b: wasm, off: 8}
	var tableSection []byte
	tableStart, tableEnd := -1, -1
	dataStart, dataEnd := -1, -1
	var dataSection []byte
	hasDataCount := false
	for !r.done() {
		secStart := r.off
		id := r.byte()
		size := r.u32()
		start := r.off
		payload := r.bytes(size)
		if r.err != nil {
			return nil, fmt.Errorf("malformed section at byte %d: %w", start, r.err)
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
	out = append(out, wasm[:start]...)
	out = append(out, id)
	out = appendU32(out, uint32(len(payload)))
	out = append(out, payload...)
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
	r := reader{b: p}
	n := r.u32()
	type seg struct {
		off  uint32
		data []byte
	}
	segs := make([]seg, 0, n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		if r.u32() != 0 || r.byte() != 0x41 { // flags 0 (active, memory 0), i32.const
			return nil, false
		}
		off := r.s32()
		if r.byte() != 0x0b || off < 0 { // end
			return nil, false
		}
		segs = append(segs, seg{off: uint32(off), data: r.bytes(r.u32())})
	}
	if r.err != nil || !r.done() || len(segs) < 2 {
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
	out := appendU32(nil, uint32(len(merged)))
	for _, s := range merged {
		out = append(out, 0, 0x41)
		out = appendS32(out, int32(s.off))
		out = append(out, 0x0b)
		out = appendU32(out, uint32(len(s.data)))
		out = append(out, s.data...)
	}
	return out, true
}

func scanImports(p []byte) error {
	r := reader{b: p}
	n := r.u32()
	for i := uint32(0); i < n && r.err == nil; i++ {
		mod := string(r.bytes(r.u32()))
		name := string(r.bytes(r.u32()))
		kind := r.byte()
		switch kind {
		case 0: // function: type index
			r.u32()
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
	return r.err
}

func scanCode(p []byte) error {
	r := reader{b: p}
	n := r.u32()
	for i := uint32(0); i < n && r.err == nil; i++ {
		body := r.bytes(r.u32())
		br := reader{b: body}
		groups := br.u32()
		var locals uint64
		for g := uint32(0); g < groups && br.err == nil; g++ {
			locals += uint64(br.u32())
			br.byte() // value type
			if locals > MaxLocalsPerFunction {
				return fmt.Errorf("function %d (of the code section) declares over %d locals, the limit", i, MaxLocalsPerFunction)
			}
		}
		if br.err != nil {
			return fmt.Errorf("malformed function body %d: %w", i, br.err)
		}
	}
	return r.err
}

// capTables re-encodes a table section with every table's maximum at most
// its share of MaxTableElements; tables whose initial sizes already exceed
// the budget are refused.
func capTables(p []byte) ([]byte, bool, error) {
	r := reader{b: p}
	n := r.u32()
	type table struct {
		ref      byte
		min, max uint32
		hasMax   bool
	}
	tables := make([]table, 0, n)
	var total uint64
	for i := uint32(0); i < n && r.err == nil; i++ {
		t := table{ref: r.byte()}
		flags := r.byte()
		t.min = r.u32()
		if flags&1 != 0 {
			t.max, t.hasMax = r.u32(), true
		}
		if flags > 1 {
			return nil, false, fmt.Errorf("table %d: unsupported limits flags 0x%x", i, flags)
		}
		total += uint64(t.min)
		tables = append(tables, t)
	}
	if r.err != nil || !r.done() {
		return nil, false, fmt.Errorf("malformed table section: %v", r.err)
	}
	if total > MaxTableElements {
		return nil, false, fmt.Errorf("its tables start with %d elements; the limit is %d", total, MaxTableElements)
	}
	// Each table may grow into an equal share of what the initial sizes
	// leave of the budget.
	share := uint32((MaxTableElements - total) / uint64(max(len(tables), 1)))
	changed := false
	out := appendU32(nil, uint32(len(tables)))
	for _, t := range tables {
		limit := t.min + share
		if !t.hasMax || t.max > limit {
			t.max, t.hasMax, changed = limit, true, true
		}
		out = append(out, t.ref, 1)
		out = appendU32(out, t.min)
		out = appendU32(out, t.max)
	}
	return out, changed, nil
}

// reader decodes the few binary-format primitives prescan needs; the first
// error sticks.
type reader struct {
	b   []byte
	off int
	err error
}

var errTruncated = errors.New("unexpected end")

func (r *reader) done() bool { return r.err != nil || r.off >= len(r.b) }

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.err = errTruncated
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) u32() uint32 {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if v > 0xffffffff {
				r.err = errors.New("integer too large")
				return 0
			}
			return uint32(v)
		}
	}
	r.err = errors.New("integer representation too long")
	return 0
}

func (r *reader) s32() int32 {
	var v int64
	var shift uint
	for i := 0; i < 5; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			if v < -1<<31 || v > 1<<31-1 {
				r.err = errors.New("integer too large")
				return 0
			}
			return int32(v)
		}
	}
	r.err = errors.New("integer representation too long")
	return 0
}

func appendS32(b []byte, v int32) []byte {
	x := int64(v)
	for {
		c := byte(x & 0x7f)
		x >>= 7
		if (x == 0 && c&0x40 == 0) || (x == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func (r *reader) bytes(n uint32) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(r.off)+uint64(n) > uint64(len(r.b)) {
		r.err = errTruncated
		return nil
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}
