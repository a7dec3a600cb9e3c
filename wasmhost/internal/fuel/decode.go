package fuel

import (
	"fmt"

	"github.com/secretpath/secretpath/wasmhost/internal/wasmbin"
)

// Opcodes the rewriter treats specially.
const (
	opUnreachable        = 0x00
	opBlock              = 0x02
	opLoop               = 0x03
	opIf                 = 0x04
	opElse               = 0x05
	opEnd                = 0x0B
	opBr                 = 0x0C
	opReturn             = 0x0F
	opCall               = 0x10
	opReturnCall         = 0x12
	opReturnCallIndirect = 0x13
	opI32GtU             = 0x4B
	opI32Add             = 0x6A
	opLocalGet           = 0x20
	opLocalSet           = 0x21
	opGlobalGet          = 0x23
	opGlobalSet          = 0x24
	opMemoryGrow         = 0x40
	opI32Const           = 0x41
	opI64Const           = 0x42
	opI32LtU             = 0x49
	opI64LtS             = 0x53
	opI64Shl             = 0x86
	opI64ShrU            = 0x88
	opI64Sub             = 0x7D
	opSelect             = 0x1B
	opI64ExtendU         = 0xAD
	opRefFunc            = 0xD2
	prefixFC             = 0xFC
	prefixFD             = 0xFD
	prefixFE             = 0xFE
	blockEmpty           = 0x40
)

// 0xFC sub-opcodes whose work depends on an operand (the i32 count on top
// of the stack).
const (
	fcMemoryInit = 8
	fcMemoryCopy = 10
	fcMemoryFill = 11
	fcTableInit  = 12
	fcTableCopy  = 14
	fcTableGrow  = 15
	fcTableFill  = 17
)

// instr is one decoded instruction of a function body or constant
// expression.
type instr struct {
	op  byte
	sub uint32 // sub-opcode of a 0xFC / 0xFD prefixed instruction
	// funcImm is set for call, return_call and ref.func: the function index
	// and the byte range [immStart, immEnd) that encodes it.
	funcImm          bool
	funcIdx          uint32
	immStart, immEnd int
	// brTargets is a br_table's count of targets (the default excluded).
	brTargets uint32
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

func isValType(b byte) bool {
	switch b {
	case 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F:
		return true
	}
	return false
}

// decodeInstr decodes the instruction at r.Off and advances past it.
// It returns an error wrapping ErrUnsupported for instructions of proposals
// the rewriter declines, and a plain error for malformed code.
func decodeInstr(r *reader) (instr, error) {
	start := r.Off
	in := instr{op: r.Byte()}
	switch op := in.op; {
	case op == opBlock || op == opLoop || op == opIf:
		blockType(r)
	case op <= 0x01, op == opElse, op == opEnd, op == 0x0F, op == 0x1A, op == opSelect:
		// unreachable, nop, else, end, return, drop, select
	case op == 0x0C || op == 0x0D: // br, br_if
		r.U32()
	case op == 0x0E: // br_table
		n := r.U32()
		for i := uint32(0); i < n && r.Err == nil; i++ {
			r.U32()
		}
		r.U32()
		in.brTargets = n
	case op == opCall || op == opReturnCall || op == opRefFunc:
		in.funcImm = true
		in.immStart = r.Off
		in.funcIdx = r.U32()
		in.immEnd = r.Off
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		r.U32()
		r.U32()
	case op == 0x1C: // select t*
		n := r.U32()
		for i := uint32(0); i < n && r.Err == nil; i++ {
			if t := r.Byte(); !isValType(t) && r.Err == nil {
				return in, unsupported("select with value type 0x%x", t)
			}
		}
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		r.U32()
	case op >= 0x28 && op <= 0x3E:
		if err := memarg(r); err != nil {
			return in, err
		}
	case op == 0x3F || op == opMemoryGrow:
		if m := r.U32(); m != 0 && r.Err == nil {
			return in, unsupported("multiple memories")
		}
	case op == opI32Const:
		r.SLEB(32)
	case op == opI64Const:
		r.SLEB(64)
	case op == 0x43:
		r.Bytes(4)
	case op == 0x44:
		r.Bytes(8)
	case op >= 0x45 && op <= 0xC4: // numeric, sign extension
	case op == 0xD0: // ref.null
		if t := r.Byte(); t != 0x70 && t != 0x6F && r.Err == nil {
			return in, unsupported("ref.null of heap type 0x%x", t)
		}
	case op == 0xD1: // ref.is_null
	case op == prefixFC:
		in.sub = r.U32()
		switch s := in.sub; {
		case s <= 7: // non-trapping float-to-int
		case s == fcMemoryInit:
			r.U32()
			if m := r.U32(); m != 0 && r.Err == nil {
				return in, unsupported("multiple memories")
			}
		case s == 9: // data.drop
			r.U32()
		case s == fcMemoryCopy:
			if a, b := r.U32(), r.U32(); (a != 0 || b != 0) && r.Err == nil {
				return in, unsupported("multiple memories")
			}
		case s == fcMemoryFill:
			if m := r.U32(); m != 0 && r.Err == nil {
				return in, unsupported("multiple memories")
			}
		case s == fcTableInit, s == fcTableCopy: // elem/table, table/table
			r.U32()
			r.U32()
		case s == 13, s == fcTableGrow, s == 16, s == fcTableFill: // elem.drop, table.grow/size/fill
			r.U32()
		default:
			if r.Err == nil {
				return in, unsupported("instruction 0xFC %d", s)
			}
		}
	case op == prefixFD:
		in.sub = r.U32()
		switch s := in.sub; {
		case s <= 11, s == 92, s == 93: // loads, stores, load_zero
			if err := memarg(r); err != nil {
				return in, err
			}
		case s == 12, s == 13: // v128.const, i8x16.shuffle
			r.Bytes(16)
		case s >= 21 && s <= 34: // extract/replace lane
			r.Byte()
		case s >= 84 && s <= 91: // load/store lane
			if err := memarg(r); err != nil {
				return in, err
			}
			r.Byte()
		case s <= 255:
		default:
			if r.Err == nil {
				return in, unsupported("SIMD instruction 0xFD %d (relaxed SIMD?)", s)
			}
		}
	case op == prefixFE:
		return in, unsupported("threads/atomics instruction at byte %d", start)
	case op >= 0x06 && op <= 0x0A, op == 0x18, op == 0x19, op == 0x1F:
		return in, unsupported("exception handling instruction 0x%02x", op)
	default:
		if r.Err == nil {
			return in, unsupported("instruction 0x%02x (GC, typed function references or unknown)", op)
		}
	}
	if r.Err != nil {
		return in, fmt.Errorf("malformed instruction at byte %d: %w", start, r.Err)
	}
	return in, nil
}

func memarg(r *reader) error {
	align := r.U32()
	if align&0x40 != 0 && r.Err == nil {
		return unsupported("multiple memories (memarg flag)")
	}
	r.ULEB(32) // offset (memory64 would need 64 bits; such modules are refused at the memory)
	return nil
}

func blockType(r *reader) {
	if r.Off >= len(r.B) {
		r.Err = wasmbin.ErrTruncated
		return
	}
	if b := r.B[r.Off]; b == blockEmpty || isValType(b) {
		r.Off++
		return
	}
	if v := r.SLEB(33); v < 0 && r.Err == nil {
		r.Fail("block type %d", v)
	}
}
