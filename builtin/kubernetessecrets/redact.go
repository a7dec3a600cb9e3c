package kubernetessecrets

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
)

// String prints the server (without user information or query) and
// namespace only: a Cluster can hold a token and a private key.
func (c Cluster) String() string {
	return fmt.Sprintf("kubernetessecrets.Cluster{Server: %s, Namespace: %q}", kit.RedactURL(c.Server), c.Namespace)
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

// authText names c's credentials without their content: what
// Backend.String prints.
func (c Cluster) authText() string {
	var parts []string
	switch {
	case c.Token != "":
		parts = append(parts, "token ***")
	case c.TokenFile != "":
		parts = append(parts, "token from file "+c.TokenFile)
	}
	if c.ClientCertFile != "" || c.ClientCertData != nil {
		parts = append(parts, "client certificate")
	}
	if len(parts) == 0 {
		return "no credentials"
	}
	return strings.Join(parts, ", ")
}

// String prints the API server, the namespace and the kind of credential
// (a token file's path, never a token or a key).
func (b *Backend) String() string {
	return fmt.Sprintf("kubernetes-secrets(%s, namespace %q, %s)", b.server, b.namespace, b.auth)
}

// GoString prints String.
func (b *Backend) GoString() string { return b.String() }

// Format prints String for every fmt verb.
func (b *Backend) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, b.String()) }

// MarshalJSON encodes String.
func (b *Backend) MarshalJSON() ([]byte, error) { return json.Marshal(b.String()) }

// LogValue is String, for log/slog.
func (b *Backend) LogValue() slog.Value { return slog.StringValue(b.String()) }
