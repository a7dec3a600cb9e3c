package bench

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// The metastore rows: the embedded SQLite database (metastore.Open's
// default: WAL, Fernet-encrypted passwords and values) holding 1,000
// connections and 1,000 variables, against the same SELECT made through
// database/sql on the same file (no decryption, no Connection built).
var metastoreCases = inGroup(GroupMetastore, []Case{
	{Name: "Metastore/sql-connection", What: "the floor: a prepared SELECT of the connection row's ten columns (as stored, encrypted) through database/sql + modernc.org/sqlite on the same file",
		Setup: setup(metastoreDB), F: sqlConnBench},
	{Name: "Metastore/connection", What: "metastore.Store.Connection(ctx, id): the indexed SELECT, Fernet decryption of the password, the Connection built as Airflow's model loads it",
		Baseline: "Metastore/sql-connection",
		Setup:    setup(metastoreDB), F: storeConnBench},
	{Name: "Metastore/sql-variable", What: "the floor: a prepared SELECT val, is_encrypted FROM variable",
		Setup: setup(metastoreDB), F: sqlVarBench},
	{Name: "Metastore/variable", What: "metastore.Store.Variable(ctx, key): the SELECT and Fernet decryption of the value",
		Baseline: "Metastore/sql-variable",
		Setup:    setup(metastoreDB), F: storeVarBench},
})

// The metastore rows' lookups.
const (
	metaConnID   = "conn_500"
	metaConnHost = "host500"
	metaVarKey   = "var_500"
	metaVarValue = "value-500"
)

type metaDB struct {
	store          *metastore.Store
	raw            *sql.DB
	conn, variable *sql.Stmt
}

var metastoreDB = newLazy(func() (*metaDB, error) {
	dir, err := os.MkdirTemp("", "secretpath-bench-metastore-")
	if err != nil {
		return nil, err
	}
	onClose(func() { _ = os.RemoveAll(dir) })
	key, err := metastore.NewFernetKey()
	if err != nil {
		return nil, err
	}
	s, err := metastore.Open(metastore.Options{Dir: dir, FernetKey: connection.NewSecret(key)})
	if err != nil {
		return nil, err
	}
	onClose(func() { _ = s.Close() })
	conns := make([]connection.Connection, 0, 1000)
	vars := make(map[string]string, 1000)
	for i := range 1000 {
		c, err := connection.ParseURI(fmt.Sprintf("conn_%d", i), fmt.Sprintf("postgres://u:pw-%d@host%d:5432/db?sslmode=require", i, i))
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		vars[fmt.Sprintf("var_%d", i)] = fmt.Sprintf("value-%d", i)
	}
	if _, err := s.ImportConnections(ctx, conns, metastore.ImportOptions{}); err != nil {
		return nil, err
	}
	if _, err := s.ImportVariables(ctx, vars, metastore.ImportOptions{}); err != nil {
		return nil, err
	}
	m := &metaDB{store: s}
	path := filepath.Join(dir, metastore.DatabaseFile)
	if m.raw, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)"); err != nil {
		return nil, err
	}
	onClose(func() { _ = m.raw.Close() })
	if m.conn, err = m.raw.PrepareContext(ctx, `SELECT conn_type, description, host, "schema", login, password, port, is_encrypted, is_extra_encrypted, extra FROM connection WHERE conn_id = ?`); err != nil {
		return nil, err
	}
	if m.variable, err = m.raw.PrepareContext(ctx, `SELECT val, is_encrypted FROM variable WHERE "key" = ?`); err != nil {
		return nil, err
	}
	// The rows are encrypted, and each path answers.
	if r, err := m.rawConn(metaConnID); err != nil || !r.encrypted.Bool || r.password.String == "" || r.password.String == "pw-500" {
		return nil, fmt.Errorf("bench: metastore: %s is not stored encrypted (%v)", metaConnID, err)
	}
	if _, enc, err := m.rawVar(metaVarKey); err != nil || !enc.Bool {
		return nil, fmt.Errorf("bench: metastore: %s is not stored encrypted (%v)", metaVarKey, err)
	}
	if c, err := s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: metaConnID}); err != nil || c.Host != metaConnHost || c.Password.Reveal() != "pw-500" {
		return nil, fmt.Errorf("bench: metastore: %s: host %q, %v", metaConnID, c.Host, err)
	}
	if v, err := s.Variable(ctx, metaVarKey); err != nil || v != metaVarValue {
		return nil, fmt.Errorf("bench: metastore: %s: %v (value differs: %t)", metaVarKey, err, err == nil)
	}
	return m, nil
})

type rawConnRow struct {
	connType, description, host, schema, login, password, extra sql.NullString
	port                                                        sql.NullInt64
	encrypted, extraEncrypted                                   sql.NullBool
}

func (m *metaDB) rawConn(id string) (rawConnRow, error) {
	var r rawConnRow
	err := m.conn.QueryRowContext(ctx, id).Scan(&r.connType, &r.description, &r.host, &r.schema, &r.login, &r.password, &r.port, &r.encrypted, &r.extraEncrypted, &r.extra)
	return r, err
}

func (m *metaDB) rawVar(key string) (string, sql.NullBool, error) {
	var v string
	var enc sql.NullBool
	err := m.variable.QueryRowContext(ctx, key).Scan(&v, &enc)
	return v, enc, err
}

func sqlConnBench(b *testing.B) {
	m := must(b, metastoreDB)
	var r rawConnRow
	var err error
	b.ReportAllocs()
	for b.Loop() {
		r, err = m.rawConn(metaConnID)
	}
	if err != nil || r.host.String != metaConnHost {
		b.Fatal(r.host.String, err)
	}
}

func storeConnBench(b *testing.B) {
	m := must(b, metastoreDB)
	var c connection.Connection
	var err error
	b.ReportAllocs()
	for b.Loop() {
		c, err = m.store.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: metaConnID})
	}
	if err != nil || c.Host != metaConnHost {
		b.Fatal(c.Host, err)
	}
}

func sqlVarBench(b *testing.B) {
	m := must(b, metastoreDB)
	var v string
	var err error
	b.ReportAllocs()
	for b.Loop() {
		v, _, err = m.rawVar(metaVarKey)
	}
	if err != nil || v == "" {
		b.Fatalf("variable %s: empty or %v", metaVarKey, err)
	}
}

func storeVarBench(b *testing.B) {
	m := must(b, metastoreDB)
	var v string
	var err error
	b.ReportAllocs()
	for b.Loop() {
		v, err = m.store.Variable(ctx, metaVarKey)
	}
	if err != nil || v != metaVarValue {
		b.Fatalf("variable %s: %v (value differs: %t)", metaVarKey, err, err == nil)
	}
}
