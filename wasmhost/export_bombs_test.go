package wasmhost

import (
	"github.com/secretpath/secretpath/wasmhost/internal/wasmbin"
)

// Generators of hostile modules for the hostile suite (and, through
// TestWriteBombs, for measuring `secretpath wasm check` on them): each is a
// valid ABI v1 module but for the structure it abuses. Exported to the
// external test package only (this is a _test.go file).

// DataSeg is an active data segment at a constant offset.
type DataSeg struct {
	Off  uint32
	Data []byte
}

// BombSpec describes a module: the six ABI v1 functions plus extra
// functions of type () -> (), each with the given raw body (locals and
// expression).
type BombSpec struct {
	MemPages uint32
	MemMax   uint32 // 0: none
	Extra    [][]byte
	Globals  int // extra mutable i32 globals, initialised to 0
	Data     []DataSeg
	ConnBody []byte // body of secretpath_get_connection; nil: returns 1
	VarBody  []byte // body of secretpath_get_variable; nil: returns 1
	// ElemSegs active element segments of ElemItems items each (function
	// 0) into a table of ElemItems elements.
	ElemSegs, ElemItems int
}

func (b BombSpec) Bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, p []byte) { out = wasmbin.AppendSection(out, id, p) }
	// types: 0 () -> (), 1 () -> i32, 2 (i32) -> i32
	sec(1, []byte{3, 0x60, 0, 0, 0x60, 0, 1, 0x7f, 0x60, 1, 0x7f, 1, 0x7f})
	funcs := wasmbin.AppendU32(nil, uint32(6+len(b.Extra)))
	funcs = append(funcs, 0, 1, 1, 1, 2, 2)
	for range b.Extra {
		funcs = append(funcs, 0)
	}
	sec(3, funcs)
	if b.ElemSegs > 0 {
		sec(4, wasmbin.AppendU32([]byte{1, 0x70, 0}, uint32(b.ElemItems)))
	}
	mem := []byte{1}
	if b.MemMax != 0 {
		mem = append(mem, 1)
		mem = wasmbin.AppendU32(mem, b.MemPages)
		mem = wasmbin.AppendU32(mem, b.MemMax)
	} else {
		mem = append(mem, 0)
		mem = wasmbin.AppendU32(mem, b.MemPages)
	}
	sec(5, mem)
	if b.Globals > 0 {
		g := wasmbin.AppendU32(nil, uint32(b.Globals))
		for i := 0; i < b.Globals; i++ {
			g = append(g, 0x7f, 1, 0x41, 0, 0x0b)
		}
		sec(6, g)
	}
	exp := wasmbin.AppendU32(nil, 7)
	exp = append(wasmbin.AppendName(exp, "memory"), 2, 0)
	for i, name := range []string{"secretpath_abi_v1", "secretpath_buffer", "secretpath_buffer_size", "secretpath_init", "secretpath_get_connection", "secretpath_get_variable"} {
		exp = append(wasmbin.AppendName(exp, name), 0, byte(i))
	}
	sec(7, exp)
	if b.ElemSegs > 0 {
		e := wasmbin.AppendU32(nil, uint32(b.ElemSegs))
		for range b.ElemSegs {
			e = wasmbin.AppendU32(append(e, 0, 0x41, 0, 0x0b), uint32(b.ElemItems))
			for range b.ElemItems {
				e = append(e, 0)
			}
		}
		sec(9, e)
	}
	conn := b.ConnBody
	if conn == nil {
		conn = []byte{0, 0x41, 1, 0x0b}
	}
	bodies := [][]byte{
		{0, 0x0b},
		{0, 0x41, 0x80, 0x08, 0x0b}, // 1024
		{0, 0x41, 0x80, 0x08, 0x0b},
		{0, 0x41, 0, 0x0b},
		conn,
		{0, 0x41, 1, 0x0b},
	}
	if b.VarBody != nil {
		bodies[5] = b.VarBody
	}
	code := wasmbin.AppendU32(nil, uint32(len(bodies)+len(b.Extra)))
	for _, body := range append(bodies, b.Extra...) {
		code = wasmbin.AppendU32(code, uint32(len(body)))
		code = append(code, body...)
	}
	sec(10, code)
	if len(b.Data) > 0 {
		d := wasmbin.AppendU32(nil, uint32(len(b.Data)))
		for _, s := range b.Data {
			d = append(d, 0, 0x41)
			d = wasmbin.AppendS64(d, int64(int32(s.Off)))
			d = append(d, 0x0b)
			d = wasmbin.AppendU32(d, uint32(len(s.Data)))
			d = append(d, s.Data...)
		}
		sec(11, d)
	}
	return out
}

