package fuel

import "fmt"

// Shape is what a walk over a function body's instructions learns about
// the structure that costs a compiler time: how deep blocks nest and how
// large branch tables are.
type Shape struct {
	// Instructions is the number of instructions, the final end included.
	Instructions int
	// MaxDepth is the deepest nesting of block, loop and if (the function
	// body itself is depth 0).
	MaxDepth int
	// MaxBrTable is the largest br_table's number of targets (its default
	// excluded).
	MaxBrTable uint32
	// BrTableTargets is the sum of every br_table's targets.
	BrTableTargets uint64
	// DepthSum is the sum over instructions of the depth each is at: the
	// measure of nesting that grows with both depth and length (a chain of
	// d nested blocks sums to about d²), as wazero's compile time does.
	DepthSum uint64
}

// Limits stop a walk early: BodyShape returns an error as soon as one is
// passed. Zero fields are not checked.
type Limits struct {
	MaxDepth   int
	MaxBrTable uint32
}

// BodyShape walks the instructions of a function body's expression (the
// bytes after its locals, up to and including the final end) with the
// rewriter's decoder. It returns an error wrapping ErrUnsupported for an
// instruction the decoder does not know, a plain error for malformed code
// or a passed limit.
func BodyShape(expr []byte, lim Limits) (Shape, error) {
	r := reader{B: expr}
	var s Shape
	depth := 0
	for {
		start := r.Off
		in, err := decodeInstr(&r)
		if err != nil {
			return s, err
		}
		s.Instructions++
		s.DepthSum += uint64(depth)
		switch in.op {
		case opBlock, opLoop, opIf:
			depth++
			if depth > s.MaxDepth {
				s.MaxDepth = depth
				if lim.MaxDepth > 0 && depth > lim.MaxDepth {
					return s, fmt.Errorf("blocks nest over %d deep, the limit (at byte %d)", lim.MaxDepth, start)
				}
			}
		case opEnd:
			if depth == 0 {
				if !r.Done() {
					return s, fmt.Errorf("bytes after the final end (at byte %d)", r.Off)
				}
				return s, nil
			}
			depth--
		case 0x0E: // br_table
			s.BrTableTargets += uint64(in.brTargets)
			if in.brTargets > s.MaxBrTable {
				s.MaxBrTable = in.brTargets
				if lim.MaxBrTable > 0 && in.brTargets > lim.MaxBrTable {
					return s, fmt.Errorf("a br_table has %d targets; the limit is %d (at byte %d)", in.brTargets, lim.MaxBrTable, start)
				}
			}
		}
		if r.Done() {
			return s, fmt.Errorf("function body ends without its final end")
		}
	}
}

// ConstExpr reads a constant expression (an initialiser or an offset, up
// to and including its end) with the rewriter's decoder and returns its
// value when it is a single i32.const (ok false otherwise: global.get,
// ref.func, another type).
func ConstExpr(r *reader) (v int32, ok bool, err error) {
	n := 0
	for {
		start := r.Off
		in, err := decodeInstr(r)
		if err != nil {
			return 0, false, err
		}
		switch in.op {
		case opBlock, opLoop, opIf:
			return 0, false, fmt.Errorf("malformed constant expression (control instruction at byte %d)", start)
		case opEnd:
			return v, ok && n == 1, nil
		case opI32Const:
			v, ok = int32((&reader{B: r.B, Off: start + 1}).SLEB(32)), true
		}
		n++
	}
}
