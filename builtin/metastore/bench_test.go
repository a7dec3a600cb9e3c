package metastore

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/resolver/connection"
)

// BenchmarkLookup: one connection or variable lookup (an indexed SELECT and
// a Fernet decryption) in a database of 1,000 of each.
func BenchmarkLookup(b *testing.B) {
	for _, db := range databases {
		b.Run(db.name, func(b *testing.B) {
			ctx := b.Context()
			s := openStore(b, db.dsn(b), testKey)
			var conns []connection.Connection
			vars := map[string]string{}
			for i := range 1000 {
				c, err := connection.ParseURI(fmt.Sprintf("conn_%d", i), fmt.Sprintf("postgres://u:pw-%d@host%d:5432/db?sslmode=require", i, i))
				require.NoError(b, err)
				conns = append(conns, c)
				vars[fmt.Sprintf("var_%d", i)] = fmt.Sprintf("value-%d", i)
			}
			_, err := s.ImportConnections(ctx, conns, ImportOptions{})
			require.NoError(b, err)
			_, err = s.ImportVariables(ctx, vars, ImportOptions{})
			require.NoError(b, err)
			b.Run("connection", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Connection(ctx, connReq("conn_500")); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("variable", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Variable(ctx, "var_500"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("miss", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Variable(ctx, "absent"); err == nil {
						b.Fatal("found")
					}
				}
			})
		})
	}
}

// BenchmarkImport100k: `connections import` of a 100,000-connection JSON
// file (read as localfs reads it, encrypted, one transaction) into a new
// database. Reports the peak Go heap during the import (sampled).
func BenchmarkImport100k(b *testing.B) {
	const n = 100_000
	file := filepath.Join(b.TempDir(), "connections.json")
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("conn_%06d", i)] = fmt.Sprintf("postgres://user%d:pass-%d@host%d.example.com:5432/db%d?sslmode=require", i, i, i, i)
	}
	data, err := json.Marshal(m)
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(file, data, 0o600))
	m = nil
	for _, db := range databases {
		b.Run(db.name, func(b *testing.B) {
			ctx := b.Context()
			var peak uint64
			for b.Loop() {
				b.StopTimer()
				s := openStore(b, db.dsn(b), testKey)
				require.NoError(b, s.Migrate(ctx))
				runtime.GC()
				var base runtime.MemStats
				runtime.ReadMemStats(&base)
				stop := sampleHeap(&peak)
				b.StartTimer()

				conns, err := localfs.ReadConnections(file)
				if err != nil {
					b.Fatal(err)
				}
				list := make([]connection.Connection, 0, len(conns))
				for _, c := range conns {
					list = append(list, c)
				}
				res, err := s.ImportConnections(ctx, list, ImportOptions{})
				if err != nil || res.Written != n {
					b.Fatal(res, err)
				}

				b.StopTimer()
				stop()
				if peak > base.HeapInuse {
					peak -= base.HeapInuse
				}
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// sampleHeap records the largest HeapInuse seen every 5 ms until stop.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	*peak = 0
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
