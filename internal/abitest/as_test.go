package abitest_test

import (
	"testing"

	"github.com/secretpath/secretpath/internal/abitest"
)

// TestASGuest runs the AssemblyScript examples (guest-sdk/assemblyscript)
// through the kit.
func TestASGuest(t *testing.T) { runGuestSuite(t, abitest.BuildASExample, smallGuestLimits) }
