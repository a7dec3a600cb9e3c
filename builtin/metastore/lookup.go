package metastore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// queries are the statements lookups use, prepared once per pool.
type queries struct {
	// conn and variable look up rows of no team; connTeam and varTeam
	// rows of a team or of none, as Airflow's MetastoreBackend does:
	// team_name = <team> OR team_name IS NULL. Without a team_name column
	// (a database of neither Airflow 3.2 nor secretpath's migration 2) every
	// row is of no team, the team statements are not prepared and a
	// team's lookup uses the plain one.
	conn, variable, connTeam, varTeam *sql.Stmt
	// connTeams, varTeams: the table has the team_name column.
	connTeams, varTeams bool
	// users counts the lookups using the statements (it grows only under
	// the store's openLock, while the statements are the store's);
	// retired: they were replaced. Retired statements are closed when
	// their last lookup ends. Atomic, so that a lookup ending (release)
	// never waits for openLock.
	users   atomic.Int32
	retired atomic.Bool
	closed  sync.Once
}

// close closes the statements (once).
func (q *queries) close() {
	q.closed.Do(func() {
		for _, st := range []*sql.Stmt{q.conn, q.variable, q.connTeam, q.varTeam} {
			if st != nil {
				st.Close()
			}
		}
	})
}

// teamless reports whether a table lacks team_name, so that the statements
// would show a team's rows if the column appeared (see recheckTeams).
func (q *queries) teamless() bool { return !q.connTeams || !q.varTeams }

// teamRecheck is how often a store whose statements were prepared without
// team_name asks the catalogue whether it has appeared (another process
// ran migration 2, or Airflow upgraded to 3.2).
const teamRecheck = 5 * time.Second

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
	// The catalogue, not a probing statement: a probe that fails for any
	// other reason (no privilege on the column, a timeout, a dropped
	// connection) would be taken for a missing column, and the statements
	// would show every team's rows for the life of the store.
	q := &queries{}
	var err error
	if q.connTeams, err = d.hasColumn(ctx, s.db, "connection", "team_name"); err != nil {
		return nil, s.queryError(ctx, "reading the columns of connection", err)
	}
	if q.varTeams, err = d.hasColumn(ctx, s.db, "variable", "team_name"); err != nil {
		return nil, s.queryError(ctx, "reading the columns of variable", err)
	}
	s.checkedTeams = s.now()
	// Airflow: conn_id (key) is unique across teams, so one row at most.
	for _, st := range []struct {
		dst        **sql.Stmt
		what, base string
		column     bool
		team       bool
	}{
		{&q.conn, "connection", "SELECT " + connColumns + " FROM connection WHERE conn_id = ?", q.connTeams, false},
		{&q.connTeam, "connection", "SELECT " + connColumns + " FROM connection WHERE conn_id = ?", q.connTeams, true},
		{&q.variable, "variable", "SELECT val, is_encrypted FROM variable WHERE `key` = ?", q.varTeams, false},
		{&q.varTeam, "variable", "SELECT val, is_encrypted FROM variable WHERE `key` = ?", q.varTeams, true},
	} {
		if st.team && !st.column {
			continue // without the column a team's lookup is the plain one (see lookup)
		}
		query := st.base + d.teamWhere(st.column, st.team)
		if *st.dst, err = s.db.PrepareContext(ctx, d.sql(query)); err != nil {
			q.close()
			return nil, fmt.Errorf("metastore: preparing the %s lookup: %w", st.what, err)
		}
	}
	return q, nil
}

// teamWhere is the condition (" AND ...", with one placeholder for the
// team when team) a lookup adds to see the rows of a team (team) or of no
// team, on a table that has the team_name column (column); without the
// column every row is of no team and it adds nothing. A team's lookup
// orders its rows team first: conn_id and key are unique across teams in
// Airflow's schema and ours, so there is one row at most, but should a
// database hold both a team's row and one of no team for an id, the team's
// wins, in the single lookup and the batch alike.
func (d *dialect) teamWhere(column, team bool) string {
	switch {
	case column && team:
		return " AND (" + d.teamEq + " OR team_name IS NULL) ORDER BY team_name IS NULL"
	case column:
		return " AND team_name IS NULL"
	}
	return ""
}

// lookup returns the statement that looks up a connection (conn) or a
// variable id for team ("" for none), and its arguments.
func (q *queries) lookup(conn bool, id, team string) (*sql.Stmt, []any) {
	st, teamSt, column := q.variable, q.varTeam, q.varTeams
	if conn {
		st, teamSt, column = q.conn, q.connTeam, q.connTeams
	}
	if team == "" || !column {
		return st, []any{id}
	}
	return teamSt, []any{id, team}
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
// error when the default database does not exist yet. With acquire, the
// caller releases the statements (s.release) when done with them.
func (s *Store) lookupConn(ctx context.Context, notFound error, acquire bool) (*queries, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_, q, err := s.connect(ctx, false, acquire)
	if errors.Is(err, errNoDatabase) {
		return nil, notFound
	}
	return q, err
}

// release ends a lookup's use of q, closing q if it was retired. It takes
// no lock: of release and retire, whichever sees the other's change last
// closes q (both may; close runs once).
func (s *Store) release(q *queries) {
	if q.users.Add(-1) == 0 && q.retired.Load() {
		q.close()
	}
}

// retire replaces the store's statements: they are prepared again at the
// next use, and the old ones closed once no lookup uses them. The caller
// holds openLock.
func (s *Store) retire() {
	if s.q == nil {
		return
	}
	s.q.retired.Store(true)
	if s.q.users.Load() == 0 {
		s.q.close()
	}
	s.q = nil
}

// recheckTeams: statements prepared without team_name would show a team's
// rows to every lookup once the column appears (another process migrates,
// or Airflow upgrades). So, at most every teamRecheck, the catalogue is
// asked again, and the statements are retired when the column is there.
// An error reading the catalogue is the lookup's. The caller holds
// openLock.
func (s *Store) recheckTeams(ctx context.Context) error {
	if s.q == nil || !s.q.teamless() || s.now().Sub(s.checkedTeams) < teamRecheck {
		return nil
	}
	d := s.t.d
	for _, c := range []struct {
		table string
		had   bool
	}{{"connection", s.q.connTeams}, {"variable", s.q.varTeams}} {
		if c.had {
			continue
		}
		has, err := d.hasColumn(ctx, s.db, c.table, "team_name")
		if err != nil {
			return s.queryError(ctx, "reading the columns of "+c.table, err)
		}
		if has {
			s.retire()
			return nil
		}
	}
	s.checkedTeams = s.now()
	return nil
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
// request is an error wrapping resolver.ErrNotFound. With multi_team on,
// a request with a team also sees that team's rows (see the package
// documentation); otherwise only rows of no team.
func (s *Store) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	switch req.Kind {
	case resolver.KindConnection:
		return s.connectionValue(ctx, req.ID, s.team(req))
	case resolver.KindVariable:
		return s.variable(ctx, req.ID, s.team(req))
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
	return s.connection(ctx, req.ID, s.team(req))
}

// team is the team whose rows a lookup of req sees besides those of no
// team: req.Team with multi_team on, else none.
func (s *Store) team(req resolver.Request) string {
	if !s.multiTeam {
		return ""
	}
	return req.Team
}

func (s *Store) connection(ctx context.Context, connID, team string) (connection.Connection, error) {
	q, err := s.lookupConn(ctx, errConnNotFound, true)
	if err != nil {
		return connection.Connection{}, err
	}
	defer s.release(q)
	r := connRow{connID: connID}
	st, args := q.lookup(true, connID, team)
	switch err := st.QueryRowContext(ctx, args...).Scan(r.scanTargets()...); {
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
func (s *Store) connectionValue(ctx context.Context, connID, team string) (string, error) {
	c, err := s.connection(ctx, connID, team)
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
// resolver.KindVariable request without a team, for Go callers. A NULL
// value is absent, as it is for Airflow's Variable.get.
func (s *Store) Variable(ctx context.Context, key string) (string, error) {
	return s.variable(ctx, key, "")
}

func (s *Store) variable(ctx context.Context, key, team string) (string, error) {
	q, err := s.lookupConn(ctx, errVarNotFound, true)
	if err != nil {
		return "", err
	}
	defer s.release(q)
	var val sql.NullString
	var enc sql.NullBool
	st, args := q.lookup(false, key, team)
	switch err := st.QueryRowContext(ctx, args...).Scan(&val, &enc); {
	case errors.Is(err, sql.ErrNoRows):
		return "", errVarNotFound
	case err != nil:
		return "", s.queryError(ctx, "looking up a variable", err)
	}
	return s.decodeVar(key, val, enc)
}

// decodeVar returns variable key's value from its row: absent when NULL,
// decrypted when encrypted.
func (s *Store) decodeVar(key string, val sql.NullString, enc sql.NullBool) (string, error) {
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
