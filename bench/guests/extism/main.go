//go:build wasip1

// Command extism is the Extism plug-in of the per-lookup benchmark: the
// same work as wasmhost/testdata/bench_guest.wat and floor.wat (an id of
// ~16 bytes in, a fixed 60-byte connection URI out), written against the
// Extism Go PDK the way its README shows. Built by the benchmark with
// standard Go:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o extism.wasm .
package main

import "github.com/extism/go-pdk"

//lint:file-ignore U1000 go:wasmexport functions are called by the host

var uri = []byte("postgres://user:password@db.example.com:5432/analytics?x=123")

// lookup answers every non-empty id whose first byte is not NUL with the
// URI (return code 0), anything else with return code 1 and no output.
//
//go:wasmexport lookup
func lookup() int32 {
	id := pdk.Input()
	if len(id) == 0 || id[0] == 0 {
		return 1
	}
	pdk.Output(uri)
	return 0
}

func main() {}
