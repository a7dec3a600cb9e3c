package secretpath_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	secretpath "github.com/secretpath/secretpath/guest-sdk/go"
	"github.com/secretpath/secretpath/guest-sdk/go/secretpathtest"
)

// recorder is a backend that records what it receives and answers from
// its fields.
type recorder struct {
	secretpath.UnimplementedBackend
	kwargs  []byte
	initErr error
	ids     []string
	value   string
	err     error
	do      func(id string) (string, error)
}

func (r *recorder) Init(kwargs []byte) error { r.kwargs = kwargs; return r.initErr }

func (r *recorder) GetConnection(id string) (string, error) {
	r.ids = append(r.ids, id)
	if r.do != nil {
		return r.do(id)
	}
	return r.value, r.err
}

func (r *recorder) GetVariable(key string) (string, error) { return r.GetConnection("var:" + key) }

func TestInitKwargs(t *testing.T) {
	for kwargs, want := range map[string]string{
		`{"a": [1, 2]}`: `{"a": [1, 2]}`,
		"":              "{}",
		" {} ":          " {} ",
	} {
		b := &recorder{}
		h := &secretpathtest.Host{Kwargs: kwargs}
		if r := h.Init(b); r.Status != secretpath.StatusOK {
			t.Fatalf("%q: %v", kwargs, r)
		}
		if string(b.kwargs) != want {
			t.Errorf("Init got %q, want %q", b.kwargs, want)
		}
	}
}

