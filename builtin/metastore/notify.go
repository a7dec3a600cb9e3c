package metastore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/secretpath/secretpath/resolver"
)

// PostgreSQL change notifications: the channel, the names of what
// InstallNotify creates, and the application_name of the listening
// connection (so that an operator sees it in pg_stat_activity).
const (
	NotifyChannel = "secretpath_changes"
	// notifyTrigger fires for each row written; notifyTruncate once per
	// TRUNCATE. Trigger names are per table.
	notifyTrigger  = "secretpath_notify"
	notifyTruncate = "secretpath_notify_truncate"
	listenAppName  = "secretpath_listen"
)

// notifyTable is a table the triggers watch, with its id column.
type notifyTable struct {
	name, kind, idColumn string
}

var notifyTables = []notifyTable{
	{name: "connection", kind: "connection", idColumn: "conn_id"},
	{name: "variable", kind: "variable", idColumn: `"key"`},
}

// function is the trigger function's name for table t.
func (t notifyTable) function() string { return "secretpath_notify_" + t.name }

// errNotifyNotNeeded is InstallNotify's error on SQLite and MySQL/MariaDB.
func (s *Store) errNotifyNotNeeded() error {
	how := fmt.Sprintf("CHECKSUM TABLE every %s (it reads both tables)", s.tablePoll)
	if s.t.d == dialectSQLite {
		how = fmt.Sprintf("PRAGMA data_version every %s (no table read)", s.sqlitePoll)
	}
	return fmt.Errorf("metastore: the notify trigger is for PostgreSQL only; on %s changes are seen by polling %s: %w", s.t.d.name, how, errors.ErrUnsupported)
}

// ChangeMethod says how Changes learns of changes on this database, in a
// sentence for `secretpath db check`: pushed by the notify trigger, or
// polled (and how often).
func (s *Store) ChangeMethod(ctx context.Context) (string, error) {
	switch s.t.d {
	case dialectSQLite:
		return fmt.Sprintf("polled (PRAGMA data_version every %s)", s.sqlitePoll), nil
	case dialectMySQL:
		return fmt.Sprintf("polled (CHECKSUM TABLE every %s)", s.tablePoll), nil
	}
	ok, err := s.NotifyInstalled(ctx)
	if err != nil {
		return "", err
	}
	if ok {
		return "pushed (the notify trigger is installed; LISTEN " + NotifyChannel + ")", nil
	}
	return fmt.Sprintf("polled, reading both tables every %s: the notify trigger is not installed (run: secretpath db install-notify)", s.tablePoll), nil
}

// NotifyInstalled reports whether the triggers InstallNotify creates are on
// both tables (and enabled). It is false on SQLite and MySQL/MariaDB, which
// have none.
func (s *Store) NotifyInstalled(ctx context.Context) (bool, error) {
	if s.t.d != dialectPostgres {
		return false, nil
	}
	db, err := s.pool(ctx)
	if err != nil {
		return false, err
	}
	return notifyInstalled(ctx, func(ctx context.Context, q string, args ...any) scanner {
		return db.QueryRowContext(ctx, q, args...)
	})
}

// scanner is a row of database/sql or of pgx.
type scanner interface{ Scan(dest ...any) error }

// queryRow runs a query that returns one row, on a pool or a pgx
// connection.
type queryRow func(ctx context.Context, q string, args ...any) scanner

// notifyInstalled: the row trigger is on both tables, enabled.
func notifyInstalled(ctx context.Context, q queryRow) (bool, error) {
	var n int
	err := q(ctx, "SELECT COUNT(*) FROM pg_trigger WHERE tgrelid IN (to_regclass('connection'), to_regclass('variable')) AND tgname = $1 AND tgenabled <> 'D'", notifyTrigger).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("metastore: reading the notify triggers from pg_trigger: %w", err)
	}
	return n == len(notifyTables), nil
}

// InstallNotify creates, in one transaction, the trigger functions
// secretpath_notify_connection() and secretpath_notify_variable() and the
// triggers secretpath_notify (AFTER INSERT OR UPDATE OR DELETE, FOR EACH
// ROW) and secretpath_notify_truncate (AFTER TRUNCATE) on the connection
// and variable tables, in the tables' schema. Each row written sends
// pg_notify('secretpath_changes', payload), at commit, with the JSON
// payload {"kind":"connection"|"variable","id":...,"team":...|null,
// "schema":...}; an UPDATE that changes the id or the team sends the old
// row's too, a TRUNCATE sends {"all":true,"schema":...}. The payload holds
// no value. An id is at most 250 characters, well within pg_notify's
// 8000-byte limit; a payload that would exceed it is sent as
// {"all":true}. Running it again replaces them (after a migration that
// added team_name, run it again so that payloads carry teams; until then
// they say null, which drops the id's answers for every team). It needs
// the tables (run Migrate first) and the right to create functions in
// their schema and triggers on them (usually: their owner).
//
// Only the explicit command (`secretpath db install-notify`) installs the
// triggers: Airflow owns the schema. On SQLite and MySQL/MariaDB, nothing
// is needed; the error wraps errors.ErrUnsupported and says how changes
// are seen there.
func (s *Store) InstallNotify(ctx context.Context) error {
	if s.t.d != dialectPostgres {
		return s.errNotifyNotNeeded()
	}
	return s.notifyTx(ctx, "installing the notify trigger", func(tx *sql.Tx, t notifyTable, schema string) error {
		team, err := s.t.d.hasColumn(ctx, tx, t.name, "team_name")
		if err != nil {
			return fmt.Errorf("reading the columns of %s: %w", t.name, err)
		}
		table := quoteIdent(schema) + "." + t.name
		fn := quoteIdent(schema) + "." + t.function() + "()"
		for _, stmt := range []string{
			triggerFunction(fn, t, team),
			"DROP TRIGGER IF EXISTS " + notifyTrigger + " ON " + table,
			"CREATE TRIGGER " + notifyTrigger + " AFTER INSERT OR UPDATE OR DELETE ON " + table + " FOR EACH ROW EXECUTE FUNCTION " + fn,
			"DROP TRIGGER IF EXISTS " + notifyTruncate + " ON " + table,
			"CREATE TRIGGER " + notifyTruncate + " AFTER TRUNCATE ON " + table + " FOR EACH STATEMENT EXECUTE FUNCTION " + fn,
		} {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("on table %s: %w", t.name, err)
			}
		}
		return nil
	})
}

// UninstallNotify drops what InstallNotify created; running processes
// notice within Options.TablePoll and poll the tables instead. On SQLite
// and MySQL/MariaDB the error wraps errors.ErrUnsupported.
func (s *Store) UninstallNotify(ctx context.Context) error {
	if s.t.d != dialectPostgres {
		return s.errNotifyNotNeeded()
	}
	return s.notifyTx(ctx, "removing the notify trigger", func(tx *sql.Tx, t notifyTable, schema string) error {
		table := quoteIdent(schema) + "." + t.name
		for _, stmt := range []string{
			"DROP TRIGGER IF EXISTS " + notifyTrigger + " ON " + table,
			"DROP TRIGGER IF EXISTS " + notifyTruncate + " ON " + table,
			"DROP FUNCTION IF EXISTS " + quoteIdent(schema) + "." + t.function() + "()",
		} {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("on table %s: %w", t.name, err)
			}
		}
		return nil
	})
}

