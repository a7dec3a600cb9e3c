package connection

import (
	"errors"

	"github.com/secretpath/secretpath/resolver/internal/pycompat"
)

// ErrInvalid is wrapped by every error that a connection value fails to
// parse with. The message names the field at fault, never a secret.
var ErrInvalid = errors.New("invalid connection")

// fieldErr is a parse error before the connection id is attached: the
// field at fault and a message that never quotes the value. It has the
// layout of pycompat.FieldError, so a URL error converts without a copy.
type fieldErr pycompat.FieldError
