package abitest

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// VectorFile is a file of examples/custom-backend/testdata: the behaviour
// every language's example backend must show.
type VectorFile struct {
	Token  string  `json:"token"`
	Routes []Route `json:"routes"`
	Cases  []Case  `json:"cases"`
}

// Route is one answer of the httpsecrets test service.
type Route struct {
	Path   string `json:"path"`
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// Case is one tenant: its kwargs, its init status and its lookups.
type Case struct {
	Name    string   `json:"name"`
	Kwargs  string   `json:"kwargs"`
	Init    string   `json:"init"`
	Lookups []Lookup `json:"lookups"`
}

// Lookup is one lookup and its expected outcome.
type Lookup struct {
	Kind            string   `json:"kind"`
	ID              string   `json:"id"`
	Status          string   `json:"status"`
	Value           string   `json:"value"`
	MessageExcludes []string `json:"message_excludes"`
}

// LoadVectors reads examples/custom-backend/testdata/<name>.
func LoadVectors(t testing.TB, name string) VectorFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "examples", "custom-backend", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var f VectorFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s: no cases", name)
	}
	return f
}

// RunVectors runs every case of f against module m through host h, each
// case as a new tenant configured by cfg (Kwargs is set from the case).
// When f has routes, a loopback HTTP service serves them and the
// placeholders {url}, {url_with_slash}, {dead_url} and {token} in kwargs are
// replaced; the tenant is then granted HTTP to that service.
func RunVectors(t *testing.T, h *wasmhost.Host, m *wasmhost.Module, f VectorFile, cfg wasmhost.TenantConfig) {
	replace := strings.NewReplacer()
	if len(f.Routes) > 0 {
		srv := serveRoutes(t, f)
		dead := deadURL(t)
		replace = strings.NewReplacer("{url_with_slash}", srv.URL+"/", "{url}", srv.URL, "{dead_url}", dead, "{token}", f.Token)
		cfg.Capabilities.HTTP = &wasmhost.HTTPCapability{AllowHosts: []string{hostOf(srv.URL), hostOf(dead)}}
	}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			ctx := context.Background()
			tc := cfg
			tc.Name = t.Name()
			tc.Kwargs = []byte(replace.Replace(c.Kwargs))
			tn, err := h.NewTenant(ctx, m, tc)
			if got := statusOf(err); got != c.Init {
				t.Fatalf("init: got %s (%v), want %s", got, err, c.Init)
			}
			checkCode(t, "init", err, c.Init)
			if err != nil {
				return
			}
			defer tn.Close()
			for _, l := range c.Lookups {
				req := resolver.Request{ID: l.ID}
				switch l.Kind {
				case "connection":
					req.Kind = resolver.KindConnection
				case "variable":
					req.Kind = resolver.KindVariable
				case "config":
					req.Kind = resolver.KindConfig
				default:
					t.Fatalf("unknown kind %q", l.Kind)
				}
				v, err := tn.Lookup(ctx, req)
				want := l.Status
				if want == "UNIMPLEMENTED" {
					want = "NOT_FOUND" // the host reports both as not found
				}
				if got := statusOf(err); got != want || v != l.Value {
					t.Errorf("%s %q: got %s %q (%v), want %s %q", l.Kind, l.ID, got, v, err, want, l.Value)
				}
				checkCode(t, l.Kind+" "+strconv.Quote(l.ID), err, want)
				for _, s := range l.MessageExcludes {
					if err != nil && strings.Contains(err.Error(), replace.Replace(s)) {
						t.Errorf("%s %q: error %q contains %q", l.Kind, l.ID, err, s)
					}
				}
			}
		})
	}
}

// statusOf names the ABI status an error stands for.
func statusOf(err error) string {
	var ge *wasmhost.GuestError
	switch {
	case err == nil:
		return "OK"
	case errors.Is(err, resolver.ErrNotFound):
		return "NOT_FOUND"
	case errors.As(err, &ge):
		return ge.Status.String()
	}
	return "ERROR: " + err.Error()
}

// checkCode checks that resolver.Code classifies err as the ABI status
// named status: the code of the same number (the host marks its errors;
// see wasmhost.Status.Code).
func checkCode(t *testing.T, what string, err error, status string) {
	t.Helper()
	for s := wasmhost.StatusOK; s <= wasmhost.StatusResourceExhausted; s++ {
		if s.String() == status {
			if got := resolver.Code(err); got != s.Code() {
				t.Errorf("%s: resolver.Code = %v, want %v (%v)", what, got, s.Code(), err)
			}
			return
		}
	}
	t.Errorf("%s: %q is not an ABI status", what, status)
}

func serveRoutes(t *testing.T, f VectorFile) *httptest.Server {
	routes := map[string]Route{}
	for _, r := range f.Routes {
		routes[r.Path] = r
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.Token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		rt, ok := routes[r.URL.EscapedPath()]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(rt.Status)
		_, _ = w.Write([]byte(rt.Body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// deadURL is a loopback URL where nothing listens.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func hostOf(u string) string { return strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://") }
