package metastore

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// String describes o without the DSN (which may hold a password) or the
// key: which database kind, and whether a DSN and a key are set.
func (o Options) String() string {
	dsn := "default"
	if o.DSN != "" {
		dsn = fmt.Sprintf("*** (%d bytes)", len(o.DSN))
	}
	return fmt.Sprintf("metastore.Options{DSN: %s, FernetKey: %s, Dir: %q}", dsn, o.FernetKey, o.Dir)
}

// Format prints String for every fmt verb.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// MarshalJSON encodes String, so that encoding/json reveals nothing.
func (o Options) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }

// LogValue is String, for log/slog.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }
