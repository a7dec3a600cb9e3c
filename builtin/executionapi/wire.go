package executionapi

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// The headers read and sent, in Go's canonical form
// (textproto.CanonicalMIMEHeaderKey), so that http.Header's Set and Get
// use them as they are instead of making a canonical copy on every call.
const (
	// versionHeader is the header Airflow's Cadwyn app routes on
	// (Airflow-API-Version; header names are case-insensitive).
	versionHeader = "Airflow-Api-Version"
	// refreshedHeader carries the token the server reissued
	// (Refreshed-API-Token).
	refreshedHeader = "Refreshed-Api-Token"
)

// answer is one HTTP answer, its body read within the budget: a 200's
// in ok (pooled; the caller puts it back), another status's in body.
type answer struct {
	status int
	header http.Header
	body   []byte
	ok     *kit.Body
}

// get asks for target (route's URL), retrying 5xx answers and connection
// errors, and maps the final answer to a body (200: the caller puts it
// back) or an error. The texts naming the request are built only for an
// error.
func (b *Backend) get(ctx context.Context, req resolver.Request, target string) (*kit.Body, error) {
	var last error
	for attempt := 1; ; attempt++ {
		// The token of each attempt: a token file is read again.
		tok, auth, err := b.tokens.current()
		if err != nil {
			// A token that cannot be read is no reason to retry.
			return nil, fmt.Errorf("%s: %w", describe(req), err)
		}
		a, err := b.do(ctx, tok, auth, target, true)
		if err == nil && a.status == http.StatusOK {
			return a.ok, nil
		}
		what := describe(req)
		switch {
		case err == nil && a.status < 500:
			return b.answer(ctx, tok, auth, what, target, a)
		case err == nil:
			last = fmt.Errorf("%s: GET %s: HTTP %d%s", what, target, a.status, detailOf(a.body, b.secrets(tok)))
		case ctx.Err() != nil:
			// The caller's context or the timeout: no retry.
			if last != nil {
				return nil, fmt.Errorf("%w (then: %w)", last, ctx.Err())
			}
			return nil, fmt.Errorf("%s: GET %s: %w", what, target, ctx.Err())
		case errors.As(err, new(*tooLarge)):
			// A server that sent more than an answer can hold will do so
			// again.
			return nil, fmt.Errorf("%s: GET %s: %w", what, target, err)
		case errors.As(err, new(*tls.CertificateVerificationError)):
			// A certificate that does not verify does not heal in seconds.
			return nil, fmt.Errorf("%s: GET %s: %w (see [api] ssl_cert, ssl_ca_file)", what, target, err)
		default:
			last = fmt.Errorf("%s: GET %s: %w", what, target, err)
		}
		if attempt == Attempts {
			return nil, kit.Unavailable(fmt.Errorf("%w (attempt %d of %d)", last, attempt, Attempts))
		}
		wait := b.backoff(attempt)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, kit.Unavailable(fmt.Errorf("%w (attempt %d of %d; no time left to retry)", last, attempt, Attempts))
		}
		b.logger.LogAttrs(ctx, slog.LevelWarn, "execution API: retrying", slog.String("error", last.Error()),
			slog.Int("attempt", attempt), slog.Duration("wait", wait))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (gave up before retrying: %w)", last, ctx.Err())
		case <-t.C:
		}
	}
}

// describe names a request in errors: connection "smtp_default".
func describe(req resolver.Request) string { return fmt.Sprintf("%s %q", req.Kind, req.ID) }

// backoff is the wait after attempt n: a random time between wait·2^(n-1)
// and twice that (Airflow waits wait_random_exponential).
func (b *Backend) backoff(n int) time.Duration {
	base := b.wait << (n - 1)
	j, err := rand.Int(rand.Reader, big.NewInt(int64(base)+1))
	if err != nil {
		return base
	}
	return base + time.Duration(j.Int64())
}

