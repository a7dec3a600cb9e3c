package codes

import (
	"errors"
	"fmt"
	"testing"
)

func TestNamesAndMarks(t *testing.T) {
	for c, want := range map[Code]string{OK: "ok", NotFound: "not_found", DeadlineExceeded: "deadline_exceeded", Code(42): "code(42)"} {
		if got := c.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", uint32(c), got, want)
		}
	}
	base := errors.New("503 from the service")
	err := fmt.Errorf("backend x: %w", Wrap(Unavailable, base))
	if c, ok := Marked(err); !ok || c != Unavailable {
		t.Errorf("Marked = %v, %v; want unavailable", c, ok)
	}
	if !errors.Is(err, base) || err.Error() != "backend x: 503 from the service" {
		t.Errorf("Wrap changed the error: %v", err)
	}
	if Wrap(Internal, nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
	if _, ok := Marked(base); ok {
		t.Error("an unmarked error is marked")
	}
}
