// Package fakehost connects package secretpath, built for a non-wasm
// target, to package secretpathtest: the secretpath_v1 imports call Imports,
// and secretpathtest drives the guest's exports through Guest.
//
// Nothing here exists in a GOOS=wasip1 build.
package fakehost

// Imports is what the secretpath_v1 imports do in a non-wasm build. Every
// slice aliases guest data: an implementation copies what it keeps. A read
// function writes into buf only when the value fits (len(buf) is the
// limit) and returns the full length, as in ABI.md.
type Imports interface {
	KwargsRead(buf []byte) int32
	ResultSet(b []byte)
	ErrorSet(b []byte)
	Log(level int32, msg []byte)
	LogEnabled(level int32) int32
	EnvGet(name, buf []byte) int32
	ClockNow() int64
	HTTPRequest(method, url, headers, body []byte) int32
	HTTPResponseBody(buf []byte) int32
	HTTPResponseHeader(name, buf []byte) int32
}

// Current serves the imports; nil outside a secretpathtest call.
var Current Imports

// Guest is the guest side: package secretpath sets it in a non-wasm build.
var Guest struct {
	Buffer        []byte                 // the exchange buffer
	SetBackend    func(b any) (prev any) // replaces the registered backend (a secretpath.Backend)
	Init          func() int32           // secretpath_init
	GetConnection func(int32) int32      // secretpath_get_connection
	GetVariable   func(int32) int32      // secretpath_get_variable
	GetConfig     func(int32) int32      // secretpath_get_config
}
