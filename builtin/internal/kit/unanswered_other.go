//go:build !windows

package kit

import "syscall"

// platformUnanswered: the POSIX errnos in unanswered are what the network
// stack returns.
var platformUnanswered []syscall.Errno
