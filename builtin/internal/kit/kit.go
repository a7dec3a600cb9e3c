// Package kit is what the remote backends (aws-ssm and aws-secrets-manager
// through builtin/internal/awscommon, gcp-secret-manager, azure-key-vault,
// vault) share, so that each states only what is its own:
//
//   - where each kind of value lives: a [Scheme] reads the
//     <kind>_prefix (Vault: <kind>_path) and <kind>_lookup_pattern kwargs
//     into [location.Location]s and compiles those into [Places]: the
//     default prefix applied, the separator's characters stripped, the
//     pattern compiled; a [Place] says whether an id is looked up and, if
//     not, why (for resolver.Explain);
//   - mapping a request's kind to its Place, and the error and description
//     of a kind a backend does not serve ([NotServed]);
//   - the timeout_seconds kwarg ([Timeout], [Seconds]), bounding a lookup
//     by it without a new context when the caller's ends sooner ([Bound]),
//     and the verify kwarg, a boolean or the path of a CA bundle
//     ([VerifyKwarg]);
//   - marking a vendor's error that says the service did not answer with
//     codes.Unavailable ([Unavailable], [Unanswered]); each backend keeps
//     its vendor's table of which answers those are;
//   - reading a credential or configuration file without blocking on a
//     named pipe and within a size bound ([ReadFile]), and making a
//     server's or a library's text fit for one line of an error
//     ([Printable], [TransportError], [RedactURL]).
//
// Every error it returns for a kwarg wraps config.ErrInvalid and names the
// key, never its value. Its test helpers, which run one table of kwargs
// and lookups against each backend's own fake, are in package kittest.
package kit

import (
	"fmt"

	"github.com/secretpath/secretpath/resolver/config"
)

// KwargError is the error for a refused kwarg: `backend_kwargs key "key"
// msg`, wrapping config.ErrInvalid. msg must not quote the value.
func KwargError(key, msg string) error {
	return fmt.Errorf("%w: backend_kwargs key %q %s", config.ErrInvalid, key, msg)
}
