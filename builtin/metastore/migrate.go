package metastore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// migration is one step of the schema. Steps only add, and each is
// idempotent (CREATE ... IF NOT EXISTS, a column added only when missing),
// so a database that Airflow made already has what they create and is
// left as it is.
type migration struct {
	version int
	name    string
	apply   func(ctx context.Context, tx *sql.Tx, d *dialect) error
}

var migrations = []migration{
	{version: 1, name: "Airflow's connection and variable tables", apply: func(ctx context.Context, tx *sql.Tx, d *dialect) error {
		for _, stmt := range d.ddl {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	}},
	{version: 2, name: "Airflow 3's team_name columns", apply: addTeamColumns},
}

// teamTables are the tables that have Airflow 3.2's team_name column.
var teamTables = []string{"connection", "variable"}

// addTeamColumns adds team_name VARCHAR(50) NULL to connection and
// variable where it is missing, as Airflow's 3.2 migration does (all
// existing rows of no team). Airflow's column also references its team
// table (ON DELETE SET NULL); secretpath has no team table, so its column
// has no foreign key. A database Airflow made keeps its own.
//
// Not in an Airflow database (alembic_version exists): the columns are
// Airflow's to add, and its own upgrade to 3.2 would fail on a column that
// already exists. There the migration is recorded and adds nothing; until
// Airflow adds the columns every row is of no team, and lookups check now
// and then whether they have appeared (recheckTeams).
func addTeamColumns(ctx context.Context, tx *sql.Tx, d *dialect) error {
	airflow, err := d.hasTable(ctx, tx, "alembic_version")
	if err != nil {
		return fmt.Errorf("looking for Airflow's alembic_version: %w", err)
	}
	if airflow {
		return nil
	}
	for _, table := range teamTables {
		has, err := d.hasColumn(ctx, tx, table, "team_name")
		if err != nil {
			return fmt.Errorf("reading the columns of %s: %w", table, err)
		}
		if has {
			continue
		}
		if _, err := tx.ExecContext(ctx, "ALTER TABLE "+table+" ADD COLUMN team_name "+d.teamColumn); err != nil {
			return err
		}
	}
	return nil
}

// migrateLockSeconds is how long a migration waits for another's lock
// on MySQL (a variable for tests).
var migrateLockSeconds = 60

// SchemaVersion is the version of the newest migration.
var SchemaVersion = migrations[len(migrations)-1].version

// versionTable records the migrations applied.
const versionTable = "secretpath_migration"

func versionDDL(d *dialect) string {
	return d.sql("CREATE TABLE IF NOT EXISTS " + versionTable + " (version INTEGER NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at VARCHAR(40) NOT NULL)")
}

// Migrate creates the connection and variable tables when they are missing
// and applies every pending migration, holding a lock so that concurrent
// migrations (several processes' first use) wait for each other. It
// creates a missing SQLite file.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	db := s.db
	s.unlock()
	if db == nil {
		// Connecting with create migrates missing tables; then record the
		// version below in any case.
		var err error
		if db, _, err = s.conn(ctx, true); err != nil {
			return err
		}
	}
	if err := s.migrate(ctx, db); err != nil {
		return err
	}
	// Lookups prepared before a migration added team_name would show a
	// team's rows to everyone: prepare them again at the next use. The
	// migration is done: retire them even if ctx has ended meanwhile.
	s.lockWait()
	s.retire()
	s.unlock()
	return nil
}

