package kubernetessecrets

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// String prints the server and namespace only: a Cluster can hold a token
// and a private key.
func (c Cluster) String() string {
	return fmt.Sprintf("kubernetessecrets.Cluster{Server: %s, Namespace: %q}", c.Server, c.Namespace)
}

// GoString prints String.
func (c Cluster) GoString() string { return c.String() }

// Format prints String for every fmt verb.
func (c Cluster) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// MarshalJSON encodes String, so that encoding/json reveals nothing.
func (c Cluster) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// LogValue is String, for log/slog.
func (c Cluster) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String describes o without its credentials.
func (o Options) String() string {
	return fmt.Sprintf("kubernetessecrets.Options{Cluster: %s, Namespace: %q, Timeout: %s}", o.Cluster, o.Namespace, o.Timeout)
}

// GoString prints String.
func (o Options) GoString() string { return o.String() }

// Format prints String for every fmt verb.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// MarshalJSON encodes String.
func (o Options) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }

// LogValue is String, for log/slog.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }
