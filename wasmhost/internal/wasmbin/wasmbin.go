// Package wasmbin decodes and encodes the primitives of the WebAssembly
// binary format (LEB128 integers, byte vectors, names) for the host's
// pre-compile scan and the fuel rewriter.
package wasmbin

import (
	"errors"
	"fmt"
)

// ErrTruncated is the error of a read past the end of the input.
var ErrTruncated = errors.New("unexpected end")

// Reader reads B from Off. The first error sticks in Err: later reads
// return zero values, so a decoder checks Err once at the end.
type Reader struct {
	B   []byte
	Off int
	Err error
}

// Done reports whether the input is used up or an error happened.
func (r *Reader) Done() bool { return r.Err != nil || r.Off >= len(r.B) }

// Fail records an error unless one is already recorded.
func (r *Reader) Fail(format string, args ...any) {
	if r.Err == nil {
		r.Err = fmt.Errorf(format, args...)
	}
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.Err != nil {
		return 0
	}
	if r.Off >= len(r.B) {
		r.Err = ErrTruncated
		return 0
	}
	c := r.B[r.Off]
	r.Off++
	return c
}

// ULEB reads an unsigned LEB128 of at most bits bits.
func (r *Reader) ULEB(bits int) uint64 {
	var v uint64
	maxBytes := (bits + 6) / 7
	for i := 0; i < maxBytes; i++ {
		c := r.Byte()
		if r.Err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if bits < 64 && v>>bits != 0 {
				r.Fail("integer too large")
				return 0
			}
			return v
		}
	}
	r.Fail("integer representation too long")
	return 0
}

// U32 reads an unsigned 32-bit LEB128.
func (r *Reader) U32() uint32 { return uint32(r.ULEB(32)) }

// SLEB reads a signed LEB128 of at most bits bits (32, 33 or 64), without
// checking that the value fits them.
func (r *Reader) SLEB(bits int) int64 {
	var v int64
	var shift uint
	maxBytes := (bits + 6) / 7
	for i := 0; i < maxBytes; i++ {
		c := r.Byte()
		if r.Err != nil {
			return 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
	r.Fail("integer representation too long")
	return 0
}

// S32 reads a signed 32-bit LEB128 and checks that it fits.
func (r *Reader) S32() int32 {
	v := r.SLEB(32)
	if r.Err == nil && (v < -1<<31 || v > 1<<31-1) {
		r.Fail("integer too large")
		return 0
	}
	return int32(v)
}

// Bytes reads n bytes (a view of B, not a copy).
func (r *Reader) Bytes(n uint64) []byte {
	if r.Err != nil {
		return nil
	}
	if uint64(r.Off)+n > uint64(len(r.B)) {
		r.Err = ErrTruncated
		return nil
	}
	b := r.B[r.Off : r.Off+int(n)]
	r.Off += int(n)
	return b
}

// Name reads a length-prefixed name.
func (r *Reader) Name() string { return string(r.Bytes(uint64(r.U32()))) }

// AppendU32 appends v as an unsigned LEB128.
func AppendU32(b []byte, v uint32) []byte {
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

// AppendS64 appends v as a signed LEB128 (also right for i32 values).
func AppendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// AppendName appends s as a length-prefixed name.
func AppendName(b []byte, s string) []byte {
	b = AppendU32(b, uint32(len(s)))
	return append(b, s...)
}

// AppendSection appends a section: its id, its size and its payload.
func AppendSection(b []byte, id byte, payload []byte) []byte {
	b = append(b, id)
	b = AppendU32(b, uint32(len(payload)))
	return append(b, payload...)
}
