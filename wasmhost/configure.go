package wasmhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

// ConfigGetter reads a config option, as config.File.Get does.
type ConfigGetter func(section, key string) (string, bool)

// OpenConfig is how a config file's `backend = module.wasm` becomes a
// backend. The module is ref (a path, file:// URL, or https:// URL that
// needs a sha256 pin); kwargs reach the guest verbatim; the tenant's
// settings come from the config's [wasm] section:
//
//	[wasm]
//	sha256 = <hex>                 # pin; required for https://
//	cache_dir = /var/cache/secretpath/wasm   # private to this user: see Options.CacheDir
//	name = acme                    # tenant name in errors and logs
//	memory_pages = 256
//	call_timeout_seconds = 1
//	max_output_bytes = 65536
//	pool_size = 2
//	trusted = false                # true: no per-call deadline (audited modules only)
//	capabilities = log, http       # log, env, clock, random, http; none by default
//	env_allow = VAULT_ADDR, REGION
//	http_allow_hosts = 127.0.0.1:8200, secrets.example.com
//	http_timeout_seconds = 5
//
// The returned backend owns its Host: closing it closes both.
func OpenConfig(ctx context.Context, ref string, kwargs *config.Kwargs, get ConfigGetter) (resolver.Backend, error) {
	if get == nil {
		get = func(string, string) (string, bool) { return "", false }
	}
	opt := func(key string) string { v, _ := get("wasm", key); return strings.TrimSpace(v) }
	cerr := func(format string, args ...any) error {
		return fmt.Errorf("%w: [wasm] %s", config.ErrInvalid, fmt.Sprintf(format, args...))
	}

	var cfg TenantConfig
	var err error
	cfg.Kwargs = kwargs.JSON()
	cfg.Name = opt("name")
	if cfg.Name == "" {
		shown := redactRef(ref) // a URL's password must not name the tenant in every log line
		cfg.Name = strings.TrimSuffix(filepath.Base(shown), filepath.Ext(shown))
	}
	ints := []struct {
		key string
		dst *int
	}{{"max_output_bytes", &cfg.Limits.MaxOutputBytes}, {"pool_size", &cfg.Limits.PoolSize}, {"max_log_bytes", &cfg.Limits.MaxLogBytes}}
	for _, i := range ints {
		if v := opt(i.key); v != "" {
			if *i.dst, err = strconv.Atoi(v); err != nil || *i.dst < 1 {
				return nil, cerr("%s must be a positive integer", i.key)
			}
		}
	}
	if v := opt("memory_pages"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n < 1 || n > 65536 {
			return nil, cerr("memory_pages must be an integer from 1 to 65536")
		}
		cfg.Limits.MemoryPages = uint32(n)
	}
	if cfg.Limits.CallTimeout, err = seconds(opt("call_timeout_seconds")); err != nil {
		return nil, cerr("call_timeout_seconds %v", err)
	}
	if v := opt("trusted"); v != "" {
		if cfg.Trusted, err = strconv.ParseBool(v); err != nil {
			return nil, cerr("trusted must be true or false")
		}
	}
	for _, c := range list(opt("capabilities")) {
		switch c {
		case CapLog:
			cfg.Capabilities.Log = true
		case CapClock:
			cfg.Capabilities.Clock = true
		case CapRandom:
			cfg.Capabilities.Random = true
		case CapEnv:
			cfg.Capabilities.Env = list(opt("env_allow"))
			if len(cfg.Capabilities.Env) == 0 {
				return nil, cerr("capability env needs env_allow, the variables the guest may read")
			}
		case CapHTTP:
			hc := &HTTPCapability{AllowHosts: list(opt("http_allow_hosts"))}
			if len(hc.AllowHosts) == 0 {
				return nil, cerr("capability http needs http_allow_hosts")
			}
			if hc.Timeout, err = seconds(opt("http_timeout_seconds")); err != nil {
				return nil, cerr("http_timeout_seconds %v", err)
			}
			cfg.Capabilities.HTTP = hc
		default:
			return nil, cerr("unknown capability %q (known: log, env, clock, random, http)", c)
		}
	}

	cacheDir := opt("cache_dir")
	if cacheDir != "" {
		// Checked before anything is read from or written to it.
		if cacheDir, err = secureCacheDir(cacheDir); err != nil {
			return nil, cerr("cache_dir %s: %v", opt("cache_dir"), err)
		}
	}
	pin := strings.ToLower(opt("sha256"))
	wasm, err := fetchModule(ctx, ref, pin, cacheDir)
	if err != nil {
		return nil, fmt.Errorf("%w: backend %s: %v", config.ErrInvalid, redactRef(ref), scrubRef(err, ref))
	}
	h, err := New(ctx, Options{CacheDir: cacheDir})
	if err != nil {
		return nil, err
	}
	m, err := h.Load(ctx, wasm)
	if err == nil {
		var t *Tenant
		if t, err = h.NewTenant(ctx, m, cfg); err == nil {
			return &ownedTenant{Tenant: t, host: h}, nil
		}
	}
	_ = h.Close(ctx)
	return nil, fmt.Errorf("%w: backend %s: %v", config.ErrInvalid, redactRef(ref), scrubRef(err, ref))
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
	if err != nil || f <= 0 || f > 3600 {
		return 0, errors.New("must be a number of seconds from 0 to 3600")
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

// FetchClient fetches https:// modules; tests replace it.
var FetchClient = &http.Client{Timeout: time.Minute}

// fetchModule reads a module from a path or file:// URL, or downloads an
// https:// one (pin required), keeping it in cacheDir by digest so that it
// is fetched once.
func fetchModule(ctx context.Context, ref, pin, cacheDir string) ([]byte, error) {
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
	resp, err := FetchClient.Do(req)
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
