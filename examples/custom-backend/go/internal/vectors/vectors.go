// Package vectors runs the shared test vectors of the example backends
// (examples/custom-backend/testdata) against a Go backend on the
// development machine, through package secretpathtest.
package vectors

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	secretpath "github.com/secretpath/secretpath/guest-sdk/go"
	"github.com/secretpath/secretpath/guest-sdk/go/secretpathtest"
)

// File is a test vector file.
type File struct {
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

// Case is one backend instance: its kwargs, the init status and lookups.
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

// Load reads testdata/<name> of examples/custom-backend.
func Load(t *testing.T, name string) File {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s: no cases", name)
	}
	return f
}

// Run runs every case with a fresh backend from newBackend and a Host from
// newHost (which receives the case's kwargs text).
func Run(t *testing.T, f File, newBackend func() secretpath.Backend, newHost func(kwargs string) *secretpathtest.Host) {
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			h := newHost(c.Kwargs)
			r := h.Init(newBackend())
			if r.Status.String() != c.Init {
				t.Fatalf("init: %v, want %s", r, c.Init)
			}
			for _, l := range c.Lookups {
				var r secretpathtest.Result
				switch l.Kind {
				case "connection":
					r = h.GetConnection(l.ID)
				case "variable":
					r = h.GetVariable(l.ID)
				case "config":
					r = h.GetConfig(l.ID)
				default:
					t.Fatalf("unknown kind %q", l.Kind)
				}
				if r.Status.String() != l.Status || r.Value != l.Value {
					t.Errorf("%s %q: %v, want %s %q", l.Kind, l.ID, r, l.Status, l.Value)
				}
				for _, s := range l.MessageExcludes {
					if strings.Contains(r.Message, s) {
						t.Errorf("%s %q: message %q contains %q", l.Kind, l.ID, r.Message, s)
					}
				}
			}
		})
	}
}
