package awssecretsmanager

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/secretpath/secretpath/builtin/internal/awscommon"
)

// String describes o without its AWS credentials: the region, whether
// credentials are set, and the timeout.
func (o Options) String() string {
	return awscommon.DescribeOptions("awssecretsmanager.Options", o.AWS, o.Timeout)
}

// Format prints String for every fmt verb: aws.Config can hold static
// credentials, which fmt would print.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// MarshalJSON encodes String, so that encoding/json reveals nothing.
func (o Options) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }

// LogValue is String, for log/slog.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }
