// Package secretpathtest runs a secretpath.Backend on the development
// machine, without WebAssembly: a [Host] plays the secretpath host and calls
// the Backend through the same code the module's exports run (the exchange
// buffer, kwargs_read, result_set, error_set, the status mapping), and
// serves the capability imports from its fields.
//
//	h := &secretpathtest.Host{Kwargs: `{"greeting": "hello"}`}
//	if r := h.Init(&backend{}); r.Status != secretpath.StatusOK {
//		t.Fatal(r)
//	}
//	r := h.GetVariable("greeting") // r.Status, r.Value, r.Message
//
// The package uses process-wide state: do not run Host calls from parallel
// tests. Not imitated: the host's limits (time, memory, result size), and
// capability grants (every capability works).
package secretpathtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	secretpath "github.com/secretpath/secretpath/guest-sdk/go"
	"github.com/secretpath/secretpath/guest-sdk/go/internal/fakehost"
)

// Host is a fake secretpath host for one backend instance. Set its fields,
// call Init once, then the lookups.
type Host struct {
	// Kwargs is the backend_kwargs text kwargs_read returns.
	Kwargs string
	// Env holds the variables env_get returns; a name not in it is unset.
	Env map[string]string
	// Clock serves clock_now; nil gives a fake clock that starts at 0 and
	// advances 1 ms per reading.
	Clock func() int64
	// HTTP serves http_request in process. The request's URL and Host are
	// those the backend asked for. A handler that panics with
	// http.ErrAbortHandler makes the request fail as a network failure
	// (-3). Nil answers every request "host not allowed" (-4).
	HTTP http.Handler
	// LogLevel is the lowest level log_enabled reports and log records.
	LogLevel secretpath.Level
	// Logs receives the messages the backend logs.
	Logs []LogRecord

	backend  secretpath.Backend
	result   []byte
	resultOK bool
	message  string
	resp     *http.Response
	respBody []byte
	clock    int64
}

// LogRecord is one logged message.
type LogRecord struct {
	Level secretpath.Level
	Msg   string
}

// Result is the outcome of a call.
type Result struct {
	Status  secretpath.Status
	Value   string // the result_set value, when Status is StatusOK
	Message string // the error_set message, when Status is not StatusOK
}

// String formats r for test failures. It shows the value: test data only.
func (r Result) String() string {
	if r.Status == secretpath.StatusOK {
		return fmt.Sprintf("OK %q", r.Value)
	}
	if r.Message == "" {
		return r.Status.String()
	}
	return fmt.Sprintf("%s: %s", r.Status, r.Message)
}

// Init makes b the instance's backend and calls secretpath_init: b.Init
// receives Kwargs. It replaces any backend registered with
// secretpath.Register for the calls of this Host.
func (h *Host) Init(b secretpath.Backend) Result {
	if b == nil {
		panic("secretpathtest: Init with a nil Backend")
	}
	h.backend = b
	return h.call(fakehost.Guest.Init, false)
}

// GetConnection calls secretpath_get_connection with id.
func (h *Host) GetConnection(id string) Result { return h.lookup(fakehost.Guest.GetConnection, id) }

// GetVariable calls secretpath_get_variable with key.
func (h *Host) GetVariable(key string) Result { return h.lookup(fakehost.Guest.GetVariable, key) }

// GetConfig calls secretpath_get_config with key.
func (h *Host) GetConfig(key string) Result { return h.lookup(fakehost.Guest.GetConfig, key) }

func (h *Host) lookup(export func(int32) int32, id string) Result {
	if h.backend == nil {
		panic("secretpathtest: lookup before Init")
	}
	buf := fakehost.Guest.Buffer
	if len(id) > len(buf) { // the host does not call the guest
		return Result{Status: secretpath.StatusInvalidArgument, Message: "id longer than the exchange buffer"}
	}
	copy(buf, id)
	return h.call(func() int32 { return export(int32(len(id))) }, true)
}

