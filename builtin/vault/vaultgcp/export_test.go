package vaultgcp

import "testing"

// UseIAM makes logins ask the IAM endpoint at base (a loopback fake) until
// t ends.
func UseIAM(t testing.TB, base string) {
	t.Helper()
	prev := iamEndpoint
	iamEndpoint = base
	t.Cleanup(func() { iamEndpoint = prev })
}
