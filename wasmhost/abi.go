package wasmhost

import (
	"fmt"

	"github.com/secretpath/secretpath/resolver/codes"
)

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
	exportStart   = "_start" // a WASI command's entry point: never called

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

// statusCodes is the Status -> codes.Code half of the mapping between ABI
// statuses and codes (package codes gives codes 0-7 the statuses'
// numbers); StatusFor is the other half.
var statusCodes = [...]codes.Code{
	StatusOK:                codes.OK,
	StatusNotFound:          codes.NotFound,
	StatusInvalidArgument:   codes.InvalidArgument,
	StatusUnavailable:       codes.Unavailable,
	StatusPermissionDenied:  codes.PermissionDenied,
	StatusInternal:          codes.Internal,
	StatusUnimplemented:     codes.Unimplemented,
	StatusResourceExhausted: codes.ResourceExhausted,
	StatusOKInBuffer:        codes.OK,
}

// Code returns the code a status means: statuses 0-7 are the codes of the
// same number, OK_IN_BUFFER is OK, and any other value is Internal (as the
// host treats it, ABI.md §4).
func (s Status) Code() codes.Code {
	if int(s) < len(statusCodes) {
		return statusCodes[s]
	}
	return codes.Internal
}

// StatusFor returns the ABI status that says code c: codes 0-7 are the
// statuses of the same number; DeadlineExceeded is RESOURCE_EXHAUSTED (a
// guest's time limit is a limit hit, ABI.md §6); Canceled is UNAVAILABLE
// (what http_request reports for a request it abandoned); any other code
// is INTERNAL.
func StatusFor(c codes.Code) Status {
	switch c {
	case codes.DeadlineExceeded:
		return StatusResourceExhausted
	case codes.Canceled:
		return StatusUnavailable
	}
	for s, sc := range statusCodes[:StatusOKInBuffer] {
		if sc == c {
			return Status(s)
		}
	}
	return StatusInternal
}

// errorCode is the code of a *GuestError with status s (see statusError):
// the status's code, except that an error never means OK, and NOT_FOUND and
// UNIMPLEMENTED send the search to the next tier only as a lookup's answer
// (Tenant.Lookup returns resolver.ErrNotFound for them, with no
// GuestError): from init they are a failure the guest did not say more
// about, Internal.
func errorCode(s Status) codes.Code {
	switch c := s.Code(); c {
	case codes.OK, codes.NotFound, codes.Unimplemented:
		return codes.Internal
	default:
		return c
	}
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

// capabilityNames lists every capability, as [wasm] capabilities takes them.
var capabilityNames = [...]string{CapLog, CapEnv, CapClock, CapRandom, CapHTTP}

type valType byte

const (
	i32 valType = 0x7f
	i64 valType = 0x7e
)

// chargeClass is what a metered call pays for a host function (ABI.md §6,
// "Host work by function"): every call pays hostCallFuel on entry
// (hostEntry), before the function runs; the classes say what the function
// charges on top, by the bytes the guest makes it handle, each piece charged
// before it is handled (SECURITY.md, "Host work is guest work").
type chargeClass uint8

const (
	// chargeCall: the entry charge only; the function's work does not
	// depend on what the guest passes.
	chargeCall chargeClass = iota
	// chargeCopy: plus hostByteFuel per byte copied or compared (in.input,
	// in.readInto, in.copyIn).
	chargeCopy
	// chargeParse: plus hostWorkByteFuel per byte parsed, and hostByteFuel
	// per byte only copied.
	chargeParse
)

// String says the class as ABI.md §6's host work table does.
func (c chargeClass) String() string {
	switch c {
	case chargeCall:
		return fmt.Sprintf("%d per call", hostCallFuel)
	case chargeCopy:
		return fmt.Sprintf("%d per call + %d per byte copied or compared", hostCallFuel, hostByteFuel)
	case chargeParse:
		return fmt.Sprintf("%d per call + %d per byte parsed + %d per byte copied", hostCallFuel, hostWorkByteFuel, hostByteFuel)
	}
	return fmt.Sprintf("chargeClass(%d)", uint8(c))
}

// hostFunction is one function of the import module secretpath_v1.
type hostFunction struct {
	name       string
	params     []valType
	paramNames []string // as ABI.md §5 names them
	results    []valType
	// capability must be granted to a tenant whose module imports the
	// function ("" = any module may import it; the function may still do
	// nothing without a grant, as log does without "log").
	capability string
	charge     chargeClass
	// impl does the work, after the entry check (hostEntry).
	impl hostImplFunc
}

// hostFunctions is the whole secretpath_v1 import module, in ABI.md §5's
// order: the one table that registration (instantiateHostModule),
// validation (validate: what a module may import, with which signature,
// and the capabilities that needs, which NewTenant checks and `secretpath
// wasm check` prints) and the documentation test (abidoc_test.go: ABI.md
// and every guest SDK) read. To add a function, see README.md, "Adding a
// host function".
var hostFunctions = []hostFunction{
	{name: "kwargs_read", params: []valType{i32, i32}, paramNames: []string{"buf", "limit"}, results: []valType{i32},
		charge: chargeCopy, impl: hostKwargsRead},
	{name: "result_set", params: []valType{i32, i32}, paramNames: []string{"ptr", "len"},
		charge: chargeCopy, impl: hostResultSet},
	{name: "error_set", params: []valType{i32, i32}, paramNames: []string{"ptr", "len"},
		charge: chargeCopy, impl: hostErrorSet},
	{name: "log", params: []valType{i32, i32, i32}, paramNames: []string{"level", "ptr", "len"},
		charge: chargeCopy, impl: hostLog},
	{name: "log_enabled", params: []valType{i32}, paramNames: []string{"level"}, results: []valType{i32},
		charge: chargeCall, impl: hostLogEnabled},
	{name: "env_get", params: []valType{i32, i32, i32, i32}, paramNames: []string{"name_ptr", "name_len", "buf", "limit"}, results: []valType{i32},
		capability: CapEnv, charge: chargeCopy, impl: hostEnvGet},
	{name: "clock_now", results: []valType{i64},
		capability: CapClock, charge: chargeCall, impl: hostClockNow},
	{name: "http_request", params: []valType{i32, i32, i32, i32, i32, i32, i32, i32},
		paramNames: []string{"method_ptr", "method_len", "url_ptr", "url_len", "headers_ptr", "headers_len", "body_ptr", "body_len"}, results: []valType{i32},
		capability: CapHTTP, charge: chargeParse, impl: httpRequest},
	{name: "http_response_body", params: []valType{i32, i32}, paramNames: []string{"buf", "limit"}, results: []valType{i32},
		capability: CapHTTP, charge: chargeCopy, impl: httpResponseBody},
	{name: "http_response_header", params: []valType{i32, i32, i32, i32}, paramNames: []string{"name_ptr", "name_len", "buf", "limit"}, results: []valType{i32},
		capability: CapHTTP, charge: chargeCopy, impl: httpResponseHeader},
}

// hostFunctionNamed returns the row of hostFunctions named name.
func hostFunctionNamed(name string) (*hostFunction, bool) {
	for i := range hostFunctions {
		if hostFunctions[i].name == name {
			return &hostFunctions[i], true
		}
	}
	return nil, false
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
