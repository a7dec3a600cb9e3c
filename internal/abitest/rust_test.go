package abitest_test

import (
	"testing"

	"github.com/secretpath/secretpath/internal/abitest"
)

// TestRustGuest runs the Rust examples (guest-sdk/rust) through the kit.
func TestRustGuest(t *testing.T) { runGuestSuite(t, abitest.BuildRustExample, smallGuestLimits) }
