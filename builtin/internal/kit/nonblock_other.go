//go:build !unix

package kit

// openNonblock: no such flag on this platform (on Windows, opening a
// named pipe with no server fails at once).
const openNonblock = 0
