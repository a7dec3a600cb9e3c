package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/secretpath/secretpath/resolver/connection"
)

// maxConfigFile bounds the size of a config file LoadConfig reads.
const maxConfigFile = 16 << 20

// envPrefix starts every Airflow configuration environment variable.
const envPrefix = "AIRFLOW__"

// envKwargPrefix starts a per-key backend_kwargs override (Airflow 3.2+).
const envKwargPrefix = "AIRFLOW__SECRETS__BACKEND_KWARG__"

// envWorkerKwargPrefix starts a per-key [workers] secrets_backend_kwargs
// override (Airflow 3.2+).
const envWorkerKwargPrefix = "AIRFLOW__WORKERS__SECRETS_BACKEND_KWARG__"

// ErrInvalid is wrapped by configuration errors: a bad config file, an
// unknown backend name, bad backend_kwargs, a backend constructor's refusal.
var ErrInvalid = errors.New("configuration error")

// DefaultCacheTTL is [secrets] cache_ttl_seconds when it is not set.
const DefaultCacheTTL = 900 * time.Second

// File is the configuration Airflow reads from airflow.cfg and from
// AIRFLOW__{SECTION}__{KEY} environment variables, as far as secretpath uses
// it. Load it with [LoadConfig] or [ParseConfig].
//
// The file is read with Python configparser's rules as Airflow uses them
// (see the parser's notes in ini.go): sections, "key = value" or
// "key: value", "#" and ";" full-line comments (a "#" after a value is part
// of it), indented continuation lines (so backend_kwargs JSON may span
// lines), [DEFAULT] options inherited by every section, duplicate sections
// or options refused, and "%" interpolation: "%%" is a literal "%" and
// "%(name)s" the value of option name in the same section or [DEFAULT].
//
// Environment variables win over the file. AIRFLOW__{SECTION}__{KEY}
// (section with "." replaced by "_", section and key upper-cased) overrides
// option key of section. Airflow wants the name exactly so; here its ASCII
// letters match without regard to case, and when several spellings are set
// the all-upper-case one wins, else the last one in environ. Environment
// values are used verbatim, without "%" interpolation, as in Airflow; one
// set to "" still overrides (Airflow does the same).
//
// AIRFLOW__SECRETS__BACKEND_KWARG__<KEY>=value sets the single kwarg <KEY>,
// lower-cased (Airflow's documentation shows ..._KWARG__ROLE_ID standing for
// "role_id"), to the raw string value (not JSON), after backend_kwargs is
// parsed; it works with or without backend_kwargs.
//
// Not supported, on purpose:
//   - Airflow's "_cmd" and "_secret" variants (backend_kwargs_cmd,
//     AIRFLOW__CORE__FERNET_KEY_SECRET, ...) that run a shell command or ask
//     the secrets backend for the option: running commands named in config
//     is a security decision we do not take silently. Where Airflow would
//     use such a variant for an option File reads (backend_kwargs,
//     fernet_key, sql_alchemy_conn: the variant is set and no plain value
//     of higher precedence is), loading fails with an error naming it.
//   - Airflow's "$VAR" and "~" expansion of every value (expand_env_var).
//   - Team-scoped sections ("[team=secrets]").
//
// Parse and Load read the search path of Airflow's API server and
// scheduler; [File.Worker] returns the one an Airflow 3 worker reads
// ([workers] secrets_backend).
//
// Stricter than Airflow, on purpose: every option's interpolation is checked
// at load, not when the option is read (an interpolated value is at most
// 1 MiB, and a file whose check would take more than 2 steps per byte plus
// 1M, which takes many sections overriding names that many [DEFAULT]
// options reference, is refused); backend_kwargs that is not a JSON
// object is an error (Airflow logs a warning and uses no kwargs); a bad
// use_cache or cache_ttl_seconds is an error at load.
//
// Every error matches ErrInvalid, starts with where the option was set
// ("airflow.cfg:12:", the line of the key or of the faulty continuation
// line, or "env AIRFLOW__SECRETS__USE_CACHE:"), names the option, and
// never contains a value.
//
// Printing a File (fmt, slog, encoding/json) shows neither the secrets it
// holds, nor the kwargs' values, nor the file's other values.
type File struct {
	// Path is the file read, "" when none.
	Path string

	// Backend is [secrets] backend, trimmed: a short name, an Airflow class
	// path or a .wasm module; "" means no configured backend.
	Backend string

	// BackendKwargs is [secrets] backend_kwargs (a JSON object; empty means
	// no kwargs) with the per-key environment overrides applied. Never nil.
	BackendKwargs *Kwargs

	// UseCache is [secrets] use_cache (default false). Airflow's boolean
	// words are accepted without regard to case: true/false, t/f, 1/0, and
	// also yes/no, y/n, on/off; text after a "#" is ignored, as Airflow's
	// getboolean does.
	UseCache bool

	// CacheTTL is [secrets] cache_ttl_seconds, a whole number of seconds
	// >= 0 (default 900 s, [DefaultCacheTTL]).
	CacheTTL time.Duration

	// TierTimeout is [secrets] tier_timeout_seconds (a secretpath addition;
	// whole seconds, default 0 = no bound): see [WithTierTimeout].
	TierTimeout time.Duration

	// StaleGrace is [secrets] stale_grace_seconds (a secretpath addition;
	// whole seconds, default 0 = off; needs use_cache): see [WithStaleGrace].
	StaleGrace time.Duration

	// worker is set on the File [File.Worker] returns.
	worker bool

	st *configState // behind a pointer so that %v prints no value
}

