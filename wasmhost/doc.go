// Package wasmhost runs secrets backends compiled to WebAssembly: ABI v1
// (see ABI.md) on wazero, many tenants per process, each in its own
// sandbox.
//
// A Host compiles each module once (keyed by sha256) and creates Tenants
// from it: each tenant has its own backend_kwargs, limits and capabilities,
// and a small pool of initialised instances. A Tenant is a
// resolver.Backend.
//
//	h, _ := wasmhost.New(ctx, wasmhost.Options{})
//	m, _ := h.LoadFile(ctx, "backend.wasm", "")
//	t, _ := h.NewTenant(ctx, m, wasmhost.TenantConfig{Name: "acme", Kwargs: []byte(`{"url": "..."}`)})
//	r := resolver.New(resolver.WithBackend("", t))
//
// # A module as the configured backend
//
// Importing the package registers the backend "wasm" (see
// resolver.Register): a [secrets] backend that names a module (a path
// ending in .wasm, a file:// URL or an https:// URL, see [IsModuleRef]) is
// opened as one tenant on a host of its own, by resolver.Open or
// resolver.OpenBackend. The name "wasm" alone names no module and is
// refused. backend_kwargs reach the guest verbatim (kwargs_read), and the
// tenant's settings come from the [wasm] section, every one optional:
//
//	[wasm]
//	sha256 = <hex>             # pin of the module's bytes; required for https://
//	cache_dir = <default>      # compiled modules (and https:// downloads) kept here; private to
//	                           # this user, see Options.CacheDir; none: no cache on disk
//	cache_max_bytes = 1073741824   # Options.CacheMaxBytes: pruned to this, oldest files first
//	name = <name>              # tenant name in errors, logs and metrics; default: the module's
//	                           # file name without .wasm
//	memory_pages = 256         # Limits.MemoryPages: 64 KiB pages, 1 to 65536 (the std-Go jsondoc example runs in 60)
//	call_timeout_seconds = 1   # Limits.CallTimeout: each call (init, lookups); up to 3600
//	max_output_bytes = 65536   # Limits.MaxOutputBytes: a lookup's result
//	max_log_bytes = 4096       # Limits.MaxLogBytes: what a guest may log per call
//	pool_size = 2              # Limits.PoolSize: instances serving lookups at once
//	fuel_per_call = 0          # Limits.FuelPerCall: fuel per call of a metered tenant; 0: no budget
//	slow_call_recycle_seconds = 0.2   # Limits.SlowCallRecycle: a deadline-only or trusted call
//	                           # that runs this long has its instance recycled; up to 3600
//	trusted = false            # TenantConfig.Trusted: no per-call deadline (audited modules only)
//	capabilities =             # Capabilities granted: log, env, clock, random, http (comma-separated)
//	env_allow =                # with env: the variables the guest may read (comma-separated)
//	http_allow_hosts =         # with http: HTTPCapability.AllowHosts (host or host:port, comma-separated)
//	http_timeout_seconds = 5   # with http: HTTPCapability.Timeout, per request; up to 3600
//
// The values shown are the defaults. Integers are decimal and positive
// (fuel_per_call may be 0), seconds are decimal numbers over 0 (0.5 is
// half a second), trusted is true or false. An option set to a bad value,
// or one [wasm] does not have (a misspelt memory_page), is an error
// matching config.ErrInvalid that starts with where it is set
// ("airflow.cfg:12:" or "env AIRFLOW__WASM__MEMORY_PAGES:"); an option of
// a capability not granted is read and has no effect. The host logs to the
// resolver's logger and records metrics with its meter provider (see
// resolver.Env); closing the backend closes its host. An https:// module
// is downloaded with the factory's client ([NewFactory] makes one with a
// client of your own) and kept in cache_dir by its pin.
//
// # The compilation cache
//
// The default cache_dir is $SECRETPATH_CACHE_DIR ([CacheDirEnv]; "none":
// no cache on disk), else secretpath/wasm in the user's cache directory
// (os.UserCacheDir: ~/.cache/secretpath/wasm on Linux,
// ~/Library/Caches/secretpath/wasm on macOS), so that a process that opens
// a module again (each CLI lookup) does not compile it again. A directory
// that fails the ownership checks of Options.CacheDir is an error when
// cache_dir or $SECRETPATH_CACHE_DIR names it; the default one is then not
// used, with a warning, and neither is it without a home directory
// (os.UserCacheDir fails) or on systems other than Unix: the module runs,
// compiled at every start. cache_max_bytes caps the directory: when the
// host opens and after each compile, its oldest files go first until the
// rest fit (Options.CacheMaxBytes).
//
// What the cache keeps is wazero's: compiled code under a key of the exact
// bytes compiled, the CPU's features and whether the runtime checks
// contexts, in a subdirectory per wazero version. The bytes are the
// prescan's output and, for metered tenants, the fuel rewriter's, so a
// change to either makes a new key, and deadline-only and trusted tenants'
// code (the same bytes, with and without context checks) never share an
// entry. The host keeps nothing of its own there but https:// downloads,
// checked against their pin when read: a module's validation, prescan and
// rewrite run at every start.
package wasmhost
