// Command httpsecrets is the example secretpath backend "httpsecrets":
// connections, variables and configs fetched with the http capability from
// a tiny service, GET {url}/v1/{kind}/{id} with a bearer token. Its
// behaviour and protocol are specified in examples/custom-backend/README.md;
// build it with make (see ../README.md).
package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	secretpath "github.com/secretpath/secretpath/guest-sdk/go"
)

func init() { secretpath.Register(&backend{}) }

func main() {} // never called: the host runs _initialize, which runs init

type backend struct {
	base    string              // the url kwarg without its trailing slashes
	headers []secretpath.Header // the Authorization header, if any
}

func (b *backend) GetConnection(id string) (string, error) { return b.get("connections", id) }
func (b *backend) GetVariable(key string) (string, error)  { return b.get("variables", key) }
func (b *backend) GetConfig(key string) (string, error)    { return b.get("configs", key) }

func (b *backend) get(kind, id string) (string, error) {
	path := "/v1/" + kind + "/" + escape(id)
	resp, err := secretpath.HTTPRequest("GET", b.base+path, b.headers, nil)
	if err != nil {
		// The SDK's errors carry the status (UNAVAILABLE, PERMISSION_DENIED,
		// INVALID_ARGUMENT) and never the URL. Neither does this message: the
		// base URL may hold credentials.
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	if secretpath.LogEnabled(secretpath.LevelDebug) {
		secretpath.Log(secretpath.LevelDebug, fmt.Sprintf("GET %s: %d", path, resp.Status))
	}
	switch resp.Status {
	case 200:
		return string(resp.Body), nil
	case 404:
		return "", secretpath.ErrNotFound
	case 401, 403:
		return "", fmt.Errorf("GET %s: the service answered %d: %w", path, resp.Status, secretpath.ErrPermissionDenied)
	}
	return "", fmt.Errorf("GET %s: the service answered %d: %w", path, resp.Status, secretpath.ErrUnavailable)
}

// escape percent-encodes every byte of id outside A-Z a-z 0-9 - . _ ~.
func escape(id string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

func (b *backend) Init(kwargs []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(kwargs, &top); err != nil || top == nil {
		return invalid("the kwargs must be a JSON object")
	}
	for _, key := range slices.Sorted(maps.Keys(top)) {
		if key != "url" && key != "token" {
			return invalid("unknown key %q", key)
		}
	}
	var url, token string
	if raw := top["url"]; len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &url) != nil {
		return invalid(`"url" is required and must be a string`)
	}
	url = strings.TrimRight(url, "/")
	rest, ok := strings.CutPrefix(url, "http://")
	if !ok {
		rest, ok = strings.CutPrefix(url, "https://")
	}
	if !ok || rest == "" || strings.ContainsAny(url, "?#") {
		return invalid(`"url" must be an http:// or https:// URL with a host and no query or fragment`)
	}
	if raw, ok := top["token"]; ok && string(raw) != "null" {
		if raw[0] != '"' || json.Unmarshal(raw, &token) != nil {
			return invalid(`"token" must be a string or null`)
		}
		if strings.ContainsAny(token, "\r\n\x00") {
			return invalid(`"token" contains a line break or NUL`)
		}
	}
	b.base, b.headers = url, nil
	if token != "" {
		b.headers = []secretpath.Header{{Name: "Authorization", Value: "Bearer " + token}}
	}
	return nil
}

// invalid is a kwargs error: INVALID_ARGUMENT. Messages name keys, never values.
func invalid(format string, args ...any) error {
	return fmt.Errorf("httpsecrets: "+format+": %w", append(args, secretpath.ErrInvalidArgument)...)
}
