package secretpath

import (
	"encoding/binary"
	"unsafe"
)

// BufferSize is the size of the exchange buffer, into which the host writes
// each lookup's id: the longest id the module accepts. The host answers
// INVALID_ARGUMENT for a longer one without calling the module.
const BufferSize = 4096

// buffer is the exchange buffer (ABI.md §3). A global: never moved or freed.
var buffer [BufferSize]byte

// callSeq changes at the start and end of every export call and at every
// HTTP request, so that a Response can tell whether it is still the host's
// last response.
var callSeq uint64

type kind uint8

const (
	kindConnection kind = iota
	kindVariable
	kindConfig
)

// handleInit is secretpath_init: read the kwargs, call Init.
func handleInit() Status {
	callSeq++
	st := initBackend()
	callSeq++
	return st
}

func initBackend() Status {
	if registered == nil {
		return fail(errNoBackend)
	}
	kwargs, err := readKwargs()
	if err != nil {
		return fail(err)
	}
	return fail(registered.Init(kwargs))
}

// handleLookup is secretpath_get_*: the id is buffer[:idLen].
func handleLookup(k kind, idLen int32) Status {
	callSeq++
	st := lookup(k, idLen)
	callSeq++
	return st
}

func lookup(k kind, idLen int32) Status {
	if registered == nil {
		return fail(errNoBackend)
	}
	if idLen < 0 || idLen > BufferSize {
		return fail(errIDLength)
	}
	// A copy: a backend may keep the id (a map key, an error) past the call,
	// and the host overwrites the buffer with the next id.
	id := string(buffer[:idLen])
	var v string
	var err error
	switch k {
	case kindConnection:
		v, err = registered.GetConnection(id)
	case kindVariable:
		v, err = registered.GetVariable(id)
	default:
		v, err = registered.GetConfig(id)
	}
	if err != nil {
		return fail(err)
	}
	// A result that fits goes into the exchange buffer (length first): the
	// lookup then makes no host call (ABI.md §2, OK_IN_BUFFER).
	if len(v) <= BufferSize-4 {
		binary.LittleEndian.PutUint32(buffer[:4], uint32(len(v)))
		copy(buffer[4:], v)
		return StatusOKInBuffer
	}
	// v is live for the whole call (it is an argument), Go's collector
	// never moves memory, and the host copies the bytes before returning.
	resultSet(unsafe.Pointer(unsafe.StringData(v)), int32(len(v)))
	return StatusOK
}

var (
	errNoBackend = newError("secretpath: no backend registered: call secretpath.Register from an init function (main is never run)", nil)
	errIDLength  = newError("secretpath: id length out of range", ErrInvalidArgument)
	errUnstable  = newError("secretpath: the host's value kept changing size while being read", nil)
)

// fail reports err to the host and returns its status (StatusOK for nil).
func fail(err error) Status {
	if err == nil {
		return StatusOK
	}
	if msg := message(err); msg != "" {
		errorSet(unsafe.Pointer(unsafe.StringData(msg)), int32(len(msg)))
	}
	return StatusOf(err)
}

// readKwargs pulls the backend_kwargs text ("{}" when empty).
func readKwargs() ([]byte, error) {
	b, n := pull(kwargsRead)
	switch {
	case n == unstable:
		return nil, errUnstable
	case n < 0:
		return nil, newError("secretpath: kwargs_read returned "+itoa(int64(n)), nil)
	case n == 0:
		return []byte("{}"), nil
	}
	return b, nil
}

// unstable is pull's answer when the length kept changing.
const unstable = -1 << 31

// pull reads a value with ABI.md's size-then-read rule: read(nil, 0)
// returns the length, then a buffer of that length is filled. It returns
// the bytes (nil when empty) and the length, or nil and the host's negative
// answer (or unstable).
func pull(read func(buf unsafe.Pointer, limit int32) int32) ([]byte, int32) {
	n := read(nil, 0)
	for range 4 {
		if n <= 0 {
			return nil, n
		}
		b := make([]byte, n)
		m := read(unsafe.Pointer(&b[0]), n)
		if 0 <= m && m <= n {
			return b[:m], m
		}
		n = m // changed between the two calls: try again with the new length
	}
	return nil, unstable
}
