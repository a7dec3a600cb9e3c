package awssecretsmanager_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
)

// A connection stored as a JSON secret with Secrets Manager's field
// aliases (user, pass, server, database, engine) and an alias of one's own.
// A local fake stands in for AWS here; in production the aws.Config comes
// from config.LoadDefaultConfig(ctx).
func Example() {
	ctx := context.Background()
	fake := awsfake.NewServer()
	defer fake.Close()
	fake.PutSecret("airflow/connections/warehouse",
		`{"engine": "postgresql", "db_user": "etl", "pass": "s3cret", "server": "db.example.com", "port": 5432, "database": "dwh"}`)

	b, err := awssecretsmanager.New(awssecretsmanager.Options{
		AWS: aws.Config{
			Region:      "eu-west-1",
			Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "example-secret", ""),
		},
		ClientOptions:  []func(*secretsmanager.Options){func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(fake.URL) }},
		ExtraConnWords: map[string][]string{"login": {"db_user"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := resolver.New(resolver.WithBackend(awssecretsmanager.Name, b))
	conn, err := r.Connection(ctx, "warehouse")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.ConnType, conn.Login, conn.Host, conn.Port, conn.Schema)
	fmt.Println(conn.URI())
	// Output:
	// postgres etl db.example.com 5432 dwh
	// postgres://etl:s3cret@db.example.com:5432/dwh
}
