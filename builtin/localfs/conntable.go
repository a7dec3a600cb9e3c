package localfs

import (
	"encoding/binary"
	"hash/maphash"
	"iter"
	"unsafe"

	"github.com/secretpath/secretpath/resolver/connection"
)

// A connections file is held compactly (issue 19: a first parse must
// allocate at most 3× the file, the read buffer included). Each connection
// is one allocation of its own, its record: a small header, its id, its
// value as written and any field that is not a substring of the value,
// copied there; but a single field the connection parser built (a URI's
// extra) stays in the parser's allocation, the slot's aux. A lookup rebuilds the connection.Connection from substrings
// of the record, allocating nothing. The records are reached through one
// slice and an open-addressing index of 8 bytes a bucket, where a Go map
// would store a 160-byte entry apart for each connection, and its key.
//
// A record does not point into the file's bytes, so that a caller keeping
// one connection keeps that record, not the file (see bytesString).
//
// Record layout (uvarints unless said):
//
//	byte 0      proto<<1 | 1 when the id is the key (ConnID == key)
//	total       the record's length, header included
//	keyLen, key
//	valueLen
//	auxLen      the length of the slot's aux string (0: none)
//	ConnID      only when byte 0 says it is not the key: a field code
//	7 fields    ConnType, Description, Host, Schema, Login, Password, Extra:
//	            0 empty, 1 the aux string, else 2+offset then length, the
//	            offset counted from the start of the value
//	port        a zigzag varint
//	value, then the copied fields
//
// proto indexes the table's prototypes: the connection's unexported state
// (which fields are present although empty) is kept as a Connection whose
// exported fields are cleared, one per distinct state, and a lookup starts
// from a copy of it. A state beyond maxProtos is kept for its slot alone.

// connSlot is one connection of a table: its record, and a field the
// connection parser built (Extra from a URI's query) kept in that
// allocation rather than copied into the record.
type connSlot struct {
	rec *byte
	aux *byte
}

// connTable is a parsed connections file: connections by id.
type connTable struct {
	slots  []connSlot
	index  []uint64 // 0: free; else tag<<32 | slot+1
	seed   maphash.Seed
	protos []connection.Connection
	full   map[uint32]connection.Connection // the proto of a slot whose proto byte is protoFull
}

// maxProtos is how many prototypes a table keeps (a variable for tests).
// connection.Connection has six presence bits today, so at most 64 states.
var maxProtos = 127

const protoFull = 127

// Field codes of a record.
const (
	fieldEmpty = 0
	fieldAux   = 1
	fieldAt    = 2 // + offset
)

// connBuild is one connection packed into its record, not yet in a table:
// byte 0 (the prototype) is written when it is put in one.
type connBuild struct {
	rec     []byte
	aux     string
	idIsKey bool
	proto   connection.Connection // c with its exported fields cleared
}

// packConnection builds c's record. key is the entry's key and value its
// value as Lookup returns it; they and c's strings may point into the
// file. A field that is a substring of value is recorded as an offset into
// the record's copy of value; the others are copied after it, except that
// when fresh is true (c was parsed from value by the connection package,
// which slices its input or builds a field anew) a single field that is
// not in value is kept where it is, as the slot's aux string.
func packConnection(key, value string, c *connection.Connection, fresh bool) connBuild {
	fields := [...]string{c.ConnType, c.Description, c.Host, c.Schema, c.Login, c.Password.Reveal(), c.Extra}
	idIsKey := c.ConnID == key
	aux, auxField, outside := "", -1, 0
	for i, f := range fields {
		if f != "" && !within(f, value) {
			outside++
			auxField = i
		}
	}
	if !idIsKey && c.ConnID != "" {
		outside++ // never aux: a ConnID that is not the key may be the key's bytes
		auxField = -1
	}
	if fresh && outside == 1 && auxField >= 0 {
		aux = fields[auxField]
	} else {
		auxField = -1
	}

	// The header, up to the field codes, into a small stack buffer; the
	// copied fields' offsets are known once the value's length is.
	var hdr [64]byte
	h := hdr[:0]
	pool := len(value)
	var poolFields [len(fields) + 1]string
	nPool := 0
	code := func(f string, isAux bool) {
		switch {
		case f == "":
			h = binary.AppendUvarint(h, fieldEmpty)
		case isAux:
			h = binary.AppendUvarint(h, fieldAux)
		case within(f, value):
			off := uintptr(unsafe.Pointer(unsafe.StringData(f))) - uintptr(unsafe.Pointer(unsafe.StringData(value)))
			h = binary.AppendUvarint(h, fieldAt+uint64(off))
			h = binary.AppendUvarint(h, uint64(len(f)))
		default:
			h = binary.AppendUvarint(h, fieldAt+uint64(pool))
			h = binary.AppendUvarint(h, uint64(len(f)))
			pool += len(f)
			poolFields[nPool] = f
			nPool++
		}
	}
	h = binary.AppendUvarint(h, uint64(len(value)))
	h = binary.AppendUvarint(h, uint64(len(aux)))
	if !idIsKey {
		code(c.ConnID, false)
	}
	for i, f := range fields {
		code(f, i == auxField)
	}
	h = binary.AppendVarint(h, int64(c.Port))

	// total = 1 + len(uvarint(total)) + len(uvarint(keyLen)) + key + header + value + pool.
	var kl [binary.MaxVarintLen64]byte
	keyLen := binary.PutUvarint(kl[:], uint64(len(key)))
	body := 1 + keyLen + len(key) + len(h) + pool
	total := body + 1
	for total != body+uvarintLen(uint64(total)) {
		total = body + uvarintLen(uint64(total))
	}
	rec := make([]byte, 0, total)
	rec = append(rec, 0)
	rec = binary.AppendUvarint(rec, uint64(total))
	rec = append(rec, kl[:keyLen]...)
	rec = append(rec, key...)
	rec = append(rec, h...)
	rec = append(rec, value...)
	for _, f := range poolFields[:nPool] {
		rec = append(rec, f...)
	}

	proto := *c
	proto.ConnID, proto.ConnType, proto.Description, proto.Host, proto.Schema, proto.Login = "", "", "", "", "", ""
	proto.Password, proto.Port, proto.Extra = connection.Secret{}, 0, ""
	return connBuild{rec: rec, aux: aux, idIsKey: idIsKey, proto: proto}
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// within reports whether s (non-empty) lies inside region's memory.
func within(s, region string) bool {
	if len(region) == 0 || len(s) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	lo := uintptr(unsafe.Pointer(unsafe.StringData(region)))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(region))
}

