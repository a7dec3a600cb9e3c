package localfs_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/resolver"
)

// helperEnv names the connections file the helper process watches.
const helperEnv = "SECRETPATH_LOCALFS_WATCH_HELPER"

// TestHelperProcessWatch is not a test: run by TestChangesCrossProcess as
// a child process, it watches connection "db" of the file named by
// helperEnv through a resolver with a 1 h cache, prints "ready" once the
// change stream is established, then "host <host>" for each answer, until
// its stdin closes.
func TestHelperProcessWatch(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		return // the helper process of TestChangesCrossProcess (not a skip: CI fails on skips)
	}
	b, err := localfs.New(localfs.Options{ConnectionsFile: path, ReloadInterval: localfs.NeverReload})
	require.NoError(t, err)
	r := resolver.New(resolver.WithBackend("files", b), resolver.WithCache(time.Hour, 0))
	defer r.Close()
	w := r.Watcher(resolver.Request{ID: "db"})
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	for first := true; ; first = false {
		res, err := w.Watch(ctx)
		if err != nil {
			return
		}
		fmt.Printf("host %s\n", host(res))
		if first {
			for localfs.Established() == 0 {
				time.Sleep(time.Millisecond)
			}
			fmt.Println("ready")
		}
	}
}

// Another process sees a file renamed over the old one: a child process
// (this test binary running TestHelperProcessWatch) watches a connection,
// this one replaces the file, and the child prints the new value. The
// latency from the rename to the child's line is logged.
func TestChangesCrossProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conns.json")
	require.NoError(t, os.WriteFile(path, []byte(connsJSON(map[string]string{"db": "v0"})), 0o600))
	ctx, cancel := context.WithTimeout(t.Context(), 4*hang)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcessWatch$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	waitLine := func(want string) time.Time {
		t.Helper()
		timeout := time.After(hang)
		for {
			select {
			case line, ok := <-lines:
				require.True(t, ok, "the child ended before printing %q", want)
				if line == want {
					return time.Now()
				}
			case <-timeout:
				require.FailNow(t, "the child did not print "+want)
			}
		}
	}
	waitLine("host v0")
	waitLine("ready")

	var took []time.Duration
	for i := 1; i <= 5; i++ {
		h := fmt.Sprint("v", i)
		start := time.Now()
		replaceFile(t, path, connsJSON(map[string]string{"db": h}))
		took = append(took, waitLine("host "+h).Sub(start))
	}
	require.NoError(t, stdin.Close())
	require.NoError(t, cmd.Wait())
	slices.Sort(took)
	t.Logf("rename to the child's line (5 changes; %v of debounce included): min %v, median %v, max %v",
		50*time.Millisecond, took[0], took[len(took)/2], took[len(took)-1])
}
