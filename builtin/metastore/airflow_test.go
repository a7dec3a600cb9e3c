package metastore

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// pythonCryptography returns Debian's python3 when it has the cryptography
// package (python3-cryptography; .ci/run installs it).
func pythonCryptography(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import cryptography.fernet").Run(); err != nil {
		testutil.Missing(t, "%s with the cryptography package (apt-get install python3-cryptography): %v", py, err)
	}
	return py
}

// The two keys of the Airflow-built database: rows were written under
// oldKey, then fernet_key became "newKey,oldKey".
const (
	newKey = "Xj6kcdvl4TYbSmA5yBVgmPgMq1ZKm0UpHvR5T0XZ1n0="
	oldKey = "q8zN1LLoG1IzKWgV1sKnWlAPIQrvrjpPhKdGnxcXHxM="
)

// airflowRows is what airflow_db.py prints.
type airflowRows struct {
	Connections [][]any `json:"connections"`
	Variables   [][]any `json:"variables"`
}

// buildAirflowDB runs airflow_db.py: an SQLite metadata database written
// with Python's cryptography, and its rows.
func buildAirflowDB(t *testing.T) (string, airflowRows) {
	py := pythonCryptography(t)
	path := filepath.Join(t.TempDir(), "airflow.db")
	out, err := exec.Command(py, "testdata/airflow_db.py", path, newKey, oldKey).Output()
	require.NoError(t, err)
	var rows airflowRows
	require.NoError(t, json.Unmarshal(out, &rows))
	return path, rows
}

// loadAirflowRows writes the rows Python made into a new database of
// another kind, with Airflow's tables: the store's migrations make
// Airflow's columns (team_name included), then the database is made to
// look Airflow's (alembic_version, no secretpath_migration).
func loadAirflowRows(t *testing.T, db database, rows airflowRows) string {
	dsn := db.dsn(t)
	s := openStore(t, dsn, "")
	ctx := t.Context()
	sqlDB, _, err := s.conn(ctx, true)
	require.NoError(t, err)
	for _, stmt := range []string{
		"CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
		"DROP TABLE " + versionTable,
	} {
		_, err := sqlDB.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	d := s.t.d
	for _, r := range rows.Connections {
		_, err := sqlDB.ExecContext(ctx, d.sql("INSERT INTO connection (conn_id, conn_type, description, host, `schema`, login, password, port,"+
			" is_encrypted, is_extra_encrypted, extra, team_name) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"), pyArgs(r)...)
		require.NoError(t, err)
	}
	for _, r := range rows.Variables {
		_, err := sqlDB.ExecContext(ctx, d.sql("INSERT INTO variable (`key`, val, description, is_encrypted, team_name) VALUES (?,?,?,?,?)"), pyArgs(r)...)
		require.NoError(t, err)
	}
	return dsn
}

// pyArgs turns JSON-decoded values into SQL arguments (numbers to ints).
func pyArgs(r []any) []any {
	out := make([]any, len(r))
	for i, v := range r {
		if f, ok := v.(float64); ok {
			v = int(f)
		}
		out[i] = v
	}
	return out
}

func TestAirflowBuiltDatabase(t *testing.T) {
	path, rows := buildAirflowDB(t)
	dsns := map[string]string{"sqlite (made by Python)": "sqlite:///" + path}
	for _, db := range databases[1:] {
		dsns[db.name] = loadAirflowRows(t, db, rows)
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			s := openStore(t, dsn, newKey+","+oldKey)
			r := resolver.New(resolver.WithFallback("metastore", s))
			checkAirflowData(t, r)

			st, err := s.Check(ctx)
			require.NoError(t, err)
			assert.True(t, st.Airflow)
			assert.Equal(t, 0, st.Version, "secretpath never migrated this database")
			assert.Equal(t, 6, st.Connections)

			// Without the old key, its rows fail to decrypt: a tier error
			// that names neither key nor value.
			newOnly := openStore(t, dsn, newKey)
			_, err = resolver.New(resolver.WithFallback("metastore", newOnly)).Connection(ctx, "old_key_conn")
			require.ErrorIs(t, err, resolver.ErrNotFound)
			require.ErrorIs(t, err, ErrDecrypt)
			for _, secret := range []string{newKey, oldKey, "old-key-P4ss"} {
				assert.NotContains(t, err.Error(), secret)
			}
			_, err = newOnly.Variable(ctx, "old_key_var")
			require.ErrorIs(t, err, ErrDecrypt)

			// Rotation re-encrypts every encrypted value with the new key.
			n, err := s.RotateFernetKey(ctx)
			require.NoError(t, err)
			assert.Equal(t, Rotated{Passwords: 3, Extras: 2, Variables: 4}, n)
			checkAirflowData(t, resolver.New(resolver.WithFallback("metastore", newOnly)))
		})
	}
}

