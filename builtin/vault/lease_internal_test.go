package vault

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestKVLease: the lease_duration of a read's body, 0 when it is missing
// or not a number; a nested lease_duration (in the secret's data) is not
// the read's.
func TestKVLease(t *testing.T) {
	tests := []struct {
		body string
		want int64
	}{
		{`{"lease_duration":2764800,"data":{"value":"v"}}`, 2764800},
		{`{"data":{"value":"v"},"lease_duration":1}`, 1},
		{`{"lease_duration":0,"data":{}}`, 0},
		{`{"lease_duration":-5,"data":{}}`, -5},
		{`{"lease_duration":"60","data":{}}`, 0},
		{`{"lease_duration":null,"data":{}}`, 0},
		{`{"data":{"lease_duration":60}}`, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, kvLease([]byte(tt.body)), tt.body)
	}
}

// TestLeaseEnd: a positive lease counts from start; 0, a negative lease,
// one too long for a time.Duration and a zero start give no expiry.
func TestLeaseEnd(t *testing.T) {
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		start time.Time
		lease int64
		want  time.Time
	}{
		{start, 1, start.Add(time.Second)},
		{start, 2764800, start.Add(2764800 * time.Second)},
		{start, maxLease, start.Add(time.Duration(maxLease) * time.Second)},
		{start, maxLease + 1, time.Time{}},
		{start, math.MaxInt64, time.Time{}},
		{start, 0, time.Time{}},
		{start, -3, time.Time{}},
		{time.Time{}, 60, time.Time{}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, leaseEnd(tt.start, tt.lease), "%v + %d s", tt.start, tt.lease)
	}
}

// BenchmarkKVLease: what reading the lease adds to a KV v1 read (a body
// as Vault 1.14.1 sends it).
func BenchmarkKVLease(b *testing.B) {
	body := []byte(`{"request_id":"5b1b5d52-0c5e-4b54-8e3f-3c2b2f1e2a10","lease_id":"","renewable":false,` +
		`"lease_duration":2764800,"data":{"value":"eu-west-1"},"wrap_info":null,"warnings":null,"auth":null}`)
	b.ReportAllocs()
	for b.Loop() {
		if kvLease(body) != 2764800 {
			b.Fatal("lease")
		}
	}
}
