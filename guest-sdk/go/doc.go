// Package secretpath is the Go guest SDK for secretpath's WebAssembly secrets
// backends: it implements ABI v1 (wasmhost/ABI.md in the secretpath
// repository) so that a backend is one type with four methods.
//
// A backend is a main package that registers a [Backend] from an init
// function and is built as a WASI reactor with standard Go:
//
//	package main
//
//	import secretpath "github.com/secretpath/secretpath/guest-sdk/go"
//
//	type backend struct{ secretpath.UnimplementedBackend }
//
//	func (backend) GetVariable(key string) (string, error) {
//		if key == "greeting" {
//			return "hello", nil
//		}
//		return "", secretpath.ErrNotFound
//	}
//
//	func init() { secretpath.Register(backend{}) }
//
//	func main() {} // never called: the host runs _initialize, which runs init functions only
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags="-s -w" -o backend.wasm .
//
// # Errors
//
// A method's error becomes the ABI status code: an error that wraps
// [ErrNotFound], [ErrInvalidArgument], [ErrUnavailable],
// [ErrPermissionDenied] or [ErrUnimplemented] (errors.Is) gives that status,
// any other error gives INTERNAL. The error's text, unless the error is a
// bare sentinel, is sent to the host as the failure message: it must never
// contain a secret value.
//
// # Calls
//
// The host calls Init once per instance, then the lookup methods, one call
// at a time: a backend needs no locking. A panic traps the instance; the
// host fails the call and discards the instance. Goroutines a backend starts
// only run while the host is inside one of its calls.
//
// # Capabilities
//
// [Getenv], [Now] and [HTTPRequest] call host functions that a tenant must
// be granted ("env", "clock", "http"). A module imports a capability
// function as soon as its code refers to it, whether or not the call runs,
// and the host refuses the module for a tenant that is not granted it. [Log]
// and [LogEnabled] are always available.
//
// # Testing
//
// Outside GOOS=wasip1 the package compiles with stand-ins for the host
// functions, so go vet and go test work on the development machine. Package
// secretpathtest runs a Backend through the same code as the WebAssembly
// exports against a fake host.
package secretpath
