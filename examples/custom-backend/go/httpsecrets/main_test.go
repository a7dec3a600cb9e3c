package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/secretpath/secretpath/examples/custom-backend/go/internal/vectors"
	secretpath "github.com/secretpath/secretpath/guest-sdk/go"
	"github.com/secretpath/secretpath/guest-sdk/go/secretpathtest"
)

const (
	serviceURL = "http://127.0.0.1:8200"
	deadURL    = "http://127.0.0.1:1"
)

// service is the test service of examples/custom-backend/README.md, served
// in process by secretpathtest.Host.
func service(t *testing.T, f vectors.File) http.Handler {
	routes := map[string]vectors.Route{}
	for _, r := range f.Routes {
		routes[r.Path] = r
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if "http://"+r.Host == deadURL {
			panic(http.ErrAbortHandler) // a network failure
		}
		if r.Method != "GET" || r.ContentLength > 0 {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
		}
		for name := range r.Header {
			if name != "Authorization" {
				t.Errorf("unexpected header %s", name)
			}
		}
		if r.Header.Get("Authorization") != "Bearer "+f.Token {
			w.WriteHeader(401)
			return
		}
		route, ok := routes[r.URL.EscapedPath()]
		if !ok {
			w.WriteHeader(404)
			return
		}
		w.WriteHeader(route.Status)
		w.Write([]byte(route.Body))
	})
}

func TestVectors(t *testing.T) {
	f := vectors.Load(t, "httpsecrets.json")
	handler := service(t, f)
	vectors.Run(t, f,
		func() secretpath.Backend { return &backend{} },
		func(kwargs string) *secretpathtest.Host {
			kwargs = strings.NewReplacer("{url}", serviceURL, "{url_with_slash}", serviceURL+"/",
				"{dead_url}", deadURL, "{token}", f.Token).Replace(kwargs)
			return &secretpathtest.Host{Kwargs: kwargs, HTTP: handler}
		})
}

func TestHostNotAllowed(t *testing.T) {
	h := &secretpathtest.Host{Kwargs: `{"url": "http://svc", "token": "t0k3n"}`} // HTTP nil: no host allowed
	h.Init(&backend{})
	r := h.GetConnection("x")
	if r.Status != secretpath.StatusPermissionDenied || strings.Contains(r.Message, "t0k3n") || strings.Contains(r.Message, "svc") {
		t.Errorf("%v", r)
	}
}

func TestDebugLog(t *testing.T) {
	h := &secretpathtest.Host{Kwargs: `{"url": "http://svc"}`, HTTP: http.NotFoundHandler()}
	h.Init(&backend{})
	h.GetVariable("a b")
	if len(h.Logs) != 1 || h.Logs[0].Msg != "GET /v1/variables/a%20b: 404" {
		t.Errorf("logs %v", h.Logs)
	}
	h = &secretpathtest.Host{Kwargs: `{"url": "http://svc"}`, HTTP: http.NotFoundHandler(), LogLevel: secretpath.LevelInfo}
	h.Init(&backend{})
	h.GetVariable("a")
	if len(h.Logs) != 0 {
		t.Errorf("logs %v", h.Logs)
	}
}

func TestEscape(t *testing.T) {
	for id, want := range map[string]string{
		"":          "",
		"smtp":      "smtp",
		"a/b c?#%":  "a%2Fb%20c%3F%23%25",
		"café":      "caf%C3%A9",
		"A-Z_a.z~0": "A-Z_a.z~0",
		"x+y=z&\\":  "x%2By%3Dz%26%5C",
	} {
		if got := escape(id); got != want {
			t.Errorf("escape(%q) = %q, want %q", id, got, want)
		}
	}
}
