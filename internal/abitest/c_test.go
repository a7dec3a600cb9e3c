package abitest_test

import (
	"testing"

	"github.com/secretpath/secretpath/internal/abitest"
)

// TestCGuest runs the C examples (guest-sdk/c) through the kit.
func TestCGuest(t *testing.T) { runGuestSuite(t, abitest.BuildCExample, smallGuestLimits) }
