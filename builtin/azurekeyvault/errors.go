package azurekeyvault

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// maxMessage bounds the service message an error quotes.
const maxMessage = 300

// lookupError is a failed lookup of one secret. Its text names the secret
// and says what went wrong in one line, with the kwargs' credentials
// masked; it unwraps to the SDK's error (errors.As finds
// *azcore.ResponseError and *azidentity.AuthenticationFailedError) and to
// resolver.ErrNotFound (HTTP 404) or resolver.ErrPermissionDenied (HTTP
// 403); what the Azure table (unavailable) says is the vault's
// unavailability is marked codes.Unavailable.
type lookupError struct {
	sentinel error
	err      error
	msg      string
}

func (e *lookupError) Error() string { return e.msg }

func (e *lookupError) Unwrap() []error {
	if e.sentinel == nil {
		return []error{e.err}
	}
	return []error{e.sentinel, e.err}
}

var errNoValue = errors.New("the response carries no value")

// unavailable is the Azure table of the vault's answers marked
// codes.Unavailable (after 404, not found, and 403, permission denied):
// 429, throttling, and 5xx. A request that got no answer because the
// connection was refused is marked too. The SDK has retried them all.
func unavailable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// wrap turns the SDK's error from GetSecret(name) into a lookupError.
// status is the vault's last HTTP status (0 when none was seen).
func (b *Backend) wrap(name string, status int, err error) error {
	e := &lookupError{err: err}
	what := fmt.Sprintf("secret %q", name)
	var re *azcore.ResponseError
	var af *azidentity.AuthenticationFailedError
	switch {
	case errors.As(err, &re):
		switch {
		case re.StatusCode == http.StatusNotFound:
			e.sentinel = resolver.ErrNotFound
		case re.StatusCode == http.StatusForbidden:
			e.sentinel = resolver.ErrPermissionDenied
		case unavailable(re.StatusCode):
			e.err = kit.Unavailable(err)
		}
		var body []byte
		if re.RawResponse != nil {
			body, _ = runtime.Payload(re.RawResponse)
		}
		e.msg = what + ": " + describeServiceError(re.StatusCode, re.ErrorCode, body)
	case errors.As(err, &af):
		e.msg = what + ": " + describeAuthError(af)
	case status == http.StatusOK:
		// The vault answered 200 and the SDK could not decode the body: its
		// message can quote the body, which holds the secret.
		e.msg = what + ": the response could not be decoded (details withheld: they can quote the secret)"
		return e
	default:
		if kit.Unanswered(err) {
			e.err = kit.Unavailable(err)
		}
		e.msg = what + ": " + oneLine(err.Error(), 2*maxMessage)
		if strings.Contains(e.msg, "DisableChallengeResourceVerification") {
			e.msg += " (backend_kwargs: \"verify_challenge_resource\": false)"
		}
	}
	e.msg = b.redact(e.msg)
	return e
}

// redact masks the credentials the backend was given.
func (b *Backend) redact(s string) string {
	for _, secret := range b.secrets {
		if len(secret) >= 8 {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}

// serviceError is Key Vault's error document.
type serviceError struct {
	Error *struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError *struct {
			Code string `json:"code"`
		} `json:"innererror"`
	} `json:"error"`
}

// describeServiceError says in one line what an error answer of the vault
// means: "HTTP 403 Forbidden (Forbidden/AccessDenied): <message>". code is
// the SDK's reading of the error code, used when the body has none.
func describeServiceError(status int, code string, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", status)
	if t := http.StatusText(status); t != "" {
		b.WriteString(" " + t)
	}
	var doc serviceError
	var inner, msg string
	if json.Unmarshal(body, &doc) == nil && doc.Error != nil {
		if doc.Error.Code != "" {
			code = doc.Error.Code
		}
		if doc.Error.InnerError != nil {
			inner = doc.Error.InnerError.Code
		}
		msg = doc.Error.Message
	}
	code, inner = oneLine(code, 64), oneLine(inner, 64)
	switch {
	case code != "" && inner != "":
		fmt.Fprintf(&b, " (%s/%s)", code, inner)
	case code != "":
		fmt.Fprintf(&b, " (%s)", code)
	}
	if msg = oneLine(msg, maxMessage); msg != "" {
		b.WriteString(": " + msg)
	}
	return b.String()
}

// tokenError is Microsoft Entra's (and IMDS's) token error document, or
// App Service's managed identity one (message).
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Message     string `json:"message"`
}

// describeAuthError says in one line why the credential got no token.
func describeAuthError(af *azidentity.AuthenticationFailedError) string {
	if af.RawResponse == nil {
		// The first line names the credential and the failure.
		first, _, _ := strings.Cut(af.Error(), "\n")
		return "authentication failed: " + oneLine(first, maxMessage)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "authentication failed: the token endpoint answered HTTP %d", af.RawResponse.StatusCode)
	body, _ := runtime.Payload(af.RawResponse)
	var doc tokenError
	if json.Unmarshal(body, &doc) != nil {
		return b.String()
	}
	if c := oneLine(doc.Error, 64); c != "" {
		fmt.Fprintf(&b, " (%s)", c)
	}
	d := doc.Description
	if d == "" {
		d = doc.Message
	}
	if d = oneLine(d, maxMessage); d != "" {
		b.WriteString(": " + d)
	}
	return b.String()
}

// oneLine returns s with control characters and runs of spaces turned into
// one space, cut to at most n bytes on a rune boundary.
func oneLine(s string, n int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		if b.Len() > n {
			break
		}
	}
	return truncate(b.String(), n)
}
