package metastore

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// parseConfig parses text as a file called airflow.cfg, with the
// AIRFLOW__ variables in environ: errors about its options start with
// "airflow.cfg:<line>".
func parseConfig(t *testing.T, text string, environ ...string) *config.File {
	t.Helper()
	cfg, err := config.Parse("airflow.cfg", []byte(text), environ)
	require.NoError(t, err)
	return cfg
}

// openFromConfig opens the metastore cfg describes as the CLI's db
// commands do: through the registry, and a type assertion.
func openFromConfig(t *testing.T, cfg *config.File) (*Store, error) {
	t.Helper()
	b, err := resolver.OpenBackend(t.Context(), Name, resolver.Env{Config: cfg})
	if err != nil {
		require.Nil(t, b)
		return nil, err
	}
	s, ok := b.(*Store)
	require.True(t, ok, "the factory returns a *Store, not %T", b)
	t.Cleanup(func() { s.Close() })
	return s, nil
}

// TestOpenFromConfigBadSettings: an error about sql_alchemy_conn or
// fernet_key starts with where the value was set and never quotes it, also
// when the DSN is found bad only at the first connection (pgx parses a
// PostgreSQL DSN there).
func TestOpenFromConfigBadSettings(t *testing.T) {
	t.Setenv("PGPASSFILE", t.TempDir()+"/none")
	t.Setenv("PGSERVICEFILE", t.TempDir()+"/none")
	const planted = "Pl4ntedPw"
	tests := []struct {
		name    string
		text    string
		environ []string
		secret  string // the value that must not show
		where   string
		want    string
	}{
		{name: "mysql URL without a database", text: "[core]\nfernet_key = " + testKey + "\n[database]\nsql_alchemy_conn = mysql://u:" + planted + "@db.example/\n",
			secret: "mysql://u:" + planted + "@db.example/", where: "airflow.cfg:4", want: "metastore: sql_alchemy_conn: a mysql URL must name a database"},
		{name: "legacy place", text: "[core]\n\nsql_alchemy_conn = " + planted + "\n",
			secret: planted, where: "airflow.cfg:3", want: "metastore: sql_alchemy_conn: not a DSN this build reads"},
		{name: "environment", text: "[database]\nsql_alchemy_conn = sqlite://\n",
			environ: []string{"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql://u:" + planted + "@[::1/db"},
			secret:  planted, where: "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", want: "metastore: sql_alchemy_conn: not a valid postgresql:// URL"},
		{name: "fernet_key", text: "[database]\nsql_alchemy_conn = sqlite://\n[core]\nfernet_key = " + testKey + "," + planted + "\n",
			secret: planted, where: "airflow.cfg:4", want: "metastore: fernet_key: key 2 of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openFromConfig(t, parseConfig(t, tt.text, tt.environ...))
			require.ErrorIs(t, err, config.ErrInvalid)
			assert.True(t, strings.HasPrefix(err.Error(), tt.where+": ") || strings.Contains(err.Error(), ": "+tt.where+": "),
				"the error names %s: %s", tt.where, strings.ReplaceAll(err.Error(), tt.secret, "***"))
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), tt.secret)
			assert.NotContains(t, err.Error(), planted)
			assert.NotContains(t, err.Error(), testKey)
		})
	}

	// A PostgreSQL DSN pgx refuses: Open accepts it (pgx parses it when the
	// store first connects), and the first use's error names the line.
	s, err := openFromConfig(t, parseConfig(t, "[database]\n\nsql_alchemy_conn = host=127.0.0.1 password="+planted+" port=notaport\n"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 30*1e9)
	defer cancel()
	for _, use := range []func() error{
		func() error { return s.Migrate(ctx) },
		func() error { _, err := s.Variable(ctx, "k"); return err },
	} {
		err := use()
		require.ErrorIs(t, err, config.ErrInvalid)
		assert.NotErrorIs(t, err, resolver.ErrNotFound)
		assert.Contains(t, err.Error(), "airflow.cfg:3: metastore: sql_alchemy_conn: not a valid PostgreSQL connection string: port")
		assert.NotContains(t, err.Error(), planted)
	}
}
