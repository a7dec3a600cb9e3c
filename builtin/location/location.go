// Package location holds the one type the remote backends (aws-ssm,
// aws-secrets-manager, gcp-secret-manager, azure-key-vault, vault) take in
// their Go Options to say where connections, variables and configs live:
// [Location]. It imports nothing.
//
// A config file says the same with backend_kwargs, as Airflow does, per
// kind (connections, variables, config):
//
//	<kind>_prefix (Vault: <kind>_path)
//	    absent: the backend's default prefix (the zero Location);
//	    null: the kind is switched off, and no request is made (Off);
//	    "": no prefix, the name is the id alone or sep + id, as the
//	    backend's package doc says (NoPrefix).
//	<kind>_lookup_pattern (the AWS backends only, as in Airflow)
//	    a regular expression an id must match to be looked up
//	    (LookupPattern).
//
// Each backend's package doc says how it joins a prefix and an id (its
// separator, characters it strips or maps) and what its default prefixes
// are.
package location

// Location says where one kind of value (connections, variables or
// configs) lives in a remote backend. The zero Location is the backend's
// default, Airflow's.
type Location struct {
	// Off: this kind is never looked up, and no request is made
	// (Airflow's prefix None). The other fields are then ignored.
	Off bool

	// Prefix is put before the id (joined by the backend's separator);
	// "" means the backend's default prefix unless NoPrefix is set. For
	// Vault it is the path under the mount point (connections_path).
	Prefix string

	// NoPrefix: the id is used without a prefix (Airflow's prefix "").
	NoPrefix bool

	// LookupPattern, when not "", is a regular expression (Go's RE2
	// syntax: no lookarounds or backreferences) that an id must match to
	// be looked up: at its start only and ignoring case, as Airflow's
	// re.match(pattern, id, re.IGNORECASE). Other ids are not found, and
	// no request is made. Only the AWS backends take one (Airflow's other
	// backends have none); the others refuse a Location that sets it, with
	// an error matching config.ErrInvalid. A pattern that does not compile
	// is such an error too, when the backend is built.
	LookupPattern string
}
