package awscommon_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secretpath/secretpath/builtin/internal/awscommon"
)

// TestPerName: a batch request's failure is asked name by name only when
// it may be one name's: not throttling or a 5xx, not a refusal of the
// credentials, not a request that got no API error.
func TestPerName(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{awscommon.BatchItemError("SSM", "GetParameters", "AccessDeniedException", ""), true},
		{awscommon.BatchItemError("SSM", "GetParameters", "ValidationException", ""), true},
		{awscommon.BatchItemError("SSM", "GetParameters", "ThrottlingException", ""), false},
		{awscommon.BatchItemError("SSM", "GetParameters", "InternalServerError", ""), false},
		{awscommon.BatchItemError("SSM", "GetParameters", "UnrecognizedClientException", ""), false},
		{awscommon.BatchItemError("SSM", "GetParameters", "ExpiredTokenException", ""), false},
		{context.Canceled, false},
		{fmt.Errorf("dial: %w", errors.New("connection refused")), false},
	} {
		assert.Equal(t, tt.want, awscommon.PerName(tt.err), "%v", tt.err)
	}
}
