//go:build linux

package wasmhost

import "syscall"

// reserve maps n bytes of anonymous memory without reserving swap: pages
// cost nothing until the guest touches them, and the mapping never moves,
// so growing a memory is a re-slice, not a copy.
func reserve(n uint64) ([]byte, bool) {
	if n == 0 || n > 1<<32 {
		return nil, false
	}
	b, err := syscall.Mmap(-1, 0, int(n), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, false // e.g. strict overcommit: fall back to the Go heap
	}
	return b, true
}

func release(b []byte) { _ = syscall.Munmap(b) }