func (s *Store) migrate(ctx context.Context, db *sql.DB) error {
	d := s.t.d
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("metastore: migrate: %w", err)
	}
	defer c.Close()
	// The lock: SQLite's write transaction locks the file; PostgreSQL an
	// advisory transaction lock; MySQL a named lock on this session (its
	// DDL commits implicitly, so the transaction cannot hold it).
	if d == dialectMySQL {
		var got sql.NullInt64
		switch err := c.QueryRowContext(ctx, "SELECT GET_LOCK('secretpath_migrate', ?)", migrateLockSeconds).Scan(&got); {
		case err != nil:
			return fmt.Errorf("metastore: migrate: could not take the migration lock: %w", err)
		case !got.Valid:
			return errors.New("metastore: migrate: could not take the migration lock: GET_LOCK failed")
		case got.Int64 != 1:
			return fmt.Errorf("metastore: migrate: could not take the migration lock: another session held it for %d s (another migration still running?)", migrateLockSeconds)
		}
		defer c.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK('secretpath_migrate')") //nolint:errcheck
	}
	tx, err := c.BeginTx(ctx, d.txOptions)
	if err != nil {
		return fmt.Errorf("metastore: migrate: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if d == dialectPostgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7301560442133113171)"); err != nil {
			return fmt.Errorf("metastore: migrate: could not take the migration lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, versionDDL(d)); err != nil {
		return fmt.Errorf("metastore: migrate: creating %s: %w", versionTable, err)
	}
	var current sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM "+versionTable).Scan(&current); err != nil {
		return fmt.Errorf("metastore: migrate: reading the schema version: %w", err)
	}
	for _, m := range migrations {
		if int64(m.version) <= current.Int64 {
			continue
		}
		if err := m.apply(ctx, tx, d); err != nil {
			return fmt.Errorf("metastore: migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, d.sql("INSERT INTO "+versionTable+" (version, name, applied_at) VALUES (?, ?, ?)"),
			m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("metastore: migration %d: recording it: %w", m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("metastore: migrate: %w", err)
	}
	return nil
}

// Status describes a metastore database, as `secretpath db check` shows it.
type Status struct {
	Dialect string // "sqlite", "postgres" or "mysql"
	Path    string // the SQLite file, "" otherwise
	// Version is the newest secretpath migration applied (0: none, as in a
	// database that Airflow made); Latest is SchemaVersion.
	Version, Latest int
	// Airflow reports an Airflow metadata database (alembic_version exists).
	Airflow bool
	// Connections and Variables count the rows.
	Connections, Variables int
	// Problems lists what is wrong; empty when the database is usable.
	Problems []string
}

// ErrCheck is returned by Check when the database is not usable.
var ErrCheck = errors.New("metastore: database check failed")

// Check connects and reports whether the tables have Airflow's columns and
// the schema is up to date. It changes nothing (a missing default database
// is a problem, not created). The error wraps ErrCheck and lists the
// problems, or is the connection error.
func (s *Store) Check(ctx context.Context) (Status, error) {
	st := Status{Dialect: s.t.d.name, Path: s.t.path, Latest: SchemaVersion}
	if err := s.lock(ctx); err != nil {
		return st, err
	}
	db := s.db
	s.unlock()
	if db == nil {
		_, _, err := s.conn(ctx, false)
		switch {
		case errors.Is(err, errNoDatabase):
			st.Problems = append(st.Problems, "the database "+s.t.path+" does not exist yet (run: secretpath db migrate)")
			return st, fmt.Errorf("%w: %s", ErrCheck, strings.Join(st.Problems, "; "))
		case err != nil && strings.Contains(err.Error(), "has no connection and variable tables"):
		case err != nil:
			return st, err
		}
		if err := s.lock(ctx); err != nil {
			return st, err
		}
		db = s.db
		s.unlock()
	}
	has := func(q string) bool { return s.probe(ctx, q) }
	if !has("SELECT id, conn_id, conn_type, description, host, `schema`, login, password, port, is_encrypted, is_extra_encrypted, extra FROM connection WHERE 1=0") {
		st.Problems = append(st.Problems, "table connection is missing or lacks Airflow's columns")
	} else if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM connection").Scan(&st.Connections); err != nil {
		return st, fmt.Errorf("metastore: check: %w", err)
	}
	if !has("SELECT id, `key`, val, description, is_encrypted FROM variable WHERE 1=0") {
		st.Problems = append(st.Problems, "table variable is missing or lacks Airflow's columns")
	} else if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM variable").Scan(&st.Variables); err != nil {
		return st, fmt.Errorf("metastore: check: %w", err)
	}
	st.Airflow = has("SELECT 1 FROM alembic_version WHERE 1=0")
	if has("SELECT version FROM " + versionTable + " WHERE 1=0") {
		var v sql.NullInt64
		if err := db.QueryRowContext(ctx, "SELECT MAX(version) FROM "+versionTable).Scan(&v); err != nil {
			return st, fmt.Errorf("metastore: check: %w", err)
		}
		st.Version = int(v.Int64)
		if st.Version > SchemaVersion {
			st.Problems = append(st.Problems, fmt.Sprintf("schema version %d is newer than this build's %d", st.Version, SchemaVersion))
		} else if st.Version < SchemaVersion {
			st.Problems = append(st.Problems, fmt.Sprintf("schema version %d, this build has %d (run: secretpath db migrate)", st.Version, SchemaVersion))
		}
	} else if !st.Airflow && len(st.Problems) == 0 {
		st.Problems = append(st.Problems, "no schema version recorded (run: secretpath db migrate)")
	}
	if len(st.Problems) > 0 {
		return st, fmt.Errorf("%w: %s", ErrCheck, strings.Join(st.Problems, "; "))
	}
	return st, nil
}
