package gcpsecretmanager

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/secretpath/secretpath/resolver/config"
)

// marker starts every payload the fuzz targets build, so that a payload
// (or its base64) in an error can be recognised.
const marker = "S3CR3T:"

// markerB64 is the stable start of marker's base64.
var markerB64 = base64.StdEncoding.EncodeToString([]byte(marker))[:8]

// FuzzParseKwargs: any backend_kwargs either build a backend (without
// network or files: authentication off) that satisfies Airflow's prefix
// rule, or give a configuration error that never quotes a private key.
func FuzzParseKwargs(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"connections_prefix": null, "variables_prefix": "", "sep": ""}`,
		`{"connections_prefix": "not:valid", "sep": ":"}`,
		`{"gcp_scopes": "a,b", "impersonation_chain": ["x@p.iam.gserviceaccount.com"]}`,
		`{"gcp_keyfile_dict": {"type": "service_account", "private_key": "S3CR3T:key"}}`,
		`{"gcp_keyfile_dict": "{\"private_key\": \"S3CR3T:key\"}", "gcp_key_path": "k.json"}`,
		`{"gcp_credential_config_file": "{\"type\": \"external_account\"}"}`,
		`{"endpoint": "http://127.0.0.1:1/base/", "project_id": "p"}`,
		`{"sep": null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		kw, err := config.ParseKwargs(text)
		if err != nil {
			return
		}
		s, err := parseKwargs(kw)
		if err == nil {
			o := s.opts
			o.WithoutAuthentication, o.ImpersonationChain = true, nil
			if o.ProjectID == "" {
				o.ProjectID = "p"
			}
			var b *Backend
			if b, err = New(t.Context(), o); err == nil {
				if c := b.places.Connections; c.On && !validPrefixSep(c.Prefix+b.sep) {
					t.Fatalf("connections prefix %q + sep %q accepted", c.Prefix, b.sep)
				}
				if !strings.HasPrefix(b.endpoint, "http") || strings.HasSuffix(b.endpoint, "/") {
					t.Fatalf("endpoint %q", b.endpoint)
				}
				return
			}
		}
		if !errors.Is(err, config.ErrInvalid) {
			t.Fatalf("not a configuration error: %v", err)
		}
		if strings.Contains(err.Error(), marker) {
			t.Fatalf("error quotes a value: %v", err)
		}
	})
}

// FuzzPayload: a response built around any payload decodes to it exactly
// when its checksum matches, and errors never quote it.
func FuzzPayload(f *testing.F) {
	f.Add([]byte("postgres://u:pw@h/db"), int64(0), false, false)
	f.Add([]byte("x"), int64(1), true, true)
	f.Add([]byte{0xff, 0xfe}, int64(0), false, true)
	f.Add([]byte(""), int64(-1), false, false)
	f.Fuzz(func(t *testing.T, payload []byte, crcDelta int64, urlSafe, crcAsNumber bool) {
		data := append([]byte(marker), payload...)
		enc := base64.StdEncoding
		if urlSafe {
			enc = base64.RawURLEncoding
		}
		crc := strconv.FormatInt(int64(crc32Of(data))+crcDelta, 10)
		if !crcAsNumber {
			crc = strconv.Quote(crc)
		}
		body := `{"name": "projects/1/secrets/s/versions/1", "payload": {"data": "` + enc.EncodeToString(data) + `", "dataCrc32c": ` + crc + `}}`
		got, err := decodeAccess([]byte(body))
		switch {
		case crcDelta != 0:
			if !errors.Is(err, ErrChecksum) {
				t.Fatalf("checksum off by %d: got %v", crcDelta, err)
			}
		case !utf8.Valid(data):
			if err == nil {
				t.Fatal("a payload that is not UTF-8 was accepted")
			}
		case err != nil:
			t.Fatalf("valid response refused: %v", err)
		case string(got) != string(data):
			t.Fatal("payload changed")
		}
		if err != nil && (strings.Contains(err.Error(), marker) || strings.Contains(err.Error(), markerB64)) {
			t.Fatalf("error quotes the payload: %v", err)
		}
	})
}