// record returns a slot's record as a string.
func (s connSlot) record() string {
	// The length is the uvarint after byte 0, read in place: the record
	// is at least that long.
	var total uint64
	for i, shift := 1, uint(0); ; i, shift = i+1, shift+7 {
		b := *(*byte)(unsafe.Add(unsafe.Pointer(s.rec), i))
		total |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
	}
	return unsafe.String(s.rec, int(total))
}

// uvarint reads a uvarint of r at *i and advances *i past it. Most header
// numbers are under 128: one byte, read without the loop.
func uvarint(r string, i *int) int {
	if b := r[*i]; b < 0x80 {
		*i++
		return int(b)
	}
	return uvarintLong(r, i)
}

func uvarintLong(r string, i *int) int {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		b := r[*i]
		*i++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int(v)
		}
	}
}

// keyOf returns a record's key and the offset just past it.
func keyOf(r string) (string, int) {
	i := 1
	uvarint(r, &i) // total
	n := uvarint(r, &i)
	return r[i : i+n], i + n
}

// unpack rebuilds a slot's connection and value from its record into e,
// starting from proto, and returns its key; it allocates nothing.
func (s connSlot) unpack(proto *connection.Connection, e *connEntry) (key string) {
	r := s.record()
	key, i := keyOf(r)
	s.unpackAt(r, key, i, proto, e)
	return key
}

// unpackAt is unpack given the record r, its key and the offset i just past
// the key (as find read them).
func (s connSlot) unpackAt(r, key string, i int, proto *connection.Connection, e *connEntry) {
	valueLen := uvarint(r, &i)
	auxLen := uvarint(r, &i)
	aux := ""
	if auxLen > 0 {
		aux = unsafe.String(s.aux, auxLen)
	}
	// The offsets are from the value, which follows the header: read the
	// codes first, then resolve them.
	var code, size [8]int
	first := int(r[0] & 1) // 1: the id is the key, no code for it
	for f := first; f < len(code); f++ {
		c := uvarint(r, &i)
		code[f] = c
		if c >= fieldAt {
			size[f] = uvarint(r, &i)
		}
	}
	zport := uint64(uvarint(r, &i))
	port := int64(zport >> 1)
	if zport&1 != 0 {
		port = ^port
	}
	base := i
	var str [8]string
	for f := first; f < len(code); f++ {
		switch c := code[f]; c {
		case fieldEmpty:
		case fieldAux:
			str[f] = aux
		default:
			off := base + c - fieldAt
			str[f] = r[off : off+size[f]]
		}
	}
	if first == 1 {
		str[0] = key
	}
	e.conn = *proto
	c := &e.conn
	c.ConnID, c.ConnType, c.Description, c.Host, c.Schema, c.Login = str[0], str[1], str[2], str[3], str[4], str[5]
	c.Password = connection.NewSecret(str[6])
	c.Extra = str[7]
	c.Port = int(port)
	e.value = r[base : base+valueLen]
}

// newConnTable returns a table sized for n connections.
func newConnTable(n int) *connTable {
	t := &connTable{seed: maphash.MakeSeed()}
	t.slots = make([]connSlot, 0, n)
	t.index = make([]uint64, indexSize(n))
	return t
}

// indexSize is the power of two that holds n keys at most 7/8 full.
func indexSize(n int) int {
	size := 8
	for size*7/8 < n {
		size *= 2
	}
	return size
}

