package metastore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/resolver"
)

// A long-running process caches the metastore for an hour and still sees
// another process's writes: the Store is the resolver's change source.
func ExampleStore_Changes() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "metastore-changes")
	defer os.RemoveAll(dir)
	dsn := "sqlite:///" + filepath.Join(dir, "airflow.db")

	// Two stores on one database, as two processes would have. On
	// PostgreSQL, run `secretpath db install-notify` once so that changes
	// are pushed rather than polled.
	writer, _ := metastore.Open(metastore.Options{DSN: dsn})
	defer writer.Close()
	_ = writer.SetVariable(ctx, "region", "eu-west-1", "")
	reader, _ := metastore.Open(metastore.Options{DSN: dsn, SQLitePoll: 50 * time.Millisecond})

	r := resolver.New(resolver.WithFallback("metastore", reader), resolver.WithCache(time.Hour, 0))
	defer r.Close() // closes reader
	w := r.Watcher(resolver.Request{Kind: resolver.KindVariable, ID: "region"})
	defer w.Close()

	res, _ := w.Watch(ctx)
	fmt.Println(res.Value.Reveal())
	_ = writer.SetVariable(ctx, "region", "us-east-1", "")
	res, _ = w.Watch(ctx) // the next answer that differs
	fmt.Println(res.Value.Reveal())
	v, _ := r.Variable(ctx, "region") // the cache no longer holds the old value
	fmt.Println(v.Reveal())
	// Output:
	// eu-west-1
	// us-east-1
	// us-east-1
}
