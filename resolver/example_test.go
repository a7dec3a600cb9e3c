package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/secretpath/secretpath/resolver"
)

// staticBackend is a Backend serving fixed maps, for the examples.
type staticBackend struct {
	name  string
	conns map[string]string
	vars  map[string]string
}

func (s staticBackend) Name() string { return s.name }

func (s staticBackend) ConnectionValue(_ context.Context, id string) (string, error) {
	if v, ok := s.conns[id]; ok {
		return v, nil
	}
	return "", resolver.ErrNotFound
}

func (s staticBackend) Variable(_ context.Context, key string) (string, error) {
	if v, ok := s.vars[key]; ok {
		return v, nil
	}
	return "", resolver.ErrNotFound
}

func ExampleNew() {
	vault := staticBackend{name: "vault", conns: map[string]string{
		"smtp_default": "smtps://user:s3cret@relay.example.com:465",
	}}
	env := staticBackend{name: "env", vars: map[string]string{"hello": "world"}}

	r := resolver.New(
		resolver.WithBackend("", vault), // asked first
		resolver.WithFallback("", env),  // asked when no configured backend answers
	)
	ctx := context.Background()

	conn, err := r.Connection(ctx, "smtp_default")
	if err != nil {
		panic(err)
	}
	fmt.Println(conn.ConnType, conn.Host, conn.Port, conn.Login)

	hello, _ := r.Variable(ctx, "hello")
	fmt.Println(hello.Reveal())

	_, err = r.Variable(ctx, "missing")
	fmt.Println(errors.Is(err, resolver.ErrNotFound), err)
	// Output:
	// smtps relay.example.com 465 user
	// world
	// true variable "missing" not found (searched: vault, env)
}

func ExampleResolver_Connection() {
	r := resolver.New(resolver.WithBackend("", staticBackend{name: "files", conns: map[string]string{
		"pg": `{"conn_type": "postgresql", "host": "db", "login": "app", "password": "s3cret", "port": 5432, "extra": {"sslmode": "require"}}`,
	}}))
	conn, err := r.Connection(context.Background(), "pg")
	if err != nil {
		panic(err)
	}
	fmt.Println(conn)                   // secrets print as ***
	fmt.Println(conn.Password.Reveal()) // explicit access
	sslmode, _ := conn.ExtraString("sslmode")
	fmt.Println(sslmode)    // one extra by its path
	fmt.Println(conn.URI()) // Airflow's get_uri
	// Output:
	// Connection(conn_id="pg", conn_type="postgres", host="db", port=5432, login="app", password=***, extra=***)
	// s3cret
	// require
	// postgres://app:s3cret@db:5432/?sslmode=require
}

func ExampleWithCache() {
	calls := 0
	b := countingExample{calls: &calls}
	r := resolver.New(resolver.WithBackend("remote", b), resolver.WithCache(15*time.Minute, 10_000))
	for range 3 {
		_, _ = r.Variable(context.Background(), "k")
	}
	fmt.Println("backend calls:", calls)
	r.Invalidate(resolver.Request{Kind: resolver.KindVariable, ID: "k"})
	_, _ = r.Variable(context.Background(), "k")
	fmt.Println("after Invalidate:", calls)
	// Output:
	// backend calls: 1
	// after Invalidate: 2
}

type countingExample struct{ calls *int }

func (c countingExample) ConnectionValue(context.Context, string) (string, error) {
	return "", resolver.ErrNotFound
}

func (c countingExample) Variable(context.Context, string) (string, error) {
	*c.calls++
	return "v", nil
}

func (b staticBackend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	switch req.Kind {
	case resolver.KindConnection:
		return b.ConnectionValue(ctx, req.ID)
	case resolver.KindVariable:
		return b.Variable(ctx, req.ID)
	}
	return "", resolver.ErrNotFound
}

func (b countingExample) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	switch req.Kind {
	case resolver.KindConnection:
		return b.ConnectionValue(ctx, req.ID)
	case resolver.KindVariable:
		return b.Variable(ctx, req.ID)
	}
	return "", resolver.ErrNotFound
}
