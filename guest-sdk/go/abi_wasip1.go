//go:build wasip1

package secretpath

// The whole ABI v1 surface: the exports the host calls and the
// secretpath_v1 imports. abi_other.go is its twin for other targets.
//
// A pointer parameter is an offset into the module's memory; the host
// bounds-checks it. The Go linker keeps only the imports the program calls,
// so a module imports a capability function only if it uses it.

import "unsafe"

// The host calls the go:wasmexport functions below; staticcheck does not
// count that as a use.
//
//lint:file-ignore U1000 go:wasmexport functions are called by the host

// ---- exports (ABI.md §2) ----

// abiV1 is the marker that says this module speaks ABI v1. Never called.
//
//go:wasmexport secretpath_abi_v1
func abiV1() {}

// exportBuffer returns the exchange buffer's address.
//
//go:wasmexport secretpath_buffer
func exportBuffer() int32 { return int32(uintptr(unsafe.Pointer(&buffer))) }

// exportBufferSize returns the exchange buffer's size, BufferSize.
//
//go:wasmexport secretpath_buffer_size
func exportBufferSize() int32 { return BufferSize }

// exportInit reads the kwargs (kwargs_read) and calls Backend.Init.
//
//go:wasmexport secretpath_init
func exportInit() int32 { return int32(handleInit()) }

// exportGetConnection looks up the connection whose id the host wrote at
// buffer[0:idLen]; on success the result was pushed with result_set.
//
//go:wasmexport secretpath_get_connection
func exportGetConnection(idLen int32) int32 { return int32(handleLookup(kindConnection, idLen)) }

// exportGetVariable is exportGetConnection for variables.
//
//go:wasmexport secretpath_get_variable
func exportGetVariable(idLen int32) int32 { return int32(handleLookup(kindVariable, idLen)) }

// exportGetConfig is exportGetConnection for configs.
//
//go:wasmexport secretpath_get_config
func exportGetConfig(idLen int32) int32 { return int32(handleLookup(kindConfig, idLen)) }

// ---- imports, always available (ABI.md §5) ----

// kwargsRead: (buf, limit) -> len. Writes the kwargs at buf if len <= limit.
//
//go:wasmimport secretpath_v1 kwargs_read
//go:noescape
func kwargsRead(buf unsafe.Pointer, limit int32) int32

// resultSet: (ptr, len). The host copies the lookup's result.
//
//go:wasmimport secretpath_v1 result_set
//go:noescape
func resultSet(ptr unsafe.Pointer, n int32)

// errorSet: (ptr, len). The host copies the failure message (1 KiB max).
//
//go:wasmimport secretpath_v1 error_set
//go:noescape
func errorSet(ptr unsafe.Pointer, n int32)

// logMessage: (level, ptr, len).
//
//go:wasmimport secretpath_v1 log
//go:noescape
func logMessage(level int32, ptr unsafe.Pointer, n int32)

// logEnabled: (level) -> 0 or 1.
//
//go:wasmimport secretpath_v1 log_enabled
func logEnabled(level int32) int32

// ---- imports, capabilities ----

// envGet ("env"): (name_ptr, name_len, buf, limit) -> len, or -1 when unset
// or not allowed. Writes the value at buf if len <= limit.
//
//go:wasmimport secretpath_v1 env_get
//go:noescape
func envGet(name unsafe.Pointer, nameLen int32, buf unsafe.Pointer, limit int32) int32

// clockNow ("clock"): () -> monotonic nanoseconds.
//
//go:wasmimport secretpath_v1 clock_now
func clockNow() int64

// httpRequest ("http"): (method, url, headers, body as ptr/len pairs) ->
// HTTP status, or -2 bad request, -3 network failure, -4 host not allowed.
//
//go:wasmimport secretpath_v1 http_request
//go:noescape
func httpRequest(method unsafe.Pointer, methodLen int32, url unsafe.Pointer, urlLen int32,
	headers unsafe.Pointer, headersLen int32, body unsafe.Pointer, bodyLen int32) int32

// httpResponseBody ("http"): (buf, limit) -> len of the last response's body.
//
//go:wasmimport secretpath_v1 http_response_body
//go:noescape
func httpResponseBody(buf unsafe.Pointer, limit int32) int32

// httpResponseHeader ("http"): (name_ptr, name_len, buf, limit) -> len of
// the header's first value in the last response, or -1 when absent.
//
//go:wasmimport secretpath_v1 http_response_header
//go:noescape
func httpResponseHeader(name unsafe.Pointer, nameLen int32, buf unsafe.Pointer, limit int32) int32
