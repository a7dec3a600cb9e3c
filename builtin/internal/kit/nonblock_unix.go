//go:build unix

package kit

import "syscall"

// openNonblock makes opening a named pipe return at once instead of
// waiting for a writer; a regular file's reads are not affected.
const openNonblock = syscall.O_NONBLOCK