// do makes one request to target with the token tok, auth being its
// Authorization value. withVersion false leaves the version header out
// (to learn the server's default version).
func (b *Backend) do(ctx context.Context, tok string, auth []string, target string, withVersion bool) (answer, error) {
	// target is route's (the id escaped) or the base URL, which has no
	// query or fragment (parseBase).
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return answer{}, err
	}
	// What the server needs (the token, the version it routes on) and the
	// Correlation-Id its logs show, as the task SDK sends; no Accept: every
	// route answers JSON. The token's and the version's values are shared,
	// read-only slices (a RoundTripper must not modify the request; one
	// that appends gets a copy, len == cap); the map is the request's own.
	hreq.Header["Authorization"] = auth
	if withVersion {
		hreq.Header[versionHeader] = b.versionValue
	}
	hreq.Header.Set("Correlation-Id", correlationID())
	resp, err := b.client.Do(hreq)
	if err != nil {
		return answer{}, kit.TransportError(err)
	}
	defer resp.Body.Close()
	b.tokens.refresh(tok, resp.Header.Get(refreshedHeader))
	if resp.StatusCode != http.StatusOK {
		// The status is the answer: the first maxErrorBody bytes of the
		// body are kept for its message, the rest is not read (a proxy's
		// 403 page may be of any size, and is still a 403), nor is a body
		// that breaks off.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
	}
	rb := kit.GetBody()
	over, err := rb.Read(resp.Body, maxBody)
	if err == nil && over {
		err = &tooLarge{limit: maxBody}
	}
	if err != nil {
		rb.Put()
		return answer{}, err
	}
	return answer{status: resp.StatusCode, header: resp.Header, ok: rb}, nil
}

// tooLarge is a 200 whose body is over the budget: an error, final.
type tooLarge struct{ limit int }

func (e *tooLarge) Error() string {
	return fmt.Sprintf("HTTP 200 with a body larger than %d bytes", e.limit)
}

// answer maps a non-5xx answer other than a 200 to a request made with
// tok to its error.
func (b *Backend) answer(ctx context.Context, tok string, auth []string, what, target string, a answer) (*kit.Body, error) {
	switch a.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, fmt.Errorf("%s: GET %s: HTTP %d%s: %w", what, target, a.status, detailOf(a.body, b.secrets(tok)), resolver.ErrAccessDenied)
	case http.StatusNotFound:
		if routeNotFound(a.body) {
			return nil, fmt.Errorf("%s: HTTP 404 from the connections or variables route: %w", what, resolver.ErrNotFound)
		}
		return nil, b.versionError(ctx, tok, auth, what, target, a)
	case http.StatusUnprocessableEntity:
		if aboutVersion(a.body) {
			return nil, b.versionError(ctx, tok, auth, what, target, a)
		}
	}
	return nil, fmt.Errorf("%s: GET %s: HTTP %d%s", what, target, a.status, detailOf(a.body, b.secrets(tok)))
}

// versionError is the configuration error for a server that has no route
// for the request at the version sent: it asks the server, without the
// version header, which version it serves by default (its newest).
func (b *Backend) versionError(ctx context.Context, tok string, auth []string, what, target string, a answer) error {
	said := "the server did not say which version it serves"
	if probe, err := b.do(ctx, tok, auth, b.display, false); err == nil {
		if probe.ok != nil {
			probe.ok.Put()
		}
		if v := probe.header.Get(versionHeader); v != "" && len(v) <= 32 && utf8.ValidString(v) {
			said = "the server's newest version is " + strconv.Quote(v)
		}
	}
	return fmt.Errorf("%w: %s: GET %s: HTTP %d%s: the server has no route for Airflow-API-Version %s (%s); "+
		"check [core] execution_api_server_url (the API server's URL ending in /execution/) and that the server is Airflow 3",
		config.ErrInvalid, what, target, a.status, detailOf(a.body, b.secrets(tok)), b.version, said)
}

// routeNotFound tells the routes' own 404, {"detail": {"reason":
// "not_found", ...}}, from a 404 no route gave ({"detail": "Not Found"}).
func routeNotFound(body []byte) bool {
	var e struct {
		Detail struct {
			Reason string `json:"reason"`
		} `json:"detail"`
	}
	return json.Unmarshal(body, &e) == nil && e.Detail.Reason == "not_found"
}

// aboutVersion says whether a 422 is Cadwyn's about the version header.
func aboutVersion(body []byte) bool {
	var list []struct {
		Loc []any `json:"loc"`
	}
	if json.Unmarshal(body, &list) != nil {
		var wrapped struct {
			Detail []struct {
				Loc []any `json:"loc"`
			} `json:"detail"`
		}
		if json.Unmarshal(body, &wrapped) != nil {
			return false
		}
		list = wrapped.Detail
	}
	for _, e := range list {
		for _, l := range e.Loc {
			if s, ok := l.(string); ok && strings.EqualFold(s, versionHeader) {
				return true
			}
		}
	}
	return false
}

