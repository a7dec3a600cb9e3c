package wasmhost

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// String describes c without its kwargs (which may hold credentials):
// their size only.
func (c TenantConfig) String() string {
	return fmt.Sprintf("wasmhost.TenantConfig{Name: %q, Kwargs: %d bytes, Limits: %+v, Capabilities: %+v, Trusted: %t, DeadlineOnly: %t}",
		c.Name, len(c.Kwargs), c.Limits, c.Capabilities, c.Trusted, c.DeadlineOnly)
}

// Format prints String for every fmt verb.
func (c TenantConfig) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// MarshalJSON encodes String, so that encoding/json reveals no kwargs.
func (c TenantConfig) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// LogValue is String, for log/slog.
func (c TenantConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }
