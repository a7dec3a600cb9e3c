package wasmhost

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/secretpath/secretpath/resolver"
)

// The ABI is written down in three kinds of place: the host (abi.go, the
// hostFunctions table, http.go's failure results, tenant.go's export of
// each lookup kind, configure.go's [wasm] options), the specification
// (ABI.md's tables) and every guest SDK (Go, C, Rust, AssemblyScript). The
// test below reads ABI.md's tables and the SDKs' sources as text (no guest
// toolchain is needed), and checks ABI.md against the host and every SDK
// against ABI.md: statuses, log levels, HTTP failures, the imports'
// signatures (with their parameter names in ABI.md), capabilities and
// charges, the exports' signatures and the kind each looks up, and the
// limits' defaults. A mismatch names the file, the constant or function,
// and both values. ABI v1 numbers no kinds: a kind is its lookup export.

// abiSourcePaths are the files the check reads, relative to the repository
// root.
var abiSourcePaths = []string{
	abiDocPath,
	"guest-sdk/go/errors.go", "guest-sdk/go/log.go", "guest-sdk/go/capability.go", "guest-sdk/go/abi_wasip1.go",
	"guest-sdk/c/secretpath.h", "guest-sdk/c/secretpath.c",
	"guest-sdk/rust/src/lib.rs",
	"guest-sdk/assemblyscript/assembly/index.ts", "guest-sdk/assemblyscript/assembly/abi.ts",
}

const abiDocPath = "wasmhost/ABI.md"

// abiSources are the texts of abiSourcePaths, by path.
type abiSources map[string]string

func readABISources(t *testing.T) abiSources {
	t.Helper()
	src := abiSources{}
	for _, p := range abiSourcePaths {
		b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		src[p] = string(b)
	}
	return src
}

// ---- the host's side ----

// hostConst is a constant of the host: its Go name and value.
type hostConst struct {
	goName string
	value  int64
}

// hostSpec is the ABI as the host implements it, keyed by ABI names.
type hostSpec struct {
	statuses  map[string]hostConst // "NOT_FOUND" -> StatusNotFound = 1
	levels    map[string]hostConst // "DEBUG" -> levelDebug = 0
	httpFails map[string]hostConst // "BAD_REQUEST" -> httpBadRequest = -2
	funcs     []hostFunction
	exports   map[string]guestExport
	kinds     map[string]string // lookup export -> the kind it looks up (exportOf)
	options   []string
	limits    map[string]int64 // ABI.md §6's limit rows with a checked default, by the row's name
}

// hostStatuses lists every Status constant; TestABIDocumentation fails
// when Status has a name this list lacks.
var hostStatuses = []struct {
	goName string
	s      Status
}{
	{"StatusOK", StatusOK}, {"StatusNotFound", StatusNotFound}, {"StatusInvalidArgument", StatusInvalidArgument},
	{"StatusUnavailable", StatusUnavailable}, {"StatusPermissionDenied", StatusPermissionDenied},
	{"StatusInternal", StatusInternal}, {"StatusUnimplemented", StatusUnimplemented},
	{"StatusResourceExhausted", StatusResourceExhausted}, {"StatusOKInBuffer", StatusOKInBuffer},
}

func currentHostSpec() hostSpec {
	h := hostSpec{
		statuses: map[string]hostConst{},
		levels: map[string]hostConst{
			"DEBUG": {"levelDebug", levelDebug}, "INFO": {"levelInfo", levelInfo},
			"WARN": {"levelWarn", levelWarn}, "ERROR": {"levelError", levelError},
		},
		httpFails: map[string]hostConst{
			"BAD_REQUEST": {"httpBadRequest", int64(httpBadRequest)},
			"NETWORK":     {"httpNetwork", int64(httpNetwork)},
			"NOT_ALLOWED": {"httpNotAllowed", int64(httpNotAllowed)},
		},
		funcs:   slices.Clone(hostFunctions),
		exports: map[string]guestExport{},
		options: slices.Clone(wasmOptions),
		limits: map[string]int64{
			"memory":                                         DefaultMemoryPages,
			"wall time per call (init and lookups)":          int64(DefaultCallTimeout),
			"host work (metered tenants)":                    hostCallFuel,
			"slow calls (deadline-only and trusted tenants)": int64(DefaultSlowCallRecycle),
			"result size":                                    DefaultMaxOutputBytes,
			"log bytes per call":                             DefaultMaxLogBytes,
			"instances (pool size)":                          DefaultPoolSize,
			"module size":                                    MaxModuleSize,
			"locals per function":                            MaxLocalsPerFunction,
			"table elements, all tables":                     MaxTableElements,
			"exchange buffer":                                minBufferSize,
		},
	}
	for _, s := range hostStatuses {
		h.statuses[s.s.String()] = hostConst{s.goName, int64(s.s)}
	}
	for name, e := range guestExports {
		h.exports[name] = e
	}
	h.kinds = map[string]string{}
	for k, name := range exportOf {
		if name != "" {
			h.kinds[name] = resolver.Kind(k).String()
		}
	}
	return h
}

// limitsUnchecked are ABI.md §6's limit rows whose default is not a number
// the host has.
var limitsUnchecked = []string{"fuel per call", "kwargs"}

// ---- ABI.md ----

// mdTable is a table of ABI.md: its header cells and rows, under the
// heading it follows.
type mdTable struct {
	heading string
	header  []string
	rows    [][]string
	line    int // of the header
}

// parseMarkdownTables returns every table of a Markdown text.
func parseMarkdownTables(text string) []mdTable {
	var tables []mdTable
	heading := ""
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "#") {
			heading = strings.TrimSpace(strings.TrimLeft(l, "#"))
			continue
		}
		if !strings.HasPrefix(l, "|") || i+1 >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "|-") &&
			!strings.HasPrefix(strings.TrimSpace(lines[i+1]), "|:") && !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "| -") {
			continue
		}
		tb := mdTable{heading: heading, header: mdCells(l), line: i + 1}
		for i += 2; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
			tb.rows = append(tb.rows, mdCells(strings.TrimSpace(lines[i])))
		}
		tables = append(tables, tb)
	}
	return tables
}

