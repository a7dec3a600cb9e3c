// Package secretpath opens the search path an Airflow-style config file
// describes, with every built-in backend linked: the configured secrets
// backend (local files, AWS SSM Parameter Store and Secrets Manager,
// HashiCorp Vault, GCP Secret Manager, Azure Key Vault, Kubernetes
// Secrets, or a WebAssembly module), then environment variables, then the
// metastore (in a worker's view of the config, the Airflow 3 Execution API
// when a token is set).
//
//	r, err := secretpath.OpenFile(ctx, "secretpath.cfg")
//	if err != nil { ... }
//	defer r.Close()
//	conn, err := r.Connection(ctx, "smtp_default")
//
// It is the "everything" convenience. A program that wants fewer
// dependencies imports the backends it uses (each package registers its
// backend) and opens the config with config.Load and resolver.Open: see
// examples/minimal. Build tags leave vendors out of this package (and of
// the CLI): secretpath_no_aws, secretpath_no_azure, secretpath_no_gcp,
// secretpath_no_kubernetes, secretpath_no_vault, secretpath_no_wasm,
// secretpath_no_executionapi.
package secretpath

import (
	"context"
	"os"

	_ "github.com/secretpath/secretpath/builtin/env"       // registers "env" (the environment role)
	_ "github.com/secretpath/secretpath/builtin/localfs"   // registers "localfs"
	_ "github.com/secretpath/secretpath/builtin/metastore" // registers "metastore" (the database role)
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// OpenFile loads the config file at path, applies the
// AIRFLOW__SECTION__KEY overrides from the process environment, and opens
// the search path it describes with resolver.Open. With path "" there is
// no file: the search path is the environment variables, then the
// metastore (the embedded default SQLite file unless
// AIRFLOW__DATABASE__SQL_ALCHEMY_CONN says otherwise). Errors wrap
// config.ErrInvalid.
func OpenFile(ctx context.Context, path string, opts ...resolver.Option) (*resolver.Resolver, error) {
	cfg, err := config.Load(path, os.Environ())
	if err != nil {
		return nil, err
	}
	return resolver.Open(ctx, cfg, opts...)
}
