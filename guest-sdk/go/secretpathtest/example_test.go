package secretpathtest_test

import (
	"fmt"

	secretpath "github.com/secretpath/secretpath/guest-sdk/go"
	"github.com/secretpath/secretpath/guest-sdk/go/secretpathtest"
)

type greeter struct {
	secretpath.UnimplementedBackend
}

func (greeter) GetVariable(key string) (string, error) {
	if key == "greeting" {
		return "hello", nil
	}
	return "", fmt.Errorf("no variable %q: %w", key, secretpath.ErrNotFound)
}

func Example() {
	h := &secretpathtest.Host{Kwargs: `{}`}
	fmt.Println(h.Init(greeter{}).Status)
	fmt.Println(h.GetVariable("greeting"))
	fmt.Println(h.GetVariable("farewell"))
	fmt.Println(h.GetConnection("smtp_default"))
	// Output:
	// OK
	// OK "hello"
	// NOT_FOUND: no variable "farewell": not found
	// UNIMPLEMENTED
}
