package metastore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// queries are the statements lookups use, prepared once per pool.
type queries struct {
	conn, variable *sql.Stmt
	// teams: the table has Airflow 3's team_name column; rows of a team are
	// not ours (we look up with no team, so team_name must be NULL).
	connTeams, varTeams bool
}

const connColumns = "conn_type, description, host, `schema`, login, password, port, is_encrypted, is_extra_encrypted, extra"

// prepare checks the tables (migrating them when create and missing) and
// prepares the lookups.
func (s *Store) prepare(ctx context.Context, create bool) (*queries, error) {
	d := s.t.d
	has := func(table string) bool { return s.probe(ctx, "SELECT 1 FROM "+table+" WHERE 1=0") }
	if !has("connection") || !has("variable") {
		if !create {
			return nil, fmt.Errorf("metastore: the %s database has no connection and variable tables (run: secretpath db migrate)", d.name)
		}
		if err := s.migrate(ctx, s.db); err != nil {
			return nil, err
		}
	}
	q := &queries{
		connTeams: s.probe(ctx, "SELECT team_name FROM connection WHERE 1=0"),
		varTeams:  s.probe(ctx, "SELECT team_name FROM variable WHERE 1=0"),
	}
	team := func(on bool) string {
		if on {
			return " AND team_name IS NULL"
		}
		return ""
	}
	var err error
	if q.conn, err = s.db.PrepareContext(ctx, d.sql("SELECT "+connColumns+" FROM connection WHERE conn_id = ?"+team(q.connTeams))); err != nil {
		return nil, fmt.Errorf("metastore: preparing the connection lookup: %w", err)
	}
	if q.variable, err = s.db.PrepareContext(ctx, d.sql("SELECT val, is_encrypted FROM variable WHERE `key` = ?"+team(q.varTeams))); err != nil {
		q.conn.Close()
		return nil, fmt.Errorf("metastore: preparing the variable lookup: %w", err)
	}
	return q, nil
}

// probe reports whether a query runs (a table or a column exists).
func (s *Store) probe(ctx context.Context, query string) bool {
	rows, err := s.db.QueryContext(ctx, s.t.d.sql(query))
	if err != nil {
		return false
	}
	rows.Close()
	return rows.Err() == nil
}

// The not-found errors.
var (
	errConnNotFound = fmt.Errorf("metastore: connection not in the database: %w", resolver.ErrNotFound)
	errVarNotFound  = fmt.Errorf("metastore: variable not in the database: %w", resolver.ErrNotFound)
)

// lookupConn returns the pool's statements for a lookup, or a not-found
// error when the default database does not exist yet.
func (s *Store) lookupConn(ctx context.Context, notFound error) (*queries, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_, q, err := s.conn(ctx, false)
	if errors.Is(err, errNoDatabase) {
		return nil, notFound
	}
	return q, err
}

// connRow is one row of the connection table, as stored.
type connRow struct {
	connID                                  string
	connType                                string
	description, host, schema, login, extra sql.NullString
	password                                sql.NullString
	port                                    sql.NullInt64
	isEncrypted, isExtraEncrypted           sql.NullBool
}

func (r *connRow) scanTargets() []any {
	return []any{&r.connType, &r.description, &r.host, &r.schema, &r.login, &r.password, &r.port, &r.isEncrypted, &r.isExtraEncrypted, &r.extra}
}

// Lookup returns what req asks for: a connection in Airflow's JSON form, or
// a variable's value, decrypted. The metastore holds no configs: a config
// request is an error wrapping resolver.ErrNotFound. req.Team is not used
// (rows of a team are never visible, see the package documentation).
func (s *Store) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	switch req.Kind {
	case resolver.KindConnection:
		return s.connectionValue(ctx, req.ID)
	case resolver.KindVariable:
		return s.Variable(ctx, req.ID)
	}
	return "", fmt.Errorf("metastore: no %s lookups (it holds connections and variables): %w", req.Kind, resolver.ErrNotFound)
}

