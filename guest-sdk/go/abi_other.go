//go:build !wasip1

package secretpath

// The twin of abi_wasip1.go for every target but wasip1, so that go vet
// and go test work on the development machine: the imports call
// fakehost.Current (set by package secretpathtest), and the exports are
// handed to secretpathtest through fakehost.Guest.

import (
	"unsafe"

	"github.com/secretpath/secretpath/guest-sdk/go/internal/fakehost"
)

func init() {
	g := &fakehost.Guest
	g.Buffer = buffer[:]
	g.SetBackend = func(b any) any {
		prev := registered
		registered, _ = b.(Backend)
		return prev
	}
	g.Init = func() int32 { return int32(handleInit()) }
	g.GetConnection = func(n int32) int32 { return int32(handleLookup(kindConnection, n)) }
	g.GetVariable = func(n int32) int32 { return int32(handleLookup(kindVariable, n)) }
	g.GetConfig = func(n int32) int32 { return int32(handleLookup(kindConfig, n)) }
}

func host() fakehost.Imports {
	if fakehost.Current == nil {
		panic("secretpath: no host: this is not a GOOS=wasip1 build; run the Backend with package secretpathtest")
	}
	return fakehost.Current
}

// mem is the guest memory at p: n bytes (nil for a nil p).
func mem(p unsafe.Pointer, n int32) []byte {
	if p == nil || n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}

func kwargsRead(buf unsafe.Pointer, limit int32) int32 {
	return host().KwargsRead(mem(buf, limit))
}

func resultSet(ptr unsafe.Pointer, n int32) { host().ResultSet(mem(ptr, n)) }

func errorSet(ptr unsafe.Pointer, n int32) { host().ErrorSet(mem(ptr, n)) }

func logMessage(level int32, ptr unsafe.Pointer, n int32) { host().Log(level, mem(ptr, n)) }

func logEnabled(level int32) int32 { return host().LogEnabled(level) }

func envGet(name unsafe.Pointer, nameLen int32, buf unsafe.Pointer, limit int32) int32 {
	return host().EnvGet(mem(name, nameLen), mem(buf, limit))
}

func clockNow() int64 { return host().ClockNow() }

func httpRequest(method unsafe.Pointer, methodLen int32, url unsafe.Pointer, urlLen int32,
	headers unsafe.Pointer, headersLen int32, body unsafe.Pointer, bodyLen int32) int32 {
	return host().HTTPRequest(mem(method, methodLen), mem(url, urlLen), mem(headers, headersLen), mem(body, bodyLen))
}

func httpResponseBody(buf unsafe.Pointer, limit int32) int32 {
	return host().HTTPResponseBody(mem(buf, limit))
}

func httpResponseHeader(name unsafe.Pointer, nameLen int32, buf unsafe.Pointer, limit int32) int32 {
	return host().HTTPResponseHeader(mem(name, nameLen), mem(buf, limit))
}
