package kit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/config"
)

// TestReadPollKwargs: defaults, bounds, and errors that name the kwarg
// (the table the GCP backend's tests had, and the AWS backends' cases).
func TestReadPollKwargs(t *testing.T) {
	tests := []struct {
		json             string
		interval, jitter time.Duration
		err              string
	}{
		{`{}`, 0, 0, ""},
		{`{"changes_poll_interval_seconds": null, "changes_poll_jitter_seconds": null}`, 0, 0, ""},
		{`{"changes_poll_interval_seconds": 300}`, 300 * time.Second, 0, ""},
		{`{"changes_poll_interval_seconds": "0.05"}`, 50 * time.Millisecond, 0, ""},
		{`{"changes_poll_interval_seconds": 86400}`, 24 * time.Hour, 0, ""},
		{`{"changes_poll_interval_seconds": -1}`, -1, 0, ""},
		{`{"changes_poll_interval_seconds": -1, "changes_poll_jitter_seconds": 500}`, -1, 500 * time.Second, ""},
		{`{"changes_poll_interval_seconds": 10, "changes_poll_jitter_seconds": 0}`, 10 * time.Second, -1, ""},
		{`{"changes_poll_interval_seconds": 10, "changes_poll_jitter_seconds": 2.5}`, 10 * time.Second, 2500 * time.Millisecond, ""},
		{`{"changes_poll_interval_seconds": 10, "changes_poll_jitter_seconds": 10}`, 10 * time.Second, 10 * time.Second, ""},
		{`{"changes_poll_jitter_seconds": 30}`, 0, 30 * time.Second, ""},
		{`{"changes_poll_jitter_seconds": 60}`, 0, time.Minute, ""},
		{`{"changes_poll_interval_seconds": 0}`, 0, 0, "changes_poll_interval_seconds"},
		{`{"changes_poll_interval_seconds": 90000}`, 0, 0, "changes_poll_interval_seconds"},
		{`{"changes_poll_interval_seconds": "soon"}`, 0, 0, "changes_poll_interval_seconds"},
		{`{"changes_poll_interval_seconds": "NaN"}`, 0, 0, "changes_poll_interval_seconds"},
		{`{"changes_poll_interval_seconds": 1e400}`, 0, 0, "changes_poll_interval_seconds"},
		{`{"changes_poll_jitter_seconds": 61}`, 0, 0, "changes_poll_jitter_seconds"},
		{`{"changes_poll_jitter_seconds": -1}`, 0, 0, "changes_poll_jitter_seconds"},
		{`{"changes_poll_jitter_seconds": "NaN"}`, 0, 0, "changes_poll_jitter_seconds"},
		{`{"changes_poll_interval_seconds": 10, "changes_poll_jitter_seconds": 11}`, 0, 0, "changes_poll_jitter_seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			kw, err := config.ParseKwargs([]byte(tt.json))
			require.NoError(t, err)
			o, err := ReadPollKwargs(kw)
			if tt.err != "" {
				require.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), `"`+tt.err+`"`)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, PollOptions{Interval: tt.interval, Jitter: tt.jitter}, o)
			assert.NoError(t, kw.CheckUnused("test"), "both keys are marked read")
		})
	}
}