// Worker returns the configuration as an Airflow 3 worker reads it (the
// DAG processor and the triggerer read it so too): when [workers]
// secrets_backend is set (not blank), Backend is it and BackendKwargs is
// [workers] secrets_backend_kwargs with the per-key overrides
// AIRFLOW__WORKERS__SECRETS_BACKEND_KWARG__<KEY> (raw strings, as for
// [secrets]); otherwise Backend is [secrets] backend and BackendKwargs
// [secrets] backend_kwargs with AIRFLOW__SECRETS__BACKEND_KWARG__<KEY>.
// This is Airflow's _get_custom_secret_backend(worker_mode=True): the
// kwargs go with the section the backend came from, so [workers]
// secrets_backend_kwargs is never used with [secrets] backend, nor
// [secrets] backend_kwargs with [workers] secrets_backend. The other
// fields are c's. Errors are as for [secrets] (they match ErrInvalid, name
// file:line or the variable, and "[workers] secrets_backend_kwargs").
//
// c is not changed; Worker of a worker configuration returns an equal copy.
// Use [File.IsWorker] to tell them apart.
func (c *File) Worker() (*File, error) {
	if c == nil {
		c, _ = Parse("", nil, nil)
	}
	w := *c
	w.worker = true
	if c.st == nil {
		return &w, nil
	}
	o := serverBackend
	if v, _, ok, err := c.st.option(workerBackend.section, workerBackend.backend, false); err != nil {
		return nil, err
	} else if ok && strings.TrimSpace(v) != "" {
		o = workerBackend
	}
	v, _, _, err := c.st.option(o.section, o.backend, false)
	if err != nil {
		return nil, err
	}
	w.Backend = strings.TrimSpace(v)
	// Fresh kwargs even for [secrets]: a backend marks the keys it reads.
	if w.BackendKwargs, err = c.st.backendKwargs(o); err != nil {
		return nil, err
	}
	return &w, nil
}

// IsWorker reports whether c was returned by [File.Worker].
func (c *File) IsWorker() bool { return c != nil && c.worker }

// BackendOrigin says where Backend was set, as [File.Origin] does:
// "[workers] secrets_backend" on a worker configuration that uses it, else
// "[secrets] backend"; "" when Backend is "".
func (c *File) BackendOrigin() (section, key, where string) {
	if c == nil || c.Backend == "" {
		return "", "", ""
	}
	o := serverBackend
	if c.worker {
		if v, ok := c.Get(workerBackend.section, workerBackend.backend); ok && strings.TrimSpace(v) != "" {
			o = workerBackend
		}
	}
	return o.section, o.backend, c.Origin(o.section, o.backend)
}

type configState struct {
	file *iniFile          // nil without a file
	env  map[string]envVar // AIRFLOW__ variables by upper-cased name
}

type envVar struct{ name, value string }

// String describes c without revealing a value: the path, the backend,
// the names of the kwargs and the cache settings.
func (c File) String() string {
	var keys []string
	if c.BackendKwargs != nil {
		keys = c.BackendKwargs.Keys()
	}
	return fmt.Sprintf("File{Path: %q, Backend: %q, BackendKwargs: [%s], UseCache: %t, CacheTTL: %s, TierTimeout: %s, StaleGrace: %s}",
		c.Path, c.Backend, strings.Join(keys, " "), c.UseCache, c.CacheTTL, c.TierTimeout, c.StaleGrace)
}

