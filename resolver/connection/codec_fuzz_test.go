package connection

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// codecErrText matches every message the codec can produce after the
// `connection "<id>": ` prefix. Only unknown JSON keys are quoted from the
// input; nothing else of a value may appear.
var codecErrText = regexp.MustCompile(`^(` + strings.Join([]string{
	`conn_id: does not match the connection id`,
	`conn_type: the URI scheme contains '_', which Python's urlsplit does not read as a scheme \(Airflow would take the whole URI as a path\): write '-' instead \(conn_type a_b is written a-b://\)`,
	`conn_type: missing: a non-empty conn_type or uri is required`,
	`(extra|value): JSON with an integer of more than 4300 digits or nesting too deep`,
	`extra: a query value is JSON with an integer of more than 4300 digits or nesting too deep`,
	`(extra|value): not a JSON object`,
	`(extra|value): not valid JSON \(at byte \d+\)`,
	`(value|uri): not valid UTF-8`,
	`host: bracketed host is not an IPv6 address`,
	`host: invalid IPvFuture address`,
	`host: text (after ']'|before '\[') \(invalid IPv6 address\)`,
	`host: unbalanced brackets \(invalid IPv6 address\)`,
	`host: the protocol before the second "://" contains '@' or ':'`,
	`port: (could not be cast to integer|not an integer|out of range 0-65535)`,
	`uri: cannot be combined with [a-z_, ]+`,
	`uri: login, password or host has a character that NFKC-normalises to a URL delimiter`,
	`uri: more than two "://"`,
	`value: empty`,
	`value: unknown keys? "(\\.|[^"\\])*"(, "(\\.|[^"\\])*")*`,
	`(extra|value): holds NaN, Infinity, a number out of float64 range or an unpaired surrogate, which Go's JSON cannot carry`,
	`[a-z_]+: not a string`,
}, "|") + `)$`)

const fuzzID = "fuzz_id"

// maxFuzzInput bounds the inputs the fuzz targets try: the nesting limits
// fit well within it, and longer inputs only slow the fuzzer down.
const maxFuzzInput = 8 << 10

func checkCodecError(t *testing.T, input string, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error does not wrap ErrInvalid: %v", err)
	}
	prefix := `invalid connection: connection "` + fuzzID + `": `
	msg, ok := strings.CutPrefix(err.Error(), prefix)
	if !ok || !codecErrText.MatchString(msg) {
		t.Fatalf("unexpected error text %q", err.Error())
	}
	if strings.Contains(msg, secretPassword) && !strings.Contains(msg, "unknown key") {
		t.Fatalf("error %q shows the password", err.Error())
	}
	if len(input) > 12 && strings.Contains(err.Error(), input) {
		t.Fatalf("error %q shows the input", err.Error())
	}
}

// sameConnection compares two connections, the extras as decoded JSON, and
// returns what differs.
func sameConnection(a, b Connection) string {
	if a.Extra != b.Extra {
		var ea, eb any
		if json.Unmarshal([]byte(a.Extra), &ea) != nil || json.Unmarshal([]byte(b.Extra), &eb) != nil || !reflect.DeepEqual(ea, eb) {
			return "extra " + a.Extra + " vs " + b.Extra
		}
		b.Extra = a.Extra
	}
	if !reflect.DeepEqual(a, b) {
		da, _ := a.RevealedJSON()
		db, _ := b.RevealedJSON()
		return string(da) + " vs " + string(db)
	}
	return ""
}

// checkParsed checks the properties every parsed connection has: its JSON
// forms are a struct's json.Marshal, a valid extra, the URI round trip and
// (with a conn_type) the RevealedJSON round trip.
func checkParsed(t *testing.T, c Connection) {
	t.Helper()
	checkJSONObject(t, c)
	if c.Extra != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(c.Extra), &m); err != nil || len(m) == 0 {
			t.Fatalf("extra %q is not a non-empty JSON object: %v", c.Extra, err)
		}
	}
	if uriRepresentable(c) {
		uri := c.URI()
		back, err := ParseURI(c.ConnID, uri)
		if err != nil {
			t.Fatalf("URI %q does not parse back: %v", uri, err)
		}
		if d := sameConnection(uriCanonical(c), back); d != "" {
			t.Fatalf("URI %q round trip differs: %s", uri, d)
		}
		if again := back.URI(); again != uri {
			t.Fatalf("URI %q parses back to a connection whose URI is %q", uri, again)
		}
	}
	if c.ConnType != "" {
		data, err := c.RevealedJSON()
		if err != nil {
			t.Fatalf("RevealedJSON: %v", err)
		}
		back, err := ParseJSON(c.ConnID, string(data))
		if err != nil {
			t.Fatalf("RevealedJSON %s does not parse back: %v", data, err)
		}
		if !reflect.DeepEqual(c, back) {
			t.Fatalf("RevealedJSON round trip differs: %s", sameConnection(c, back))
		}
	}
}

func FuzzParseURI(f *testing.F) {
	for _, tc := range uriCases {
		f.Add(tc.uri)
	}
	for _, uri := range errorCarriers {
		f.Add(uri)
	}
	f.Add("postgres://user:" + secretPassword + "@host:5432/db?sslmode=require")
	f.Fuzz(func(t *testing.T, uri string) {
		if len(uri) > maxFuzzInput {
			t.Skip()
		}
		c, err := ParseURI(fuzzID, uri)
		if err != nil {
			checkCodecError(t, uri, err)
			return
		}
		if c.ConnID != fuzzID {
			t.Fatalf("conn_id %q", c.ConnID)
		}
		checkParsed(t, c)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, tc := range jsonCases {
		f.Add(tc.data)
	}
	for _, tc := range uriCases {
		if c, err := ParseURI(fuzzID, tc.uri); err == nil && c.ConnType != "" {
			data, _ := c.RevealedJSON()
			f.Add(string(data))
		}
		quoted, _ := json.Marshal(tc.uri)
		f.Add(`{"uri": ` + string(quoted) + `}`)
	}
	f.Fuzz(func(t *testing.T, data string) {
		if len(data) > maxFuzzInput {
			t.Skip()
		}
		c, err := ParseJSON(fuzzID, data)
		if err != nil {
			checkCodecError(t, data, err)
			return
		}
		checkParsed(t, c)
	})
}
