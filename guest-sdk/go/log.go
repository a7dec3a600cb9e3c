package secretpath

import "unsafe"

// Level is a log level of ABI v1.
type Level int32

// The log levels.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// String returns "DEBUG", "INFO", "WARN" or "ERROR".
func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "DEBUG"
	case LevelInfo:
		return "INFO"
	case LevelWarn:
		return "WARN"
	case LevelError:
		return "ERROR"
	}
	return "Level(" + itoa(int64(l)) + ")"
}

// Log sends msg to the host's logger at level, tagged with the tenant. It
// does nothing unless the tenant is granted "log"; the host keeps at most a
// few KiB of log per call (4 KiB by default) and drops the rest. Never log
// a secret value.
func Log(level Level, msg string) {
	logMessage(int32(level), unsafe.Pointer(unsafe.StringData(msg)), int32(len(msg)))
}

// LogEnabled reports whether a message at level would be logged. Check it
// before formatting an expensive message:
//
//	if secretpath.LogEnabled(secretpath.LevelDebug) {
//		secretpath.Log(secretpath.LevelDebug, fmt.Sprintf("GET %s: %d", path, status))
//	}
func LogEnabled(level Level) bool {
	return logEnabled(int32(level)) != 0
}
