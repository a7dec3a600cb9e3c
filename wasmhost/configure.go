package wasmhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// IsModuleRef reports whether a [secrets] backend value names a WebAssembly
// module: a path ending in .wasm, a file:// URL or an https:// URL.
func IsModuleRef(backend string) bool {
	return strings.HasSuffix(strings.ToLower(backend), ".wasm") ||
		strings.HasPrefix(backend, "file://") || strings.HasPrefix(backend, "https://")
}

// backendName is the name the WebAssembly backend is registered under. It
// names no module: [secrets] backend names the module itself, which the
// registration's Match claims.
const backendName = "wasm"

func init() {
	resolver.Register(resolver.Registration{
		Name:  backendName,
		Match: IsModuleRef,
		Doc:   "a WebAssembly module (ABI v1) in a sandbox: backend = path.wasm, file:// or pinned https:// URL; settings in [wasm]",
		// [wasm] is ours: a misspelt option is an error whatever backend
		// is configured.
		Sections: map[string][]string{"wasm": wasmOptions},
		Factory:  NewFactory(FactoryOptions{}),
	})
}

// FactoryOptions configure a factory of the "wasm" backend.
type FactoryOptions struct {
	// FetchClient downloads https:// modules. Nil means a client of its
	// own with a one-minute timeout (and the system's TLS roots).
	FetchClient *http.Client
}

// NewFactory returns a factory of the "wasm" backend with o. The
// registered one is NewFactory(FactoryOptions{}); call another with a
// resolver.Env, whose Name is the module reference, to fetch https://
// modules with a client of your own (a proxy, private roots), and put the
// backend in the search path with resolver.WithBackend.
func NewFactory(o FactoryOptions) resolver.Factory {
	client := o.FetchClient
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	return func(ctx context.Context, env resolver.Env) (resolver.Backend, error) {
		return openModule(ctx, env, client)
	}
}

// wasmOptions are the options of [wasm] (see the package documentation).
var wasmOptions = []string{
	"sha256", "cache_dir", "cache_max_bytes", "name",
	"memory_pages", "call_timeout_seconds", "max_output_bytes", "max_log_bytes", "pool_size",
	"fuel_per_call", "slow_call_recycle_seconds", "trusted", "capabilities", "env_allow", "http_allow_hosts", "http_timeout_seconds",
}

// openModule is the factory of the "wasm" backend: it opens the module
// env.Name names (a path, a file:// URL, or an https:// URL that needs a
// sha256 pin) as one tenant on a host of its own, with env.Kwargs passed
// to the guest verbatim and the tenant's settings from the [wasm] section
// of env.Config (see the package documentation). Every option of [wasm] is
// read: one it does not know is an error with a hint. The backend owns its
// host: closing it closes both.
func openModule(ctx context.Context, env resolver.Env, client *http.Client) (resolver.Backend, error) {
	ref := env.Name
	if env.Config == nil {
		env.Config, _ = config.Parse("", nil, nil)
	}
	if !IsModuleRef(ref) {
		msg := fmt.Sprintf("%q names no module: the backend is the module itself, a path ending in .wasm, a file:// URL or an https:// URL pinned by [wasm] sha256", ref)
		if env.Config.Backend == ref {
			return nil, env.Config.Section("secrets").Errorf("backend", "%s", msg)
		}
		return nil, fmt.Errorf("%w: backend %s: %s", config.ErrInvalid, backendName, msg)
	}
	sec := env.Config.Section("wasm")
	s, err := readSettings(sec, ref)
	if err != nil {
		return nil, err
	}
	if err := sec.CheckUnused(wasmOptions...); err != nil {
		return nil, err
	}
	if env.Kwargs != nil {
		s.tenant.Kwargs = env.Kwargs.JSON()
	}
	if s.cacheDefault {
		logger := env.Logger
		if logger == nil {
			logger = slog.Default()
		}
		if s.cacheDir, err = defaultCacheDir(logger); err != nil {
			return nil, err
		}
	}
	wasm, err := fetchModule(ctx, client, ref, s.pin, s.cacheDir)
	if err != nil {
		return nil, fmt.Errorf("%w: backend %s: %v", config.ErrInvalid, redactRef(ref), scrubRef(err, ref))
	}
	h, err := New(ctx, Options{CacheDir: s.cacheDir, CacheMaxBytes: s.cacheMax, Logger: env.Logger, MeterProvider: env.MeterProvider})
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", redactRef(ref), err)
	}
	m, err := h.Load(ctx, wasm)
	if err == nil {
		var t *Tenant
		t, err = h.NewTenant(ctx, m, s.tenant)
		_ = m.Close() // the tenant holds the module
		if err == nil {
			return &ownedTenant{Tenant: t, host: h}, nil
		}
	}
	_ = h.Close(ctx)
	return nil, fmt.Errorf("%w: backend %s: %v", config.ErrInvalid, redactRef(ref), scrubRef(err, ref))
}

