package vault

// Established returns how many of b's change streams were established:
// their Event{All: true} emitted and handled by the resolver, which drops
// what it cached before.
func Established(b *Backend) int64 { return b.established.Load() }