// Format prints [File.String] for every verb, so that no fmt verb shows
// the unexported state (the file's values, the environment) or kwargs.
func (c File) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// Load reads the config file at path ("" for none: the environment
// alone) and applies the overrides in environ (KEY=value entries, as from
// os.Environ). See [File] for the rules.
func Load(path string, environ []string) (*File, error) {
	if path == "" {
		return Parse("", nil, environ)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, &iniError{where: path, msg: "cannot read config file", err: err}
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxConfigFile+1))
	if err != nil {
		return nil, &iniError{where: path, msg: "cannot read config file", err: err}
	}
	if len(data) > maxConfigFile {
		return nil, &iniError{where: path, msg: fmt.Sprintf("config file is larger than %d bytes", maxConfigFile)}
	}
	return Parse(path, data, environ)
}

// Parse parses data, the text of an airflow.cfg called name in
// messages ("<config>" when name is ""), and applies the overrides in
// environ. With name "" and no data there is no file: the environment
// alone. See [File] for the rules.
func Parse(name string, data []byte, environ []string) (*File, error) {
	st := &configState{env: indexEnv(environ)}
	if name != "" || len(data) > 0 {
		where := name
		if where == "" {
			where = "<config>"
		}
		f, err := parseINI(where, data)
		if err != nil {
			return nil, err
		}
		st.file = f
	}
	c := &File{Path: name, st: st, CacheTTL: DefaultCacheTTL}

	if v, _, ok, err := st.option(serverBackend.section, serverBackend.backend, false); err != nil {
		return nil, err
	} else if ok {
		c.Backend = strings.TrimSpace(v)
	}

	k, err := st.backendKwargs(serverBackend)
	if err != nil {
		return nil, err
	}
	c.BackendKwargs = k

	if v, src, ok, err := st.option("secrets", "use_cache", false); err != nil {
		return nil, err
	} else if ok {
		b, good := airflowBool(v)
		if !good {
			return nil, src.err("must be a boolean (true/false, t/f, 1/0, yes/no, y/n, on/off)")
		}
		c.UseCache = b
	}

	if v, src, ok, err := st.option("secrets", "cache_ttl_seconds", false); err != nil {
		return nil, err
	} else if ok {
		n, msg := parseSeconds(v)
		if msg != "" {
			return nil, src.err(msg)
		}
		c.CacheTTL = time.Duration(n) * time.Second
	}

	for _, d := range []struct {
		key string
		dst *time.Duration
	}{{"tier_timeout_seconds", &c.TierTimeout}, {"stale_grace_seconds", &c.StaleGrace}} {
		if v, src, ok, err := st.option("secrets", d.key, false); err != nil {
			return nil, err
		} else if ok {
			n, msg := parseSeconds(v)
			if msg != "" {
				return nil, src.err(msg)
			}
			*d.dst = time.Duration(n) * time.Second
		}
	}

	return c, nil
}

// Sensitive returns an option Airflow also reads from its "_cmd" and
// "_secret" variants (fernet_key, sql_alchemy_conn, ...), with Airflow's
// precedence: the environment variable, the file option; when legacy names
// another section and key (Airflow's deprecated location of the option),
// it is tried after each of those. A set "_cmd" or "_secret" variant that
// would win is an error naming it: secretpath does not run commands or ask
// a secrets backend for its own configuration. The error never contains a
// value; where says where the value was set ("" when it was not).
func (c *File) Sensitive(section, key string, legacy ...string) (v connection.Secret, where string, ok bool, err error) {
	if c == nil || c.st == nil {
		return connection.Secret{}, "", false, nil
	}
	if len(legacy) != 0 && len(legacy) != 2 {
		panic("config: Sensitive's legacy is a section and a key")
	}
	s, src, ok, err := c.st.option(section, key, true, legacy...)
	if err != nil || !ok {
		return connection.Secret{}, "", false, err
	}
	return connection.NewSecret(s), src.where(), true, nil
}

// Get returns option key of section as Airflow's conf.get finds it (section
// and key are lower-cased first): the environment variable
// AIRFLOW__{SECTION}__{KEY}, else the file's option in that section, else
// the one it inherits from [DEFAULT] (only for a section present in the
// file). A file value is interpolated; "_cmd" and "_secret" variants are
// not consulted. The value may be a secret: do not log it.
func (c *File) Get(section, key string) (string, bool) {
	if c == nil || c.st == nil {
		return "", false
	}
	section, key = strings.ToLower(section), strings.ToLower(key)
	if e, ok := c.st.env[envName(section, key)]; ok {
		return e.value, true
	}
	if c.st.file == nil {
		return "", false
	}
	v, _, ok := c.st.file.get(section, key)
	return v, ok
}

