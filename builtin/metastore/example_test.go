package metastore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "metastore-example")
	defer os.RemoveAll(dir)

	s, err := metastore.Open(metastore.Options{
		DSN:       "sqlite:///" + filepath.Join(dir, "airflow.db"), // or postgresql://..., mysql://...
		FernetKey: connection.NewSecret("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="),
	})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	c, _ := connection.ParseURI("smtp_default", "smtps://user:pw@relay.example.com:465")
	if err := s.SetConnection(ctx, c); err != nil {
		panic(err)
	}
	if err := s.SetVariable(ctx, "region", "eu-west-1", ""); err != nil {
		panic(err)
	}

	// The metastore is the last tier of a search path.
	r := resolver.New(resolver.WithFallback("metastore", s))
	conn, _ := r.Connection(ctx, "smtp_default")
	fmt.Println(conn.Host, conn.Port, conn.Password)
	v, _ := r.Variable(ctx, "region")
	fmt.Println(v.Reveal())
	// Output:
	// relay.example.com 465 ***
	// eu-west-1
}

func ExampleStore_UpdateVariable() {
	ctx := context.Background()
	s, _ := metastore.Open(metastore.Options{DSN: "sqlite://"}) // in memory
	defer s.Close()
	for range 3 {
		// Atomic even across processes sharing the database.
		_ = s.UpdateVariable(ctx, "runs", func(old string, exists bool) (string, error) {
			if !exists {
				return "1", nil
			}
			return old + "1", nil
		})
	}
	v, _ := s.Variable(ctx, "runs")
	fmt.Println(v)
	// Output: 111
}