// notifyTx runs fn for each table in one transaction that holds an
// advisory lock, so that concurrent installs wait for each other.
func (s *Store) notifyTx(ctx context.Context, what string, fn func(tx *sql.Tx, t notifyTable, schema string) error) error {
	db, _, err := s.conn(ctx, false)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("metastore: %s: %w", what, err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7301560442133113172)"); err != nil {
		return fmt.Errorf("metastore: %s: taking the lock: %w", what, err)
	}
	for _, t := range notifyTables {
		schema, err := tableSchema(ctx, func(ctx context.Context, q string, args ...any) scanner {
			return tx.QueryRowContext(ctx, q, args...)
		}, t.name)
		if err != nil {
			return fmt.Errorf("metastore: %s: %w", what, err)
		}
		if err := fn(tx, t, schema); err != nil {
			return fmt.Errorf("metastore: %s: %w", what, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("metastore: %s: %w", what, err)
	}
	return nil
}

// tableSchema returns the schema of the table an unqualified name resolves
// to, through search_path.
func tableSchema(ctx context.Context, q queryRow, table string) (string, error) {
	var schema sql.NullString
	if err := q(ctx, "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)", table).Scan(&schema); err != nil && !errors.Is(err, sql.ErrNoRows) && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("reading the schema of table %s: %w", table, err)
	}
	if !schema.Valid {
		return "", fmt.Errorf("there is no table %s (run: secretpath db migrate)", table)
	}
	return schema.String, nil
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// triggerFunction is the CREATE OR REPLACE FUNCTION of table t's trigger
// function fn; team: the table has team_name (else payloads say null).
func triggerFunction(fn string, t notifyTable, team bool) string {
	payload := func(row string) string {
		teamOf := "NULL::text"
		if team {
			teamOf = row + ".team_name"
		}
		return "p := json_build_object('kind', '" + t.kind + "', 'id', " + row + "." + t.idColumn + ", 'team', " + teamOf + ", 'schema', TG_TABLE_SCHEMA)::text;\n" +
			"\t\tIF octet_length(p) >= 8000 THEN p := all_rows; END IF;\n" +
			"\t\tPERFORM pg_notify('" + NotifyChannel + "', p);\n"
	}
	changed := "OLD." + t.idColumn + " IS DISTINCT FROM NEW." + t.idColumn
	if team {
		changed += " OR OLD.team_name IS DISTINCT FROM NEW.team_name"
	}
	return "CREATE OR REPLACE FUNCTION " + fn + " RETURNS trigger LANGUAGE plpgsql AS $secretpath$\n" +
		"-- secretpath: tells listeners (LISTEN " + NotifyChannel + ") which row changed: kind, id, team; never a value.\n" +
		"-- Installed by `secretpath db install-notify`, removed by `secretpath db uninstall-notify`.\n" +
		"DECLARE\n\tp text;\n\tall_rows text := json_build_object('all', true, 'schema', TG_TABLE_SCHEMA)::text;\n" +
		"BEGIN\n" +
		"\tIF TG_OP = 'TRUNCATE' THEN\n\t\tPERFORM pg_notify('" + NotifyChannel + "', all_rows);\n\t\tRETURN NULL;\n\tEND IF;\n" +
		"\tIF TG_OP <> 'INSERT' THEN\n\t\t" + payload("OLD") + "\tEND IF;\n" +
		"\tIF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (" + changed + ")) THEN\n\t\t" + payload("NEW") + "\tEND IF;\n" +
		"\tRETURN NULL;\nEND\n$secretpath$"
}

// notifyPayload is what the trigger functions send.
type notifyPayload struct {
	Kind   string  `json:"kind"`
	ID     *string `json:"id"`
	Team   *string `json:"team"`
	Schema string  `json:"schema"`
	All    bool    `json:"all"`
}

// decodeNotify turns a notification's payload into an event. schemas are
// the schemas of the connection and variable tables this store reads: a
// notification of a table in another schema of the same database is not
// ours (ok false). A payload that does not decode is All.
func decodeNotify(payload string, schemas map[string]string) (ev resolver.Event, ok bool) {
	var p notifyPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return resolver.Event{All: true}, true
	}
	ours := func(kind string) bool { return p.Schema == "" || schemas[kind] == "" || p.Schema == schemas[kind] }
	var kind resolver.Kind
	switch p.Kind {
	case "connection":
		kind = resolver.KindConnection
	case "variable":
		kind = resolver.KindVariable
	default:
		if p.All && !ours("connection") && !ours("variable") {
			return resolver.Event{}, false
		}
		return resolver.Event{All: true}, true
	}
	if !ours(p.Kind) {
		return resolver.Event{}, false
	}
	if p.All || p.ID == nil {
		return resolver.Event{All: true}, true
	}
	ev = resolver.Event{Kind: kind, ID: *p.ID}
	if p.Team != nil {
		ev.Team = *p.Team
	}
	return ev, true
}

// listen is Changes on PostgreSQL. The LISTEN connection is taken from the
// pool and never returned to it (it would keep listening, and its
// application_name): it is discarded when listen returns.
func (s *Store) listen(ctx context.Context, emit func(resolver.Event)) error {
	db, err := s.pool(ctx)
	if err != nil {
		return err
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("metastore: change events: taking a connection: %w", err)
	}
	defer c.Close()
	var streamErr error
	_ = c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			streamErr = fmt.Errorf("metastore: change events: the PostgreSQL driver connection is a %T, not pgx's", dc)
		} else {
			streamErr = s.listenOn(ctx, sc.Conn(), emit)
		}
		return driver.ErrBadConn // discard the connection
	})
	return streamErr
}