// mdCells splits a table row into its cells ("\|" is a | inside a cell).
func mdCells(row string) []string {
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	row = strings.ReplaceAll(row, `\|`, "\x00")
	cells := strings.Split(row, "|")
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(strings.TrimSpace(c), "\x00", "|")
	}
	return cells
}

// docSpec is what ABI.md's tables say, keyed by ABI names.
type docSpec struct {
	statuses  map[string]int64
	levels    map[string]int64
	httpFails map[string]docHTTPFail
	imports   map[string]docImport
	exports   map[string]docExport
	charges   map[string]string // function -> charge
	limits    map[string]string // limit -> default
	options   map[string]string // [wasm] option -> the limit row naming it
	where     map[string]string // table kind -> "wasmhost/ABI.md, <heading>"
}

type docHTTPFail struct {
	result int64
	status string
}

type docImport struct {
	sig        abiSig
	capability string
	where      string // the table that lists it
}

type docExport struct {
	sig      abiSig
	memory   bool
	required bool
	kind     string // "connection" when called "per connection lookup"
}

// abiSig is a function's type; names are nil when the source gives none.
type abiSig struct {
	params  []valType
	names   []string
	results []valType
}

// String writes the signature as ABI.md does: "(buf i32, limit i32) -> i32".
func (s abiSig) String() string {
	p := make([]string, len(s.params))
	for i, t := range s.params {
		p[i] = typeName(t)
		if s.names != nil {
			p[i] = s.names[i] + " " + p[i]
		}
	}
	r := make([]string, len(s.results))
	for i, t := range s.results {
		r[i] = typeName(t)
	}
	res := strings.Join(r, ", ")
	if len(r) != 1 {
		res = "(" + res + ")"
	}
	return "(" + strings.Join(p, ", ") + ") -> " + res
}

func typeName(t valType) string {
	switch t {
	case i32:
		return "i32"
	case i64:
		return "i64"
	}
	return fmt.Sprintf("0x%x", byte(t))
}

func (s abiSig) sameTypes(o abiSig) bool {
	return slices.Equal(s.params, o.params) && slices.Equal(s.results, o.results)
}

// unquote strips a cell's backticks: "`NOT_FOUND`" -> "NOT_FOUND".
func unquote(cell string) string { return strings.Trim(cell, "`") }

