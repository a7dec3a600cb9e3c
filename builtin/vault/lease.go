package vault

import (
	"context"
	"math"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/secretpath/secretpath/resolver"
)

// Answer answers req as the resolver asks a tier (see Expiry in the package
// doc): for a connection, what Connection returns, with Fields set; for
// another kind, what Lookup returns. With KV version 1, a secret found
// carries Expires: the time the read started plus the lease_duration
// Vault answered, when that is positive; otherwise Expires is zero.
func (b *Backend) Answer(ctx context.Context, req resolver.Request) resolver.Answer {
	var start time.Time
	if !b.v2 {
		// Before the request: the lease runs from Vault's answer, so an
		// expiry counted from here is never later than Vault's.
		start = time.Now()
	}
	var a resolver.Answer
	var lease int64
	if req.Kind == resolver.KindConnection {
		a.Conn, lease, a.Err = b.connection(ctx, req)
		a.Fields = true
	} else {
		a.Value, lease, a.Err = b.lookup(ctx, req)
	}
	if a.Err == nil {
		a.Expires = leaseEnd(start, lease)
	}
	return a
}

// maxLease is the longest lease, in seconds, that a time.Duration holds
// (~292 years); a longer one is no bound at all.
const maxLease = math.MaxInt64 / int64(time.Second)

// leaseEnd returns start plus lease seconds, or the zero time (no expiry)
// when lease is not positive (Vault answers 0 for KV v2 and for a KV v1
// ttl of 0, and echoes a negative ttl) or too long to count.
func leaseEnd(start time.Time, lease int64) time.Time {
	if lease <= 0 || lease > maxLease || start.IsZero() {
		return time.Time{}
	}
	return start.Add(time.Duration(lease) * time.Second)
}

// kvLease returns a KV read response's lease_duration in seconds, 0 when
// it is absent or not a number. body must be valid JSON (kvData checked
// it).
func kvLease(body []byte) int64 {
	// gjson.Get on a view of body rather than GetBytes, which copies the
	// value it returns (one allocation per read): the number is read here
	// and dropped, and body is not written meanwhile.
	l := gjson.Get(unsafe.String(unsafe.SliceData(body), len(body)), "lease_duration")
	if l.Type != gjson.Number {
		return 0
	}
	return l.Int()
}
