package awsssm_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// From Go: an aws.Config (in production, config.LoadDefaultConfig(ctx)),
// then a Backend in a resolver's search path. A local fake stands in for
// AWS here.
func Example() {
	ctx := context.Background()
	fake := awsfake.NewServer()
	defer fake.Close()
	fake.PutParameter("/airflow/connections/smtp_default", "smtps://user:s3cret@relay.example.com:465", awsfake.SecureString)

	cfg := aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "example-secret", ""),
	}
	b, err := awsssm.New(awsssm.Options{
		AWS:           cfg,
		ClientOptions: []func(*ssm.Options){func(o *ssm.Options) { o.BaseEndpoint = aws.String(fake.URL) }},
		Variables:     location.Location{Off: true},                               // variables live elsewhere: never asked
		Configs:       location.Location{Prefix: "/prod/airflow/config"},          // instead of /airflow/config
		Connections:   location.Location{LookupPattern: "smtp_|postgres_|mysql_"}, // other ids: no request
	})
	if err != nil {
		log.Fatal(err)
	}
	r := resolver.New(resolver.WithBackend(awsssm.Name, b))
	conn, err := r.Connection(ctx, "smtp_default")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.ConnType, conn.Host, conn.Port, conn.Login, conn.Password)
	fmt.Println(fake.Names(awsfake.TargetGetParameter))
	// Output:
	// smtps relay.example.com 465 user ***
	// [/airflow/connections/smtp_default]
}

// From backend_kwargs, as a config file gives them: Airflow's class path
// works as the name.
func Example_kwargs() {
	ctx := context.Background()
	fake := awsfake.NewServer()
	defer fake.Close()
	fake.PutParameter("/team-a/variables/retries", "3", awsfake.String)

	kwargs, err := config.ParseKwargs([]byte(`{
		"variables_prefix": "/team-a/variables/",
		"connections_prefix": null,
		"region_name": "eu-west-1",
		"aws_access_key_id": "AKIDEXAMPLE",
		"aws_secret_access_key": "example-secret",
		"endpoint_url": "` + fake.URL + `"}`))
	if err != nil {
		log.Fatal(err)
	}
	b, err := resolver.OpenBackend(ctx, "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend", resolver.Env{Kwargs: kwargs})
	if err != nil {
		log.Fatal(err)
	}
	v, err := b.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "retries"})
	fmt.Println(v, err)
	_, err = b.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"})
	fmt.Println(err, fake.Count(""))
	// Output:
	// 3 <nil>
	// not found 1
}