// DataBomb is n empty data segments gap bytes apart, in a memory large
// enough to hold them.
func DataBomb(n int, gap uint32) []byte {
	b := BombSpec{Data: make([]DataSeg, n)}
	for i := range b.Data {
		b.Data[i].Off = uint32(i) * gap
	}
	b.MemPages = uint32((uint64(n)*uint64(gap) + pageSize - 1) / pageSize)
	return b.Bytes()
}

// LocalsBomb is n functions of perFunc locals each.
func LocalsBomb(n int, perFunc uint32) []byte {
	body := append(wasmbin.AppendU32([]byte{1}, perFunc), 0x7f, 0x0b)
	b := BombSpec{MemPages: 1, Extra: make([][]byte, n)}
	for i := range b.Extra {
		b.Extra[i] = body
	}
	return b.Bytes()
}

// NestedBody is a function body of depth nested blocks.
func NestedBody(depth int) []byte {
	body := make([]byte, 0, 1+3*depth+1)
	body = append(body, 0)
	for range depth {
		body = append(body, 0x02, 0x40)
	}
	for range depth {
		body = append(body, 0x0b)
	}
	return append(body, 0x0b)
}

// NestingBomb is one function of depth nested blocks.
func NestingBomb(depth int) []byte {
	return BombSpec{MemPages: 1, Extra: [][]byte{NestedBody(depth)}}.Bytes()
}

// IfElseBody is a chain of depth if/else: if (0) {} else { if (0) {} else { ... } }.
func IfElseBody(depth int) []byte {
	body := []byte{0}
	for range depth {
		body = append(body, 0x41, 0, 0x04, 0x40, 0x05)
	}
	for range depth {
		body = append(body, 0x0b)
	}
	return append(body, 0x0b)
}

// BrTableBody is a br_table of targets targets inside depth blocks.
func BrTableBody(depth int, targets int) []byte {
	body := []byte{0}
	for range depth {
		body = append(body, 0x02, 0x40)
	}
	body = append(body, 0x41, 0, 0x0e)
	body = wasmbin.AppendU32(body, uint32(targets))
	for i := range targets {
		body = wasmbin.AppendU32(body, uint32(i%depth))
	}
	body = append(body, 0)
	for range depth {
		body = append(body, 0x0b)
	}
	return append(body, 0x0b)
}

// GlobalsBomb is n mutable i32 globals.
func GlobalsBomb(n int) []byte {
	return BombSpec{MemPages: 1, Globals: n}.Bytes()
}

// NopsAt is a function body of depth nested blocks with n nops at the
// innermost: a large nesting depth sum within the depth limit.
func NopsAt(depth, n int) []byte {
	body := []byte{0}
	for range depth {
		body = append(body, 0x02, 0x40)
	}
	for range n {
		body = append(body, 0x01)
	}
	for range depth {
		body = append(body, 0x0b)
	}
	return append(body, 0x0b)
}

// Funcs is a module of n copies of one function body.
func Funcs(n int, body []byte) []byte {
	b := BombSpec{MemPages: 1, Extra: make([][]byte, n)}
	for i := range b.Extra {
		b.Extra[i] = body
	}
	return b.Bytes()
}

// EmptyBody is a function body that does nothing.
var EmptyBody = []byte{0, 0x0b}

// HeldModules is how many modules the host holds.
func (h *Host) HeldModules() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.modules)
}

// CompiledClasses is how many runtimes the module is compiled for.
func (m *Module) CompiledClasses() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, cm := range m.compiled {
		if cm != nil {
			n++
		}
	}
	return n
}

// DeepRecursion is a module whose secretpath_get_connection recurses depth
// frames deep, returns normally (NOT_FOUND), and marks its instance used;
// secretpath_get_variable answers NOT_FOUND on a fresh instance and
// INVALID_ARGUMENT on one a connection lookup used.
func DeepRecursion(depth int32) []byte {
	// global 0: frames left; global 1: used.
	rec := []byte{0,
		0x23, 0, 0x45, 0x0d, 0, // global.get 0; i32.eqz; br_if 0 (return)
		0x23, 0, 0x41, 1, 0x6b, 0x24, 0, // global 0 -= 1
		0x10, 6, // call $rec (function 6)
		0x0b}
	conn := append([]byte{0, 0x41}, wasmbin.AppendS64(nil, int64(depth))...)
	conn = append(conn, 0x24, 0, 0x41, 1, 0x24, 1, 0x10, 6, 0x41, 1, 0x0b)
	vari := []byte{0, 0x23, 1, 0x41, 1, 0x6a, 0x0b} // used + 1
	return BombSpec{MemPages: 1, Globals: 2, Extra: [][]byte{rec}, ConnBody: conn, VarBody: vari}.Bytes()
}
