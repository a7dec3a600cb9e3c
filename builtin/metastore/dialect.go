package metastore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// dialect is what differs between the SQL databases the metastore runs on.
type dialect struct {
	name string // "sqlite", "postgres", "mysql"
	// open returns a pool for a DSN of this database.
	open func(source string) (*sql.DB, error)
	// quote is the identifier quote: " or `.
	quote byte
	// dollar: placeholders are $1, $2 (PostgreSQL) rather than ?.
	dollar bool
	// forUpdate is appended to a SELECT that a write transaction re-reads
	// ("" for SQLite, whose write transactions lock the whole file).
	forUpdate string
	// txOptions for write transactions.
	txOptions *sql.TxOptions
	// ddl creates the connection and variable tables (Airflow's schema) when
	// they do not exist.
	ddl []string
	// teamColumn is the type migration 2 gives team_name.
	teamColumn string
	// teamEq compares team_name with a team (one placeholder), byte for
	// byte.
	teamEq string
}

// openDriver opens DSNs with a registered database/sql driver.
func openDriver(driver string) func(string) (*sql.DB, error) {
	return func(source string) (*sql.DB, error) {
		db, err := sql.Open(driver, source)
		if err != nil {
			return nil, fmt.Errorf("metastore: opening the %s database: %w", driver, err)
		}
		return db, nil
	}
}

