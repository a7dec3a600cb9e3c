package resolver

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secretpath/secretpath/resolver/connection"
)

// cacheKey is a lookup request as the cache and singleflight see it: the
// team is part of it, so that one team's answer is never another's.
type cacheKey struct {
	kind Kind
	team string
	id   string
}

func keyOf(req Request) cacheKey { return cacheKey{kind: req.Kind, team: req.Team, id: req.ID} }

// String is the singleflight key: kind, team length, team, id (the
// length keeps team "a" + id "bc" apart from team "ab" + id "c").
func (k cacheKey) String() string {
	return string(rune('0'+k.kind)) + strconv.Itoa(len(k.team)) + ":" + k.team + k.id
}

type cacheEntry struct {
	conn    connection.Connection
	val     connection.Secret
	found   bool
	tier    int32       // the tier that answered; -1 for a miss
	saved   int64       // the cache clock when saved
	touched atomic.Bool // read since it was saved or last spared by eviction
}

// cache is a bounded TTL cache. A hit takes a read lock and allocates
// nothing. When full, an insert evicts by sampling: an expired entry first,
// else one not read lately, else the oldest of the sample (an approximation
// of LRU that keeps hits write-free).
//
// We wrote this rather than take hashicorp/golang-lru/v2/expirable: that one
// starts a goroutine per cache that can never be stopped and takes an
// exclusive lock on every hit.
type cache struct {
	ttl   int64 // nanoseconds
	grace int64 // nanoseconds past ttl that an answer is kept to be served stale
	max   int
	now   func() int64 // monotonic nanoseconds
	mu    sync.RWMutex
	m     map[cacheKey]*cacheEntry
}

const evictionSample = 8

// clockBase is the origin of the default cache clock.
var clockBase = time.Now()

// monotonic is the default cache clock: time.Since of a fixed time reads
// only the monotonic clock, about half the cost of time.Now on a hit.
func monotonic() int64 { return int64(time.Since(clockBase)) }

func newCache(ttl time.Duration, size int, now func() int64) *cache {
	if size <= 0 {
		size = defaultCacheSize
	}
	if now == nil {
		now = monotonic
	}
	return &cache{ttl: int64(ttl), max: size, now: now, m: make(map[cacheKey]*cacheEntry)}
}

// get returns a live entry. An entry older than ttl (strictly) has expired,
// as in Airflow's SecretCache.
func (c *cache) get(k cacheKey) (*cacheEntry, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || c.now()-e.saved > c.ttl {
		return nil, false
	}
	if !e.touched.Load() {
		e.touched.Store(true)
	}
	return e, true
}

// getStale returns k's answer (not a miss) if it has expired less than the
// grace ago, with its age.
func (c *cache) getStale(k cacheKey) (*cacheEntry, int64, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !e.found {
		return nil, 0, false
	}
	age := c.now() - e.saved
	if age > c.ttl+c.grace {
		return nil, 0, false
	}
	return e, age, true
}

func (c *cache) put(k cacheKey, e *cacheEntry) {
	now := c.now()
	e.saved = now
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, exists := c.m[k]; !exists && len(c.m) >= c.max {
		c.evictLocked(now)
	}
	c.m[k] = e
}

func (c *cache) evictLocked(now int64) {
	var victim cacheKey
	var oldest *cacheEntry
	n := 0
	for k, e := range c.m { // map order is random: a fair sample
		if now-e.saved > c.ttl+c.grace {
			delete(c.m, k)
			return
		}
		if !e.touched.Load() {
			delete(c.m, k)
			return
		}
		e.touched.Store(false) // spared once: must be read again to be spared again
		if oldest == nil || e.saved < oldest.saved {
			victim, oldest = k, e
		}
		if n++; n == evictionSample {
			break
		}
	}
	delete(c.m, victim)
}

func (c *cache) remove(k cacheKey) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

func (c *cache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

func (c *cache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
