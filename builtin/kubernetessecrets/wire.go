package kubernetessecrets

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// maxErrorBody bounds what is read of an answer that is not a 200.
const maxErrorBody = 64 << 10

// secretList is the part of a v1 SecretList the backend reads.
type secretList struct {
	Kind  string `json:"kind"`
	Items []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	} `json:"items"`
}

// status is a v1 Status, the API server's failure answer.
type status struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Code    int    `json:"code"`
}

// APIError is a failure answer of the API server.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Reason and Message are the Status object's (Forbidden, NotFound,
	// ...), when the answer was one; Message is cut to one bounded line.
	Reason, Message string
}

func (e *APIError) Error() string {
	s := "the API server answered " + strconv.Itoa(e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		s += " " + t
	}
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Error is a failed lookup. Its text starts with what was asked for (the
// namespace, the label selector and the data key, as Describe says it)
// and names the secret when one was read; never a value or a credential.
// It unwraps to resolver.ErrNotFound for a miss, resolver.ErrPermissionDenied
// for a 401 or 403 answer, and to the cause (an *APIError, a transport or
// decoding error).
type Error struct {
	Namespace, Selector, DataKey string
	// Secret is the name of the secret read, when one was.
	Secret   string
	sentinel error
	err      error
}

func (e *Error) Error() string {
	s := describeSelector(e.Namespace, e.Selector, e.DataKey)
	if e.Secret != "" {
		s += ": secret " + strconv.Quote(e.Secret)
	}
	return s + ": " + e.err.Error()
}

// Unwrap returns the sentinel, if any, and the cause.
func (e *Error) Unwrap() []error {
	if e.sentinel == nil {
		return []error{e.err}
	}
	return []error{e.sentinel, e.err}
}

var (
	errNoMatch    = errors.New("no secret has this label")
	errNoDataKey  = errors.New("the secret has no such data key")
	errTooLarge   = errors.New("the answer is larger than the response budget")
	errBadBase64  = errors.New("the data key's value is not valid base64")
	errNotUTF8    = errors.New("the data key's value is not UTF-8 text")
	errNotAList   = errors.New("the answer is not a SecretList")
	errBadJSONDoc = errors.New("the answer is not valid JSON")
)

// find lists the secrets sel selects and returns dataKey's value in the
// first, as Airflow does.
//
// The request carries the credential and our User-Agent in place of Go's;
// no Accept: the API server answers JSON unless asked for another type.
func (b *Backend) find(ctx context.Context, sel, dataKey string) (string, error) {
	var secret string // the secret read, once one is
	fail := func(sentinel, err error) (string, error) {
		return "", &Error{Namespace: b.namespace, Selector: sel, DataKey: dataKey, Secret: secret, sentinel: sentinel, err: err}
	}
	// What url.Values{"labelSelector": {sel}, "resourceVersion": {"0"}}.Encode() gives.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.listURL+url.QueryEscape(sel)+"&resourceVersion=0", nil)
	if err != nil {
		return fail(nil, err)
	}
	req.Header.Set("User-Agent", "secretpath")
	var tok string
	if b.token != nil {
		if tok, err = b.token.token(); err != nil {
			return fail(nil, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fail(nil, fmt.Errorf("%w (%s)", ctxErr, transportText(err)))
		}
		if kit.Unanswered(err) {
			return fail(nil, kit.Unavailable(errors.New(transportText(err))))
		}
		return fail(nil, errors.New(transportText(err)))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The status is the answer: the first maxErrorBody bytes of the
		// body are read for a Status object, the rest is not (a proxy's
		// 403 page may be of any size, and is still a 403), nor is a body
		// that breaks off.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		ae := &APIError{StatusCode: resp.StatusCode}
		var st status
		if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
			// A server or proxy may echo the credential it refuses.
			ae.Reason, ae.Message = oneLine(mask(st.Reason, tok)), oneLine(mask(st.Message, tok))
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return fail(resolver.ErrPermissionDenied, ae)
		case resp.StatusCode == http.StatusNotFound:
			return fail(nil, fmt.Errorf("%w (is the namespace right, and the server URL the API server's?)", ae))
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			return fail(nil, kit.Unavailable(ae))
		}
		return fail(nil, ae)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, b.maxBytes+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fail(nil, fmt.Errorf("%w (reading the answer)", ctxErr))
		}
		return fail(nil, kit.Unavailable(fmt.Errorf("reading the answer: %s", transportText(err))))
	}
	if int64(len(body)) > b.maxBytes {
		return fail(nil, fmt.Errorf("%w (%d bytes)", errTooLarge, b.maxBytes))
	}
	var list secretList
	if err := json.Unmarshal(body, &list); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The lookup's time ran out while the answer came: a body cut
			// short (seen as an empty 200 under load in CI) is not the
			// server's fault.
			return fail(nil, fmt.Errorf("%w (reading the answer)", ctxErr))
		}
		return fail(nil, errBadJSONDoc)
	}
	if list.Kind != "" && list.Kind != "SecretList" {
		return fail(nil, errNotAList)
	}
	if len(list.Items) == 0 {
		b.logger.LogAttrs(ctx, slog.LevelDebug, "No secret found with label",
			slog.String("backend", Name), slog.String("label_selector", sel), slog.String("namespace", b.namespace))
		return fail(resolver.ErrNotFound, errNoMatch)
	}
	if len(list.Items) > 1 {
		names := make([]string, 0, min(len(list.Items), 5))
		for _, it := range list.Items[:min(len(list.Items), 5)] {
			names = append(names, it.Metadata.Name)
		}
		b.logger.LogAttrs(ctx, slog.LevelWarn, "Multiple secrets found with label; using the first one",
			slog.String("backend", Name), slog.String("label_selector", sel), slog.String("namespace", b.namespace),
			slog.Int("matches", len(list.Items)), slog.Any("secrets", names))
	}
	item := list.Items[0]
	secret = item.Metadata.Name
	raw, ok := item.Data[dataKey]
	if !ok {
		b.logger.LogAttrs(ctx, slog.LevelWarn, "Secret does not have the data key",
			slog.String("backend", Name), slog.String("secret", item.Metadata.Name), slog.String("data_key", dataKey),
			slog.String("namespace", b.namespace))
		return fail(resolver.ErrNotFound, errNoDataKey)
	}
	v, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return fail(nil, errBadBase64)
	}
	if !utf8.Valid(v) {
		return fail(nil, errNotUTF8)
	}
	return string(v), nil
}

// transportText is a transport error's text without the request URL
// (which holds nothing secret, but makes the message long), on one line.
func transportText(err error) string { return oneLine(kit.TransportError(err).Error()) }

// mask replaces every copy of secret in s with "***".
func mask(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "***")
}
