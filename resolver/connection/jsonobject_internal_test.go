package connection

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// structJSON is what jsonObject wrote before it wrote keys one by one: a
// struct's json.Marshal. jsonObject must give the same bytes.
func structJSON(c Connection, reveal bool) ([]byte, error) {
	opt := func(present bool, v string) any {
		if !present {
			return nil
		}
		return v
	}
	type out struct {
		ConnID      *string         `json:"conn_id"`
		ConnType    any             `json:"conn_type"`
		Description any             `json:"description"`
		Host        any             `json:"host"`
		Schema      any             `json:"schema"`
		Login       any             `json:"login"`
		Password    any             `json:"password"`
		Port        any             `json:"port"`
		Extra       json.RawMessage `json:"extra"`
	}
	o := out{
		ConnType:    opt(c.Has(FieldConnType), c.ConnType),
		Description: opt(c.Has(FieldDescription), c.Description),
		Host:        opt(c.Has(FieldHost), c.Host),
		Schema:      opt(c.Has(FieldSchema), c.Schema),
		Login:       opt(c.Has(FieldLogin), c.Login),
		Extra:       json.RawMessage("null"),
	}
	if c.ConnID != "" {
		id := c.ConnID
		o.ConnID = &id
	}
	if !c.Password.IsZero() {
		if reveal {
			o.Password = c.Password.Reveal()
		} else {
			o.Password = redacted
		}
	}
	if c.Has(FieldPort) {
		o.Port = c.Port
	}
	if c.Extra != "" {
		if !reveal {
			o.Extra = json.RawMessage(`"` + redacted + `"`)
		} else if json.Valid([]byte(c.Extra)) {
			o.Extra = json.RawMessage(c.Extra)
		} else {
			return nil, ErrInvalid
		}
	}
	return json.Marshal(o)
}

// checkJSONObject: RevealedJSON and MarshalJSON give the bytes (or the
// failure) of a struct's json.Marshal.
func checkJSONObject(t *testing.T, c Connection) {
	t.Helper()
	for _, reveal := range []bool{true, false} {
		want, wantErr := structJSON(c, reveal)
		got, err := c.jsonObject(reveal)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("jsonObject(reveal=%v): error %v, the struct's json.Marshal: %v", reveal, err, wantErr)
		}
		if string(got) != string(want) {
			t.Fatalf("jsonObject(reveal=%v):\n%s\nthe struct's json.Marshal:\n%s", reveal, got, want)
		}
	}
}

func TestJSONObjectSameAsStructMarshal(t *testing.T) {
	full := Connection{ConnID: "my_db", ConnType: "postgres", Description: "a <db> & \"more\"", Host: "h\u2028ost",
		Schema: "db", Login: "u\x01ser", Password: NewSecret("p\"a\\ss\xff<"), Port: 5432,
		Extra: "{ \"a\" : [1, 2.50, \"<&>\"],\n \"b\": {\"c\": null} }"}
	tests := []struct {
		name string
		c    Connection
	}{
		{name: "zero", c: Connection{}},
		{name: "id only", c: Connection{ConnID: "x"}},
		{name: "every field", c: full},
		{name: "present but empty", c: Connection{ConnID: "e", empty: FieldHost | FieldSchema | FieldLogin | FieldPort | FieldConnType | FieldDescription}},
		{name: "port 0 present", c: Connection{ConnID: "p", Port: 0, empty: FieldPort}},
		{name: "negative port", c: Connection{ConnID: "p", Port: -1}},
		{name: "extra not JSON", c: Connection{ConnID: "bad", Extra: "{not json"}},
		{name: "unicode", c: Connection{ConnID: "ü", Host: "例え.jp", Login: "\U0001F600", Password: NewSecret("\u2029")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkJSONObject(t, tt.c)
			got, err := tt.c.RevealedJSON()
			if tt.c.Extra == "{not json" {
				require.ErrorIs(t, err, ErrInvalid)
				return
			}
			require.NoError(t, err)
			assert.True(t, json.Valid(got), "%s", got)
			red, err := tt.c.MarshalJSON()
			require.NoError(t, err)
			if !tt.c.Password.IsZero() {
				assert.NotContains(t, string(red), tt.c.Password.Reveal())
			}
		})
	}
}
