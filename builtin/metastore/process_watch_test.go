package metastore

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
)

// watchHelper is the helper process's "watch" mode: a resolver with a 1 h
// cache over s and a Watcher of variable key; it prints "value <v>" (or
// "error <err>") for each answer, and exits when its stdin closes.
func watchHelper(s *Store, key string) int {
	r := resolver.New(resolver.WithFallback("metastore", s), resolver.WithCache(time.Hour, 0))
	defer r.Close()
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: key})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	for {
		res, err := w.Watch(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if res.Err != nil {
			fmt.Println("error", res.Err)
			continue
		}
		// The cached lookup agrees with the Watcher.
		v, err := r.Variable(context.Background(), key)
		if err != nil || v.Reveal() != res.Value.Reveal() {
			fmt.Println("error the cached lookup disagrees:", err)
			continue
		}
		fmt.Println("value", res.Value.Reveal())
	}
}

// TestChangesCrossProcess: another OS process opens the store from the DSN
// with a 1 h cache and a Watcher and prints each value; this process
// changes the row; the child prints the new value. The latency from COMMIT
// (SetVariable returning) to the child's line is logged, with the default
// poll intervals: PostgreSQL with the notify trigger, SQLite's PRAGMA
// data_version every 1 s, MariaDB's CHECKSUM TABLE every 5 s.
func TestChangesCrossProcess(t *testing.T) {
	rounds := map[string]int{"postgres": 10, "sqlite": 5, "mariadb": 3}
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			ctx := t.Context()
			dsn := db.dsn(t)
			s := openStore(t, dsn, testKey)
			require.NoError(t, s.SetVariable(ctx, "k", "v0", ""))
			if db.name == "postgres" {
				require.NoError(t, s.InstallNotify(ctx))
			}

			cmd := helperCmd(t, "watch", dsn, "HELPER_NAME=k")
			stdin, err := cmd.StdinPipe()
			require.NoError(t, err)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			t.Cleanup(func() {
				stdin.Close() // the child exits
				assert.NoError(t, cmd.Wait())
			})
			type line struct {
				text string
				at   time.Time
			}
			lines := make(chan line, 100)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- line{sc.Text(), time.Now()}
				}
				close(lines)
			}()
			expect := func(want string) time.Time {
				t.Helper()
				select {
				case l, ok := <-lines:
					require.True(t, ok, "the child ended")
					require.Equal(t, want, l.text)
					return l.at
				case <-time.After(eventually):
					t.Fatalf("the child did not print %q", want)
				}
				return time.Time{}
			}
			expect("value v0")
			var lat []time.Duration
			for i := 1; i <= rounds[db.name]; i++ {
				v := "v" + strconv.Itoa(i)
				require.NoError(t, s.SetVariable(ctx, "k", v, ""))
				committed := time.Now()
				lat = append(lat, expect("value "+v).Sub(committed))
			}
			t.Logf("%s: COMMIT in this process to the child's line: %s", db.name, latencies(lat))
		})
	}
}

// BenchmarkNotifyToWatcher: PostgreSQL with the notify trigger; one store
// writes a variable, a Watcher on another store's resolver (1 h cache)
// returns the new value. ns/change is the time from COMMIT (SetVariable
// returning) to Watch returning: NOTIFY delivery, the event, the lookup;
// ns/op adds the write itself.
func BenchmarkNotifyToWatcher(b *testing.B) {
	ctx := context.Background()
	dsn := postgresDSN(b)
	writer := openStore(b, dsn, testKey)
	require.NoError(b, writer.SetVariable(ctx, "k", "start", ""))
	require.NoError(b, writer.InstallNotify(ctx))
	r := cachedResolver(b, openStore(b, dsn, testKey))
	w := r.Watcher(varReq("k"))
	defer w.Close()
	require.Equal(b, "start", watched(b, w))
	var change time.Duration
	b.ResetTimer()
	for i := range b.N {
		v := strconv.Itoa(i)
		if err := writer.SetVariable(ctx, "k", v, ""); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		if got := watched(b, w); got != v {
			b.Fatalf("watched %q, want %q", got, v)
		}
		change += time.Since(committed)
	}
	b.ReportMetric(float64(change.Nanoseconds())/float64(b.N), "ns/change")
}
