package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer for a command running in another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatch: connections watch and variables watch print the value, then
// a line per change of the file (replaced by a rename, as editors do),
// report a deletion on stderr, and exit 0 when interrupted.
func TestWatch(t *testing.T) {
	freshHome(t)
	dir := t.TempDir()
	conns := filepath.Join(dir, "conns.json")
	vars := filepath.Join(dir, "vars.json")
	replace := func(path, content string) {
		tmp := path + ".tmp"
		require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
		require.NoError(t, os.Rename(tmp, path))
	}
	replace(conns, `{"db": "postgres://u:one@h:5432/x"}`)
	replace(vars, `{"k": {"a": 1}}`)
	cfg := writeFile(t, dir, "secretpath.cfg", "[secrets]\nbackend = localfs\nbackend_kwargs = {\"connections_file_path\": \""+conns+"\", \"variables_file_path\": \""+vars+"\"}\n")

	tests := []struct {
		name   string
		args   []string
		file   string
		change []string // file contents, in turn
		want   []string // stdout lines, in turn
		stderr string   // after the last change
	}{
		{name: "connection", args: []string{"connections", "watch", "db"}, file: conns,
			change: []string{`{"db": "postgres://u:two@h:5432/x"}`, `{"other": "x://"}`},
			want:   []string{"postgres://u:one@h:5432/x", "postgres://u:two@h:5432/x"},
			stderr: `connection "db" not found`},
		{name: "variable as JSON", args: []string{"variables", "watch", "k", "--json"}, file: vars,
			change: []string{`{"k": [1]}`},
			want:   []string{"{\n  \"a\": 1\n}", "[\n  1\n]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut syncBuffer
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			code := make(chan int, 1)
			go func() {
				code <- run(ctx, append([]string{"--config", cfg}, tt.args...), &out, &errOut, os.Getenv)
			}()
			waitFor := func(what string, cond func() bool) {
				t.Helper()
				deadline := time.Now().Add(10 * time.Second) // a hang detector
				for !cond() {
					if time.Now().After(deadline) {
						t.Fatalf("%s: stdout %q, stderr %q", what, out.String(), errOut.String())
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			wantOut := ""
			for i, w := range tt.want {
				wantOut += w + "\n"
				waitFor("line "+w, func() bool { return out.String() == wantOut })
				if i < len(tt.change) {
					replace(tt.file, tt.change[i])
				}
			}
			if tt.stderr != "" {
				waitFor("stderr "+tt.stderr, func() bool { return strings.Contains(errOut.String(), tt.stderr) })
			}
			cancel()
			select {
			case c := <-code:
				assert.Equal(t, 0, c, errOut.String())
			case <-time.After(10 * time.Second):
				t.Fatal("watch did not end when interrupted")
			}
			assert.Equal(t, wantOut, out.String())
		})
	}
}
