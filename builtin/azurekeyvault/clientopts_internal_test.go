package azurekeyvault

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/config"
)

// TestRetryDelays: the retry delays azure-core's options give reach
// azcore's RetryOptions as the values its delay curve
// (RetryDelay*(2^try-1), capped at MaxRetryDelay) needs: fixed mode caps
// at the first delay, 0 means no delay (a nanosecond: azcore's 0 is its
// default), retry_backoff_max caps both modes. Checked on the options, not
// with a clock.
func TestRetryDelays(t *testing.T) {
	tests := []struct {
		name           string
		kw             map[string]any
		delay, maxWait time.Duration // 0: azcore's default
	}{
		{name: "defaults", kw: map[string]any{}},
		{name: "factor", kw: map[string]any{"retry_backoff_factor": 0.3}, delay: 300 * time.Millisecond},
		{name: "factor 0: no delay", kw: map[string]any{"retry_backoff_factor": 0}, delay: time.Nanosecond},
		{name: "fixed mode caps at the first delay", kw: map[string]any{"retry_backoff_factor": 0.3, "retry_mode": "Fixed"},
			delay: 300 * time.Millisecond, maxWait: 300 * time.Millisecond},
		{name: "fixed mode without a factor: azure-core's 0.8 s", kw: map[string]any{"retry_mode": "fixed"}, maxWait: 800 * time.Millisecond},
		{name: "fixed mode capped by retry_backoff_max", kw: map[string]any{"retry_backoff_factor": 5, "retry_mode": "fixed", "retry_backoff_max": 0.01},
			delay: 5 * time.Second, maxWait: 10 * time.Millisecond},
		{name: "retry_backoff_max 0: no delay", kw: map[string]any{"retry_backoff_factor": 5, "retry_backoff_max": 0},
			delay: 5 * time.Second, maxWait: time.Nanosecond},
		{name: "retry_backoff_max caps exponential", kw: map[string]any{"retry_backoff_factor": 0.3, "retry_backoff_max": 0.05},
			delay: 300 * time.Millisecond, maxWait: 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(tt.kw)
			require.NoError(t, err)
			kw, err := config.ParseKwargs(raw)
			require.NoError(t, err)
			c, err := parseClientOpts(kw)
			require.NoError(t, err)
			assert.Equal(t, tt.delay, c.retry.RetryDelay, "RetryDelay")
			assert.Equal(t, tt.maxWait, c.retry.MaxRetryDelay, "MaxRetryDelay")
		})
	}
}
