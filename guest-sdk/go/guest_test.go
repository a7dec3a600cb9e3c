package secretpath

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/secretpath/secretpath/guest-sdk/go/internal/fakehost"
)

func TestPull(t *testing.T) {
	value := []byte("hello")
	calls := 0
	// The value grows between the sizing call and the read, once.
	read := func(buf unsafe.Pointer, limit int32) int32 {
		calls++
		if calls == 2 {
			value = append(value, " world"...)
		}
		if int(limit) >= len(value) {
			copy(unsafe.Slice((*byte)(buf), limit), value)
		}
		return int32(len(value))
	}
	b, n := pull(read)
	if string(b) != "hello world" || n != 11 || calls != 3 {
		t.Errorf("got %q, %d after %d calls", b, n, calls)
	}

	if b, n := pull(func(unsafe.Pointer, int32) int32 { return -1 }); b != nil || n != -1 {
		t.Errorf("absent: %q, %d", b, n)
	}
	if b, n := pull(func(unsafe.Pointer, int32) int32 { return 0 }); b != nil || n != 0 {
		t.Errorf("empty: %q, %d", b, n)
	}
	grow := int32(1)
	if _, n := pull(func(unsafe.Pointer, int32) int32 { grow *= 2; return grow }); n != unstable {
		t.Errorf("always growing: %d", n)
	}
	// A value that shrinks is taken at its new length.
	shrink := int32(10)
	b, n = pull(func(buf unsafe.Pointer, limit int32) int32 {
		if limit > 0 {
			shrink = 3
			copy(unsafe.Slice((*byte)(buf), limit), "abc")
		}
		return shrink
	})
	if string(b) != "abc" || n != 3 {
		t.Errorf("shrinking: %q, %d", b, n)
	}
}

func TestRegister(t *testing.T) {
	saved := registered
	t.Cleanup(func() { registered = saved })
	registered = nil

	mustPanic(t, "nil", func() { Register(nil) })
	Register(UnimplementedBackend{})
	mustPanic(t, "twice", func() { Register(UnimplementedBackend{}) })
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

func TestNoHost(t *testing.T) {
	mustPanic(t, "Log without a host", func() { Log(LevelInfo, "x") })
}

// quietHost implements fakehost.Imports without allocating.
type quietHost struct{ result []byte }

func (q *quietHost) KwargsRead([]byte) int32              { return 0 }
func (q *quietHost) ResultSet(b []byte)                   { q.result = b }
func (q *quietHost) ErrorSet([]byte)                      {}
func (q *quietHost) Log(int32, []byte)                    {}
func (q *quietHost) LogEnabled(int32) int32               { return 0 }
func (q *quietHost) EnvGet(_, _ []byte) int32             { return -1 }
func (q *quietHost) ClockNow() int64                      { return 0 }
func (q *quietHost) HTTPRequest(_, _, _, _ []byte) int32  { return -4 }
func (q *quietHost) HTTPResponseBody([]byte) int32        { return 0 }
func (q *quietHost) HTTPResponseHeader(_, _ []byte) int32 { return -1 }

type mapBackend struct {
	UnimplementedBackend
	m map[string]string
}

func (b mapBackend) GetConnection(id string) (string, error) {
	if v, ok := b.m[id]; ok {
		return v, nil
	}
	return "", ErrNotFound
}

// TestLookupAllocs pins the SDK's per-lookup cost: one allocation, the
// copy of the id, whether the id is found or not.
func TestLookupAllocs(t *testing.T) {
	saved, savedHost := registered, fakehost.Current
	t.Cleanup(func() { registered, fakehost.Current = saved, savedHost })
	q := &quietHost{}
	fakehost.Current = q
	registered = mapBackend{m: map[string]string{"smtp_default": "smtps://user:pw@relay:465"}}

	for id, want := range map[string]Status{"smtp_default": StatusOKInBuffer, "nope_nope_nope": StatusNotFound} {
		var st Status
		allocs := testing.AllocsPerRun(100, func() {
			n := copy(buffer[:], id) // the result overwrites the id
			st = handleLookup(kindConnection, int32(n))
		})
		if st != want {
			t.Fatalf("%s: %v", id, st)
		}
		if allocs > 1 {
			t.Errorf("%s: %v allocations per lookup, want at most 1", id, allocs)
		}
	}
	n := copy(buffer[:], "smtp_default")
	if st := handleLookup(kindConnection, int32(n)); st != StatusOKInBuffer {
		t.Fatalf("status %v", st)
	}
	if got := string(buffer[4 : 4+binary.LittleEndian.Uint32(buffer[:4])]); got != "smtps://user:pw@relay:465" {
		t.Errorf("result in the buffer %q", got)
	}
	if q.result != nil {
		t.Errorf("a result that fits the buffer must not go through result_set")
	}
}

func BenchmarkLookup(b *testing.B) {
	saved, savedHost := registered, fakehost.Current
	b.Cleanup(func() { registered, fakehost.Current = saved, savedHost })
	fakehost.Current = &quietHost{}
	registered = mapBackend{m: map[string]string{"smtp_default": "smtps://user:pw@relay:465"}}
	b.ReportAllocs()
	for b.Loop() {
		n := int32(copy(buffer[:], "smtp_default")) // the result overwrites the id
		handleLookup(kindConnection, n)
	}
}

func TestNoBackendRegistered(t *testing.T) {
	saved, savedHost := registered, fakehost.Current
	t.Cleanup(func() { registered, fakehost.Current = saved, savedHost })
	fakehost.Current, registered = &quietHost{}, nil
	if st := handleInit(); st != StatusInternal {
		t.Errorf("init: %v", st)
	}
	if st := handleLookup(kindVariable, 1); st != StatusInternal {
		t.Errorf("lookup: %v", st)
	}
}

func TestIDLengthOutOfRange(t *testing.T) {
	saved, savedHost := registered, fakehost.Current
	t.Cleanup(func() { registered, fakehost.Current = saved, savedHost })
	fakehost.Current, registered = &quietHost{}, UnimplementedBackend{}
	for _, n := range []int32{-1, BufferSize + 1} {
		if st := handleLookup(kindConnection, n); st != StatusInvalidArgument {
			t.Errorf("%d: %v", n, st)
		}
	}
}
