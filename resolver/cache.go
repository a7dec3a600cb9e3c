package resolver

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/secretpath/secretpath/resolver/connection"
)

// cacheKey is a lookup request as the cache and the flights see it: the
// team is part of it, so that one team's answer is never another's.
type cacheKey struct {
	kind Kind
	team string
	id   string
}

func keyOf(req Request) cacheKey { return cacheKey{kind: req.Kind, team: req.Team, id: req.ID} }

type cacheEntry struct {
	conn    connection.Connection
	val     connection.Secret
	found   bool
	tier    int32 // the tier that answered; -1 for a miss
	saved   int64 // the cache clock when saved
	expires int64 // the cache clock at which the value expires (Answer.Expires); 0: unknown
	// dropped: invalidated (a change event, Invalidate) but kept for a
	// stale grace: it answers no lookup, only an outage (getStale). Set
	// before the entry is stored, never after.
	dropped bool
	touched atomic.Bool // read since it was saved or last spared by eviction

	// Under cache.mu:
	key  cacheKey // to remove it from the map when evicted
	slot int      // its index in cache.all
}

// cache is a bounded TTL cache. A hit is lock-free and write-free: a load
// from a lock-free hash map by the id (one more by the team when there is
// one) and a read of the coarse clock, no clock read. Nothing a hit touches
// is written by another hit, so two cores reading one key do not bounce a
// cache line as a sync.RWMutex's reader count did. Writers (misses,
// invalidation) take mu. When full, an insert evicts by sampling: an
// expired entry first, else one not read lately, else the oldest of the
// sample (an approximation of LRU that keeps hits write-free).
//
// The maps are xsync.Map (github.com/puzpuzpuz/xsync: loads are atomic
// reads of the table, no lock), keyed by strings, the id and the team,
// rather than by cacheKey: a generic map hashes a struct key through the
// runtime's type hash, ~3x the cost of a string's. Measured against
// sync.Map (Go 1.24's hash trie, also lock-free on loads): a string-key
// load ~19 ns vs ~32 ns, and a store allocates one entry where sync.Map
// allocates a trie node and boxes the key.
//
// We wrote the cache rather than take hashicorp/golang-lru/v2/expirable:
// that one starts a goroutine per cache that can never be stopped and
// takes an exclusive lock on every hit.
type cache struct {
	ttl    int64 // nanoseconds
	grace  int64 // nanoseconds past ttl that an answer is kept to be served stale
	max    int
	now    func() int64 // a test's clock (monotonic nanoseconds), or nil
	coarse bool         // hits read the coarse clock (now == nil and ttl >= coarseMinTTL)

	// The entries, stored and deleted under mu.
	noTeam idMaps
	teams  *xsync.Map[string, *idMaps] // the teams that have entries

	_       [64]byte // misses write below this line, hits read above it
	mu      sync.Mutex
	all     []*cacheEntry      // every entry, for eviction's random sample
	flights map[cacheKey]*call // the searches under way
	teamN   map[string]int     // entries per team (a team's maps go with its last)
}

// idMaps are one team's entries: id → entry, by kind (each map made by
// its first entry).
type idMaps struct {
	kinds [KindConfig + 1]atomic.Pointer[xsync.Map[string, *cacheEntry]]
}

const evictionSample = 8

// clockBase is the origin of the cache's clocks.
var clockBase = time.Now()

// monotonic reads the monotonic clock: time.Since of a fixed time reads
// only the monotonic clock, about half the cost of time.Now.
func monotonic() int64 { return int64(time.Since(clockBase)) }

// exactNow is the clock that puts and the miss path read (a variable so
// that a test can count its reads; the coarse clock's ticks do not use it).
var exactNow = monotonic

// The coarse clock: monotonic nanoseconds as of the last tick, which cache
// hits read instead of the clock. It ticks every coarseTick while caches
// are read and stops after coarseIdle without a read, so an idle process
// (or a test that is over) has no timer and no goroutine of ours: each tick
// is a time.AfterFunc that re-arms itself. The first read after it stopped
// restarts it and reads the exact clock once.
//
// Precision: a hit sees the time of the last tick, up to coarseTick (plus
// timer latency on a loaded machine) behind the clock, and entries are
// saved with the exact time, so an entry may be served up to ~10 ms past
// its TTL and is never dropped early. Airflow's cache_ttl_seconds is whole
// seconds (SecretCache compares time.monotonic() with it); TTLs under
// coarseMinTTL (only the Go API can set them) use the exact clock on hits.
const (
	coarseTick   = 10 * time.Millisecond
	coarseIdle   = 100 // ticks without a read before the clock stops (1 s)
	coarseMinTTL = time.Second
)

const (
	clockStopped int32 = iota // no tick armed: now is stale
	clockIdle                 // ticking, not read since the last tick
	clockRead                 // ticking, read since the last tick
)

var coarseClock struct {
	_     [64]byte // keep the hits' cache line to itself
	state atomic.Int32
	now   atomic.Int64
	_     [64]byte

	mu    sync.Mutex // starting and stopping
	idle  int        // ticks without a read; under mu
	timer *time.Timer
}