// identCell returns the one backticked identifier a cell holds, if that is
// all it holds.
func identCell(cell string) (string, bool) {
	m := regexp.MustCompile("^`([A-Za-z_][A-Za-z0-9_]*)`$").FindStringSubmatch(cell)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// wasmTypes reads ABI.md's type names.
func wasmType(name string) (valType, bool) {
	switch name {
	case "i32":
		return i32, true
	case "i64":
		return i64, true
	}
	return 0, false
}

// parseParams parses a parameter list in any of the sources' styles. Each
// item is split into its name and type by split; an item without a type
// takes the next item's (Go and ABI.md: "name_ptr, name_len, buf, limit
// i32"). typeOf maps a source type to a wasm type.
func parseParams(list string, split func(item string) (name, typ string), typeOf func(string) (valType, bool)) (types []valType, names []string, err error) {
	list = strings.TrimSpace(list)
	if list == "" || list == "void" {
		return nil, []string{}, nil
	}
	var items []string
	for _, it := range strings.Split(list, ",") {
		if it = strings.TrimSpace(it); it != "" { // Rust allows a trailing comma
			items = append(items, it)
		}
	}
	types = make([]valType, len(items))
	names = make([]string, len(items))
	pending := 0
	for i, it := range items {
		name, typ := split(it)
		names[i] = name
		if typ == "" {
			pending++
			continue
		}
		vt, ok := typeOf(typ)
		if !ok {
			return nil, nil, fmt.Errorf("parameter %q: type %q has no wasm type", it, typ)
		}
		for j := i - pending; j <= i; j++ {
			types[j] = vt
		}
		pending = 0
	}
	if pending > 0 {
		return nil, nil, fmt.Errorf("parameters %q: the last has no type", list)
	}
	return types, names, nil
}

// spaceSplit splits "name type" (Go, ABI.md).
func spaceSplit(item string) (string, string) {
	f := strings.Fields(item)
	if len(f) == 1 {
		return f[0], ""
	}
	return f[0], strings.Join(f[1:], " ")
}

// colonSplit splits "name: type" (Rust, AssemblyScript).
func colonSplit(item string) (string, string) {
	name, typ, _ := strings.Cut(item, ":")
	return strings.TrimSpace(name), strings.TrimSpace(typ)
}

// cSplit splits "const void *name" (C): the last identifier is the name.
func cSplit(item string) (string, string) {
	i := strings.LastIndexFunc(item, func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') })
	return item[i+1:], strings.TrimSpace(item[:i+1])
}

// parseDocSig parses ABI.md's "(buf i32, limit i32) -> i32".
func parseDocSig(s string) (abiSig, error) {
	m := regexp.MustCompile(`^\(([^)]*)\)\s*->\s*(\(\)|i32|i64)$`).FindStringSubmatch(unquote(s))
	if m == nil {
		return abiSig{}, fmt.Errorf("%q is not a signature", s)
	}
	var sig abiSig
	var err error
	if sig.params, sig.names, err = parseParams(m[1], spaceSplit, wasmType); err != nil {
		return abiSig{}, err
	}
	if len(sig.params) == 0 {
		sig.names = nil
	}
	if t, ok := wasmType(m[2]); ok {
		sig.results = []valType{t}
	}
	return sig, nil
}

// parseDoc reads ABI.md's tables, recognised by their header row.
func parseDoc(text string, p *problems) docSpec {
	d := docSpec{
		statuses: map[string]int64{}, levels: map[string]int64{}, httpFails: map[string]docHTTPFail{},
		imports: map[string]docImport{}, exports: map[string]docExport{}, charges: map[string]string{},
		limits: map[string]string{}, options: map[string]string{}, where: map[string]string{},
	}
	kinds := map[string]string{
		"export|type|required|called":             "exports",
		"code|name|meaning|the resolver":          "statuses",
		"import|type|semantics":                   "imports",
		"capability|import|type|semantics":        "capability imports",
		"level|name":                              "levels",
		"result|name|status|meaning":              "http failures",
		"limit|default|on excess|`[wasm]` option": "limits",
		"charge|functions":                        "charges",
	}
	for _, tb := range parseMarkdownTables(text) {
		kind, ok := kinds[strings.Join(tb.header, "|")]
		if !ok {
			p.add("%s:%d: a table (%s) this test does not read: teach abidoc_test.go what it says", abiDocPath, tb.line, strings.Join(tb.header, " | "))
			continue
		}
		where := fmt.Sprintf("%s, %q", abiDocPath, tb.heading)
		if prev, dup := d.where[kind]; dup && kind != "imports" {
			p.add("%s: a second %s table (the first is in %s)", where, kind, prev)
		}
		d.where[kind] = where
		for _, r := range tb.rows {
			if len(r) != len(tb.header) {
				p.add("%s: row %q has %d cells, the header %d", where, strings.Join(r, " | "), len(r), len(tb.header))
				continue
			}
			bad := func(format string, args ...any) {
				p.add("%s: row %q: %s", where, r[0], fmt.Sprintf(format, args...))
			}
			switch kind {
			case "statuses", "levels":
				n, err := strconv.ParseInt(r[0], 10, 64)
				name, ok := identCell(r[1])
				if err != nil || !ok {
					bad("want a number and a `NAME`")
					continue
				}
				if kind == "statuses" {
					d.statuses[name] = n
				} else {
					d.levels[name] = n
				}
			case "http failures":
				n, err := strconv.ParseInt(r[0], 10, 64)
				name, ok1 := identCell(r[1])
				status, ok2 := identCell(r[2])
				if err != nil || !ok1 || !ok2 {
					bad("want a number, a `NAME` and a `STATUS`")
					continue
				}
				d.httpFails[name] = docHTTPFail{n, status}
			case "exports":
				name, ok := identCell(r[0])
				if !ok {
					bad("want an `export`")
					continue
				}
				e := docExport{required: r[2] == "yes"}
				if m := regexp.MustCompile(`^per (\w+) lookup`).FindStringSubmatch(r[3]); m != nil {
					e.kind = m[1]
				}
				if r[2] != "yes" && r[2] != "no" {
					bad("required is %q, want yes or no", r[2])
				}
				if r[1] == "memory" {
					e.memory = true
				} else if sig, err := parseDocSig(r[1]); err != nil {
					bad("%v", err)
					continue
				} else {
					e.sig = sig
				}
				d.exports[name] = e
			case "imports", "capability imports":
				imp, typ, capability := r[0], r[1], ""
				if kind == "capability imports" {
					imp, typ = r[1], r[2]
					var ok bool
					if capability, ok = identCell(r[0]); !ok {
						bad("want a `capability`")
						continue
					}
				}
				name, ok := identCell(imp)
				if !ok {
					continue // a row about other imports, as "(`log`, `log_enabled` above)"
				}
				sig, err := parseDocSig(typ)
				if err != nil {
					bad("%v", err)
					continue
				}
				if _, dup := d.imports[name]; dup {
					bad("%s is listed twice", name)
				}
				d.imports[name] = docImport{sig, capability, where}
			case "charges":
				for _, f := range strings.Split(r[1], ",") {
					name, ok := identCell(strings.TrimSpace(f))
					if !ok {
						bad("%q is not a `function`", f)
						continue
					}
					if prev, dup := d.charges[name]; dup {
						bad("%s is charged twice (also %q)", name, prev)
					}
					d.charges[name] = r[0]
				}
			case "limits":
				d.limits[r[0]] = r[1]
				for _, o := range regexp.MustCompile("`([a-z_0-9]+)`").FindAllStringSubmatch(r[3], -1) {
					d.options[o[1]] = r[0]
				}
			}
		}
	}
	for _, k := range []string{"exports", "statuses", "imports", "capability imports", "levels", "http failures", "limits", "charges"} {
		if _, ok := d.where[k]; !ok {
			p.add("%s: no %s table", abiDocPath, k)
		}
	}
	return d
}

// ---- the check ----

type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// checkABI checks ABI.md against the host, and every SDK against ABI.md.
func checkABI(h hostSpec, src abiSources) []string {
	var p problems
	d := parseDoc(src[abiDocPath], &p)
	checkDocAgainstHost(h, d, &p)
	for _, sdk := range guestSDKs {
		checkSDK(sdk, sdk.read(src, &p), d, &p)
	}
	return p
}

func checkDocAgainstHost(h hostSpec, d docSpec, p *problems) {
	consts := func(what, where string, doc map[string]int64, host map[string]hostConst) {
		for _, name := range sortedKeys(host) {
			hc := host[name]
			if v, ok := doc[name]; !ok {
				p.add("%s: no %s %s; wasmhost: %s = %d", where, what, name, hc.goName, hc.value)
			} else if v != hc.value {
				p.add("%s: %s %s = %d; wasmhost: %s = %d", where, what, name, v, hc.goName, hc.value)
			}
		}
		for _, name := range sortedKeys(doc) {
			if _, ok := host[name]; !ok {
				p.add("%s: %s %s = %d, which wasmhost does not have", where, what, name, doc[name])
			}
		}
	}
	consts("status", d.where["statuses"], d.statuses, h.statuses)
	consts("log level", d.where["levels"], d.levels, h.levels)
	fails := map[string]int64{}
	for name, f := range d.httpFails {
		fails[name] = f.result
		if st, ok := d.statuses[f.status]; !ok || -st != f.result {
			p.add("%s: %s = %d is not the status %s (%d) negated", d.where["http failures"], name, f.result, f.status, st)
		}
	}
	consts("HTTP failure", d.where["http failures"], fails, h.httpFails)

	// Exports.
	where := d.where["exports"]
	if e, ok := d.exports["memory"]; !ok || !e.memory || !e.required {
		p.add("%s: no required export `memory` of type memory", where)
	}
	for _, name := range sortedKeys(h.exports) {
		he := h.exports[name]
		want := abiSig{params: he.params, results: he.results}
		de, ok := d.exports[name]
		switch {
		case !ok:
			p.add("%s: no export %s; wasmhost/abi.go guestExports: %s, required %t", where, name, want, he.required)
		case !de.sig.sameTypes(want):
			p.add("%s: export %s is %s; wasmhost/abi.go guestExports: %s", where, name, de.sig, want)
		case de.required != he.required:
			p.add("%s: export %s required %t; wasmhost/abi.go guestExports: required %t", where, name, de.required, he.required)
		case de.kind != h.kinds[name]:
			p.add("%s: export %s is called per %q lookup; wasmhost/tenant.go exportOf: per %q lookup", where, name, de.kind, h.kinds[name])
		}
	}
	for _, name := range sortedKeys(d.exports) {
		if _, ok := h.exports[name]; !ok && name != "memory" {
			p.add("%s: export %s, which wasmhost/abi.go guestExports does not have", where, name)
		}
	}

	// Imports: hostFunctions, row by row.
	seen := map[string]bool{}
	for _, hf := range h.funcs {
		seen[hf.name] = true
		want := abiSig{params: hf.params, names: hf.paramNames, results: hf.results}
		di, ok := d.imports[hf.name]
		if !ok {
			p.add("%s §5: no import %s; wasmhost/abi.go hostFunctions: %s", abiDocPath, hf.name, want)
			continue
		}
		where := di.where
		if !di.sig.sameTypes(want) || !slices.Equal(di.sig.names, want.names) {
			p.add("%s: import %s is %s; wasmhost/abi.go hostFunctions: %s", where, hf.name, di.sig, want)
		}
		if di.capability != hf.capability {
			p.add("%s: import %s needs capability %q; wasmhost/abi.go hostFunctions: %q", where, hf.name, di.capability, hf.capability)
		}
		if c, ok := d.charges[hf.name]; !ok {
			p.add("%s: no charge for %s; wasmhost/abi.go hostFunctions: %q", d.where["charges"], hf.name, hf.charge)
		} else if c != hf.charge.String() {
			p.add("%s: %s is charged %q; wasmhost/abi.go hostFunctions: %q", d.where["charges"], hf.name, c, hf.charge)
		}
	}
	for _, name := range sortedKeys(d.imports) {
		if !seen[name] {
			p.add("%s: import %s, which wasmhost/abi.go hostFunctions does not have", d.imports[name].where, name)
		}
	}
	for _, name := range sortedKeys(d.charges) {
		if !seen[name] {
			p.add("%s: a charge for %s, which wasmhost/abi.go hostFunctions does not have", d.where["charges"], name)
		}
	}

	// Limits: the defaults the host has, and the [wasm] options.
	where = d.where["limits"]
	for _, limit := range sortedKeys(d.limits) {
		want, ok := h.limits[limit]
		if !ok {
			if !slices.Contains(limitsUnchecked, limit) {
				p.add("%s: limit %q has no check: add its default to currentHostSpec (abidoc_test.go)", where, limit)
			}
			continue
		}
		got, err := firstQuantity(d.limits[limit])
		if err != nil {
			p.add("%s: limit %q: %v", where, limit, err)
		} else if got != want {
			p.add("%s: limit %q defaults to %d (%q); wasmhost: %d", where, limit, got, d.limits[limit], want)
		}
	}
	for _, limit := range sortedKeys(h.limits) {
		if _, ok := d.limits[limit]; !ok {
			p.add("%s: no limit %q", where, limit)
		}
	}
	for _, o := range sortedKeys(d.options) {
		if !slices.Contains(h.options, o) {
			p.add("%s: limit %q names the option %s, which [wasm] does not have (wasmOptions)", where, d.options[o], o)
		}
	}
}

// firstQuantity reads the first number of a default and its unit: pages,
// bytes, KiB, MiB, s or ms (durations in nanoseconds), or none.
func firstQuantity(s string) (int64, error) {
	m := regexp.MustCompile(`\b(\d[\d,]*)\s*(pages|bytes|units|KiB|MiB|s|ms)?\b`).FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("no number in %q", s)
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
	if err != nil {
		return 0, err
	}
	switch m[2] {
	case "KiB":
		n <<= 10
	case "MiB":
		n <<= 20
	case "s":
		n *= int64(time.Second)
	case "ms":
		n *= int64(time.Millisecond)
	}
	return n, nil
}

// ---- the guest SDKs ----

// sdkConst is a constant of an SDK.
type sdkConst struct {
	file  string
	ident string
	value int64
}

// sdkFunc is an import or export an SDK declares.
type sdkFunc struct {
	file  string
	ident string
	sig   abiSig
}

// sdkABI is what an SDK's sources say, keyed by ABI names.
type sdkABI struct {
	statuses  map[string]sdkConst
	levels    map[string]sdkConst
	httpFails map[string]sdkConst
	imports   map[string]sdkFunc
	exports   map[string]sdkFunc
}

func newSDKABI() sdkABI {
	return sdkABI{map[string]sdkConst{}, map[string]sdkConst{}, map[string]sdkConst{}, map[string]sdkFunc{}, map[string]sdkFunc{}}
}

// guestSDK reads one SDK's sources.
type guestSDK struct {
	dir  string
	read func(src abiSources, p *problems) sdkABI
}

var guestSDKs = []guestSDK{
	{"guest-sdk/go", readGoSDK},
	{"guest-sdk/c", readCSDK},
	{"guest-sdk/rust", readRustSDK},
	{"guest-sdk/assemblyscript", readASSDK},
}

// upperSnake turns "NotFound", "OKInBuffer" or "notAllowed" into
// "NOT_FOUND", "OK_IN_BUFFER", "NOT_ALLOWED".
func upperSnake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// addConsts adds every "ident = value" match of re in text (in file) to
// into, keyed by name(ident); a name "" skips the constant.
func addConsts(into map[string]sdkConst, file, text string, re *regexp.Regexp, name func(string) string, p *problems) {
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		v, err := strconv.ParseInt(m[2], 0, 64)
		if err != nil {
			p.add("%s: %s = %s: %v", file, m[1], m[2], err)
			continue
		}
		n := name(m[1])
		if n == "" {
			continue
		}
		if prev, dup := into[n]; dup {
			p.add("%s: %s and %s: %s both say %s", file, prev.ident, m[1], prev.file, n)
		}
		into[n] = sdkConst{file, m[1], v}
	}
}

// block returns the text between the braces after the first match of
// start, or "" when start is absent.
func block(text, start string) string {
	i := strings.Index(text, start)
	if i < 0 {
		return ""
	}
	rest := text[i+len(start):]
	if j := strings.IndexByte(rest, '}'); j >= 0 {
		return rest[:j]
	}
	return ""
}

func trimPrefix(prefix string) func(string) string {
	return func(s string) string { return strings.TrimPrefix(s, prefix) }
}

// addFuncs adds every function declaration re matches in text: groups 1
// (the ABI name), 2 (the identifier), 3 (the parameters) and 4 (the result
// type), read with split and typeOf.
func addFuncs(into map[string]sdkFunc, file, text string, re *regexp.Regexp, split func(string) (string, string), typeOf func(string) (valType, bool), p *problems) {
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		params, _, err := parseParams(m[3], split, typeOf)
		if err != nil {
			p.add("%s: %s: %v", file, m[2], err)
			continue
		}
		sig := abiSig{params: params}
		if r := strings.TrimSpace(m[4]); r != "" && r != "void" {
			t, ok := typeOf(r)
			if !ok {
				p.add("%s: %s: result type %q has no wasm type", file, m[2], r)
				continue
			}
			sig.results = []valType{t}
		}
		if prev, dup := into[m[1]]; dup {
			p.add("%s: %s declares %s again (also %s)", file, m[2], m[1], prev.ident)
		}
		into[m[1]] = sdkFunc{file, m[2], sig}
	}
}

