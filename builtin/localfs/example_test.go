package localfs_test

import (
	"context"
	"errors"
	"fmt"
	"testing/fstest"
	"time"

	"github.com/secretpath/secretpath/builtin/localfs"
	"github.com/secretpath/secretpath/resolver"
)

// Files in an fs.FS (here an fstest.MapFS; an embed.FS or os.DirFS works
// the same), one per kind, each in its own format.
func Example() {
	fsys := fstest.MapFS{
		"connections.yaml": {Data: []byte(`
smtp_default: smtps://user:s3cret@relay.example.com:465
postgres_default:
  conn_type: postgres
  host: db.example.com
  login: airflow
  password: example-only
  port: 5432
  extra_dejson: {sslmode: require}
`)},
		"variables.env": {Data: []byte("# KEY=value, kept as written\nhello=world\n")},
	}
	b, err := localfs.New(localfs.Options{
		FS:              fsys,
		ConnectionsFile: "connections.yaml",
		VariablesFile:   "variables.env",
		// ReloadInterval 0: a lookup checks the files at most once per
		// DefaultReloadInterval.
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	c, _ := b.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "postgres_default"})
	fmt.Println(c) // the password and the extras are never printed
	fmt.Println(c.Extra)

	c, _ = b.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"})
	fmt.Println(c.Host, c.Port)

	v, _ := b.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "hello"})
	fmt.Println(v)

	_, err = b.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "missing"})
	fmt.Println(errors.Is(err, resolver.ErrNotFound))
	// Output:
	// Connection(conn_id="postgres_default", conn_type="postgres", host="db.example.com", port=5432, login="airflow", password=***, extra=***)
	// {"sslmode": "require"}
	// relay.example.com 465
	// world
	// true
}

// Every problem of a file is reported with its 1-based line; no message
// quotes a value.
func ExampleParseError() {
	fsys := fstest.MapFS{"connections.json": {Data: []byte(`{
  "a": "mysql://host",
  "b": 42,
  "c": {"host": "h", "passwd": "oops"},
  "d": ["x://one", "x://two"]
}`)}}
	b, _ := localfs.New(localfs.Options{FS: fsys, ConnectionsFile: "connections.json"})
	_, err := b.Connection(context.Background(), resolver.Request{Kind: resolver.KindConnection, ID: "a"})
	fmt.Println(err)

	var pe *localfs.ParseError
	if errors.As(err, &pe) {
		fmt.Println(len(pe.Errors), "problems, the first on line", pe.Errors[0].Line)
	}
	// Output:
	// connections.json:3: Unexpected value type: number. The connection can only be defined using a string or object.
	// connections.json:4: The object have illegal keys: passwd. The dictionary can only contain the following keys: conn_id, conn_type, description, extra, extra_dejson, host, login, password, port, schema, team_name, uri.
	// connections.json:5: Found multiple values for d (a list of 2).
	// 3 problems, the first on line 3
}

// With StatEveryLookup every lookup stats the file, so an edit is seen by
// the next lookup, as in Airflow. With the default interval (ReloadInterval
// 0) it would be seen within DefaultReloadInterval.
func ExampleStatEveryLookup() {
	fsys := fstest.MapFS{"variables.json": {Data: []byte(`{"region": "eu-west-1"}`), ModTime: time.Unix(1_700_000_000, 0)}}
	b, err := localfs.New(localfs.Options{
		FS:             fsys,
		VariablesFile:  "variables.json",
		ReloadInterval: localfs.StatEveryLookup,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	region := func() string {
		v, err := b.Lookup(context.Background(), resolver.Request{Kind: resolver.KindVariable, ID: "region"})
		if err != nil {
			return err.Error()
		}
		return v
	}
	fmt.Println(region())

	fsys["variables.json"] = &fstest.MapFile{Data: []byte(`{"region": "us-east-2"}`), ModTime: time.Unix(1_700_000_060, 0)}
	fmt.Println(region())
	// Output:
	// eu-west-1
	// us-east-2
}