// Connection returns connection req.ID, its password and extra decrypted:
// the resolver's fast path (resolver.ConnectionBackend), which skips
// encoding the row as JSON and parsing it again. req.Kind must be
// resolver.KindConnection, or zero (a Go caller's
// resolver.Request{ID: connID}); another kind is not found.
func (s *Store) Connection(ctx context.Context, req resolver.Request) (connection.Connection, error) {
	if req.Kind != resolver.KindConnection && req.Kind != 0 {
		return connection.Connection{}, fmt.Errorf("metastore: a connection lookup of a %s request: %w", req.Kind, resolver.ErrNotFound)
	}
	return s.connection(ctx, req.ID)
}

func (s *Store) connection(ctx context.Context, connID string) (connection.Connection, error) {
	q, err := s.lookupConn(ctx, errConnNotFound)
	if err != nil {
		return connection.Connection{}, err
	}
	r := connRow{connID: connID}
	switch err := q.conn.QueryRowContext(ctx, connID).Scan(r.scanTargets()...); {
	case errors.Is(err, sql.ErrNoRows):
		return connection.Connection{}, errConnNotFound
	case err != nil:
		return connection.Connection{}, s.queryError(ctx, "looking up a connection", err)
	}
	return s.decodeConn(&r)
}

// decodeConn decrypts a row and builds the Connection as Airflow's model
// would load it: NULL columns are absent, extra must be a JSON object.
func (s *Store) decodeConn(r *connRow) (connection.Connection, error) {
	fields := map[string]any{"conn_type": r.connType}
	opt := func(key string, v sql.NullString) {
		if v.Valid {
			fields[key] = v.String
		}
	}
	opt("description", r.description)
	opt("host", r.host)
	opt("schema", r.schema)
	opt("login", r.login)
	if r.port.Valid {
		fields["port"] = int(r.port.Int64)
	}
	if r.password.Valid && r.password.String != "" {
		pw := r.password.String
		if r.isEncrypted.Bool {
			var err error
			if pw, err = s.keysNow().decrypt(pw); err != nil {
				return connection.Connection{}, fmt.Errorf("metastore: connection %q: password: %w", r.connID, err)
			}
		}
		fields["password"] = pw
	}
	if r.extra.Valid && r.extra.String != "" {
		extra := r.extra.String
		if r.isExtraEncrypted.Bool {
			var err error
			if extra, err = s.keysNow().decrypt(extra); err != nil {
				return connection.Connection{}, fmt.Errorf("metastore: connection %q: extra: %w", r.connID, err)
			}
		}
		fields["extra"] = extra
	}
	c, err := connection.FromFields(r.connID, fields)
	if err != nil {
		return connection.Connection{}, fmt.Errorf("metastore: stored %w", err)
	}
	c.ConnID = r.connID
	return c, nil
}

// connectionValue returns connection connID in Airflow's JSON form.
func (s *Store) connectionValue(ctx context.Context, connID string) (string, error) {
	c, err := s.connection(ctx, connID)
	if err != nil {
		return "", err
	}
	b, err := c.RevealedJSON()
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Variable returns variable key's value, decrypted: Lookup of a
// resolver.KindVariable request, for Go callers. A NULL value is absent,
// as it is for Airflow's Variable.get.
func (s *Store) Variable(ctx context.Context, key string) (string, error) {
	q, err := s.lookupConn(ctx, errVarNotFound)
	if err != nil {
		return "", err
	}
	var val sql.NullString
	var enc sql.NullBool
	switch err := q.variable.QueryRowContext(ctx, key).Scan(&val, &enc); {
	case errors.Is(err, sql.ErrNoRows):
		return "", errVarNotFound
	case err != nil:
		return "", s.queryError(ctx, "looking up a variable", err)
	}
	if !val.Valid {
		return "", errVarNotFound
	}
	if !enc.Bool {
		return val.String, nil
	}
	v, err := s.keysNow().decrypt(val.String)
	if err != nil {
		return "", fmt.Errorf("metastore: variable %q: %w", key, err)
	}
	return v, nil
}

// queryError wraps a database error; a context error is returned so that
// errors.Is(err, context.Canceled) holds.
func (s *Store) queryError(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("metastore: %s: %w (%v)", what, ctxErr, err)
	}
	return fmt.Errorf("metastore: %s: %w", what, err)
}
