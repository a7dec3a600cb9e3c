package metastore

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/config"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		in      string
		dialect string
		source  string // "" = not checked
		path    string
		memory  bool
		wantErr string
	}{
		{in: "sqlite:////var/lib/airflow/airflow.db", dialect: "sqlite", path: "/var/lib/airflow/airflow.db",
			source: "file:/var/lib/airflow/airflow.db?_pragma=busy_timeout(30000)&_txlock=immediate"},
		{in: "sqlite:///relative/airflow.db", dialect: "sqlite", path: "relative/airflow.db"},
		{in: "sqlite:////tmp/with%20space%3F.db?timeout=5", dialect: "sqlite", path: "/tmp/with space?.db",
			source: "file:/tmp/with space%3F.db?_pragma=busy_timeout(5000)&_txlock=immediate"},
		{in: "sqlite://", dialect: "sqlite", memory: true},
		{in: "sqlite:///:memory:", dialect: "sqlite", memory: true},
		{in: "SQLite+pysqlite:////a.db?check_same_thread=false", dialect: "sqlite", path: "/a.db"},
		{in: "sqlite:///a.db?journal=wal", wantErr: `unknown sqlite option "journal"`},
		{in: "sqlite:///a.db?timeout=x", wantErr: "timeout must be a number"},
		{in: "sqlite://host/a.db", wantErr: "three slashes"},
		{in: "postgresql://airflow:S3cret@db:5432/airflow?sslmode=require", dialect: "postgres",
			source: "postgres://airflow:S3cret@db:5432/airflow?sslmode=require"},
		{in: "postgresql+psycopg2://u:p@db/airflow", dialect: "postgres", source: "postgres://u:p@db/airflow"},
		{in: "postgres://u@db/airflow", dialect: "postgres"},
		{in: "postgresql://u:p@[::1/db", wantErr: "not a valid postgresql:// URL"},
		{in: "mysql://airflow:S%40cret@db:3307/airflow?charset=utf8mb4", dialect: "mysql",
			source: "airflow:S@cret@tcp(db:3307)/airflow?charset=utf8mb4"},
		{in: "mysql+mysqldb://u:p@db/airflow", dialect: "mysql", source: "u:p@tcp(db:3306)/airflow"},
		{in: "mariadb+pymysql://u@/airflow?unix_socket=/run/mysqld/mysqld.sock", dialect: "mysql",
			source: "u@unix(/run/mysqld/mysqld.sock)/airflow"},
		{in: "mysql://u@db/", wantErr: "must name a database"},
		{in: "mysql://u@db/x?ssl_ca=/ca.pem", wantErr: `unknown mysql option "ssl_ca"`},
		{in: "mssql+pyodbc://u:p@db/airflow", wantErr: `unsupported scheme "mssql+pyodbc"`},
		{in: "file:/tmp/x.db?_pragma=busy_timeout(1000)", dialect: "sqlite", source: "file:/tmp/x.db?_pragma=busy_timeout(1000)"},
		{in: "host=db user=airflow password=S3cret dbname=airflow", dialect: "postgres"},
		{in: "u:S3cret@tcp(db:3306)/airflow", dialect: "mysql", source: "u:S3cret@tcp(db:3306)/airflow"},
		{in: "   ", wantErr: "empty"},
		{in: "just-a-word", wantErr: "not a DSN this build reads"},
	}
	for i, tt := range tests {
		// Named by position: the DSNs carry planted passwords, which CI
		// checks never appear in any test output.
		t.Run(fmt.Sprintf("dsn%02d", i), func(t *testing.T) {
			got, err := parseDSN(tt.in)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "S3cret")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.dialect, got.d.name)
			assert.Equal(t, tt.path, got.path)
			assert.Equal(t, tt.memory, got.memory)
			if tt.source != "" {
				assert.Equal(t, tt.source, got.source)
			}
		})
	}
}