func goType(t string) (valType, bool) {
	switch t {
	case "unsafe.Pointer", "int32", "uint32":
		return i32, true
	case "int64", "uint64":
		return i64, true
	}
	return 0, false
}

func readGoSDK(src abiSources, p *problems) sdkABI {
	a := newSDKABI()
	const errorsGo, logGo, capGo, abiGo = "guest-sdk/go/errors.go", "guest-sdk/go/log.go", "guest-sdk/go/capability.go", "guest-sdk/go/abi_wasip1.go"
	name := func(prefix string) func(string) string {
		return func(s string) string { return upperSnake(strings.TrimPrefix(s, prefix)) }
	}
	addConsts(a.statuses, errorsGo, src[errorsGo], regexp.MustCompile(`(?m)^\s*(Status\w+)\s+Status\s*=\s*(-?\d+)`), name("Status"), p)
	addConsts(a.levels, logGo, src[logGo], regexp.MustCompile(`(?m)^\s*(Level\w+)\s+Level\s*=\s*(-?\d+)`), name("Level"), p)
	addConsts(a.httpFails, capGo, src[capGo], regexp.MustCompile(`(?m)^\s*(http[A-Z]\w*)\s+int32\s*=\s*(-?\d+)`), name("http"), p)
	goFunc := func(directive string) *regexp.Regexp {
		return regexp.MustCompile(`//go:` + directive + `\s+(?:secretpath_v1\s+)?(\w+)\s*\n(?:\s*//.*\n)*func (\w+)\(([^)]*)\)\s*([\w.]*)`)
	}
	addFuncs(a.imports, abiGo, src[abiGo], goFunc("wasmimport"), spaceSplit, goType, p)
	addFuncs(a.exports, abiGo, src[abiGo], goFunc("wasmexport"), spaceSplit, goType, p)
	if n := strings.Count(src[abiGo], "//go:wasmimport "); n != len(a.imports) {
		p.add("%s: %d go:wasmimport directives, %d read: a binding this test cannot parse", abiGo, n, len(a.imports))
	}
	return a
}