// coarseNow returns the coarse clock's time, starting it if it stopped.
// While it runs, a read is two atomic loads (and, once per tick, a CAS).
func coarseNow() int64 {
	c := &coarseClock
	for {
		switch c.state.Load() {
		case clockRead:
			return c.now.Load()
		case clockIdle:
			if c.state.CompareAndSwap(clockIdle, clockRead) {
				return c.now.Load()
			}
		default:
			startCoarseClock()
		}
	}
}

func startCoarseClock() {
	c := &coarseClock
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Load() != clockStopped {
		return
	}
	c.now.Store(exactNow())
	c.idle = 0
	c.state.Store(clockRead)
	if c.timer == nil {
		c.timer = time.AfterFunc(coarseTick, coarseTickFunc)
	} else {
		c.timer.Reset(coarseTick)
	}
}

// coarseTickFunc advances the coarse clock; it re-arms the timer unless
// the clock went unread for coarseIdle ticks.
func coarseTickFunc() {
	c := &coarseClock
	c.now.Store(monotonic())
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.CompareAndSwap(clockRead, clockIdle) {
		c.idle = 0
	} else if c.idle++; c.idle >= coarseIdle && c.state.CompareAndSwap(clockIdle, clockStopped) {
		return
	}
	c.timer.Reset(coarseTick)
}

func newCache(ttl time.Duration, size int, now func() int64) *cache {
	if size <= 0 {
		size = defaultCacheSize
	}
	return &cache{ttl: int64(ttl), max: size, now: now, coarse: now == nil && ttl >= coarseMinTTL,
		teams: xsync.NewMap[string, *idMaps](), flights: make(map[cacheKey]*call), teamN: make(map[string]int)}
}

// hitNow is the time a hit compares an entry's age with.
func (c *cache) hitNow() int64 {
	if c.coarse {
		return coarseNow()
	}
	return c.exact()
}

// exact is the time a put saves and the stale path compares with.
func (c *cache) exact() int64 {
	if c.now != nil {
		return c.now()
	}
	return exactNow()
}

// get returns a live entry. An entry older than ttl (strictly) has expired,
// as in Airflow's SecretCache.
func (c *cache) get(k cacheKey) (*cacheEntry, bool) {
	e, ok := c.load(k)
	if !ok {
		return nil, false
	}
	if now := c.hitNow(); now-e.saved > c.ttl || e.expires != 0 && now >= e.expires || e.dropped {
		return nil, false
	}
	if !e.touched.Load() {
		e.touched.Store(true)
	}
	return e, true
}

// hit returns the live answer (not a miss) cached for kind, team and id,
// or nil: get for the lookups' hot paths.
func (c *cache) hit(kind Kind, team, id string) *cacheEntry {
	if e, ok := c.get(cacheKey{kind: kind, team: team, id: id}); ok && e.found {
		return e
	}
	return nil
}

// pastExpiryHold is how long an answer whose expiry had already passed
// when it was read is cached (within its TTL): not caching it would send
// every lookup to the store, and a forgotten expiry date (Azure's exp) is
// common; a minute bounds what a store that rotates late costs.
const pastExpiryHold = time.Minute

// deadline converts a value's expiry (wall time) to the cache's clock; 0
// for none. An expiry already past gives pastExpiryHold from now.
func (c *cache) deadline(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	now := c.exact()
	left := time.Until(t)
	if left <= 0 {
		left = pastExpiryHold
	}
	return max(now+int64(left), 1)
}

// wall converts an entry's expiry back to wall time; zero for none.
func (c *cache) wall(d int64) time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.Now().Add(time.Duration(d - c.exact()))
}

// getStale returns k's answer (not a miss) if it has expired less than the
// grace ago, with its age.
func (c *cache) getStale(k cacheKey) (*cacheEntry, int64, bool) {
	e, ok := c.load(k)
	if !ok || !e.found {
		return nil, 0, false
	}
	now := c.exact()
	age := now - e.saved
	if age > c.ttl+c.grace || e.expires != 0 && now >= e.expires {
		return nil, 0, false // never a value past its own expiry
	}
	return e, age, true
}

// putLocked saves e under k. An entry k already has is replaced in place
// (its team's maps stay: a team with one entry does not rebuild them on
// every refresh).
func (c *cache) putLocked(k cacheKey, e *cacheEntry) {
	now := c.exact()
	e.saved = now
	if old, ok := c.load(k); ok {
		c.replaceLocked(old, e)
		return
	}
	if len(c.all) >= c.max {
		c.evictLocked(now)
	}
	c.storeLocked(k, e)
}

// replaceLocked puts e (saved set) in old's place.
func (c *cache) replaceLocked(old, e *cacheEntry) {
	k := old.key
	ms := &c.noTeam
	if k.team != "" {
		ms, _ = c.teams.Load(k.team)
	}
	ms.kinds[k.kind].Load().Store(k.id, e)
	e.key, e.slot = k, old.slot
	c.all[old.slot] = e
}