// Origin says where Get(section, key) finds its value: "path:line" for the
// file (the line of the key), "env NAME" for an environment variable, or ""
// when the option is not set. Use it to point at the setting in errors
// found after loading, such as an unknown backend name.
func (c *File) Origin(section, key string) string {
	if c == nil || c.st == nil {
		return ""
	}
	section, key = strings.ToLower(section), strings.ToLower(key)
	if e, ok := c.st.env[envName(section, key)]; ok {
		return "env " + e.name
	}
	if c.st.file == nil {
		return ""
	}
	if o, ok := c.st.file.lookup(section, key); ok {
		return lineWhere(c.st.file.name, o.line)
	}
	return ""
}

// envName is Airflow's _env_var_name: AIRFLOW__{SECTION}__{KEY}, upper-cased,
// with "." in the section replaced by "_".
func envName(section, key string) string {
	return envPrefix + asciiUpper(strings.ReplaceAll(section, ".", "_")) + "__" + asciiUpper(key)
}

// asciiUpper upper-cases ASCII letters only, so that a name keeps its length.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// indexEnv keeps the AIRFLOW__ variables of environ by upper-cased name
// (ASCII letters only are folded). An all-upper-case name beats other
// spellings of it; otherwise the last entry wins (as in Python's os.environ).
func indexEnv(environ []string) map[string]envVar {
	m := map[string]envVar{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		up := asciiUpper(name)
		if !ok || !strings.HasPrefix(up, envPrefix) {
			continue
		}
		if prev, seen := m[up]; seen && prev.name == up && name != up {
			continue
		}
		m[up] = envVar{name: name, value: value}
	}
	return m
}

// source says where a value came from, to build errors.
type source struct {
	section, key string
	env          string     // the variable's name, or ""
	file         *iniFile   // with opt, when from the file
	opt          *iniOption // the option as written (may be in [DEFAULT])
}

func (s source) where() string {
	if s.env != "" {
		return "env " + s.env
	}
	return lineWhere(s.file.name, s.opt.line)
}

func (s source) err(msg string) error {
	return s.errAt(s.where(), msg, nil)
}

func (s source) errAt(where, msg string, cause error) error {
	e := &iniError{where: where, section: s.section, key: s.key, msg: msg, err: cause}
	if s.opt != nil && s.opt.section != s.section {
		e.from = s.opt.section
	}
	return e
}

// option finds section/key with Airflow's precedence: the environment
// variable, then (sensitive options only) its _CMD and _SECRET variants;
// the same for the legacy section/key if given; the file option, the legacy
// file option; then (sensitive only) the file's _cmd variants, then its
// _secret variants. The first one set decides: a plain value is returned, a
// _cmd or _secret variant is an error since we do not support them.
func (st *configState) option(section, key string, sensitive bool, legacy ...string) (string, source, bool, error) {
	type sk struct{ section, key string }
	names := []sk{{section, key}}
	if len(legacy) == 2 {
		names = append(names, sk{legacy[0], legacy[1]})
	}
	variants := []string{""}
	if sensitive {
		variants = append(variants, "_cmd", "_secret")
	}
	for _, n := range names {
		for _, suffix := range variants {
			e, ok := st.env[envName(n.section, n.key+suffix)]
			if !ok {
				continue
			}
			src := source{section: n.section, key: n.key + suffix, env: e.name}
			if suffix != "" {
				return "", src, false, src.err(unsupportedVariant(n.section, n.key))
			}
			return e.value, src, true, nil
		}
	}
	if st.file == nil {
		return "", source{}, false, nil
	}
	for _, suffix := range variants {
		for _, n := range names {
			v, o, ok := st.file.get(n.section, n.key+suffix)
			if !ok {
				continue
			}
			src := source{section: n.section, key: n.key + suffix, file: st.file, opt: o}
			if suffix != "" {
				return "", src, false, src.err(unsupportedVariant(n.section, n.key))
			}
			return v, src, true, nil
		}
	}
	return "", source{}, false, nil
}

func unsupportedVariant(section, key string) string {
	return fmt.Sprintf("not supported: secretpath does not run commands or ask a secrets backend for its own configuration; set [%s] %s directly", section, key)
}

// backendOptions names where a component's configured backend is set: the
// section, the backend and kwargs options, and the prefix of the per-key
// kwargs environment variables.
type backendOptions struct {
	section, backend, kwargs, envPrefix string
}

var (
	// serverBackend is what the API server and the scheduler read.
	serverBackend = backendOptions{"secrets", "backend", "backend_kwargs", envKwargPrefix}
	// workerBackend is what a worker, the DAG processor and the
	// triggerer read first (Airflow 3).
	workerBackend = backendOptions{"workers", "secrets_backend", "secrets_backend_kwargs", envWorkerKwargPrefix}
)

