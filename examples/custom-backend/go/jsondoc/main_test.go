package main

import (
	"strings"
	"testing"

	"github.com/secretpath/secretpath/examples/custom-backend/go/internal/vectors"
	secretpath "github.com/secretpath/secretpath/guest-sdk/go"
	"github.com/secretpath/secretpath/guest-sdk/go/secretpathtest"
)

func TestVectors(t *testing.T) {
	vectors.Run(t, vectors.Load(t, "jsondoc.json"),
		func() secretpath.Backend { return &backend{} },
		func(kwargs string) *secretpathtest.Host { return &secretpathtest.Host{Kwargs: kwargs} })
}

// Init messages name the key, never a value.
func TestInitMessages(t *testing.T) {
	for kwargs, want := range map[string]string{
		`{"connection": {}}`:                       `jsondoc: unknown key "connection": invalid argument`,
		`{"variables": {"k": 12345}}`:              `jsondoc: variables: the value of "k" must be a string or null: invalid argument`,
		`{"connections": {"c": ["hunter2"]}}`:      `jsondoc: connections: the value of "c" must be a string, an object or null: invalid argument`,
		`{"sep": null}`:                            `jsondoc: "sep" must be a string: invalid argument`,
		`{"config_prefix": 7}`:                     `jsondoc: "config_prefix" must be a string or null: invalid argument`,
		`{"password": "hunter2"`:                   `jsondoc: the kwargs must be a JSON object: invalid argument`,
		`{"b": 1, "a": 1, "variables": "hunter2"}`: `jsondoc: unknown key "a": invalid argument`,
	} {
		h := &secretpathtest.Host{Kwargs: kwargs}
		r := h.Init(&backend{})
		if r.Status != secretpath.StatusInvalidArgument || r.Message != want {
			t.Errorf("%s: %v\nwant %s", kwargs, r, want)
		}
		if strings.Contains(r.Message, "hunter2") || strings.Contains(r.Message, "12345") {
			t.Errorf("%s: the message shows a value", kwargs)
		}
	}
}

// A lookup allocates only the SDK's copy of the id.
func TestLookupAllocs(t *testing.T) {
	b := &backend{}
	h := &secretpathtest.Host{Kwargs: `{"connections_prefix": "airflow/connections",
		"connections": {"airflow/connections/smtp_default": "smtps://user:pw@relay:465"}}`}
	if r := h.Init(b); r.Status != secretpath.StatusOK {
		t.Fatal(r)
	}
	for _, id := range []string{"smtp_default", "absent"} {
		if n := testing.AllocsPerRun(100, func() { _, _ = b.GetConnection(id) }); n != 0 {
			t.Errorf("%s: %v allocations in the backend", id, n)
		}
	}
}