func (h *Host) call(export func() int32, lookup bool) Result {
	h.result, h.resultOK, h.message = nil, false, ""
	h.resp, h.respBody = nil, nil
	prevHost := fakehost.Current
	fakehost.Current = (*imports)(h)
	prevBackend := fakehost.Guest.SetBackend(h.backend)
	defer func() {
		fakehost.Current = prevHost
		fakehost.Guest.SetBackend(prevBackend)
	}()
	st := secretpath.Status(export())
	if st == secretpath.StatusOKInBuffer && lookup {
		// The result is in the exchange buffer: u32le length, then bytes.
		buf := fakehost.Guest.Buffer
		n := uint64(binary.LittleEndian.Uint32(buf))
		if n > uint64(len(buf))-4 {
			return Result{Status: secretpath.StatusInternal, Message: "secretpathtest: ABI violation: OK_IN_BUFFER length over the buffer"}
		}
		h.result, h.resultOK, st = append([]byte(nil), buf[4:4+n]...), true, secretpath.StatusOK
	}
	if st < secretpath.StatusOK || st > secretpath.StatusResourceExhausted {
		st = secretpath.StatusInternal
	}
	if st != secretpath.StatusOK {
		return Result{Status: st, Message: h.message}
	}
	if lookup {
		if !h.resultOK {
			return Result{Status: secretpath.StatusInternal, Message: "secretpathtest: ABI violation: OK without result_set"}
		}
		return Result{Status: st, Value: string(h.result)}
	}
	return Result{Status: st}
}

// ---- the imports ----

// imports implements fakehost.Imports for a Host.
type imports Host

func readInto(buf []byte, v []byte) int32 {
	if len(v) <= len(buf) {
		copy(buf, v)
	}
	return int32(len(v))
}

func (h *imports) KwargsRead(buf []byte) int32 { return readInto(buf, []byte(h.Kwargs)) }

func (h *imports) ResultSet(b []byte) { h.result, h.resultOK = append([]byte(nil), b...), true }

func (h *imports) ErrorSet(b []byte) {
	if len(b) > 1024 {
		b = b[:1024]
	}
	h.message = string(b)
}

func (h *imports) Log(level int32, msg []byte) {
	if secretpath.Level(level) >= h.LogLevel {
		h.Logs = append(h.Logs, LogRecord{secretpath.Level(level), string(msg)})
	}
}

func (h *imports) LogEnabled(level int32) int32 {
	if secretpath.Level(level) >= h.LogLevel {
		return 1
	}
	return 0
}

func (h *imports) EnvGet(name, buf []byte) int32 {
	v, ok := h.Env[string(name)]
	if !ok {
		return -1
	}
	return readInto(buf, []byte(v))
}

func (h *imports) ClockNow() int64 {
	if h.Clock != nil {
		return h.Clock()
	}
	h.clock += 1e6
	return h.clock
}

func (h *imports) HTTPRequest(method, url, headers, body []byte) int32 {
	h.resp, h.respBody = nil, nil
	if h.HTTP == nil {
		return -4
	}
	req, err := http.NewRequest(string(method), string(url), bytes.NewReader(bytes.Clone(body)))
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		return -2
	}
	if len(headers) > 0 {
		for line := range strings.SplitSeq(string(headers), "\n") {
			name, value, ok := strings.Cut(line, ":")
			if !ok || name == "" {
				return -2
			}
			req.Header.Add(name, strings.TrimLeft(value, " \t"))
		}
	}
	rec := httptest.NewRecorder()
	if aborted := serve(h.HTTP, rec, req); aborted {
		return -3
	}
	h.resp = rec.Result()
	h.respBody = rec.Body.Bytes()
	return int32(h.resp.StatusCode)
}

func serve(handler http.Handler, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	handler.ServeHTTP(w, r)
	return false
}

func (h *imports) HTTPResponseBody(buf []byte) int32 { return readInto(buf, h.respBody) }

func (h *imports) HTTPResponseHeader(name, buf []byte) int32 {
	if h.resp == nil {
		return -1
	}
	vs := h.resp.Header.Values(string(name))
	if len(vs) == 0 {
		return -1
	}
	return readInto(buf, []byte(vs[0]))
}
