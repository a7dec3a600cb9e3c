package wasmhost

import "fmt"

// Names of ABI v1 (see ABI.md).
const (
	importModule  = "secretpath_v1"
	wasiModule    = "wasi_snapshot_preview1"
	exportMarker  = "secretpath_abi_v1"
	exportInit    = "secretpath_init"
	exportBuffer  = "secretpath_buffer"
	exportBufSize = "secretpath_buffer_size"
	exportConn    = "secretpath_get_connection"
	exportVar     = "secretpath_get_variable"
	exportConfig  = "secretpath_get_config"
	exportReactor = "_initialize"

	minBufferSize = 256
	maxErrorBytes = 1024
)

// Status is a status code returned by a guest's lookup and init exports.
type Status uint32

// The status codes of ABI v1.
const (
	StatusOK                Status = 0
	StatusNotFound          Status = 1
	StatusInvalidArgument   Status = 2
	StatusUnavailable       Status = 3
	StatusPermissionDenied  Status = 4
	StatusInternal          Status = 5
	StatusUnimplemented     Status = 6
	StatusResourceExhausted Status = 7
	// StatusOKInBuffer is OK with the result in the exchange buffer: its
	// length as a little-endian u32 in the first 4 bytes, the bytes after
	// it. It spares the result_set host call (ABI.md §2).
	StatusOKInBuffer Status = 8
)

var statusNames = [...]string{"OK", "NOT_FOUND", "INVALID_ARGUMENT", "UNAVAILABLE", "PERMISSION_DENIED", "INTERNAL", "UNIMPLEMENTED", "RESOURCE_EXHAUSTED", "OK_IN_BUFFER"}

// String returns the status's ABI name.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("INTERNAL(%d)", uint32(s))
}

// Log levels of the log import.
const (
	levelDebug = 0
	levelInfo  = 1
	levelWarn  = 2
	levelError = 3
)

// Capability names, as granted in Capabilities and reported by Inspect.
const (
	CapLog    = "log"
	CapEnv    = "env"
	CapClock  = "clock"
	CapRandom = "random"
	CapHTTP   = "http"
)

// hostFunc describes one import of module secretpath_v1: its signature and
// the capability that must be granted to use it ("" = always available).
type hostFunc struct {
	params, results []valType
	capability      string
}

type valType byte

const (
	i32 valType = 0x7f
	i64 valType = 0x7e
)

// hostFuncs is the whole secretpath_v1 import module.
var hostFuncs = map[string]hostFunc{
	"kwargs_read":          {params: []valType{i32, i32}, results: []valType{i32}},
	"result_set":           {params: []valType{i32, i32}},
	"error_set":            {params: []valType{i32, i32}},
	"log":                  {params: []valType{i32, i32, i32}},
	"log_enabled":          {params: []valType{i32}, results: []valType{i32}},
	"env_get":              {params: []valType{i32, i32, i32, i32}, results: []valType{i32}, capability: CapEnv},
	"clock_now":            {results: []valType{i64}, capability: CapClock},
	"http_request":         {params: []valType{i32, i32, i32, i32, i32, i32, i32, i32}, results: []valType{i32}, capability: CapHTTP},
	"http_response_body":   {params: []valType{i32, i32}, results: []valType{i32}, capability: CapHTTP},
	"http_response_header": {params: []valType{i32, i32, i32, i32}, results: []valType{i32}, capability: CapHTTP},
}

// guestExport describes an export of the guest.
type guestExport struct {
	params, results []valType
	required        bool
}

var guestExports = map[string]guestExport{
	exportMarker:  {required: true},
	exportReactor: {},
	exportBuffer:  {results: []valType{i32}, required: true},
	exportBufSize: {results: []valType{i32}, required: true},
	exportInit:    {results: []valType{i32}, required: true},
	exportConn:    {params: []valType{i32}, results: []valType{i32}, required: true},
	exportVar:     {params: []valType{i32}, results: []valType{i32}, required: true},
	exportConfig:  {params: []valType{i32}, results: []valType{i32}},
}

func sigString(params, results []valType) string {
	name := func(ts []valType) string {
		s := "("
		for i, t := range ts {
			if i > 0 {
				s += ", "
			}
			if t == i64 {
				s += "i64"
			} else if t == i32 {
				s += "i32"
			} else {
				s += fmt.Sprintf("0x%x", byte(t))
			}
		}
		return s + ")"
	}
	return name(params) + " -> " + name(results)
}
