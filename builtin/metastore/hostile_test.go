package metastore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/config"
)

// hostilePassword is the password planted in malformed PostgreSQL DSNs. Its
// words hold no substring of four characters or more that any of our
// messages could contain by chance.
const hostilePassword = "Pl4nted Zq9wXk7Y"

// passwordPieces returns every substring of pw of at least four bytes that
// holds no space (the pieces a partial quote of the password would show).
func passwordPieces(pw string) []string {
	var out []string
	for _, word := range strings.Fields(pw) {
		for n := 4; n <= len(word); n++ {
			for i := 0; i+n <= len(word); i++ {
				out = append(out, word[i:i+n])
			}
		}
	}
	return out
}

// TestHostilePostgresDSNErrorsQuoteNoPassword: a malformed PostgreSQL DSN
// fails when the store first connects (pgx parses it there); the error says
// what is wrong and never quotes any piece of the password, even where
// pgx's own redaction guesses the password's end wrongly (a space inside an
// unterminated quote, a raw "@" in a URL's userinfo). No row reaches the
// network: each fails to parse before any connection is tried.
func TestHostilePostgresDSNErrorsQuoteNoPassword(t *testing.T) {
	pw := hostilePassword
	first, second, _ := strings.Cut(pw, " ")
	tests := []struct {
		dsn  string
		want string // part of the error that says what is wrong
	}{
		// pgx reads "password='Pl4nted" then "Zq9wXk7Y'..." as an
		// unterminated quote and masks only the first word.
		{dsn: "host=127.0.0.1 port=1 password='" + pw + " dbname=x", want: "unterminated quoted value"},
		// An unquoted space ends the value: pgx quotes the next word as a
		// key without "=".
		{dsn: "host=127.0.0.1 port=1 password=" + pw + " dbname=x", want: `without "="`},
		{dsn: "host=127.0.0.1 password=" + first + "@" + second + " port=notaport", want: "port"},
		{dsn: "password=" + first + second + " host=127.0.0.1 connect_timeout=soon", want: "connect_timeout"},
		{dsn: "password=" + first + second + " host=127.0.0.1 sslmode=sometimes", want: "sslmode"},
		{dsn: "password=" + first + second + " host=a,b port=1,2,3", want: "ports"},
		{dsn: "password=" + first + second + " host=127.0.0.1 target_session_attrs=" + second, want: "target_session_attrs"},
		// A raw "@" in the password: pgx ends the userinfo at the first "@"
		// (and would take the rest of the password for the host name).
		{dsn: "postgresql://u:" + first + "@" + second + "@127.0.0.1/x?port=notaport", want: `raw "@"`},
		{dsn: "postgresql://u:" + first + second + "@127.0.0.1:99999999/x", want: "port"},
		{dsn: "postgresql://u:" + first + second + "@127.0.0.1:1/x?" + second + "&a=b", want: `without "="`},
		{dsn: "postgresql://u@127.0.0.1:1/x?password=" + first + "=" + second, want: `more than one "="`},
		{dsn: "postgresql://u:" + first + "%zz" + second + "@127.0.0.1:1/x", want: "postgresql://"},
	}
	pieces := passwordPieces(pw)
	for i, tt := range tests {
		// Named by position: the DSNs hold the planted password.
		t.Run(fmt.Sprintf("dsn%02d", i), func(t *testing.T) {
			err := hostileDSNError(t, tt.dsn)
			require.Error(t, err)
			assert.ErrorIs(t, err, config.ErrInvalid)
			msg := err.Error()
			// Failures print the message with the password's pieces
			// masked, and name a piece by its position only.
			shown := msg
			for _, p := range pieces {
				if strings.Contains(msg, p) {
					t.Errorf("the error quotes password bytes [%d:%d]", strings.Index(pw, p), strings.Index(pw, p)+len(p))
				}
				shown = strings.ReplaceAll(shown, p, "***")
			}
			assert.Contains(t, shown, "sql_alchemy_conn")
			assert.Contains(t, shown, tt.want)
		})
	}
}

// hostileDSNError returns the error a store reports for dsn: Open's, or
// the first write's (which connects, and so parses the DSN with pgx).
func hostileDSNError(t *testing.T, dsn string) error {
	t.Helper()
	t.Setenv("PGPASSFILE", t.TempDir()+"/none")
	t.Setenv("PGSERVICEFILE", t.TempDir()+"/none")
	s, err := Open(Options{DSN: dsn})
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*1e9)
	defer cancel()
	return s.Migrate(ctx)
}