// len returns the number of connections.
func (t *connTable) len() int {
	if t == nil {
		return 0
	}
	return len(t.slots)
}

// find returns the index bucket of key: the slot's, or the free bucket
// where it would go.
func (t *connTable) find(key string, h uint64) (bucket int, slot int, ok bool) {
	bucket, slot, _, _, ok = t.findRecord(key, h)
	return bucket, slot, ok
}

// findRecord is find that also returns the slot's record and the offset
// just past its key, for unpackAt.
func (t *connTable) findRecord(key string, h uint64) (bucket int, slot int, r string, i int, ok bool) {
	mask := uint64(len(t.index) - 1)
	tag := h >> 32
	for b := h & mask; ; b = (b + 1) & mask {
		e := t.index[b]
		if e == 0 {
			return int(b), -1, "", 0, false
		}
		if e>>32 == tag {
			s := int(uint32(e)) - 1
			r := t.slots[s].record()
			if k, i := keyOf(r); k == key {
				return int(b), s, r, i, true
			}
		}
	}
}

// get returns connection id.
func (t *connTable) get(id string) (connEntry, bool) {
	var e connEntry
	ok := t.getInto(id, &e)
	return e, ok
}

// getInto writes connection id into e, which a lookup's caller holds (one
// copy of the connection fewer than returning it), and reports whether the
// table holds it.
func (t *connTable) getInto(id string, e *connEntry) bool {
	if t == nil || len(t.slots) == 0 {
		return false
	}
	_, s, r, i, ok := t.findRecord(id, maphash.String(t.seed, id))
	if ok {
		// The key as the record holds it (equal to id), so that the
		// connection's ConnID shares the record's memory, not the caller's.
		t.slots[s].unpackAt(r, r[i-len(id):i], i, t.proto(s), e)
	}
	return ok
}

// has reports whether the table holds key.
func (t *connTable) has(key string) bool {
	_, _, ok := t.find(key, maphash.String(t.seed, key))
	return ok
}

func (t *connTable) proto(s int) *connection.Connection {
	slot := t.slots[s]
	if p := int(*slot.rec >> 1); p != protoFull {
		return &t.protos[p]
	}
	p := t.full[uint32(s)]
	return &p
}

// put adds b under its key and returns true; when the key is already
// there, it replaces that connection if replace is set and returns false.
func (t *connTable) put(b *connBuild, replace bool) bool {
	r := unsafe.String(unsafe.SliceData(b.rec), len(b.rec))
	key, _ := keyOf(r)
	h := maphash.String(t.seed, key)
	bucket, s, ok := t.find(key, h)
	if ok && !replace {
		return false
	}
	p := -1
	for i := range t.protos {
		if t.protos[i] == b.proto {
			p = i
			break
		}
	}
	if p < 0 && len(t.protos) < maxProtos {
		p = len(t.protos)
		t.protos = append(t.protos, b.proto)
	}
	if p < 0 {
		p = protoFull
	}
	b.rec[0] = byte(p) << 1
	if b.idIsKey {
		b.rec[0] |= 1
	}
	slot := connSlot{rec: unsafe.SliceData(b.rec), aux: unsafe.StringData(b.aux)}
	if ok {
		t.slots[s] = slot
		delete(t.full, uint32(s))
	} else {
		s = len(t.slots)
		t.slots = append(t.slots, slot)
	}
	if p == protoFull {
		if t.full == nil {
			t.full = map[uint32]connection.Connection{}
		}
		t.full[uint32(s)] = b.proto
	}
	if !ok {
		t.index[bucket] = h>>32<<32 | uint64(s+1)
		if len(t.slots) > len(t.index)*7/8 {
			t.grow()
		}
	}
	return !ok
}

// grow doubles the index.
func (t *connTable) grow() {
	t.index = make([]uint64, len(t.index)*2)
	for s := range t.slots {
		key, _ := keyOf(t.slots[s].record())
		h := maphash.String(t.seed, key)
		b, _, _ := t.find(key, h)
		t.index[b] = h>>32<<32 | uint64(s+1)
	}
}

// all yields every connection, in the order they were first put.
func (t *connTable) all() iter.Seq2[string, connEntry] {
	return func(yield func(string, connEntry) bool) {
		if t == nil {
			return
		}
		for s := range t.slots {
			var e connEntry
			key := t.slots[s].unpack(t.proto(s), &e)
			if !yield(key, e) {
				return
			}
		}
	}
}

// entry unpacks a build that is in no table: its key and connection (the
// import's batches, which hand connections over one batch at a time).
func (b *connBuild) entry() (string, connEntry) {
	b.rec[0] = 0
	if b.idIsKey {
		b.rec[0] = 1
	}
	var e connEntry
	key := connSlot{rec: unsafe.SliceData(b.rec), aux: unsafe.StringData(b.aux)}.unpack(&b.proto, &e)
	return key, e
}
