package connection

import (
	"fmt"
	"log/slog"
)

// redacted is what every printing method of a secret shows instead of it.
const redacted = "***"

// Secret holds a secret string: a password, a variable's value, a token.
// Every way of printing it (fmt verbs, String, GoString, MarshalJSON,
// MarshalText, slog) shows "***"; only [Secret.Reveal] returns the value.
// The zero Secret is empty.
type Secret struct {
	v string
}

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the secret value. Call it only where the value is used.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Len returns the length of the secret in bytes.
func (s Secret) Len() int { return len(s.v) }

// String returns "***".
func (s Secret) String() string { return redacted }

// GoString returns "***", so %#v does not reveal the value.
func (s Secret) GoString() string { return redacted }

// Format prints "***" for every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON returns "***" as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "***".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes slog print "***".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
