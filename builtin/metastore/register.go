package metastore

import (
	"context"

	"github.com/secretpath/secretpath/resolver"
)

func init() {
	resolver.Register(Name, open, "airflow.secrets.metastore.MetastoreBackend")
}

// open builds a Store from backend_kwargs: sql_alchemy_conn and fernet_key
// (both optional, as in Options). secretpath.Open does not come here for a
// config file's metastore: it uses OpenConfig, which reads [database]
// sql_alchemy_conn and [core] fernet_key.
func open(_ context.Context, kw *resolver.Kwargs) (resolver.Backend, error) {
	dsn, err := kw.String("sql_alchemy_conn", "")
	if err != nil {
		return nil, err
	}
	key, err := kw.String("fernet_key", "")
	if err != nil {
		return nil, err
	}
	if err := kw.CheckUnused(Name); err != nil {
		return nil, err
	}
	return Open(Options{DSN: dsn, FernetKey: resolver.NewSecret(key)})
}
