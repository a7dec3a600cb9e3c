package secretpath

// Backend is a secrets backend. The host calls Init once per instance, then
// the lookup methods, never two at a time.
//
// A lookup returns the value, or an error: wrap [ErrNotFound] when the
// backend does not hold the id, so that the resolver asks the next tier.
// See the package documentation for how errors map to status codes.
type Backend interface {
	// Init receives the tenant's backend_kwargs, a JSON object as text
	// ("{}" when the host sends none). An error fails the tenant's creation;
	// wrap ErrInvalidArgument when the kwargs are not acceptable. The slice
	// is the backend's to keep.
	Init(kwargs []byte) error

	// GetConnection returns the connection id's Airflow connection URI, or
	// Airflow's JSON form (text whose first non-blank character is '{').
	GetConnection(id string) (string, error)

	// GetVariable returns the variable's raw value.
	GetVariable(key string) (string, error)

	// GetConfig returns the raw value of an Airflow config option's secret
	// (the *_secret options).
	GetConfig(key string) (string, error)
}

// UnimplementedBackend implements every Backend method: Init accepts any
// kwargs and the lookups return [ErrUnimplemented], which the resolver
// treats as not found. Embed it and implement what the backend serves:
//
//	type backend struct {
//		secretpath.UnimplementedBackend
//		vars map[string]string
//	}
//
//	func (b *backend) GetVariable(key string) (string, error) { ... }
type UnimplementedBackend struct{}

// Init accepts any kwargs.
func (UnimplementedBackend) Init([]byte) error { return nil }

// GetConnection returns ErrUnimplemented.
func (UnimplementedBackend) GetConnection(string) (string, error) { return "", ErrUnimplemented }

// GetVariable returns ErrUnimplemented.
func (UnimplementedBackend) GetVariable(string) (string, error) { return "", ErrUnimplemented }

// GetConfig returns ErrUnimplemented.
func (UnimplementedBackend) GetConfig(string) (string, error) { return "", ErrUnimplemented }

var registered Backend

// Register makes b the module's backend. Call it from an init function of
// the main package: a module built with -buildmode=c-shared never runs
// main. Register panics if b is nil or if it is called twice.
func Register(b Backend) {
	if b == nil {
		panic("secretpath: Register of a nil Backend")
	}
	if registered != nil {
		panic("secretpath: Register called twice")
	}
	registered = b
}
