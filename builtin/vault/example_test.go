package vault_test

import (
	"context"
	"fmt"
	"log"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
)

// A connection stored in KV version 2 as Airflow's fields, and a variable,
// read with AppRole authentication. A local fake stands in for Vault here;
// in production Address is the Vault server's and the role's ids come from
// your deployment.
func Example() {
	ctx := context.Background()
	fake := vaultfake.NewServer()
	defer fake.Close()
	fake.Mount("secret", 2)
	fake.Put("secret", "connections/warehouse", map[string]any{
		"conn_type": "postgres", "host": "db.example.com", "port": "5432",
		"login": "etl", "password": "s3cret", "schema": "dwh", "extra": map[string]any{"sslmode": "require"},
	})
	fake.Put("secret", "variables/region", map[string]any{"value": "eu-west-1"})
	fake.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{})
	fake.AddCredential("approle", "my-role-id", "my-secret-id")

	b, err := vault.New(vault.Options{
		Address: fake.URL,
		Auth:    vault.Auth{Type: vault.AuthAppRole, RoleID: "my-role-id", SecretID: "my-secret-id"},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := resolver.New(resolver.WithBackend(vault.Name, b))
	defer r.Close() // revokes the AppRole login's token

	conn, err := r.Connection(ctx, "warehouse")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.ConnType, conn.Login, conn.Host, conn.Port, conn.Schema)
	fmt.Println(conn.URI())
	region, err := r.Variable(ctx, "region")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(region.Reveal())
	// Output:
	// postgres etl db.example.com 5432 dwh
	// postgres://etl:s3cret@db.example.com:5432/dwh?sslmode=require
	// eu-west-1
}
