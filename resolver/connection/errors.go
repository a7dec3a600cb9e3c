package connection

import "errors"

// ErrInvalid is wrapped by every error that a connection value fails to
// parse with. The message names the field at fault, never a secret.
var ErrInvalid = errors.New("invalid connection")
