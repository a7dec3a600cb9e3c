package gcpsecretmanager_test

import (
	"context"
	"fmt"
	"log"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
)

// A connection and a variable from Secret Manager, under Airflow's names
// (airflow-connections-<conn_id>, airflow-variables-<key>). A local fake
// stands in for Google here, with a fixed token; in production leave
// Credentials nil for Application Default Credentials, or build them with
// golang.org/x/oauth2/google, and leave Endpoint empty.
func Example() {
	ctx := context.Background()
	fake := gcpfake.NewServer()
	defer fake.Close()
	fake.AllowToken("example-token")
	fake.PutSecret("airflow-connections-smtp_default", "smtps://mailer:s3cret@relay.example.com:465")
	fake.PutSecret("airflow-variables-region", "europe-west1")

	b, err := gcpsecretmanager.New(ctx, gcpsecretmanager.Options{
		ProjectID: gcpfake.ProjectID,
		Credentials: &google.Credentials{
			TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "example-token"}),
		},
		Endpoint: fake.URL,
	})
	if err != nil {
		log.Fatal(err)
	}
	r := resolver.New(resolver.WithBackend(gcpsecretmanager.Name, b))
	conn, err := r.Connection(ctx, "smtp_default")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.ConnType, conn.Login, conn.Host, conn.Port)
	fmt.Println(conn.Password) // secrets print as ***
	region, err := r.Variable(ctx, "region")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(region.Reveal())
	// Output:
	// smtps mailer relay.example.com 465
	// ***
	// europe-west1
}
