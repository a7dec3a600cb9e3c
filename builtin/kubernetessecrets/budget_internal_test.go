package kubernetessecrets

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// endless is an event that never ends: `{"type":"ADDED","object":{"a":"xxxx...`.
type endless struct{ started bool }

func (e *endless) Read(p []byte) (int, error) {
	if !e.started {
		e.started = true
		return copy(p, `{"type":"ADDED","object":{"a":"`), nil
	}
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestEventBudget: one endless watch event ends the decode with
// errTooLarge once maxEventBytes were read, instead of growing the
// decoder's buffer without bound; normal events pass.
func TestEventBudget(t *testing.T) {
	b := &eventBudget{r: &endless{}, left: maxEventBytes}
	var ev watchEvent
	err := json.NewDecoder(b).Decode(&ev)
	if !errors.Is(err, errTooLarge) {
		t.Fatalf("got %v, want errTooLarge", err)
	}

	ok := &eventBudget{r: io.MultiReader(strings.NewReader(`{"type":"ADDED","object":{}}`+"\n"), strings.NewReader(`{"type":"DELETED","object":{}}`)), left: maxEventBytes}
	dec := json.NewDecoder(ok)
	for _, want := range []string{"ADDED", "DELETED"} {
		ok.left = maxEventBytes
		if err := dec.Decode(&ev); err != nil || ev.Type != want {
			t.Fatalf("got %q, %v; want %s", ev.Type, err, want)
		}
	}
}