// backendKwargs reads the kwargs option of o (a JSON object; unset or
// blank is no kwargs) and applies o's per-key environment overrides. The
// result is never nil.
func (st *configState) backendKwargs(o backendOptions) (*Kwargs, error) {
	var k *Kwargs
	if v, src, ok, err := st.option(o.section, o.kwargs, true); err != nil {
		return nil, err
	} else if ok {
		if k, err = parseConfigKwargs(v, src); err != nil {
			return nil, err
		}
	} else {
		k, _ = ParseKwargs(nil)
	}
	if err := st.applyKwargOverrides(k, o); err != nil {
		return nil, err
	}
	return k, nil
}

// applyKwargOverrides applies the variables named o.envPrefix<KEY>
// (AIRFLOW__SECRETS__BACKEND_KWARG__<KEY>, ...), in name order, as raw
// strings under the lower-cased <KEY>.
func (st *configState) applyKwargOverrides(k *Kwargs, o backendOptions) error {
	var names []string
	for up := range st.env {
		if strings.HasPrefix(up, o.envPrefix) {
			names = append(names, up)
		}
	}
	sort.Strings(names)
	for _, up := range names {
		e := st.env[up]
		kw := strings.ToLower(e.name[len(o.envPrefix):]) // asciiUpper kept the length
		if kw == "" {
			return &iniError{where: "env " + e.name, section: o.section, key: o.kwargs,
				msg: "empty kwarg name after " + strings.TrimPrefix(o.envPrefix, envName(o.section, ""))}
		}
		k.Set(kw, e.value)
	}
	return nil
}

// parseConfigKwargs parses backend_kwargs text. An error names where the
// text was set and, for a file value without references, the line of the
// JSON error itself.
func parseConfigKwargs(text string, src source) (*Kwargs, error) {
	trimmed := bytes.TrimSpace([]byte(text))
	if len(trimmed) == 0 {
		return ParseKwargs(nil)
	}
	if trimmed[0] != '{' {
		return nil, src.err("must be a JSON object")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		where := src.where()
		detail := jsonErrorWhere(trimmed, err)
		var se *json.SyntaxError
		switch {
		case src.opt != nil && !src.opt.refs && errors.As(err, &se):
			// Without %(name)s references the value has the file's
			// lines ("%%" becoming "%" moves no line): point at the
			// line of the error itself.
			lead := len(text) - len(strings.TrimLeftFunc(text, unicode.IsSpace))
			off := lead + max(min(int(se.Offset), len(trimmed))-1, 0)
			where = lineWhere(src.file.name, src.opt.lineOfIndex(strings.Count(text[:off], "\n")))
			detail = "syntax error"
		default:
			detail += " of the value"
		}
		return nil, src.errAt(where, "not a valid JSON object ("+detail+")", nil)
	}
	k, err := ParseKwargs(trimmed)
	if err != nil { // not expected after the probe
		return nil, src.errAt(src.where(), "not a valid JSON object", nil)
	}
	return k, nil
}

// airflowBool reads a boolean like Airflow's getboolean (which cuts the text
// at "#"), also accepting configparser's yes/no and on/off.
func airflowBool(s string) (bool, bool) {
	s = strings.ToLower(iniStrip(s))
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = iniStrip(s[:i])
	}
	return parseBool(s)
}

// parseSeconds reads a non-negative whole number of seconds as Python's
// int() does (surrounding spaces, a sign, "_" between digits), bounded so
// that it fits a time.Duration. The message is "" on success.
func parseSeconds(s string) (int64, string) {
	const bad = "must be a whole number of seconds >= 0"
	s = iniStrip(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, bad
	}
	digits := strings.ReplaceAll(s, "_", "")
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, bad
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > int64(1<<63-1)/int64(time.Second) {
		return 0, "is too large (at most 9223372036 seconds)"
	}
	if neg && n != 0 {
		return 0, bad
	}
	return n, ""
}

// Bool returns option key of section (found as Get finds it) as Airflow's
// conf.getboolean(section, key, fallback=def) reads it: def when the option
// is unset; else the text lower-cased and cut at '#', then true/t/1/yes/y/on
// or false/f/0/no/n/off. Anything else is a configuration error (ErrInvalid)
// naming where the option is set, never its value.
func (c *File) Bool(section, key string, def bool) (bool, error) {
	v, ok := c.Get(section, key)
	if !ok {
		return def, nil
	}
	b, good := airflowBool(v)
	if !good {
		return def, c.Section(section).Errorf(key, "must be a boolean (true/false, t/f, 1/0, yes/no, y/n, on/off)")
	}
	return b, nil
}
