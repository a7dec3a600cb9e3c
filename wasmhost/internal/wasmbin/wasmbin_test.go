package wasmbin

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		read    func(r *Reader) any
		want    any
		wantErr string
	}{
		{"u32 one byte", []byte{0x05}, func(r *Reader) any { return r.U32() }, uint32(5), ""},
		{"u32 max", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, func(r *Reader) any { return r.U32() }, uint32(0xffffffff), ""},
		{"u32 over 32 bits", []byte{0xff, 0xff, 0xff, 0xff, 0x1f}, func(r *Reader) any { return r.U32() }, uint32(0), "integer too large"},
		{"u32 too long", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, func(r *Reader) any { return r.U32() }, uint32(0), "integer representation too long"},
		{"u32 truncated", []byte{0x80}, func(r *Reader) any { return r.U32() }, uint32(0), "unexpected end"},
		{"s32 -1", []byte{0x7f}, func(r *Reader) any { return r.S32() }, int32(-1), ""},
		{"s32 min", []byte{0x80, 0x80, 0x80, 0x80, 0x78}, func(r *Reader) any { return r.S32() }, int32(-1 << 31), ""},
		{"s32 out of range", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, func(r *Reader) any { return r.S32() }, int32(0), "integer too large"},
		{"s64 -128", []byte{0x80, 0x7f}, func(r *Reader) any { return r.SLEB(64) }, int64(-128), ""},
		{"name", []byte{0x03, 'a', 'b', 'c'}, func(r *Reader) any { return r.Name() }, "abc", ""},
		{"bytes past the end", []byte{0x05, 'a'}, func(r *Reader) any { return len(r.Bytes(uint64(r.U32()))) }, 0, "unexpected end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Reader{B: tt.in}
			assert.Equal(t, tt.want, tt.read(r))
			if tt.wantErr == "" {
				assert.NoError(t, r.Err)
				assert.True(t, r.Done(), "whole input read")
			} else {
				assert.EqualError(t, r.Err, tt.wantErr)
			}
		})
	}
	r := &Reader{B: []byte{0x80}}
	r.U32()
	assert.True(t, errors.Is(r.Err, ErrTruncated))
	assert.Zero(t, r.Byte(), "the first error sticks")
}

func TestAppendRoundTrip(t *testing.T) {
	for _, v := range []uint32{0, 1, 127, 128, 1 << 20, 0xffffffff} {
		r := &Reader{B: AppendU32(nil, v)}
		assert.Equal(t, v, r.U32())
		assert.True(t, r.Done())
	}
	for _, v := range []int64{0, -1, 63, 64, -64, -65, 1 << 31, -1 << 31, 1<<62 + 5, -1 << 63} {
		r := &Reader{B: AppendS64(nil, v)}
		assert.Equal(t, v, r.SLEB(64))
		assert.NoError(t, r.Err)
	}
	sec := AppendSection(nil, 4, []byte{1, 2, 3})
	assert.Equal(t, []byte{4, 3, 1, 2, 3}, sec)
	assert.Equal(t, []byte{2, 'h', 'i'}, AppendName(nil, "hi"))
}