func TestInitError(t *testing.T) {
	tests := []struct {
		err  error
		want secretpathtest.Result
	}{
		{fmt.Errorf("kwargs: unknown key %q: %w", "x", secretpath.ErrInvalidArgument),
			secretpathtest.Result{Status: secretpath.StatusInvalidArgument, Message: `kwargs: unknown key "x": invalid argument`}},
		{secretpath.ErrInvalidArgument, secretpathtest.Result{Status: secretpath.StatusInvalidArgument}},
		{errors.New("disk on fire"), secretpathtest.Result{Status: secretpath.StatusInternal, Message: "disk on fire"}},
	}
	for _, tt := range tests {
		h := &secretpathtest.Host{}
		if got := h.Init(&recorder{initErr: tt.err}); got != tt.want {
			t.Errorf("%v: got %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	b := &recorder{}
	h := &secretpathtest.Host{}
	h.Init(b)

	b.value = "postgres://u:p@db:5432/x"
	if r := h.GetConnection("pg"); r != (secretpathtest.Result{Value: "postgres://u:p@db:5432/x"}) {
		t.Errorf("found: %v", r)
	}
	b.value = ""
	if r := h.GetConnection("empty"); r != (secretpathtest.Result{}) {
		t.Errorf("empty value: %v", r)
	}
	b.err = secretpath.ErrNotFound
	if r := h.GetConnection("nope"); r != (secretpathtest.Result{Status: secretpath.StatusNotFound}) {
		t.Errorf("not found: %v", r)
	}
	b.err = fmt.Errorf("upstream answered 503: %w", secretpath.ErrUnavailable)
	want := secretpathtest.Result{Status: secretpath.StatusUnavailable, Message: "upstream answered 503: unavailable"}
	if r := h.GetConnection("x"); r != want {
		t.Errorf("unavailable: %v", r)
	}
	b.err = nil
	if r := h.GetVariable("k"); r.Status != secretpath.StatusOK {
		t.Errorf("variable: %v", r)
	}
	if r := h.GetConfig("k"); r.Status != secretpath.StatusUnimplemented {
		t.Errorf("config from UnimplementedBackend: %v", r)
	}
	if got := strings.Join(b.ids, ","); got != "pg,empty,nope,x,var:k" {
		t.Errorf("ids %s", got)
	}
}

func TestIDLimits(t *testing.T) {
	b := &recorder{value: "v"}
	h := &secretpathtest.Host{}
	h.Init(b)
	full := strings.Repeat("x", secretpath.BufferSize)
	if r := h.GetConnection(full); r.Status != secretpath.StatusOK || b.ids[0] != full {
		t.Errorf("id of BufferSize bytes: %v", r)
	}
	if r := h.GetConnection(full + "x"); r.Status != secretpath.StatusInvalidArgument || len(b.ids) != 1 {
		t.Errorf("longer id: %v, guest called %d times", r, len(b.ids))
	}
	if r := h.GetConnection(""); r.Status != secretpath.StatusOK || b.ids[1] != "" {
		t.Errorf("empty id: %v", r)
	}
}

// The id a backend keeps must not change when the host writes the next id.
func TestIDIsCopied(t *testing.T) {
	kept := map[string]bool{}
	b := &recorder{do: func(id string) (string, error) { kept[id] = true; return "v", nil }}
	h := &secretpathtest.Host{}
	h.Init(b)
	h.GetConnection("first")
	h.GetConnection("other")
	if !kept["first"] || !kept["other"] || len(kept) != 2 {
		t.Errorf("kept ids %v", kept)
	}
}

func TestPanicsWithoutRegister(t *testing.T) {
	// Lookups through a Host always use the Host's backend; without a
	// Host, calling an import panics with a hint.
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "secretpathtest") {
			t.Errorf("panic %v", v)
		}
	}()
	secretpath.LogEnabled(secretpath.LevelDebug)
}

func TestLog(t *testing.T) {
	b := &recorder{do: func(id string) (string, error) {
		for l := secretpath.LevelDebug; l <= secretpath.LevelError; l++ {
			if secretpath.LogEnabled(l) {
				secretpath.Log(l, l.String()+" "+id)
			}
		}
		return "", secretpath.ErrNotFound
	}}
	h := &secretpathtest.Host{LogLevel: secretpath.LevelWarn}
	h.Init(b)
	h.GetConnection("c")
	want := []secretpathtest.LogRecord{{Level: secretpath.LevelWarn, Msg: "WARN c"}, {Level: secretpath.LevelError, Msg: "ERROR c"}}
	if fmt.Sprint(h.Logs) != fmt.Sprint(want) {
		t.Errorf("logs %v", h.Logs)
	}
}

func TestGetenvAndNow(t *testing.T) {
	var got []string
	b := &recorder{do: func(string) (string, error) {
		for _, name := range []string{"SET", "EMPTY", "UNSET"} {
			v, ok := secretpath.Getenv(name)
			got = append(got, fmt.Sprintf("%s=%q,%v", name, v, ok))
		}
		t1, t2 := secretpath.Now(), secretpath.Now()
		got = append(got, fmt.Sprint(t2-t1))
		return "", nil
	}}
	h := &secretpathtest.Host{Env: map[string]string{"SET": "value", "EMPTY": ""}}
	h.Init(b)
	h.GetConnection("x")
	if s := strings.Join(got, " "); s != `SET="value",true EMPTY="",true UNSET="",false 1000000` {
		t.Errorf("got %s", s)
	}
}

func TestHTTPRequest(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Auth", r.Header.Get("Authorization"))
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		w.WriteHeader(201)
		fmt.Fprintf(w, "%s %s %s|%s", r.Method, r.URL.Path, r.Header.Get("X-Empty"), body)
	})
	mux.HandleFunc("GET /abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })

	var resp, second *secretpath.Response
	var err error
	req := func(method, url string, headers []secretpath.Header, body []byte) {
		h := &secretpathtest.Host{HTTP: mux}
		h.Init(&recorder{do: func(string) (string, error) {
			resp, err = secretpath.HTTPRequest(method, url, headers, body)
			if err == nil {
				second, _ = secretpath.HTTPRequest("GET", "http://svc/missing", nil, nil)
			}
			return "", nil
		}})
		h.GetConnection("x")
	}

	req("POST", "http://svc/echo", []secretpath.Header{{"Authorization", "Bearer t0k"}, {"X-Empty", ""}}, []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 201 || string(resp.Body) != "POST /echo |payload" {
		t.Errorf("response %d %q", resp.Status, resp.Body)
	}
	// Headers of an older response are gone (the host keeps the last one).
	if v, ok := resp.Header("X-Auth"); ok {
		t.Errorf("stale header read: %q", v)
	}
	if second.Status != 404 {
		t.Errorf("second %d", second.Status)
	}
	// ... and so are the last response's after the call.
	if _, ok := second.Header("Content-Type"); ok {
		t.Error("header read after the call")
	}

	var headers []string
	h := &secretpathtest.Host{HTTP: mux}
	h.Init(&recorder{do: func(string) (string, error) {
		r, err := secretpath.HTTPRequest("POST", "http://svc/echo", []secretpath.Header{{"Authorization", "Bearer t0k"}}, nil)
		if err != nil {
			return "", err
		}
		for _, name := range []string{"x-auth", "X-Multi", "X-Absent"} {
			v, ok := r.Header(name)
			headers = append(headers, fmt.Sprintf("%q,%v", v, ok))
		}
		return "", nil
	}})
	h.GetConnection("x")
	if s := strings.Join(headers, " "); s != `"Bearer t0k",true "one",true "",false` {
		t.Errorf("headers %s", s)
	}

	errs := []struct {
		name    string
		host    http.Handler
		url     string
		headers []secretpath.Header
		want    error
	}{
		{"network failure", mux, "http://svc/abort", nil, secretpath.ErrUnavailable},
		{"not allowed", nil, "http://svc/echo", nil, secretpath.ErrPermissionDenied},
		{"malformed", mux, "not a url", nil, secretpath.ErrInvalidArgument},
		{"header injection", mux, "http://svc/echo", []secretpath.Header{{"A", "x\nEvil: 1"}}, secretpath.ErrInvalidArgument},
		{"bad header name", mux, "http://svc/echo", []secretpath.Header{{"A B", "x"}}, secretpath.ErrInvalidArgument},
		{"empty header name", mux, "http://svc/echo", []secretpath.Header{{"", "x"}}, secretpath.ErrInvalidArgument},
	}
	for _, tt := range errs {
		h := &secretpathtest.Host{HTTP: tt.host}
		h.Init(&recorder{do: func(string) (string, error) {
			resp, err = secretpath.HTTPRequest("GET", tt.url, tt.headers, nil)
			return "", err
		}})
		r := h.GetConnection("x")
		if !errors.Is(err, tt.want) || resp != nil {
			t.Errorf("%s: %v, %v", tt.name, resp, err)
		}
		if r.Status != secretpath.StatusOf(tt.want) || strings.Contains(r.Message, "Evil") {
			t.Errorf("%s: %v", tt.name, r)
		}
	}
}
