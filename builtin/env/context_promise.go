package env

import (
	"os"
	"reflect"
)

// HonoursContext reports that Lookup returns promptly once ctx is done
// (the resolver's promise: see resolver.Backend): it reads the process's
// environment, in memory, and checks ctx before each read. With an
// Options.LookupEnv of the caller's own, which takes no ctx and may block,
// it makes no promise.
func (b *Backend) HonoursContext() bool {
	return reflect.ValueOf(b.lookup).Pointer() == reflect.ValueOf(os.LookupEnv).Pointer()
}
