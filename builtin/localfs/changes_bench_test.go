package localfs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/resolver"
)

// BenchmarkChangeToWatcher measures the time from a file renamed over the
// old one to a Watcher's Watch returning the new value, in the same
// process (ns/change; the 50 ms debounce included).
func BenchmarkChangeToWatcher(b *testing.B) {
	path := filepath.Join(b.TempDir(), "vars.json")
	require.NoError(b, os.WriteFile(path, []byte(`{"k": "0"}`), 0o600))
	be, err := localfs.New(localfs.Options{VariablesFile: path, ReloadInterval: localfs.NeverReload})
	require.NoError(b, err)
	r := watchedResolver(b, be)
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "k"})
	defer w.Close()
	waitFor(b, w, "0", value)
	var total time.Duration
	for i := 1; b.Loop(); i++ {
		start := time.Now()
		replaceFile(b, path, fmt.Sprintf(`{"k": "%d"}`, i))
		waitFor(b, w, fmt.Sprint(i), value)
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/change")
}

// BenchmarkIdleWatchers measures what 1,000 idle Watchers (each of its
// own variable, its first answer delivered) cost on one resolver with a
// cache: goroutines, heap and stack bytes per Watcher (the cached answer
// included). Run it with -benchtime=1x.
func BenchmarkIdleWatchers(b *testing.B) {
	const n = 1000
	var sb strings.Builder
	sb.WriteString("{")
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, `"k%d": "value %d"`, i, i)
	}
	sb.WriteString("}")
	path := filepath.Join(b.TempDir(), "vars.json")
	require.NoError(b, os.WriteFile(path, []byte(sb.String()), 0o600))
	be, err := localfs.New(localfs.Options{VariablesFile: path})
	require.NoError(b, err)

	var goroutines, heap, stack float64
	for b.Loop() {
		r := watchedResolver(b, be)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		ws := make([]*resolver.Watcher, n)
		for i := range ws {
			ws[i] = r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: fmt.Sprint("k", i)})
		}
		ctx, cancel := context.WithTimeout(context.Background(), hang)
		for _, w := range ws {
			_, err := w.Watch(ctx)
			require.NoError(b, err)
		}
		cancel()
		runtime.GC()
		runtime.ReadMemStats(&after)
		goroutines = float64(runtime.NumGoroutine()-g0) / n
		heap = (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / n
		stack = (float64(after.StackInuse) - float64(before.StackInuse)) / n
		for _, w := range ws {
			require.NoError(b, w.Close())
		}
		require.NoError(b, r.Close())
	}
	b.ReportMetric(goroutines, "goroutines/watcher")
	b.ReportMetric(heap, "heap-B/watcher")
	b.ReportMetric(stack, "stack-B/watcher")
}