// listenOn listens on pc until ctx ends or the connection breaks. Every
// Options.TablePoll, whether or not notifications came meanwhile, it asks
// whether the triggers are (still) installed, and, while they are not,
// reads the tables' digest to see changes all the same.
func (s *Store) listenOn(ctx context.Context, pc *pgx.Conn, emit func(resolver.Event)) error {
	q := func(ctx context.Context, query string, args ...any) scanner { return pc.QueryRow(ctx, query, args...) }
	fail := func(what string, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("metastore: change events: %s: %w", what, err)
	}
	if _, err := pc.Exec(ctx, "SET application_name = '"+listenAppName+"'"); err != nil {
		return fail("setting application_name", err)
	}
	if _, err := pc.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return fail("LISTEN "+NotifyChannel, err)
	}
	s.listenPID.Store(pc.PgConn().PID())
	schemas := map[string]string{}
	for _, t := range notifyTables {
		if schema, err := tableSchema(ctx, q, t.name); err == nil {
			schemas[t.kind] = schema
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
		// A missing table: notifications of any schema are taken.
	}
	// pushed: the triggers are installed; else last is the tables' digest.
	pushed, err := notifyInstalled(ctx, q)
	if err != nil {
		return fail("checking the notify trigger", err)
	}
	var last string
	if !pushed {
		s.warnNotPushed(ctx)
		if last, err = tablesDigest(ctx, q); err != nil {
			return fail("reading the tables' digest", err)
		}
	}
	emit(resolver.Event{All: true})
	// The check runs every TablePoll whatever arrives: notifications (ours,
	// or another schema's, which are ignored) must not put it off, or,
	// while they come more often than TablePoll, a change would never be
	// seen without the triggers, nor the triggers' removal.
	nextCheck := time.Now().Add(s.tablePoll)
	for {
		if time.Now().Before(nextCheck) {
			wctx, cancel := context.WithDeadline(ctx, nextCheck)
			n, err := pc.WaitForNotification(wctx)
			timedOut := err != nil && ctx.Err() == nil && wctx.Err() != nil
			cancel()
			switch {
			case err == nil:
				if ev, ok := decodeNotify(n.Payload, schemas); ok {
					emit(ev)
				}
				continue // the check, if nextCheck has passed
			case ctx.Err() != nil:
				return ctx.Err()
			case !timedOut:
				return fail("waiting for notifications (connection lost?)", err)
			}
		}
		// Installed now? Asked before the digest is read: a change made
		// before the triggers existed is then in the digest, and every
		// later one is notified.
		installed, err := notifyInstalled(ctx, q)
		if err != nil {
			return fail("checking the notify trigger", err)
		}
		if !pushed || !installed {
			digest, err := tablesDigest(ctx, q)
			if err != nil {
				return fail("reading the tables' digest", err)
			}
			if pushed || digest != last {
				emit(resolver.Event{All: true}) // when pushed: the triggers went
			}
			last = digest
		}
		switch {
		case installed && !pushed:
			s.logger.LogAttrs(ctx, slog.LevelInfo, "metastore: the notify trigger is installed: changes are now pushed (LISTEN "+NotifyChannel+")")
		case !installed && pushed:
			s.warnNotPushed(ctx)
		}
		pushed = installed
		nextCheck = time.Now().Add(s.tablePoll)
	}
}

// warnNotPushed logs that the triggers are missing.
func (s *Store) warnNotPushed(ctx context.Context) {
	s.logger.LogAttrs(ctx, slog.LevelWarn, "metastore: the PostgreSQL notify trigger is not installed: changes are not pushed until `secretpath db install-notify` runs; until then both tables are read every "+s.tablePoll.String()+" to see changes",
		slog.Duration("poll", s.tablePoll))
}

// tablesDigest is a digest of every row's id and xmin (the transaction that
// wrote it) in both tables: any committed insert, update or delete changes
// it. It reads the tables, not the values (only row headers and ids).
func tablesDigest(ctx context.Context, q queryRow) (string, error) {
	var both bool
	if err := q(ctx, "SELECT to_regclass('connection') IS NOT NULL AND to_regclass('variable') IS NOT NULL").Scan(&both); err != nil || !both {
		return "missing", err
	}
	var digest string
	err := q(ctx, `SELECT
	(SELECT COUNT(*)::text || ':' || COALESCE(md5(string_agg(id::text || ':' || xmin::text, ',' ORDER BY id)), '') FROM connection) || '/' ||
	(SELECT COUNT(*)::text || ':' || COALESCE(md5(string_agg(id::text || ':' || xmin::text, ',' ORDER BY id)), '') FROM variable)`).Scan(&digest)
	return digest, err
}
