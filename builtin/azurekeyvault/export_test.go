package azurekeyvault

import "net/http"

// SetTransportHook makes every transport built from kwargs pass through f
// (tests refuse non-loopback dials with it) and returns the undo.
func SetTransportHook(f func(*http.Transport)) (restore func()) {
	old := transportHook
	transportHook = f
	return func() { transportHook = old }
}