func checkAirflowData(t *testing.T, r *resolver.Resolver) {
	t.Helper()
	ctx := t.Context()
	c, err := r.Connection(ctx, "airflow_pg")
	require.NoError(t, err)
	assert.Equal(t, "postgres", c.ConnType)
	assert.Equal(t, "the metadata db", c.Description)
	assert.Equal(t, []any{"db.example.com", "airflow", "airflow", "pg-S3cret/with:chars@", 5432},
		[]any{c.Host, c.Schema, c.Login, c.Password.Reveal(), c.Port})
	assert.JSONEq(t, `{"sslmode": "require", "options": {"a": [1, 2]}}`, c.Extra)
	assert.Equal(t, "postgres://airflow:pg-S3cret%2Fwith%3Achars%40@db.example.com:5432/airflow?__extra__=%7B%22sslmode%22%3A+%22require%22%2C+%22options%22%3A+%7B%22a%22%3A+%5B1%2C+2%5D%7D%7D", c.URI())

	c, err = r.Connection(ctx, "old_key_conn")
	require.NoError(t, err)
	assert.Equal(t, "old-key-P4ss", c.Password.Reveal())
	assert.True(t, c.Has(connection.FieldSchema), `schema "" is present`)
	assert.False(t, c.Has(connection.FieldPort))
	assert.JSONEq(t, `{"timeout": 30}`, c.Extra)

	c, err = r.Connection(ctx, "clear_conn")
	require.NoError(t, err)
	assert.Equal(t, "clear-pw", c.Password.Reveal())
	assert.False(t, c.Has(connection.FieldSchema), "NULL schema is absent")
	assert.True(t, c.Has(connection.FieldDescription))
	js, err := c.RevealedJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"conn_id": "clear_conn", "conn_type": "mysql", "description": "", "host": "mysql.example.com", "schema": null,
		"login": null, "password": "clear-pw", "port": 3306, "extra": {"charset": "utf8mb4"}}`, string(js))

	c, err = r.Connection(ctx, "no_password")
	require.NoError(t, err)
	assert.True(t, c.Password.IsZero())
	assert.Empty(t, c.Extra)

	c, err = r.Connection(ctx, "unicode_conn")
	require.NoError(t, err)
	assert.Equal(t, "pässwörd ✓", c.Password.Reveal())
	assert.Equal(t, "ユーザー", c.Login)

	_, err = r.Connection(ctx, "team_conn")
	assert.ErrorIs(t, err, resolver.ErrNotFound, "a team's connection is not visible without a team")

	for key, want := range map[string]string{"hello": "world", "old_key_var": "from-the-old-key", "clear_var": "in clear", "json_var": "{\n  \"k\": [\n    1,\n    2\n  ]\n}"} {
		v, err := r.Variable(ctx, key)
		require.NoError(t, err, key)
		assert.Equal(t, want, v.Reveal(), key)
	}
	for _, key := range []string{"null_var", "team_var", "absent"} {
		_, err := r.Variable(ctx, key)
		assert.ErrorIs(t, err, resolver.ErrNotFound, key)
	}
}

// TestPythonReadsOurTokens: what the store writes, Airflow reads.
func TestPythonReadsOurTokens(t *testing.T) {
	py := pythonCryptography(t)
	path := filepath.Join(t.TempDir(), "m.db")
	s := openStore(t, "sqlite:///"+path, newKey+","+oldKey)
	ctx := t.Context()
	c, err := connection.ParseURI("ours", "postgres://u:our-P4ss%21@h:5432/db?sslmode=require")
	require.NoError(t, err)
	require.NoError(t, s.SetConnection(ctx, c))
	require.NoError(t, s.SetVariable(ctx, "ours", "our value ✓", ""))
	script := fmt.Sprintf(`
import sqlite3
from cryptography.fernet import Fernet
f = Fernet(%q)
db = sqlite3.connect(%q)
pw, enc, extra, xenc = db.execute("SELECT password, is_encrypted, extra, is_extra_encrypted FROM connection WHERE conn_id='ours'").fetchone()
val, venc = db.execute("SELECT val, is_encrypted FROM variable WHERE key='ours'").fetchone()
print(enc, xenc, venc)
print(f.decrypt(pw.encode()).decode())
print(f.decrypt(extra.encode()).decode())
print(f.decrypt(val.encode()).decode())
`, newKey, path)
	out, err := exec.Command(py, "-c", script).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Equal(t, []string{"1 1 1", "our-P4ss!", `{"sslmode": "require"}`, "our value ✓"}, strings.Split(strings.TrimSpace(string(out)), "\n"))
}

// TestPythonTokens decrypts tokens Python makes, with every key position.
func TestPythonTokens(t *testing.T) {
	py := pythonCryptography(t)
	script := fmt.Sprintf(`
import json
from cryptography.fernet import Fernet, MultiFernet
new, old = Fernet(%q), Fernet(%q)
msgs = ["", "a", "x" * 15, "y" * 16, "z" * 17, "grüße ✓ 世界", "\x00\n\t"]
out = [{"msg": m, "new": new.encrypt(m.encode()).decode(), "old": old.encrypt(m.encode()).decode()} for m in msgs]
rot = MultiFernet([new, old]).rotate(out[1]["old"].encode()).decode()
print(json.dumps({"tokens": out, "rotated": rot}))
`, newKey, oldKey)
	out, err := exec.Command(py, "-c", script).Output()
	require.NoError(t, err)
	var got struct {
		Tokens  []struct{ Msg, New, Old string }
		Rotated string
	}
	require.NoError(t, json.Unmarshal(out, &got))
	both, err := parseFernetKeys(newKey + ", " + oldKey)
	require.NoError(t, err)
	oldOnly, err := parseFernetKeys(oldKey)
	require.NoError(t, err)
	for _, tok := range got.Tokens {
		for _, s := range []string{tok.New, tok.Old} {
			m, err := both.decrypt(s)
			require.NoError(t, err)
			assert.Equal(t, tok.Msg, m)
		}
		_, err := oldOnly.decrypt(tok.New)
		assert.ErrorIs(t, err, ErrDecrypt)
	}
	// Our rotation, like MultiFernet.rotate, keeps the timestamp.
	ours, err := both.rotate(got.Tokens[1].Old)
	require.NoError(t, err)
	tsOurs, _ := decodeToken(ours)
	tsPy, _ := decodeToken(got.Rotated)
	tsOrig, _ := decodeToken(got.Tokens[1].Old)
	assert.Equal(t, tsOrig, tsOurs)
	assert.Equal(t, tsOrig, tsPy)
	_, err = oldOnly.decrypt(ours)
	assert.ErrorIs(t, err, ErrDecrypt, "rotated to the new key")

}
