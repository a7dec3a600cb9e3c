package wasmhost_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/wasmhost"
)

// Hostile WASI calls whose size the guest chooses (testdata/close_loop.wat).

// TestPollOneoffSubscriptionsCapped: poll_oneoff reads as many
// subscriptions as the guest says and allocates for each; the host refuses
// more than 64 with EINVAL (28) before wazero reads any, metered or not. A
// std-Go guest polls at most one clock and two per open descriptor.
func TestPollOneoffSubscriptionsCapped(t *testing.T) {
	h := newHost(t)
	m := loadFixture(t, h, "close_loop.wasm")
	for _, deadline := range []bool{false, true} {
		tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "poller", DeadlineOnly: deadline})
		require.NoError(t, err)
		for _, tc := range []struct {
			n    int
			want string // "<errno> <nevents>"
		}{
			{1, "0 1"},
			{64, "0 64"},
			{65, "28 0"},
			{174_762, "28 0"}, // as many as fit 8 MiB
			{0, "28 0"},       // wazero's own refusal
		} {
			got, err := tn.Lookup(t.Context(), varReq(strconv.Itoa(tc.n)))
			require.NoError(t, err, "deadline-only %v, %d subscriptions", deadline, tc.n)
			assert.Equal(t, tc.want, got, "deadline-only %v, %d subscriptions", deadline, tc.n)
		}
		// A refused poll is refused before wazero allocates per
		// subscription (it allocated ~349k objects for this one).
		allocs := testing.AllocsPerRun(3, func() {
			_, _ = tn.Lookup(t.Context(), varReq("174762"))
		})
		assert.Less(t, allocs, 1000.0, "deadline-only %v: allocations of a refused poll", deadline)
		require.NoError(t, tn.Close())
	}
}
