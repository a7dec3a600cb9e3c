package metastore

import (
	"context"
	"path/filepath"
	"slices"
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

func TestRegistration(t *testing.T) {
	i := slices.IndexFunc(resolver.Registered(), func(r resolver.Registration) bool { return r.Name == Name })
	require.GreaterOrEqual(t, i, 0, "registered as %q", Name)
	reg := resolver.Registered()[i]
	assert.Equal(t, resolver.RoleDatabase, reg.Role)
	assert.Equal(t, []string{"airflow.secrets.metastore.MetastoreBackend"}, reg.Aliases)
	assert.NotEmpty(t, reg.Doc)
	assert.NotContains(t, reg.Doc, "\n", "Doc is one line")
	assert.Nil(t, reg.Match)
}

// TestOpenFromConfig: resolver.OpenBackend with a config file returns the
// *Store it describes: [database] sql_alchemy_conn (the environment
// winning over the file, the legacy [core] sql_alchemy_conn as a fallback,
// the embedded default without either) and [core] fernet_key.
func TestOpenFromConfig(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }

	t.Run("database section", func(t *testing.T) {
		s, err := openFromConfig(t, parseConfig(t, "[database]\nsql_alchemy_conn = sqlite:///"+file("a.db")+"\n[core]\nfernet_key = "+testKey+"\n"))
		require.NoError(t, err)
		assert.Equal(t, "sqlite", s.Dialect())
		assert.Equal(t, file("a.db"), s.Path())
		require.NoError(t, s.SetVariable(ctx, "k", "v", ""))
		// Encrypted with fernet_key: a store without the key cannot read it.
		_, err = openStore(t, "sqlite:///"+file("a.db"), "").Variable(ctx, "k")
		require.ErrorIs(t, err, ErrDecrypt)
		v, err := openStore(t, "sqlite:///"+file("a.db"), testKey).Variable(ctx, "k")
		require.NoError(t, err)
		assert.Equal(t, "v", v)
	})
	t.Run("legacy core section", func(t *testing.T) {
		s, err := openFromConfig(t, parseConfig(t, "[core]\nsql_alchemy_conn = sqlite:///"+file("legacy.db")+"\n"))
		require.NoError(t, err)
		assert.Equal(t, file("legacy.db"), s.Path())
		assert.False(t, s.keysNow().enabled(), "no fernet_key: values in clear")
	})
	t.Run("database section wins over the legacy one", func(t *testing.T) {
		s, err := openFromConfig(t, parseConfig(t, "[core]\nsql_alchemy_conn = sqlite:///"+file("legacy.db")+
			"\n[database]\nsql_alchemy_conn = sqlite:///"+file("new.db")+"\n"))
		require.NoError(t, err)
		assert.Equal(t, file("new.db"), s.Path())
	})
	t.Run("environment wins over the file", func(t *testing.T) {
		s, err := openFromConfig(t, parseConfig(t, "[database]\nsql_alchemy_conn = sqlite:///"+file("a.db")+"\n",
			"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:///"+file("env.db")))
		require.NoError(t, err)
		assert.Equal(t, file("env.db"), s.Path())
	})
	t.Run("embedded default", func(t *testing.T) {
		home := t.TempDir()
		t.Setenv(HomeEnv, home)
		s, err := openFromConfig(t, parseConfig(t, "[core]\nload_examples = False\n"))
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(home, DatabaseFile), s.Path())
		s, err = openFromConfig(t, nil)
		require.NoError(t, err, "no config file at all")
		assert.Equal(t, filepath.Join(home, DatabaseFile), s.Path())
	})
}

// TestOpenFromConfigRefusesCommandVariants: secretpath runs no command
// and asks no secrets backend for its own settings: a _cmd or _secret
// variant of sql_alchemy_conn or fernet_key that Airflow would use is an
// error naming where it is set, without its value.
func TestOpenFromConfigRefusesCommandVariants(t *testing.T) {
	const planted = "Pl4nted-cmd"
	tests := []struct {
		name    string
		text    string
		environ []string
		where   string
		key     string
	}{
		{name: "file sql_alchemy_conn_cmd", text: "[database]\nsql_alchemy_conn_cmd = cat /" + planted + "\n",
			where: "airflow.cfg:2", key: "sql_alchemy_conn_cmd"},
		{name: "file legacy sql_alchemy_conn_secret", text: "[core]\n# the old place\nsql_alchemy_conn_secret = " + planted + "\n",
			where: "airflow.cfg:3", key: "sql_alchemy_conn_secret"},
		{name: "file fernet_key_cmd", text: "[database]\nsql_alchemy_conn = sqlite://\n[core]\nfernet_key_cmd = echo " + planted + "\n",
			where: "airflow.cfg:4", key: "fernet_key_cmd"},
		{name: "env fernet_key_secret", text: "[core]\nfernet_key = " + testKey + "\n",
			environ: []string{"AIRFLOW__CORE__FERNET_KEY_SECRET=" + planted}, where: "env AIRFLOW__CORE__FERNET_KEY_SECRET", key: "fernet_key_secret"},
		{name: "env sql_alchemy_conn_cmd", environ: []string{"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD=cat /" + planted},
			where: "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD", key: "sql_alchemy_conn_cmd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openFromConfig(t, parseConfig(t, tt.text, tt.environ...))
			require.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), tt.where+": ")
			assert.Contains(t, err.Error(), tt.key)
			assert.Contains(t, err.Error(), "not supported")
			assert.NotContains(t, err.Error(), planted)
			assert.NotContains(t, err.Error(), testKey)
		})
	}
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

// TestSearchPath: resolver.Open puts the metastore at the database place of
// the search path, reading its settings from the config file, and once
// only when it is also [secrets] backend; backend_kwargs for it are refused.
func TestSearchPath(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")
	s := openStore(t, "sqlite:///"+path, testKey)
	require.NoError(t, s.SetVariable(ctx, "region", "eu-west-1", ""))
	settings := "[database]\nsql_alchemy_conn = sqlite:///" + path + "\n[core]\nfernet_key = " + testKey + "\n"

	for _, secrets := range []string{"", "[secrets]\nbackend = airflow.secrets.metastore.MetastoreBackend\n"} {
		r, err := resolver.Open(ctx, parseConfig(t, secrets+settings))
		require.NoError(t, err)
		tiers := r.Tiers()
		n := 0
		for _, name := range tiers {
			if name == Name {
				n++
			}
		}
		assert.Equal(t, 1, n, "the metastore is one tier: %q", tiers)
		if secrets == "" {
			assert.Equal(t, Name, tiers[len(tiers)-1], "the metastore is the last tier")
		} else {
			assert.Equal(t, Name, tiers[0], "the configured backend is the first tier")
		}
		v, err := r.Variable(ctx, "region")
		require.NoError(t, err)
		assert.Equal(t, "eu-west-1", v.Reveal())
		x := r.Explain(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "region"})
		assert.Equal(t, Name, x.AnsweredBy)
		assert.Contains(t, x.Steps[slices.Index(tiers, Name)].Asked, `table variable, key "region"`)
		require.NoError(t, r.Close())
	}

	_, err := resolver.Open(ctx, parseConfig(t, "[secrets]\nbackend = metastore\nbackend_kwargs = {\"sql_alchemy_conn\": \"sqlite://\"}\n"+settings))
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "sql_alchemy_conn")
}
