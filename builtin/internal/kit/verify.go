package kit

import "github.com/secretpath/secretpath/resolver/config"

// VerifyKwarg is a kwarg saying how TLS certificates are verified, as
// Python's requests (under boto3, hvac and azure-core) takes its verify
// argument: a boolean, or the path of a CA bundle. A string that reads as
// a boolean ("true", "false", "0", "yes", ...: a per-key environment
// override is always a string) is one.
type VerifyKwarg struct {
	// Key is the kwarg's name: "verify" (AWS, Vault), "connection_verify"
	// (Azure).
	Key string
	// RefuseEmpty: "" is an error; otherwise it is as if the key were
	// absent.
	RefuseEmpty bool
	// Want ends the error for a value of another type; "" means "must be a
	// boolean or the path of a CA bundle".
	Want string
}

// Verify is a verify kwarg, read.
type Verify struct {
	// Given: a boolean or a CA bundle was given; otherwise (absent, null,
	// "") the backend's default applies.
	Given bool
	// Insecure: false was given; certificates are not verified.
	Insecure bool
	// CABundle is the path of the CA bundle given ("" for a boolean). The
	// file is not read here.
	CABundle string
}

// Parse reads the kwarg, and marks it read even when absent.
func (v VerifyKwarg) Parse(kw *config.Kwargs) (Verify, error) {
	if !kw.Has(v.Key) || kw.IsNull(v.Key) {
		_, _ = kw.String(v.Key, "") // marks the key read
		return Verify{}, nil
	}
	if b, err := kw.Bool(v.Key, true); err == nil {
		return Verify{Given: true, Insecure: !b}, nil
	}
	path, err := kw.String(v.Key, "")
	if err != nil || (path == "" && v.RefuseEmpty) {
		want := v.Want
		if want == "" {
			want = "must be a boolean or the path of a CA bundle"
		}
		return Verify{}, KwargError(v.Key, want)
	}
	return Verify{Given: path != "", CABundle: path}, nil
}
