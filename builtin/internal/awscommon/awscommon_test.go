package awscommon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
)

func TestRoleSessionName(t *testing.T) {
	assert.Equal(t, "Airflow_SecretsManagerBackend__connection", RoleSessionName("SecretsManagerBackend"))
	assert.Equal(t, "Airflow_ab.c__connection", RoleSessionName("a b/.c"))
}

func TestRedactor(t *testing.T) {
	r := Redactor{Secrets: []string{"short", "a-long-session-token"}}
	got := r.Redact("short id AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A token a-long-session-token")
	assert.Equal(t, "short id *** and *** token ***", got, "secrets shorter than 8 bytes are left alone")
}

func TestWrapNonAPIError(t *testing.T) {
	err := Redactor{}.Wrap(`parameter "/x"`, errors.New("dial tcp: connection refused"), func(string) bool { return true })
	assert.NotErrorIs(t, err, resolver.ErrNotFound, "only an API error code can mean not found")
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Empty(t, e.Code)
	assert.Equal(t, `parameter "/x": dial tcp: connection refused`, err.Error())
}

// TestUnavailableTable: the AWS table of errors marked codes.Unavailable
// (throttling codes, 429 and 5xx answers, a refused connection), after
// "not found" and "access denied", which keep their sentinels.
func TestUnavailableTable(t *testing.T) {
	apiErr := func(code string, status int) error {
		e := &smithy.GenericAPIError{Code: code, Message: "m"}
		if status == 0 {
			return e
		}
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: e}
	}
	refused := &url.Error{Op: "Post", URL: "https://ssm", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	notFound := func(code string) bool { return code == "ParameterNotFound" || code == "InternalServiceError" }
	tests := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"throttling", apiErr("ThrottlingException", 400), codes.Unavailable},
		{"throttling without a status", apiErr("Throttling", 0), codes.Unavailable},
		{"too many requests", apiErr("TooManyRequestsException", 400), codes.Unavailable},
		{"request limit", apiErr("RequestLimitExceeded", 400), codes.Unavailable},
		{"internal failure", apiErr("InternalFailure", 500), codes.Unavailable},
		{"service unavailable", apiErr("ServiceUnavailable", 503), codes.Unavailable},
		{"any 5xx", apiErr("SomethingNew", 502), codes.Unavailable},
		{"429", apiErr("SomethingNew", 429), codes.Unavailable},
		{"refused", refused, codes.Unavailable},
		{"not found first", apiErr("ParameterNotFound", 400), codes.NotFound},
		{"a 5xx that means not found (Airflow's InternalServiceError) stays not found", apiErr("InternalServiceError", 500), codes.NotFound},
		{"access denied", apiErr("AccessDeniedException", 400), codes.PermissionDenied},
		{"validation", apiErr("ValidationException", 400), codes.Internal},
		{"a 4xx", apiErr("UnrecognizedClientException", 403), codes.Internal},
		{"deadline", fmt.Errorf("operation error: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"other transport", errors.New("tls: bad certificate"), codes.Internal},
	}
	for _, tt := range tests {
		err := Redactor{}.Wrap(`parameter "/x"`, tt.err, notFound)
		assert.Equal(t, tt.want, resolver.Code(err), tt.name)
		assert.ErrorIs(t, err, tt.err, "%s: the SDK's error stays reachable", tt.name)
		assert.Equal(t, `parameter "/x": `+tt.err.Error(), err.Error(), "%s: the text is unchanged", tt.name)
	}
}