// FuzzDecodeAccess: any response body decodes to UTF-8 text or gives an
// error that quotes nothing of it; only a valid JSON object decodes.
func FuzzDecodeAccess(f *testing.F) {
	for _, s := range []string{
		`{"name": "projects/1/secrets/s/versions/1", "payload": {"data": "aGVsbG8=", "dataCrc32c": "2591144780"}}`,
		`{"name": "n", "payload": {"dataCrc32c": "0"}}`,
		`{"name": "n", "payload": {"data": "UzNDUjNUOng=", "dataCrc32c": 7}}`,
		`{"name": "n", "payload": {"data": "UzNDUjNUOng", "data_crc32c": "1"}}`,
		`{"name": "n", "payload": {"data": ["S3CR3T:x"]}}`,
		`{"name": "n", "payload": {"data": "S3CR3T:x"}}`,
		`{"payload": {"data": "UzNDUjNUOng="}}`,
		`{"name": "S3CR3T:`,
		`null`,
		`{"name": "n", "payload": 5}`,
		`{"name": 5, "payload": {"data": "UzNDUjNUOng="}}`,
		`[{"name": "n"}]`,
		`{"name": "n", "payload": {"data": "aGk=", "dataCrc32c": true}}`,
		`{"name": "n", "payload": {"data": null, "dataCrc32c": null}}`,
		`{"name": "n", "payload": {"data": "aGk=", "data": "UzNDUjNUOng="}}`,
		`{"name": "n", "payload": {"data": "aGk\u003d"}} `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decodeAccess(body)
		if err == nil {
			if !utf8.Valid(got) {
				t.Fatal("payload that is not UTF-8 accepted")
			}
			var doc map[string]any
			if json.Unmarshal(body, &doc) != nil {
				t.Fatal("a body that is not a JSON object decoded")
			}
			return
		}
		if !errors.Is(err, errDecode) && !errors.Is(err, ErrChecksum) && !strings.Contains(err.Error(), "not UTF-8") {
			t.Fatalf("unexpected error: %v", err)
		}
		if strings.Contains(err.Error(), marker) || strings.Contains(err.Error(), markerB64) {
			t.Fatalf("error quotes the body: %v", err)
		}
	})
}

// FuzzParseAPIError: any error answer gives a one-line APIError whose
// status is a code name (or none, which never means "not found").
func FuzzParseAPIError(f *testing.F) {
	for _, s := range []string{
		`{"error": {"code": 404, "message": "Secret [projects/1/secrets/x] not found or has no versions.", "status": "NOT_FOUND"}}`,
		`{"error": {"code": 403, "message": "Permission denied", "status": "PERMISSION_DENIED", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo"}]}}`,
		`{"error": {"code": 429}}`,
		`{"error": "invalid_token"}`,
		`<html>502</html>`,
		`{"error": {"code": 400, "status": "x\ny", "message": "` + strings.Repeat("m", 400) + `"}}`,
	} {
		f.Add(400, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseAPIError(status, body)
		if e.Status != "" && !isStatusName(e.Status) {
			t.Fatalf("status %q", e.Status)
		}
		if e.Status == "" && (e.notFound() || e.Message != "") {
			t.Fatal("a body that is not a Google error means something")
		}
		if strings.ContainsAny(e.Error(), "\n\r") || utf8.RuneCountInString(e.Message) > 301 {
			t.Fatalf("message not cleaned: %q", e.Message)
		}
		var doc map[string]any
		if json.Unmarshal(body, &doc) != nil && e.Status != "" {
			t.Fatalf("status %q from a body that is not JSON", e.Status)
		}
	})
}

// FuzzValidSecretID: the hand-written checks agree with the patterns they
// stand for (Airflow's SECRET_ID_PATTERN; the service's secret id).
func FuzzValidSecretID(f *testing.F) {
	for _, s := range []string{"", "a", "airflow-connections-smtp_default", "a.b", "a b", "é", "a\n", strings.Repeat("x", 255), strings.Repeat("x", 256)} {
		f.Add(s)
	}
	prefixSep := regexp.MustCompile(`^[a-zA-Z0-9-_]*$`)
	secretID := regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validPrefixSep(s), prefixSep.MatchString(s); got != want {
			t.Fatalf("validPrefixSep(%q) = %v, the pattern says %v", s, got, want)
		}
		if got, want := validSecretID(s), secretID.MatchString(s); got != want {
			t.Fatalf("validSecretID(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