func TestDSNErrorsNeverEchoPasswords(t *testing.T) {
	for _, in := range []string{
		"postgresql://u:Pl4nted@[bad/db", "mysql://u:Pl4nted@db/x?bogus=1", "mysql://u:Pl4nted@db",
		"weird://u:Pl4nted@h/db", "u:Pl4nted@tcp(db:3306", "sqlite:///x.db?Pl4nted=1",
	} {
		_, err := parseDSN(in)
		require.Error(t, err, in)
		if strings.Contains(in, "?Pl4nted") {
			continue // an unknown option's name is the user's key, shown on purpose
		}
		assert.NotContains(t, err.Error(), "Pl4nted", in)
	}
}

// FuzzParseDSN: no input panics, errors never contain the input's
// password, and every accepted DSN has a dialect and a source. The DSN is
// template with every "{pw}" replaced by password; a PostgreSQL DSN that
// parseDSN accepts is also parsed by pgx (as the first connection does),
// and no error about a PostgreSQL DSN may contain any four bytes of the
// password that neither the rest of the template nor our static messages
// hold.
func FuzzParseDSN(f *testing.F) {
	f.Setenv("PGPASSFILE", f.TempDir()+"/none")
	f.Setenv("PGSERVICEFILE", f.TempDir()+"/none")
	for _, s := range []string{
		"sqlite:////a/b.db", "sqlite://", "sqlite:///x.db?timeout=3", "postgresql+psycopg2://u:p@h:5432/db?sslmode=require",
		"mysql://u:p%40@h/db?charset=utf8mb4&unix_socket=/s", "file:x.db", "host=h dbname=d", "u:p@tcp(h:1)/d", "",
		"host=h password='{pw} dbname=d", "host=h password={pw} dbname=d", "host=h password={pw} port=x",
		"postgresql://u:{pw}@h/db?port=x", "postgresql://u@h/db?password={pw}&x", "postgres://u:{pw}@h:99999/db",
	} {
		f.Add(s, hostilePassword)
		f.Add(s, "a@b c'd=e")
	}
	catalog := pgMessageCatalog()
	f.Fuzz(func(t *testing.T, template, password string) {
		s := strings.ReplaceAll(template, "{pw}", password)
		got, err := parseDSN(s)
		if err == nil && got.d == dialectPostgres {
			var db *sql.DB
			if db, err = openPostgres(got.source); err == nil {
				db.Close()
			}
		}
		if err != nil {
			if !strings.Contains(err.Error(), "metastore: sql_alchemy_conn: ") {
				t.Fatalf("unexpected error form: %v", err)
			}
			if got.d == dialectPostgres || postgresURL(s) {
				rest := strings.ReplaceAll(template, "{pw}", "\x00")
				msg := err.Error()
				for i := 0; i+4 <= len(password); i++ {
					p := password[i : i+4]
					if strings.Contains(msg, p) && !strings.Contains(rest, p) && !strings.Contains(catalog, p) {
						t.Fatalf("error quotes password bytes [%d:%d]: %q", i, i+4, msg)
					}
				}
			}
			return
		}
		if got.d == nil || got.source == "" {
			t.Fatalf("accepted %q without a dialect or source", s)
		}
	})
}

// postgresURL reports whether parseDSN reads s as a postgresql:// URL.
func postgresURL(s string) bool {
	scheme, _, ok := strings.Cut(strings.TrimSpace(s), "://")
	name, _, _ := strings.Cut(strings.ToLower(scheme), "+")
	return ok && (name == "postgresql" || name == "postgres")
}

// pgMessageCatalog returns every message a PostgreSQL DSN can get, joined.
func pgMessageCatalog() string {
	prefix := "configuration error: metastore: sql_alchemy_conn: "
	var b strings.Builder
	for _, m := range []string{"not a valid postgresql:// URL",
		`a raw "@" in a postgresql:// URL's user or password is ambiguous: percent-encode it as %40`,
		"not a valid PostgreSQL connection string"} {
		b.WriteString(prefix + m + "\n")
	}
	for _, r := range pgParseReasons {
		b.WriteString(prefix + "not a valid PostgreSQL connection string: it " + r.reason + "\n")
		b.WriteString(prefix + "not a valid PostgreSQL connection string: " + r.reason + "\n")
	}
	return b.String()
}
