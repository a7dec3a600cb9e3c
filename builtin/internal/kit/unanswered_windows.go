package kit

import "syscall"

// platformUnanswered are Winsock's errors for a refused or reset
// connection and an unreachable host or network (WSAECONNREFUSED,
// WSAECONNRESET, WSAEHOSTUNREACH, WSAENETUNREACH), which Windows returns
// instead of the POSIX errnos.
var platformUnanswered = []syscall.Errno{10061, 10054, 10065, 10051}