func cType(t string) (valType, bool) {
	if strings.Contains(t, "*") {
		return i32, true // wasm32
	}
	switch strings.TrimSpace(strings.TrimPrefix(t, "const ")) {
	case "int32_t", "uint32_t", "int", "size_t":
		return i32, true
	case "int64_t", "uint64_t":
		return i64, true
	}
	return 0, false
}

func readCSDK(src abiSources, p *problems) sdkABI {
	a := newSDKABI()
	const h, c = "guest-sdk/c/secretpath.h", "guest-sdk/c/secretpath.c"
	enum := regexp.MustCompile(`\b(SP_\w+)\s*=\s*(-?\d+)`)
	def := regexp.MustCompile(`(?m)^#define\s+(SP_\w+)\s+(-?\d+)\s*$`)
	status := block(src[h], "typedef enum {")
	if !strings.Contains(src[h], "} sp_status;") {
		p.add("%s: no typedef enum sp_status", h)
	}
	addConsts(a.statuses, h, status, enum, trimPrefix("SP_"), p)
	addConsts(a.statuses, c, src[c], def, func(s string) string {
		if s == "SP_OK_IN_BUFFER" {
			return "OK_IN_BUFFER"
		}
		return ""
	}, p)
	levels := regexp.MustCompile(`enum\s*\{([^}]*\bSP_DEBUG\b[^}]*)\}`).FindStringSubmatch(src[h])
	if levels != nil {
		addConsts(a.levels, h, levels[1], enum, trimPrefix("SP_"), p)
	}
	fails := regexp.MustCompile(`enum\s*\{([^}]*\bSP_HTTP_\w+[^}]*)\}`).FindStringSubmatch(src[h])
	if fails != nil {
		addConsts(a.httpFails, h, fails[1], enum, trimPrefix("SP_HTTP_"), p)
	}
	cFunc := func(macro string) *regexp.Regexp {
		return regexp.MustCompile(macro + `\("(\w+)"\)\s*(?:const\s+)?(\w+)\s+(\w+)\s*\(([^)]*)\)`)
	}
	// Groups: name, result, identifier, parameters: reorder for addFuncs.
	reorder := func(re *regexp.Regexp, text string) string {
		return re.ReplaceAllString(text, "\x01$1\x02$3\x03$4\x04$2\x05")
	}
	sig := regexp.MustCompile("\x01(\\w+)\x02(\\w+)\x03([^\x04]*)\x04(\\w+)\x05")
	addFuncs(a.imports, c, reorder(cFunc("SP_IMPORT"), src[c]), sig, cSplit, cType, p)
	addFuncs(a.exports, c, reorder(cFunc("SP_EXPORT"), src[c]), sig, cSplit, cType, p)
	if n := strings.Count(src[c], "SP_IMPORT(\""); n != len(a.imports) {
		p.add("%s: %d SP_IMPORT declarations, %d read: a binding this test cannot parse", c, n, len(a.imports))
	}
	return a
}

