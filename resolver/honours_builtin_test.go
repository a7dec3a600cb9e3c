package resolver_test

import (
	"testing"

	"github.com/secretpath/secretpath/builtin/env"
)

// TestEnvHonoursContext: the env backend promises to return once ctx is
// done when it reads the process's environment, not with a LookupEnv of
// the caller's own (which takes no ctx and may block).
func TestEnvHonoursContext(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    env.Options
		want bool
	}{
		{"os.LookupEnv", env.Options{}, true},
		{"the caller's LookupEnv", env.Options{LookupEnv: func(string) (string, bool) { return "", false }}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := env.New(tc.o).HonoursContext(); got != tc.want {
				t.Errorf("HonoursContext() = %t, want %t", got, tc.want)
			}
		})
	}
}
