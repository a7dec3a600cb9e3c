package metastore

import (
	"context"
	"fmt"

	"github.com/secretpath/secretpath/resolver"
)

func init() {
	resolver.Register(resolver.Registration{
		Name:    Name,
		Aliases: []string{"airflow.secrets.metastore.MetastoreBackend"},
		Role:    resolver.RoleDatabase,
		Doc:     "Airflow's connection and variable tables (SQLite, PostgreSQL, MySQL/MariaDB), Fernet-encrypted",
		Factory: open,
	})
}

// open builds the Store env.Config describes, as Airflow's
// MetastoreBackend reads its database: [database] sql_alchemy_conn (the
// legacy [core] sql_alchemy_conn as a fallback; unset means the embedded
// default), [core] fernet_key and [core] multi_team. It takes no
// backend_kwargs. The backend
// it returns is a *Store, so that callers that write (the CLI's db
// commands) can open it with resolver.OpenBackend and a type assertion.
//
// Errors wrap config.ErrInvalid. One about a setting names where it was set
// ("airflow.cfg:12", "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"), never its
// value; a "_cmd" or "_secret" variant of either setting is refused.
func open(_ context.Context, env resolver.Env) (resolver.Backend, error) {
	if err := env.Kwargs.CheckUnused(Name); err != nil {
		return nil, fmt.Errorf("%w (the metastore takes none: it reads [database] sql_alchemy_conn and [core] fernet_key)", err)
	}
	dsn, dsnWhere, _, err := env.Config.Sensitive("database", "sql_alchemy_conn", "core", "sql_alchemy_conn")
	if err != nil {
		return nil, err
	}
	key, keyWhere, _, err := env.Config.Sensitive("core", "fernet_key")
	if err != nil {
		return nil, err
	}
	multiTeam, err := env.Config.Bool("core", "multi_team", false)
	if err != nil {
		return nil, err
	}
	s, err := openAt(Options{DSN: dsn.Reveal(), FernetKey: key, MultiTeam: multiTeam, Logger: env.Logger}, dsnWhere, keyWhere)
	if err != nil {
		return nil, err // not s: a nil *Store in a Backend is not a nil Backend
	}
	return s, nil
}