func rustType(t string) (valType, bool) {
	if strings.HasPrefix(t, "*") {
		return i32, true // wasm32
	}
	switch t {
	case "i32", "u32", "usize":
		return i32, true
	case "i64", "u64":
		return i64, true
	}
	return 0, false
}

func readRustSDK(src abiSources, p *problems) sdkABI {
	a := newSDKABI()
	const lib = "guest-sdk/rust/src/lib.rs"
	text := src[lib]
	variant := regexp.MustCompile(`\b(\w+)\s*=\s*(-?\d+)\s*,?`)
	addConsts(a.statuses, lib, block(text, "pub enum Status {"), variant, upperSnake, p)
	addConsts(a.levels, lib, block(text, "pub enum Level {"), variant, upperSnake, p)
	consts := regexp.MustCompile(`\bconst (\w+): i32 = (-?\d+);`)
	addConsts(a.statuses, lib, text, consts, func(s string) string {
		if s == "OK_IN_BUFFER" {
			return s
		}
		return ""
	}, p)
	addConsts(a.httpFails, lib, block(text, "pub mod http {"), consts, func(s string) string { return s }, p)
	addFuncs(a.imports, lib, text, regexp.MustCompile(`#\[link_name = "(\w+)"\]\s*pub fn (\w+)\(([^)]*)\)\s*(?:->\s*(\w+))?\s*;`), colonSplit, rustType, p)
	addFuncs(a.exports, lib, text, regexp.MustCompile(`pub extern "C" fn ((secretpath_\w+))\(([^)]*)\)\s*(?:->\s*(\w+))?`), colonSplit, rustType, p)
	if n := strings.Count(text, "#[link_name = "); n != len(a.imports) {
		p.add("%s: %d link_name bindings, %d read: a binding this test cannot parse", lib, n, len(a.imports))
	}
	return a
}

func asType(t string) (valType, bool) {
	switch t {
	case "i32", "u32", "usize", "isize":
		return i32, true // wasm32
	case "i64", "u64":
		return i64, true
	}
	return 0, false
}

func readASSDK(src abiSources, p *problems) sdkABI {
	a := newSDKABI()
	const index, abi = "guest-sdk/assemblyscript/assembly/index.ts", "guest-sdk/assemblyscript/assembly/abi.ts"
	text := src[index]
	member := regexp.MustCompile(`\b([A-Z_]+)\s*=\s*(-?\d+)`)
	addConsts(a.statuses, index, block(text, "export enum Status {"), member, func(s string) string { return s }, p)
	addConsts(a.levels, index, block(text, "export enum Level {"), member, func(s string) string { return s }, p)
	typed := regexp.MustCompile(`\b([A-Z_]+): i32 = (-?\d+)`)
	addConsts(a.statuses, index, text, typed, func(s string) string {
		if s == "OK_IN_BUFFER" {
			return s
		}
		return ""
	}, p)
	addConsts(a.httpFails, index, text, typed, func(s string) string {
		if n, ok := strings.CutPrefix(s, "HTTP_"); ok {
			return n
		}
		return ""
	}, p)
	addFuncs(a.imports, index, text, regexp.MustCompile(`@external\("secretpath_v1", "(\w+)"\)\s*declare function (\w+)\(([^)]*)\)\s*:\s*(\w+)`), colonSplit, asType, p)
	addFuncs(a.exports, abi, src[abi], regexp.MustCompile(`export function ((secretpath_\w+))\(([^)]*)\)\s*:\s*(\w+)`), colonSplit, asType, p)
	if n := strings.Count(text, `@external("secretpath_v1"`); n != len(a.imports) {
		p.add("%s: %d @external bindings, %d read: a binding this test cannot parse", index, n, len(a.imports))
	}
	return a
}