// invalidateLocked makes e no longer answer lookups: a miss is removed;
// an answer is removed too, unless a stale grace is set, in which case a
// copy marked dropped replaces it: lookups ask the tiers again, but the
// answer still covers an outage (WithStaleGrace) until its TTL and grace
// pass. (A mark, not an earlier saved time: hits read a coarse clock that
// may lag the exact one by a tick, and would still serve it.)
func (c *cache) invalidateLocked(e *cacheEntry) {
	if !e.found || c.grace <= 0 {
		c.deleteLocked(e)
		return
	}
	if e.dropped {
		return
	}
	cp := &cacheEntry{conn: e.conn, val: e.val, found: true, tier: e.tier, expires: e.expires, saved: e.saved, dropped: true}
	c.replaceLocked(e, cp)
}

// load returns k's entry, live or not.
func (c *cache) load(k cacheKey) (*cacheEntry, bool) {
	if int(k.kind) >= len(c.noTeam.kinds) {
		return nil, false
	}
	ms := &c.noTeam
	if k.team != "" {
		var ok bool
		if ms, ok = c.teams.Load(k.team); !ok {
			return nil, false
		}
	}
	m := ms.kinds[k.kind].Load()
	if m == nil {
		return nil, false
	}
	return m.Load(k.id)
}

// storeLocked adds e under k (which holds nothing).
func (c *cache) storeLocked(k cacheKey, e *cacheEntry) {
	ms := &c.noTeam
	if k.team != "" {
		var ok bool
		if ms, ok = c.teams.Load(k.team); !ok {
			ms = new(idMaps)
			c.teams.Store(k.team, ms)
		}
	}
	m := ms.kinds[k.kind].Load()
	if m == nil {
		m = xsync.NewMap[string, *cacheEntry]()
		ms.kinds[k.kind].Store(m)
	}
	m.Store(k.id, e)
	if k.team != "" {
		c.teamN[k.team]++
	}
	e.key, e.slot = k, len(c.all)
	c.all = append(c.all, e)
}

// deleteLocked removes e; a team left without entries loses its maps.
func (c *cache) deleteLocked(e *cacheEntry) {
	k := e.key
	ms := &c.noTeam
	if k.team != "" {
		ms, _ = c.teams.Load(k.team)
	}
	ms.kinds[k.kind].Load().Delete(k.id)
	if k.team != "" {
		if c.teamN[k.team]--; c.teamN[k.team] == 0 {
			delete(c.teamN, k.team)
			c.teams.Delete(k.team)
		}
	}
	last := len(c.all) - 1
	moved := c.all[last]
	c.all[e.slot], moved.slot = moved, e.slot
	c.all[last] = nil
	c.all = c.all[:last]
}

// evictLocked removes one entry, chosen from a random sample of
// evictionSample.
func (c *cache) evictLocked(now int64) {
	var victim *cacheEntry
	for range evictionSample {
		e := c.all[rand.IntN(len(c.all))]
		if now-e.saved > c.ttl+c.grace || !e.touched.Load() {
			victim = e
			break
		}
		e.touched.Store(false) // spared once: must be read again to be spared again
		if victim == nil || e.saved < victim.saved {
			victim = e
		}
	}
	c.deleteLocked(victim)
}

// land ends search f: with keep, its entry is cached, unless f was
// forgotten meanwhile (Invalidate of its key, InvalidateAll, a change
// event: its answer may predate the change the removal announced; with a
// stale grace it is then kept for outages only); later lookups of its key
// hit the cache or start their own search; the callers waiting on f wake.
func (c *cache) land(f *call, keep bool) {
	c.mu.Lock()
	if c.flights[f.key] == f {
		if keep {
			c.putLocked(f.key, &f.e)
		}
		delete(c.flights, f.key)
	} else if keep && f.e.found && c.grace > 0 {
		// Forgotten by an invalidation: its answer may predate the
		// change, so it answers no lookup, but with a stale grace it
		// may still cover an outage, as an invalidated entry does
		// (invalidateLocked), unless a newer search saved one.
		if _, ok := c.load(f.key); !ok {
			now := c.exact()
			if len(c.all) >= c.max {
				c.evictLocked(now)
			}
			f.e.saved, f.e.dropped = now, true
			c.storeLocked(f.key, &f.e)
		}
	}
	done := f.done
	c.mu.Unlock()
	if done != nil {
		close(done)
	}
}

// remove drops k's entry. A search for k under way is forgotten: it still
// answers the callers waiting on it, but its answer is not cached and
// later lookups do not join it.
func (c *cache) remove(k cacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.load(k); ok {
		c.deleteLocked(old)
	}
	delete(c.flights, k)
}

func (c *cache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.noTeam.kinds {
		if m := c.noTeam.kinds[i].Load(); m != nil {
			m.Clear()
		}
	}
	clear(c.teamN)
	c.teams.Clear()
	clear(c.all)
	c.all = c.all[:0]
	clear(c.flights)
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.all)
}
