package fuel

import "github.com/secretpath/secretpath/wasmhost/internal/wasmbin"

// reader decodes binary-format primitives; the first error sticks.
type reader = wasmbin.Reader