// checkSDK checks one SDK against ABI.md: every status, log level and HTTP
// failure with its value, every import bound and every export (but
// _initialize, which toolchains provide) defined with its type.
func checkSDK(sdk guestSDK, a sdkABI, d docSpec, p *problems) {
	consts := func(what, where string, doc map[string]int64, have map[string]sdkConst) {
		for _, name := range sortedKeys(doc) {
			c, ok := have[name]
			if !ok {
				p.add("%s: no constant for %s %s (%s: %s = %d)", sdk.dir, what, name, where, name, doc[name])
			} else if c.value != doc[name] {
				p.add("%s: %s = %d; %s: %s = %d", c.file, c.ident, c.value, where, name, doc[name])
			}
		}
		for _, name := range sortedKeys(have) {
			if _, ok := doc[name]; !ok {
				c := have[name]
				p.add("%s: %s = %d is no %s of %s", c.file, c.ident, c.value, what, where)
			}
		}
	}
	consts("status", d.where["statuses"], d.statuses, a.statuses)
	consts("log level", d.where["levels"], d.levels, a.levels)
	fails := map[string]int64{}
	for name, f := range d.httpFails {
		fails[name] = f.result
	}
	consts("HTTP failure", d.where["http failures"], fails, a.httpFails)

	funcs := func(what, where string, doc map[string]abiSig, have map[string]sdkFunc) {
		for _, name := range sortedKeys(doc) {
			f, ok := have[name]
			if !ok {
				p.add("%s: no %s %s (%s: %s)", sdk.dir, what, name, where, doc[name])
			} else if !f.sig.sameTypes(doc[name]) {
				p.add("%s: %s (%s %s) is %s; %s: %s", f.file, f.ident, what, name, f.sig, where, doc[name])
			}
		}
		for _, name := range sortedKeys(have) {
			if _, ok := doc[name]; !ok {
				p.add("%s: %s declares %s %s, which %s does not have", have[name].file, have[name].ident, what, name, where)
			}
		}
	}
	imports := map[string]abiSig{}
	for name, i := range d.imports {
		imports[name] = i.sig
	}
	funcs("binding of import", abiDocPath+" §5", imports, a.imports)
	exports := map[string]abiSig{}
	for name, e := range d.exports {
		if !e.memory && name != exportReactor {
			exports[name] = e.sig
		}
	}
	funcs("export", d.where["exports"], exports, a.exports)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestABIDocumentation: ABI.md's tables say what the host does, and every
// guest SDK says what ABI.md does.
func TestABIDocumentation(t *testing.T) {
	src := readABISources(t)
	h := currentHostSpec()
	if s := Status(len(hostStatuses)).String(); !strings.HasPrefix(s, "INTERNAL(") {
		t.Errorf("status %d is named %s: add it to hostStatuses", len(hostStatuses), s)
	}
	for _, problem := range checkABI(h, src) {
		t.Error(problem)
	}
}

// TestABIDocumentationCatchesMismatches: the check fails, naming the file,
// the constant and both values, on copies of the sources (or of the host's
// table) with one mismatch planted in each.
func TestABIDocumentationCatchesMismatches(t *testing.T) {
	real := readABISources(t)
	tests := []struct {
		name string
		file string // the file to change ("" for none)
		old  string // replaced, exactly once, by new
		new  string
		host func(*hostSpec)
		want []string // in one problem
	}{
		{name: "C status", file: "guest-sdk/c/secretpath.h", old: "SP_NOT_FOUND = 1,", new: "SP_NOT_FOUND = 9,",
			want: []string{"guest-sdk/c/secretpath.h: SP_NOT_FOUND = 9", "NOT_FOUND = 1"}},
		{name: "C OK_IN_BUFFER", file: "guest-sdk/c/secretpath.c", old: "#define SP_OK_IN_BUFFER 8", new: "#define SP_OK_IN_BUFFER 9",
			want: []string{"guest-sdk/c/secretpath.c: SP_OK_IN_BUFFER = 9", "OK_IN_BUFFER = 8"}},
		{name: "Rust status", file: "guest-sdk/rust/src/lib.rs", old: "ResourceExhausted = 7,", new: "ResourceExhausted = 8,",
			want: []string{"guest-sdk/rust/src/lib.rs: ResourceExhausted = 8", "RESOURCE_EXHAUSTED = 7"}},
		{name: "Rust status missing", file: "guest-sdk/rust/src/lib.rs", old: "    Unimplemented = 6,\n", new: "",
			want: []string{"guest-sdk/rust: no constant for status UNIMPLEMENTED", "UNIMPLEMENTED = 6"}},
		{name: "AssemblyScript log level", file: "guest-sdk/assemblyscript/assembly/index.ts", old: "WARN = 2", new: "WARN = 5",
			want: []string{"guest-sdk/assemblyscript/assembly/index.ts: WARN = 5", "WARN = 2"}},
		{name: "Go HTTP failure", file: "guest-sdk/go/capability.go", old: "httpNetwork    int32 = -3", new: "httpNetwork    int32 = -5",
			want: []string{"guest-sdk/go/capability.go: httpNetwork = -5", "NETWORK = -3"}},
		{name: "Go status extra", file: "guest-sdk/go/errors.go", old: "StatusOKInBuffer        Status = 8", new: "StatusOKInBuffer Status = 8\n\tStatusTeapot Status = 418",
			want: []string{"guest-sdk/go/errors.go: StatusTeapot = 418 is no status"}},
		{name: "Go import type", file: "guest-sdk/go/abi_wasip1.go", old: "func logEnabled(level int32) int32", new: "func logEnabled(level int64) int32",
			want: []string{"guest-sdk/go/abi_wasip1.go: logEnabled (binding of import log_enabled) is (i64) -> i32", "(level i32) -> i32"}},
		{name: "C import missing", file: "guest-sdk/c/secretpath.c", old: `SP_IMPORT("clock_now") int64_t sp__clock_now(void);`, new: "",
			want: []string{"guest-sdk/c: no binding of import clock_now", "() -> i64"}},
		{name: "C import result", file: "guest-sdk/c/secretpath.c", old: `SP_IMPORT("clock_now") int64_t sp__clock_now(void);`, new: `SP_IMPORT("clock_now") int32_t sp__clock_now(void);`,
			want: []string{"guest-sdk/c/secretpath.c: sp__clock_now (binding of import clock_now) is () -> i32", "() -> i64"}},
		{name: "Rust import arity", file: "guest-sdk/rust/src/lib.rs", old: "pub fn log(level: i32, p: *const u8, n: i32);", new: "pub fn log(p: *const u8, n: i32);",
			want: []string{"guest-sdk/rust/src/lib.rs: log (binding of import log) is (i32, i32) -> ()", "(level i32, ptr i32, len i32) -> ()"}},
		{name: "AssemblyScript export type", file: "guest-sdk/assemblyscript/assembly/abi.ts", old: "secretpath_get_config(n: i32): i32", new: "secretpath_get_config(n: i64): i32",
			want: []string{"guest-sdk/assemblyscript/assembly/abi.ts: secretpath_get_config (export secretpath_get_config) is (i64) -> i32", "(id_len i32) -> i32"}},
		{name: "Rust export missing", file: "guest-sdk/rust/src/lib.rs", old: "pub extern \"C\" fn secretpath_buffer_size()", new: "pub extern \"C\" fn secretpath_buffer_bytes()",
			want: []string{"guest-sdk/rust: no export secretpath_buffer_size"}},
		{name: "ABI.md status", file: abiDocPath, old: "| 7 | `RESOURCE_EXHAUSTED` |", new: "| 9 | `RESOURCE_EXHAUSTED` |",
			want: []string{abiDocPath, "status RESOURCE_EXHAUSTED = 9", "StatusResourceExhausted = 7"}},
		{name: "ABI.md log level", file: abiDocPath, old: "| 2 | `WARN` |", new: "| 4 | `WARN` |",
			want: []string{abiDocPath, "log level WARN = 4", "levelWarn = 2"}},
		{name: "ABI.md HTTP failure status", file: abiDocPath, old: "| -3 | `NETWORK` | `UNAVAILABLE` |", new: "| -3 | `NETWORK` | `INTERNAL` |",
			want: []string{abiDocPath, "NETWORK = -3 is not the status INTERNAL (5) negated"}},
		{name: "ABI.md import signature", file: abiDocPath, old: "| `kwargs_read` | `(buf i32, limit i32) -> i32` |", new: "| `kwargs_read` | `(buf i32, limit i64) -> i32` |",
			want: []string{abiDocPath, "import kwargs_read is (buf i32, limit i64) -> i32", "hostFunctions: (buf i32, limit i32) -> i32"}},
		{name: "ABI.md import parameter name", file: abiDocPath, old: "| `log_enabled` | `(level i32) -> i32` |", new: "| `log_enabled` | `(lvl i32) -> i32` |",
			want: []string{abiDocPath, "import log_enabled is (lvl i32) -> i32", "hostFunctions: (level i32) -> i32"}},
		{name: "ABI.md capability", file: abiDocPath, old: "| `clock` | `clock_now` |", new: "| `env` | `clock_now` |",
			want: []string{abiDocPath, `import clock_now needs capability "env"`, `hostFunctions: "clock"`}},
		{name: "ABI.md export", file: abiDocPath, old: "| `secretpath_get_config` | `(id_len i32) -> i32` | no |", new: "| `secretpath_get_config` | `(id_len i32) -> i32` | yes |",
			want: []string{abiDocPath, "export secretpath_get_config required true", "guestExports: required false"}},
		{name: "ABI.md lookup kind", file: abiDocPath, old: "| `secretpath_get_variable` | `(id_len i32) -> i32` | yes | per variable lookup |",
			new:  "| `secretpath_get_variable` | `(id_len i32) -> i32` | yes | per config lookup |",
			want: []string{abiDocPath, `export secretpath_get_variable is called per "config" lookup`, `exportOf: per "variable" lookup`}},
		{name: "ABI.md limit default", file: abiDocPath, old: "| result size | 64 KiB |", new: "| result size | 32 KiB |",
			want: []string{abiDocPath, `limit "result size" defaults to 32768`, "wasmhost: 65536"}},
		{name: "ABI.md [wasm] option", file: abiDocPath, old: "| `memory_pages` |", new: "| `memory_page` |",
			want: []string{abiDocPath, "names the option memory_page, which [wasm] does not have"}},
		{name: "host charge class", host: func(h *hostSpec) {
			for i := range h.funcs {
				if h.funcs[i].name == "clock_now" {
					h.funcs[i].charge = chargeCopy
				}
			}
		}, want: []string{abiDocPath, `clock_now is charged "64 per call"`, `hostFunctions: "64 per call + 1 per byte copied or compared"`}},
		{name: "host function added", host: func(h *hostSpec) {
			h.funcs = append(h.funcs, hostFunction{name: "secret_get", params: []valType{i32}, paramNames: []string{"id"}, results: []valType{i32}})
		}, want: []string{abiDocPath, "no import secret_get", "hostFunctions: (id i32) -> i32"}},
		{name: "host status renumbered", host: func(h *hostSpec) {
			h.statuses["UNAVAILABLE"] = hostConst{"StatusUnavailable", 33}
		}, want: []string{abiDocPath, "status UNAVAILABLE = 3", "StatusUnavailable = 33"}},
		{name: "host HTTP failure renumbered", host: func(h *hostSpec) {
			h.httpFails["NOT_ALLOWED"] = hostConst{"httpNotAllowed", -40}
		}, want: []string{abiDocPath, "HTTP failure NOT_ALLOWED = -4", "httpNotAllowed = -40"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := abiSources{}
			for k, v := range real {
				src[k] = v
			}
			if tt.file != "" {
				if n := strings.Count(src[tt.file], tt.old); n != 1 {
					t.Fatalf("%s: %q occurs %d times: the mutation is stale", tt.file, tt.old, n)
				}
				src[tt.file] = strings.Replace(src[tt.file], tt.old, tt.new, 1)
			}
			h := currentHostSpec()
			if tt.host != nil {
				tt.host(&h)
			}
			got := checkABI(h, src)
			for _, problem := range got {
				if containsAll(problem, tt.want) {
					return
				}
			}
			t.Errorf("no problem says all of %q; the check said:\n%s", tt.want, strings.Join(got, "\n"))
		})
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