// settings are what [wasm] says about a tenant and its module.
type settings struct {
	tenant       TenantConfig
	cacheDir     string // checked (secureCacheDir), "" for none
	cacheDefault bool   // cache_dir not set: the default (defaultCacheDir)
	cacheMax     int64  // cache_max_bytes; 0: DefaultCacheMaxBytes
	pin          string // lower-case hex, "" for none
}

// readSettings reads every option of [wasm] (so that CheckUnused refuses
// only options it does not know). Errors start with where the option is
// set and name it; ref names the tenant when [wasm] name does not.
func readSettings(sec *config.Section, ref string) (settings, error) {
	opt := map[string]string{}
	for _, k := range wasmOptions {
		v, _ := sec.Get(k)
		opt[k] = strings.TrimSpace(v)
	}
	var s settings
	cfg := &s.tenant
	var err error
	cfg.Name = opt["name"]
	if cfg.Name == "" {
		shown := redactRef(ref) // a URL's password must not name the tenant in every log line
		cfg.Name = strings.TrimSuffix(filepath.Base(shown), filepath.Ext(shown))
	}
	ints := []struct {
		key string
		dst *int
	}{{"max_output_bytes", &cfg.Limits.MaxOutputBytes}, {"pool_size", &cfg.Limits.PoolSize}, {"max_log_bytes", &cfg.Limits.MaxLogBytes}}
	for _, i := range ints {
		if v := opt[i.key]; v != "" {
			if *i.dst, err = strconv.Atoi(v); err != nil || *i.dst < 1 {
				return s, sec.Errorf(i.key, "must be a positive integer")
			}
		}
	}
	if v := opt["memory_pages"]; v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n < 1 || n > 65536 {
			return s, sec.Errorf("memory_pages", "must be an integer from 1 to 65536")
		}
		cfg.Limits.MemoryPages = uint32(n)
	}
	if cfg.Limits.CallTimeout, err = seconds(opt["call_timeout_seconds"]); err != nil {
		return s, sec.Errorf("call_timeout_seconds", "%v", err)
	}
	if v := opt["fuel_per_call"]; v != "" {
		if cfg.Limits.FuelPerCall, err = strconv.ParseInt(v, 10, 64); err != nil || cfg.Limits.FuelPerCall < 0 {
			return s, sec.Errorf("fuel_per_call", "must be a whole number of units of fuel >= 0 (0: no budget), at most %d", int64(math.MaxInt64))
		}
	}
	if cfg.Limits.SlowCallRecycle, err = seconds(opt["slow_call_recycle_seconds"]); err != nil {
		return s, sec.Errorf("slow_call_recycle_seconds", "%v", err)
	}
	if v := opt["trusted"]; v != "" {
		if cfg.Trusted, err = strconv.ParseBool(v); err != nil {
			return s, sec.Errorf("trusted", "must be true or false")
		}
	}
	for _, c := range list(opt["capabilities"]) {
		switch c {
		case CapLog:
			cfg.Capabilities.Log = true
		case CapClock:
			cfg.Capabilities.Clock = true
		case CapRandom:
			cfg.Capabilities.Random = true
		case CapEnv:
			cfg.Capabilities.Env = list(opt["env_allow"])
			if len(cfg.Capabilities.Env) == 0 {
				return s, sec.Errorf("capabilities", "capability env needs env_allow, the variables the guest may read")
			}
		case CapHTTP:
			hc := &HTTPCapability{AllowHosts: list(opt["http_allow_hosts"])}
			if len(hc.AllowHosts) == 0 {
				return s, sec.Errorf("capabilities", "capability http needs http_allow_hosts")
			}
			if hc.Timeout, err = seconds(opt["http_timeout_seconds"]); err != nil {
				return s, sec.Errorf("http_timeout_seconds", "%v", err)
			}
			cfg.Capabilities.HTTP = hc
		default:
			return s, sec.Errorf("capabilities", "unknown capability %q (known: %s)", c, strings.Join(capabilityNames[:], ", "))
		}
	}
	if v := opt["cache_max_bytes"]; v != "" {
		if s.cacheMax, err = strconv.ParseInt(v, 10, 64); err != nil || s.cacheMax < 1 {
			return s, sec.Errorf("cache_max_bytes", "must be a whole number of bytes over 0, at most %d", int64(math.MaxInt64))
		}
	}
	switch dir := opt["cache_dir"]; {
	case dir == "":
		s.cacheDefault = true
	case strings.EqualFold(dir, cacheNone):
	default:
		// Checked before anything is read from or written to it.
		if s.cacheDir, err = secureCacheDir(dir); err != nil {
			if msg := err.Error(); strings.Contains(msg, filepath.Clean(dir)) {
				return s, sec.Errorf("cache_dir", "%v", err) // it names the directory
			}
			return s, sec.Errorf("cache_dir", "%s: %v", dir, err)
		}
	}
	s.pin = strings.ToLower(opt["sha256"])
	return s, nil
}

