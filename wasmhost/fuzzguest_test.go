package wasmhost_test

import (
	"encoding/binary"
	"fmt"
)

// Programs for testdata/fuzz_guest.wat: a lookup runs the program it gets
// as its id (see the .wat for the format). The fuzz targets feed it raw
// bytes; the tests below write programs with gprog.

// Opcodes of fuzz_guest.wat.
const (
	opKwargsRead byte = iota
	opResultSet
	opErrorSet
	opLog
	opLogEnabled
	opEnvGet
	opClockNow
	opHTTPRequest
	opHTTPBody
	opHTTPHeader
	opReturn
	opGrow
	opStore
	opFill
	opTrap
	opNop
)

// Registers of fuzz_guest.wat.
const (
	rURL, rURLLen       = 0, 1
	rGET, rGETLen       = 2, 3
	rEnv, rEnvLen       = 4, 5
	rScratch, rScratchN = 6, 7
	rMemSize            = 8
	rBuf, rBufSize      = 9, 10
	rHeaders, rHdrLen   = 11, 12
	rXSecret, rXSecretN = 13, 14
	rLast               = 15
)

// Fixed addresses in fuzz_guest.wat's memory.
const (
	guestProgBase = 8192  // where the running program is copied
	guestKwargs   = 16384 // where secretpath_buffer reads the kwargs
	guestScratch  = 32768 // free for programs
	guestHidden   = 112   // "SECRETPATH_FUZZ_HIDDEN" (never granted)...
	guestHiddenN  = 22    // ...and its length
	guestDefBuf   = 1024  // the default exchange buffer...
	guestDefBufN  = 4096  // ...and its size
	guestPageSize = 1 << 16
)

// garg is an argument: a raw value, a register or a literal's address.
type garg struct {
	v   uint32
	lit bool // v is an offset into the program's literals
}

// reg is register i as an argument.
func reg(i int) garg { return garg{v: 0xFE000000 | uint32(i)} }

// gprog builds a program; literals (strings the program points at) go after
// its code, so that they are never run.
type gprog struct {
	ops  []gop
	lits []byte
}

type gop struct {
	code byte
	args []garg
}

func prog() *gprog { return &gprog{} }

// op appends an op; args are uint32, int or int32 (as i32), or garg values.
func (p *gprog) op(code byte, args ...any) *gprog {
	g := gop{code: code}
	for _, a := range args {
		switch a := a.(type) {
		case garg:
			g.args = append(g.args, a)
		case uint32:
			g.args = append(g.args, garg{v: a})
		case int:
			g.args = append(g.args, garg{v: uint32(int32(a))})
		case int32:
			g.args = append(g.args, garg{v: uint32(a)})
		default:
			panic(fmt.Sprintf("gprog: argument of type %T", a))
		}
	}
	p.ops = append(p.ops, g)
	return p
}

// lit adds bytes to the program and returns their address as an argument.
func (p *gprog) lit(s string) garg {
	off := len(p.lits)
	p.lits = append(p.lits, s...)
	return garg{v: uint32(off), lit: true}
}

// set is result_set of a literal.
func (p *gprog) set(s string) *gprog { return p.op(opResultSet, p.lit(s), len(s)) }

// ret is return status.
func (p *gprog) ret(status int) *gprog { return p.op(opReturn, status) }

// bytes encodes the program. One that does not end with return or a trap
// gets "return 1", so that its literals are never run.
func (p *gprog) bytes() []byte {
	ops := p.ops
	if n := len(ops); n == 0 || (ops[n-1].code != opReturn && ops[n-1].code != opTrap) {
		ops = append(ops[:n:n], gop{code: opReturn, args: []garg{{v: 1}}})
	}
	codeLen := 0
	for _, o := range ops {
		codeLen += 1 + 4*len(o.args)
	}
	out := make([]byte, 0, codeLen+len(p.lits))
	for _, o := range ops {
		out = append(out, o.code)
		for _, a := range o.args {
			v := a.v
			if a.lit {
				v += guestProgBase + uint32(codeLen)
			}
			out = binary.LittleEndian.AppendUint32(out, v)
		}
	}
	return append(out, p.lits...)
}

func (p *gprog) String() string { return string(p.bytes()) }

// guestKwargsFor encodes fuzz_guest's kwargs: the exchange buffer, the URL
// its programs may request (registers r0, r1), and an init program.
func guestKwargsFor(bufPtr, bufSize uint32, url string, initProg []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, bufPtr)
	b = binary.LittleEndian.AppendUint32(b, bufSize)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(url)))
	b = append(b, url...)
	return append(b, initProg...)
}

// pingProg answers "pong": a tenant that answers it is serving.
var pingProg = prog().set("pong").ret(0).String()
