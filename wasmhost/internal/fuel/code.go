package fuel

import (
	"fmt"
	"math/bits"

	"github.com/secretpath/secretpath/wasmhost/internal/wasmbin"
)

// maxRegionCost caps a region's static cost so that sums cannot overflow;
// no real function comes near it.
const maxRegionCost = 1 << 40

func (m *module) code(p []byte) ([]byte, error) {
	r := reader{B: p}
	n := r.U32()
	if r.Err == nil && n != uint32(len(m.funcTypes)) {
		return nil, fmt.Errorf("fuel: %d function bodies for %d functions", n, len(m.funcTypes))
	}
	out := wasmbin.AppendU32(make([]byte, 0, len(p)+len(p)/4+16), n)
	var body []byte
	for i := uint32(0); i < n && r.Err == nil; i++ {
		b := r.Bytes(uint64(r.U32()))
		if r.Err != nil {
			break
		}
		var err error
		body, err = m.body(body[:0], b, m.funcTypes[i])
		if err != nil {
			return nil, fmt.Errorf("function %d (defined index %d): %w", m.remap(i+m.importFuncs), i, err)
		}
		out = wasmbin.AppendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if r.Err != nil || !r.Done() {
		return nil, fmt.Errorf("fuel: malformed code section: %v", r.Err)
	}
	return out, nil
}

// dynamic reports whether in's work depends on its count operand (an i32
// on top of the stack), and how that count converts to fuel:
// min(count, clamp) << shl >> shr (clamp 0: none).
func (m *module) dynamic(in instr) (ok bool, clamp uint32, shl, shr uint) {
	bulkShift := uint(bits.TrailingZeros32(m.cfg.BulkBytesPerFuel))
	switch {
	case in.op == opMemoryGrow:
		// pages zeroed: 65536 bytes each
		if bulkShift <= 16 {
			return true, maxGrowPages, 16 - bulkShift, 0
		}
		return true, maxGrowPages, 0, bulkShift - 16
	case in.op != prefixFC:
		return false, 0, 0, 0
	}
	switch in.sub {
	case fcMemoryInit, fcMemoryCopy, fcMemoryFill:
		return true, 0, 0, bulkShift
	case fcTableInit, fcTableCopy, fcTableFill:
		return true, 0, 0, 0
	case fcTableGrow:
		return true, maxGrowElements, 0, 0
	}
	return false, 0, 0, 0
}

// body rewrites one function body (locals and expression) into out.
func (m *module) body(out, b []byte, typeIdx uint32) ([]byte, error) {
	params := m.typeParams[typeIdx]
	results := m.typeResults[typeIdx]
	depth := m.cfg.MaxCallDepth != 0
	if depth && len(results) > 1 {
		return nil, unsupported("a function with %d results and a call-depth counter", len(results))
	}
	r := reader{B: b}
	groups := r.U32()
	locals := uint64(params)
	for g := uint32(0); g < groups && r.Err == nil; g++ {
		locals += uint64(r.U32())
		if t := r.Byte(); !isValType(t) && r.Err == nil {
			return nil, unsupported("local of value type 0x%x", t)
		}
	}
	if r.Err != nil {
		return nil, fmt.Errorf("malformed locals: %w", r.Err)
	}
	if locals >= 1<<32-1 {
		return nil, fmt.Errorf("too many locals")
	}
	codeStart := r.Off

	// Pass 1: the static cost of each region. Region 0 is the function
	// body outside any loop; region k is the body of the k-th loop (in
	// code order) outside any loop nested in it. Every instruction costs 1
	// and is charged to the region it is in.
	costs := []uint64{0}
	stack := []int{0}
	needScratch := false
	for len(stack) > 0 {
		in, err := decodeInstr(&r)
		if err != nil {
			return nil, err
		}
		cur := stack[len(stack)-1]
		if costs[cur] < maxRegionCost {
			costs[cur]++
		}
		switch in.op {
		case opBlock, opIf:
			stack = append(stack, cur)
		case opLoop:
			costs = append(costs, 0)
			stack = append(stack, len(costs)-1)
		case opEnd:
			stack = stack[:len(stack)-1]
		default:
			if ok, _, _, _ := m.dynamic(in); ok {
				needScratch = true
			}
		}
	}
	if !r.Done() {
		return nil, fmt.Errorf("malformed body: bytes after the final end")
	}

	// Pass 2: emit.
	if needScratch {
		out = wasmbin.AppendU32(out, groups+1)
		out = append(out, b[lenPrefix(b):codeStart]...)
		out = append(out, 1, 0x7F) // one i32 scratch local
	} else {
		out = append(out, b[:codeStart]...)
	}
	scratch := uint32(locals)
	out = m.meter(out, costs[0])
	// With the depth counter, the body runs inside a block whose end
	// (reached by falling through, by br to the body's label, or by return,
	// rewritten to br) subtracts the frame's weight again.
	weight := int64(1 + locals/8)
	if depth {
		out = m.enter(out, weight, results)
	}
	loop, nest := 0, 0
	r.Off = codeStart
	for !r.Done() {
		start := r.Off
		in, _ := decodeInstr(&r) // decoded once already
		if ok, clamp, shl, shr := m.dynamic(in); ok {
			out = m.meterDynamic(out, scratch, clamp, shl, shr)
		}
		switch {
		case !depth:
		case in.op == opBlock || in.op == opLoop || in.op == opIf:
			nest++
		case in.op == opEnd && nest > 0:
			nest--
		case in.op == opEnd: // the body's final end: close the wrapper first
			out = append(out, opEnd)
			out = m.addDepth(out, -weight)
		case in.op == opReturn:
			out = append(out, opBr)
			out = wasmbin.AppendU32(out, uint32(nest))
			continue
		case in.op == opReturnCall || in.op == opReturnCallIndirect:
			out = m.addDepth(out, -weight)
		}
		out = m.copyInstr(out, b, start, r.Off, in)
		if in.op == opLoop {
			loop++
			out = m.meter(out, costs[loop])
		}
	}
	return out, nil
}

// enter appends: depth += weight; if depth > MaxCallDepth { unreachable };
// block (result results).
func (m *module) enter(out []byte, weight int64, results []byte) []byte {
	out = m.addDepth(out, weight)
	out = append(out, opGlobalGet)
	out = wasmbin.AppendU32(out, m.depthGlobal)
	out = append(out, opI32Const)
	out = wasmbin.AppendS64(out, int64(m.cfg.MaxCallDepth))
	out = append(out, opI32GtU, opIf, blockEmpty, opUnreachable, opEnd, opBlock)
	if len(results) == 0 {
		return append(out, blockEmpty)
	}
	return append(out, results[0])
}

// addDepth appends: depth += delta.
func (m *module) addDepth(out []byte, delta int64) []byte {
	out = append(out, opGlobalGet)
	out = wasmbin.AppendU32(out, m.depthGlobal)
	out = append(out, opI32Const)
	out = wasmbin.AppendS64(out, delta)
	out = append(out, opI32Add, opGlobalSet)
	return wasmbin.AppendU32(out, m.depthGlobal)
}

// meter appends: fuel -= cost; if fuel < 0 { refill() }.
func (m *module) meter(out []byte, cost uint64) []byte {
	if cost == 0 {
		return out
	}
	out = append(out, opGlobalGet)
	out = wasmbin.AppendU32(out, m.fuelGlobal)
	out = append(out, opI64Const)
	out = wasmbin.AppendS64(out, int64(cost))
	out = append(out, opI64Sub, opGlobalSet)
	out = wasmbin.AppendU32(out, m.fuelGlobal)
	return m.check(out)
}

func (m *module) check(out []byte) []byte {
	out = append(out, opGlobalGet)
	out = wasmbin.AppendU32(out, m.fuelGlobal)
	out = append(out, opI64Const, 0, opI64LtS, opIf, blockEmpty, opCall)
	out = wasmbin.AppendU32(out, m.importFuncs)
	return append(out, opEnd)
}

// meterDynamic appends, before an instruction whose count operand n (i32)
// is on top of the stack: t = n; fuel -= min(t, clamp) << shl >> shr;
// if fuel < 0 { refill() }; push t.
func (m *module) meterDynamic(out []byte, scratch, clamp uint32, shl, shr uint) []byte {
	out = append(out, opLocalSet)
	out = wasmbin.AppendU32(out, scratch)
	out = append(out, opGlobalGet)
	out = wasmbin.AppendU32(out, m.fuelGlobal)
	out = append(out, opLocalGet)
	out = wasmbin.AppendU32(out, scratch)
	if clamp != 0 {
		out = append(out, opI32Const)
		out = wasmbin.AppendS64(out, int64(int32(clamp)))
		out = append(out, opLocalGet)
		out = wasmbin.AppendU32(out, scratch)
		out = append(out, opI32Const)
		out = wasmbin.AppendS64(out, int64(int32(clamp)))
		out = append(out, opI32LtU, opSelect)
	}
	out = append(out, opI64ExtendU)
	if shl != 0 {
		out = append(out, opI64Const, byte(shl), opI64Shl)
	}
	if shr != 0 {
		out = append(out, opI64Const, byte(shr), opI64ShrU)
	}
	out = append(out, opI64Sub, opGlobalSet)
	out = wasmbin.AppendU32(out, m.fuelGlobal)
	out = m.check(out)
	out = append(out, opLocalGet)
	return wasmbin.AppendU32(out, scratch)
}
