package kit

import (
	"bytes"
	"io"
	"sync"
)

// Body is a pooled buffer for a response body and the reader bounding it,
// so that a lookup neither grows a new buffer nor allocates a limit
// reader. Get one with GetBody, read with Read, and Put it back once
// nothing refers to Bytes any more.
type Body struct {
	buf bytes.Buffer
	lr  io.LimitedReader
}

var bodyPool = sync.Pool{New: func() any { return new(Body) }}

// maxPooledBody is the largest buffer Put keeps: a huge answer's buffer
// is left to the garbage collector.
const maxPooledBody = 64 << 10

// GetBody returns an empty Body from the pool.
func GetBody() *Body { return bodyPool.Get().(*Body) }

// Read reads r into the buffer, at most limit bytes; over reports that r
// had more (the buffer then holds limit + 1 bytes).
func (b *Body) Read(r io.Reader, limit int) (over bool, err error) {
	b.lr = io.LimitedReader{R: r, N: int64(limit) + 1}
	if _, err := b.buf.ReadFrom(&b.lr); err != nil {
		return false, err
	}
	return b.buf.Len() > limit, nil
}

// Bytes is what Read read; valid until Put.
func (b *Body) Bytes() []byte { return b.buf.Bytes() }

// Put returns b to the pool, emptied and without the reader it read.
func (b *Body) Put() {
	b.lr = io.LimitedReader{}
	if b.buf.Cap() > maxPooledBody {
		return
	}
	b.buf.Reset()
	bodyPool.Put(b)
}