// ownedTenant is a tenant that owns its host.
type ownedTenant struct {
	*Tenant
	host *Host
}

func (o *ownedTenant) Close() error {
	return errors.Join(o.Tenant.Close(), o.host.Close(context.Background()))
}

func seconds(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f <= 3600) || time.Duration(f*float64(time.Second)) <= 0 { // NaN too
		return 0, errors.New("must be a number of seconds over 0, at most 3600")
	}
	return time.Duration(f * float64(time.Second)), nil
}

func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// redactRef is ref for messages: a URL's password, if any, is replaced by
// "xxxxx" (also when the URL does not parse).
func redactRef(ref string) string {
	shown, _ := splitRefPassword(ref)
	return shown
}

// splitRefPassword returns ref with a URL password replaced by "xxxxx",
// and the password ("" when there is none).
func splitRefPassword(ref string) (shown, password string) {
	scheme, rest, ok := strings.Cut(ref, "://")
	if !ok {
		return ref, ""
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return ref, ""
	}
	user, password, hasPassword := strings.Cut(authority[:at], ":")
	if !hasPassword || password == "" {
		return ref, ""
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:], password
}

// scrubRef removes a reference's password from an error that may repeat
// the reference (net/url's and os's errors quote it).
func scrubRef(err error, ref string) error {
	shown, password := splitRefPassword(ref)
	if password == "" {
		return err
	}
	msg := strings.ReplaceAll(err.Error(), ref, shown)
	return errors.New(strings.ReplaceAll(msg, password, "xxxxx"))
}

// fileURLPath returns the local path a file:// URL names. The host must
// be empty or "localhost" (RFC 8089): net/url would otherwise take
// file://modules/x.wasm as host "modules" and path /x.wasm, loading a file
// other than the one meant. User info, a port, a query or a fragment are
// refused too: a file path has none.
func fileURLPath(ref string) (string, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	switch {
	case u.User != nil:
		return "", errors.New("a file:// URL cannot carry user info")
	case u.Host != "" && !strings.EqualFold(u.Host, "localhost"):
		return "", fmt.Errorf("file URL host %q: only an empty host or localhost names this machine (a relative path is written without file://, an absolute one as file:///path)", u.Host)
	case u.RawQuery != "" || u.ForceQuery:
		return "", errors.New("a file:// URL cannot have a query")
	case strings.Contains(ref, "#"):
		return "", errors.New("a file:// URL cannot have a fragment (write # in a file name as %23)")
	case u.Path == "":
		return "", errors.New("the file:// URL has no path")
	}
	return u.Path, nil
}

// fetchModule reads a module from a path or file:// URL, or downloads an
// https:// one with client (pin required), keeping it in cacheDir by
// digest so that it is fetched once.
func fetchModule(ctx context.Context, client *http.Client, ref, pin, cacheDir string) ([]byte, error) {
	if !strings.HasPrefix(ref, "https://") {
		path := ref
		if strings.HasPrefix(ref, "file://") {
			var err error
			if path, err = fileURLPath(ref); err != nil {
				return nil, err
			}
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if fi.Size() > MaxModuleSize {
			return nil, fmt.Errorf("module is %d bytes; the limit is %d", fi.Size(), MaxModuleSize)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return b, checkPin(b, pin)
	}
	if pin == "" {
		return nil, errors.New("an https:// module needs a sha256 pin ([wasm] sha256)")
	}
	var cached string
	if cacheDir != "" {
		cached = filepath.Join(cacheDir, "module-"+pin+".wasm")
		if b, err := os.ReadFile(cached); err == nil && checkPin(b, pin) == nil {
			return b, nil
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching the module: HTTP %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxModuleSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxModuleSize {
		return nil, fmt.Errorf("module is over %d bytes", MaxModuleSize)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != pin {
		return nil, fmt.Errorf("sha256 is %s, but the pin says %s", got, pin)
	}
	if cached != "" {
		if err := os.MkdirAll(cacheDir, 0o700); err == nil {
			tmp := cached + ".tmp"
			if os.WriteFile(tmp, b, 0o600) == nil {
				_ = os.Rename(tmp, cached)
			}
		}
	}
	return b, nil
}