var (
	dialectSQLite = &dialect{
		name: "sqlite", open: openDriver("sqlite"), quote: '"',
		teamColumn: "VARCHAR(50)", teamEq: "team_name = ?",
		ddl: []string{
			`CREATE TABLE IF NOT EXISTS connection (
	id INTEGER NOT NULL,
	conn_id VARCHAR(250) NOT NULL,
	conn_type VARCHAR(500) NOT NULL,
	description VARCHAR(5000),
	host VARCHAR(500),
	"schema" VARCHAR(500),
	login TEXT,
	password TEXT,
	port INTEGER,
	is_encrypted BOOLEAN,
	is_extra_encrypted BOOLEAN,
	extra TEXT,
	CONSTRAINT connection_pkey PRIMARY KEY (id),
	CONSTRAINT connection_conn_id_uq UNIQUE (conn_id)
)`,
			`CREATE TABLE IF NOT EXISTS variable (
	id INTEGER NOT NULL,
	"key" VARCHAR(250),
	val TEXT,
	description TEXT,
	is_encrypted BOOLEAN,
	CONSTRAINT variable_pkey PRIMARY KEY (id),
	CONSTRAINT variable_key_uq UNIQUE ("key")
)`,
		},
	}
	dialectPostgres = &dialect{
		name: "postgres", open: openPostgres, quote: '"', dollar: true, forUpdate: " FOR UPDATE",
		txOptions:  &sql.TxOptions{Isolation: sql.LevelReadCommitted},
		teamColumn: "VARCHAR(50)", teamEq: "team_name = ?",
		ddl: []string{
			`CREATE TABLE IF NOT EXISTS connection (
	id SERIAL NOT NULL,
	conn_id VARCHAR(250) NOT NULL,
	conn_type VARCHAR(500) NOT NULL,
	description TEXT,
	host VARCHAR(500),
	"schema" VARCHAR(500),
	login TEXT,
	password TEXT,
	port INTEGER,
	is_encrypted BOOLEAN,
	is_extra_encrypted BOOLEAN,
	extra TEXT,
	CONSTRAINT connection_pkey PRIMARY KEY (id),
	CONSTRAINT connection_conn_id_uq UNIQUE (conn_id)
)`,
			`CREATE TABLE IF NOT EXISTS variable (
	id SERIAL NOT NULL,
	"key" VARCHAR(250),
	val TEXT,
	description TEXT,
	is_encrypted BOOLEAN,
	CONSTRAINT variable_pkey PRIMARY KEY (id),
	CONSTRAINT variable_key_uq UNIQUE ("key")
)`,
		},
	}
	// MySQL and MariaDB: ids compare byte for byte (utf8mb4_bin), as
	// Airflow's utf8mb3_bin id columns do, so ids stay case-sensitive.
	// team_name is utf8mb4_bin too (not the table's default, case- and
	// accent-insensitive collation), and lookups compare it as a binary
	// string: a _bin collation is PAD SPACE, so "team_a " would still equal
	// "team_a", and the query must also hold on a column Airflow made.
	dialectMySQL = &dialect{
		name: "mysql", open: openDriver("mysql"), quote: '`', forUpdate: " FOR UPDATE",
		txOptions:  &sql.TxOptions{Isolation: sql.LevelReadCommitted},
		teamColumn: "VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
		teamEq:     "team_name = CAST(? AS BINARY)",
		ddl: []string{
			"CREATE TABLE IF NOT EXISTS connection (\n" +
				"\tid INTEGER NOT NULL AUTO_INCREMENT,\n" +
				"\tconn_id VARCHAR(250) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,\n" +
				"\tconn_type VARCHAR(500) NOT NULL,\n" +
				"\tdescription TEXT,\n" +
				"\thost VARCHAR(500),\n" +
				"\t`schema` VARCHAR(500),\n" +
				"\tlogin TEXT,\n" +
				"\tpassword TEXT,\n" +
				"\tport INTEGER,\n" +
				"\tis_encrypted BOOL,\n" +
				"\tis_extra_encrypted BOOL,\n" +
				"\textra TEXT,\n" +
				"\tCONSTRAINT connection_pkey PRIMARY KEY (id),\n" +
				"\tCONSTRAINT connection_conn_id_uq UNIQUE (conn_id)\n" +
				") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
			"CREATE TABLE IF NOT EXISTS variable (\n" +
				"\tid INTEGER NOT NULL AUTO_INCREMENT,\n" +
				"\t`key` VARCHAR(250) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,\n" +
				"\tval MEDIUMTEXT,\n" +
				"\tdescription TEXT,\n" +
				"\tis_encrypted BOOL,\n" +
				"\tCONSTRAINT variable_pkey PRIMARY KEY (id),\n" +
				"\tCONSTRAINT variable_key_uq UNIQUE (`key`)\n" +
				") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		},
	}
)

// hasColumn reports whether table (in the schema the connection uses) has
// column, reading the database's catalogue so that a missing column is no
// failed statement (which would abort a PostgreSQL transaction).
func (d *dialect) hasColumn(ctx context.Context, db queryer, table, column string) (bool, error) {
	var q string
	switch d {
	case dialectSQLite:
		q = "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?"
	case dialectPostgres:
		// The table the unqualified name resolves to, through search_path.
		q = "SELECT COUNT(*) FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = ? AND attnum > 0 AND NOT attisdropped"
	default:
		q = "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?"
	}
	var n int
	if err := db.QueryRowContext(ctx, d.sql(q), table, column).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// hasTable reports whether table exists (in the schema the connection
// uses), reading the database's catalogue.
func (d *dialect) hasTable(ctx context.Context, db queryer, table string) (bool, error) {
	var q string
	switch d {
	case dialectSQLite:
		q = "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?"
	case dialectPostgres:
		q = "SELECT COUNT(to_regclass(?))"
	default:
		q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
	}
	var n int
	if err := db.QueryRowContext(ctx, d.sql(q), table).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// queryer is a pool, a connection or a transaction.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sql rewrites a query written with `identifiers` in backquotes and ?
// placeholders into the dialect's quoting and placeholders. Queries are
// ours: they hold no string literals.
func (d *dialect) sql(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case '`':
			b.WriteByte(d.quote)
		case '?':
			if d.dollar {
				n++
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// upsert returns an INSERT of rows rows into table that, on a duplicate of
// the unique column key, updates the columns in update, or does nothing
// when update is empty (the insert is then skipped: RowsAffected counts
// the rows inserted).
func (d *dialect) upsert(table, key string, cols, update []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("`" + c + "`")
	}
	b.WriteString(") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	switch {
	case d == dialectMySQL && len(update) == 0:
		b.WriteString(" ON DUPLICATE KEY UPDATE id = id")
	case d == dialectMySQL:
		b.WriteString(" ON DUPLICATE KEY UPDATE ")
		for i, c := range update {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("`" + c + "` = VALUES(`" + c + "`)")
		}
	case len(update) == 0:
		b.WriteString(" ON CONFLICT (`" + key + "`) DO NOTHING")
	default:
		b.WriteString(" ON CONFLICT (`" + key + "`) DO UPDATE SET ")
		for i, c := range update {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("`" + c + "` = excluded.`" + c + "`")
		}
	}
	return d.sql(b.String())
}
