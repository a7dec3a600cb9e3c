package wasmhost

import (
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

const pageSize = 65536

// limitedMemory backs one instance's linear memory. It refuses to grow past
// its tenant's limit (memory.grow then returns -1 in the guest) and keeps
// the tenant's count of memory bytes current. On Linux the limit is
// reserved with mmap up front (address space only), so growing never
// copies and an idle tenant holds no Go heap for its memory; elsewhere, or
// when the reservation fails, the memory is a Go slice grown geometrically.
type limitedMemory struct {
	buf     []byte
	mapped  []byte // the reservation, when mmap-backed
	max     uint64
	refused atomic.Bool   // a grow was refused
	total   *atomic.Int64 // the tenant's bytes of linear memory
}

var _ experimental.LinearMemory = (*limitedMemory)(nil)

func (m *limitedMemory) Reallocate(size uint64) []byte {
	if size > m.max {
		m.refused.Store(true)
		return nil
	}
	old := uint64(len(m.buf))
	if m.mapped != nil {
		m.buf = m.mapped[:size]
	} else if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
	} else {
		// Grow geometrically (bounded by the limit) so that guests that grow
		// a page at a time do not copy their memory on every grow.
		c := max(size, min(2*uint64(cap(m.buf)), m.max))
		nb := make([]byte, size, c)
		copy(nb, m.buf)
		m.buf = nb
	}
	m.total.Add(int64(size) - int64(old))
	return m.buf
}

func (m *limitedMemory) Free() {
	m.total.Add(-int64(len(m.buf)))
	m.buf = nil
	if m.mapped != nil {
		release(m.mapped)
		m.mapped = nil
	}
}

// allocator hands out limitedMemory for one instantiation.
type allocator struct{ mem *limitedMemory }

func (a allocator) Allocate(_, max uint64) experimental.LinearMemory {
	a.mem.max = min(a.mem.max, max)
	a.mem.mapped, _ = reserve(a.mem.max)
	return a.mem
}
