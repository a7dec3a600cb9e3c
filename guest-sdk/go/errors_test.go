package secretpath

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// claims is an error whose Is method claims a sentinel.
type claims struct{ target error }

func (c claims) Error() string        { return "claims" }
func (c claims) Is(target error) bool { return target == c.target }

func TestStatusOf(t *testing.T) {
	plain := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want Status
	}{
		{"nil", nil, StatusOK},
		{"not found", ErrNotFound, StatusNotFound},
		{"invalid argument", ErrInvalidArgument, StatusInvalidArgument},
		{"unavailable", ErrUnavailable, StatusUnavailable},
		{"permission denied", ErrPermissionDenied, StatusPermissionDenied},
		{"unimplemented", ErrUnimplemented, StatusUnimplemented},
		{"plain", plain, StatusInternal},
		{"wrapped", fmt.Errorf("vault: %w", ErrUnavailable), StatusUnavailable},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", ErrPermissionDenied)), StatusPermissionDenied},
		{"wrapped plain", fmt.Errorf("a: %w", plain), StatusInternal},
		{"outermost wins", fmt.Errorf("%w: %w", ErrNotFound, ErrUnavailable), StatusNotFound},
		{"join order", errors.Join(plain, ErrPermissionDenied, ErrNotFound), StatusPermissionDenied},
		{"join inside wrap", fmt.Errorf("x: %w", errors.Join(plain, ErrUnavailable)), StatusUnavailable},
		{"Is method", claims{ErrNotFound}, StatusNotFound},
		{"Is method wrapped", fmt.Errorf("x: %w", claims{ErrInvalidArgument}), StatusInvalidArgument},
		{"Is method claims nothing known", claims{plain}, StatusInternal},
		{"sdk error", errHTTPNetwork, StatusUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StatusOf(tt.err); got != tt.want {
				t.Errorf("StatusOf(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if tt.err != nil && tt.want != StatusInternal {
				// Must agree with errors.Is for the sentinel we picked.
				found := false
				for _, s := range sentinels {
					if StatusOf(s) == tt.want && errors.Is(tt.err, s) {
						found = true
					}
				}
				if !found {
					t.Errorf("errors.Is disagrees for %v", tt.err)
				}
			}
		})
	}
}

func TestStatusOfDeepChain(t *testing.T) {
	err := ErrNotFound
	for range 200 {
		err = fmt.Errorf("w: %w", err)
	}
	// Deeper than the walk's bound: reported as INTERNAL rather than looping.
	if got := StatusOf(err); got != StatusInternal {
		t.Errorf("got %v", got)
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{StatusOK: "OK", StatusNotFound: "NOT_FOUND",
		StatusResourceExhausted: "RESOURCE_EXHAUSTED", 9: "Status(9)", -1: "Status(-1)"} {
		if got := s.String(); got != want {
			t.Errorf("%d: %q, want %q", int32(s), got, want)
		}
	}
	for l, want := range map[Level]string{LevelDebug: "DEBUG", LevelError: "ERROR", 7: "Level(7)"} {
		if got := l.String(); got != want {
			t.Errorf("%d: %q, want %q", int32(l), got, want)
		}
	}
}

func TestMessage(t *testing.T) {
	if m := message(ErrNotFound); m != "" {
		t.Errorf("bare sentinel: %q", m)
	}
	if m := message(fmt.Errorf("vault: %w", ErrUnavailable)); m != "vault: unavailable" {
		t.Errorf("wrapped: %q", m)
	}
	long := strings.Repeat("a", maxMessage-1) + "é" + "tail" // é straddles the limit
	m := message(errors.New(long))
	if len(m) != maxMessage-1 || !strings.HasPrefix(long, m) {
		t.Errorf("cut at %d bytes, want %d", len(m), maxMessage-1)
	}
	exact := strings.Repeat("b", maxMessage)
	if m := message(errors.New(exact + "c")); m != exact {
		t.Errorf("cut at %d bytes", len(m))
	}
}

func TestItoa(t *testing.T) {
	for _, i := range []int64{0, 7, -7, 1234567890, -1 << 63, 1<<63 - 1} {
		if got, want := itoa(i), fmt.Sprint(i); got != want {
			t.Errorf("itoa(%d) = %q", i, got)
		}
	}
}
