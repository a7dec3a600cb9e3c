//go:build !linux

package wasmhost

// reserve is not available here: linear memory lives on the Go heap.
func reserve(uint64) ([]byte, bool) { return nil, false }

func release([]byte) {}
