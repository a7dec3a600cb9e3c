package vault

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetadataVersion: the version string of a metadata answer (the data
// of GET <mount>/metadata/<path>, as the KV v2 API reference shows it).
func TestMetadataVersion(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, body, want, wantErr string
	}{
		{name: "live", want: "3@2026-11-29T11:46:23.842434206Z",
			body: `{"data":{"current_version":3,"versions":{"3":{"created_time":"2026-11-29T11:46:23.842434206Z","deletion_time":"","destroyed":false}}}}`},
		{name: "soft-deleted", want: "3@t-deleted",
			body: `{"data":{"current_version":3,"versions":{"3":{"created_time":"t","deletion_time":"2026-11-30T00:00:00Z","destroyed":false}}}}`},
		{name: "deletion scheduled later (delete_version_after): live until then", want: "3@t",
			body: `{"data":{"current_version":3,"versions":{"3":{"created_time":"t","deletion_time":"2026-12-02T00:00:00Z","destroyed":false}}}}`},
		{name: "destroyed", want: "3@t-deleted",
			body: `{"data":{"current_version":3,"versions":{"3":{"created_time":"t","deletion_time":"","destroyed":true}}}}`},
		{name: "unparsable deletion_time: deleted", want: "1@t-deleted",
			body: `{"data":{"current_version":1,"versions":{"1":{"created_time":"t","deletion_time":"soon"}}}}`},
		{name: "current version pruned from versions", want: "7@",
			body: `{"data":{"current_version":7,"versions":{}}}`},
		{name: "not JSON", body: `<html>`, wantErr: "not JSON"},
		{name: "no current_version", body: `{"data":{}}`, wantErr: "no data.current_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := metadataVersion([]byte(tt.body), now)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestPollOptions: Options.PollInterval and PollJitter reach the poller;
// a negative interval switches it off.
func TestPollOptions(t *testing.T) {
	b, err := New(Options{Address: "http://127.0.0.1:1", Auth: Auth{Token: "t"}, PollInterval: 5 * time.Second, PollJitter: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	assert.Equal(t, 5*time.Second, b.poller.Interval)
	assert.Equal(t, time.Duration(-1), b.poller.Jitter)
}