// secrets are the strings an error text must not hold: the token sent
// (sent), and the source's current ones.
func (b *Backend) secrets(sent string) []string {
	b.tokens.mu.Lock()
	defer b.tokens.mu.Unlock()
	return []string{sent, b.tokens.token, b.tokens.refreshed}
}

// detailOf is ": <the server's message>" for an error answer, or "": the
// FastAPI detail (a string, a dict's message, a list's first msg) or the
// app's "message", bounded, printable, with the tokens masked. A body that
// is not such JSON is not quoted.
func detailOf(body []byte, secrets []string) string {
	var e struct {
		Detail  json.RawMessage `json:"detail"`
		Message string          `json:"message"`
	}
	var msg string
	if json.Unmarshal(body, &e) == nil {
		var s string
		var d struct {
			Message string `json:"message"`
			Reason  string `json:"reason"`
		}
		var l []struct {
			Msg string `json:"msg"`
		}
		switch {
		case json.Unmarshal(e.Detail, &s) == nil:
			msg = s
		case json.Unmarshal(e.Detail, &d) == nil && (d.Message != "" || d.Reason != ""):
			msg = d.Message
			if msg == "" {
				msg = d.Reason
			}
		case json.Unmarshal(e.Detail, &l) == nil && len(l) > 0:
			msg = l[0].Msg
		default:
			msg = e.Message
		}
	} else {
		var l []struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal(body, &l) == nil && len(l) > 0 {
			msg = l[0].Msg
		}
	}
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	msg = kit.Printable(msg, 200)
	if msg == "" {
		return ""
	}
	return " (" + strconv.Quote(msg)[1:len(strconv.Quote(msg))-1] + ")"
}

// connectionResponse is the Execution API's ConnectionResponse (conn_id
// aside). Encoded, it is Airflow's JSON form of the connection, its null
// fields left out.
type connectionResponse struct {
	ConnType *string `json:"conn_type"`
	Host     *string `json:"host,omitempty"`
	Schema   *string `json:"schema,omitempty"`
	Login    *string `json:"login,omitempty"`
	Password *string `json:"password,omitempty"`
	Port     *int    `json:"port,omitempty"`
	Extra    *string `json:"extra,omitempty"`
}

// errWithheld is the error for a 200 whose body does not decode; the body
// may hold the secret, so nothing of it is quoted.
func errWithheld(what string, n int) error {
	return fmt.Errorf("%s: the Execution API's answer (%d bytes) is not a valid %s response (details withheld)", what, n, what)
}

func decodeConnection(req resolver.Request, body []byte) (string, error) {
	var c connectionResponse
	if err := json.Unmarshal(body, &c); err != nil || c.ConnType == nil {
		return "", errWithheld(describe(req), len(body))
	}
	out, err := json.Marshal(c)
	if err != nil {
		return "", errWithheld(describe(req), len(body))
	}
	return string(out), nil
}

func decodeVariable(req resolver.Request, body []byte) (string, error) {
	var v map[string]json.RawMessage
	if err := json.Unmarshal(body, &v); err != nil {
		return "", errWithheld(describe(req), len(body))
	}
	key, value := v["key"], v["value"]
	if key == nil || value == nil || json.Unmarshal(key, new(string)) != nil {
		return "", errWithheld(describe(req), len(body))
	}
	if string(value) == "null" {
		// Airflow's backend returns the value, None: not found.
		return "", fmt.Errorf("%s: the Execution API holds it with a null value: %w", describe(req), resolver.ErrNotFound)
	}
	var s string
	if json.Unmarshal(value, &s) != nil {
		return "", errWithheld(describe(req), len(body))
	}
	return s, nil
}

// correlationID is a random id per request, as the task SDK sends (a UUID
// v7 there; any unique string serves the server's logs). It identifies,
// it guards nothing, so it comes from math/rand/v2's generator (ChaCha8,
// seeded by the OS, per thread) rather than crypto/rand: no system call
// on a lookup's path.
func correlationID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], mrand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], mrand.Uint64())
	return hex.EncodeToString(b[:])
}
