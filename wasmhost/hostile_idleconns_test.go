package wasmhost_test

import (
	"context"
	"encoding/binary"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/wasmhost"
)

// maxIdleHTTPConns is the cap on a tenant's idle HTTP connections that
// HTTPCapability documents.
const maxIdleHTTPConns = 16

// connServer serves "ok" on many loopback ports and counts the
// connections it holds open.
type connServer struct {
	srv   *http.Server
	ports []int
	open  atomic.Int64
	hold  chan struct{} // closed to release the requests to /hold
	held  chan struct{} // one send per request that reached /hold
}

func startConnServer(t *testing.T, ports int) *connServer {
	t.Helper()
	s := &connServer{hold: make(chan struct{}), held: make(chan struct{}, 16)}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hold" {
				s.held <- struct{}{}
				<-s.hold
			}
			_, _ = w.Write([]byte("ok"))
		}),
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.open.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.open.Add(-1)
			}
		},
		IdleTimeout: time.Minute, // only the client closes connections
	}
	var wg sync.WaitGroup
	for range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		s.ports = append(s.ports, ln.Addr().(*net.TCPAddr).Port)
		wg.Go(func() { _ = s.srv.Serve(ln) })
	}
	t.Cleanup(func() {
		select {
		case <-s.hold:
		default:
			close(s.hold)
		}
		_ = s.srv.Close()
		wg.Wait()
	})
	return s
}

// clientConnGoroutines counts the goroutines of HTTP client connections
// in the process (each has a read loop).
func clientConnGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "net/http.(*persistConn).readLoop(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// pollUntil polls cond for up to 20 s (connections close in milliseconds;
// the bound is for a loaded CI machine under -race, and stays below the
// transport's 30 s idle timeout, which would close them anyway).
// The message is formatted when the bound is reached, from the args'
// values then (funcs are called).
func pollUntil(t *testing.T, cond func() bool, msg string, args ...func() int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			vals := make([]any, len(args))
			for i, a := range args {
				vals[i] = a()
			}
			t.Fatalf(msg, vals...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHTTPIdleConnectionsBounded: a guest with the http capability that
// talks to many ports of an allowed host keeps at most a few idle
// connections (not one per port), and its connections are closed when the
// tenant closes, when a request in flight at Close ends, and when the host
// closes.
func TestHTTPIdleConnectionsBounded(t *testing.T) {
	const ports = 200
	srv := startConnServer(t, ports)
	baseline := clientConnGoroutines()
	clientGoroutinesOverBaseline := func() int64 { return int64(clientConnGoroutines() - baseline) }
	h, err := wasmhost.New(context.Background(), wasmhost.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer h.Close(context.Background())
	m := loadFixture(t, h, "cap_http.wasm")
	newTenant := func(name string) *wasmhost.Tenant {
		tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
			Name: name, Capabilities: wasmhost.Capabilities{HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1"}}},
		})
		require.NoError(t, err)
		return tn
	}
	visitAll := func(tn *wasmhost.Tenant) {
		for _, p := range srv.ports {
			v, err := tn.Lookup(t.Context(), connReq("http://127.0.0.1:"+strconv.Itoa(p)+"/"))
			require.NoError(t, err)
			require.Equal(t, "ok", v)
		}
	}

	tn := newTenant("many-ports")
	visitAll(tn)
	// The connection over the cap is closed as it becomes idle (the server
	// and the client's read loop notice a moment later).
	pollUntil(t, func() bool { return srv.open.Load() <= maxIdleHTTPConns },
		"idle connections are capped per tenant, not one per port: the server holds %d", srv.open.Load)
	pollUntil(t, func() bool { return clientConnGoroutines()-baseline <= maxIdleHTTPConns },
		"%d client connection goroutines, over the cap", clientGoroutinesOverBaseline)
	require.NoError(t, tn.Close())
	pollUntil(t, func() bool { return srv.open.Load() == 0 }, "tenant closed, yet the server still holds %d connections", srv.open.Load)
	pollUntil(t, func() bool { return clientConnGoroutines() <= baseline },
		"tenant closed, yet %d client connection goroutines remain", clientGoroutinesOverBaseline)

	// A lookup in flight when the tenant closes, which makes one more
	// request after Close: its connections are closed once it ends.
	busy, err := h.NewTenant(t.Context(), loadFixture(t, h, "fuzz_guest.wasm"), wasmhost.TenantConfig{
		Name:   "in-flight",
		Kwargs: guestKwargsFor(guestDefBuf, guestDefBufN, "http://127.0.0.1/", prog().ret(0).bytes()),
		Capabilities: wasmhost.Capabilities{
			Env: []string{"SECRETPATH_FUZZ_ENV"}, Clock: true, // fuzz_guest imports every function
			HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1"}},
		},
	})
	require.NoError(t, err)
	p := prog()
	for _, u := range []string{
		"http://127.0.0.1:" + strconv.Itoa(srv.ports[0]) + "/hold",
		"http://127.0.0.1:" + strconv.Itoa(srv.ports[1]) + "/after-close",
	} {
		p.op(opHTTPRequest, reg(rGET), reg(rGETLen), p.lit(u), len(u), reg(rHeaders), reg(rHdrLen), 0, 0)
		p.op(opStore, reg(rScratch), reg(rLast))
	}
	twoRequests := p.op(opResultSet, reg(rScratch), 4).ret(0).String()
	done := make(chan string, 1)
	go func() {
		v, err := busy.Lookup(context.Background(), connReq(twoRequests))
		assert.NoError(t, err)
		done <- v
	}()
	<-srv.held
	require.NoError(t, busy.Close())
	close(srv.hold)
	v := <-done
	require.Len(t, v, 4)
	assert.Equal(t, uint32(http.StatusOK), binary.LittleEndian.Uint32([]byte(v)), "the request made after Close was served")
	pollUntil(t, func() bool { return srv.open.Load() == 0 }, "the lookup in flight at Close ended, yet the server holds %d connections", srv.open.Load)

	// Closing the host closes the connections of tenants left open.
	open := newTenant("left-open")
	visitAll(open)
	require.Positive(t, srv.open.Load())
	require.NoError(t, h.Close(context.Background()))
	pollUntil(t, func() bool { return srv.open.Load() == 0 }, "host closed, yet the server still holds %d connections", srv.open.Load)
	pollUntil(t, func() bool { return clientConnGoroutines() <= baseline },
		"host closed, yet %d client connection goroutines remain", clientGoroutinesOverBaseline)
}
