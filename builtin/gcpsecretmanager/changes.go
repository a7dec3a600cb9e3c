package gcpsecretmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.ChangeSource = (*Backend)(nil)

// Changes makes the backend a resolver.ChangeSource: every
// Options.ChangesPollInterval (± the jitter) it reads the metadata of the
// latest version of each secret the resolver watches, never its payload,
// and reports the requests whose secret changed (see "Change events" in
// the package doc). With a negative interval it reports that its stream is
// established and then waits for ctx to end.
func (b *Backend) Changes(ctx context.Context, watched func() []resolver.Request, emit func(resolver.Event)) error {
	if b.poller.Interval < 0 {
		emit(resolver.Event{All: true})
		<-ctx.Done()
		return ctx.Err()
	}
	return b.poller.Run(ctx, watched, emit)
}

// Version strings of a secret a poll reads without an answer to compare.
const (
	// versionDenied: PERMISSION_DENIED on GetSecretVersion (the caller may
	// access the payload but not read metadata, or the secret may not
	// exist). Stable, so that it is not a change from one poll to the next.
	versionDenied = "denied"
	// versionInvalid: a name the service refuses (not sent), or an
	// INVALID_ARGUMENT answer.
	versionInvalid = "invalid"
)

// pollParallel is how many GetSecretVersion requests a poll has in flight.
const pollParallel = 8

// versions is the poller's Versions: for each request, the state of the
// secrets its lookup reads (the team's, then the global one), from one
// GetSecretVersion request per distinct secret. A request the lookup
// answers without a request (its kind off, an id the prefix's pattern or
// the team rules refuse) has no entry.
func (b *Backend) versions(ctx context.Context, reqs []resolver.Request) (map[resolver.Request]string, error) {
	type plan struct {
		req   resolver.Request
		names [2]string
		n     int
	}
	plans := make([]plan, 0, len(reqs))
	var names []string
	seen := map[string]bool{}
	for _, req := range reqs {
		p, ok := b.places.For(req.Kind)
		if !ok || !p.Match(req.ID) || b.ambiguous(req) != nil {
			continue
		}
		urls, n := b.urls(p, req)
		pl := plan{req: req, n: n}
		for i, target := range urls[:n] {
			name := b.nameIn(target)
			pl.names[i] = name
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
		plans = append(plans, pl)
	}
	got, err := b.fetchVersions(ctx, names)
	if err != nil {
		return nil, err
	}
	out := make(map[resolver.Request]string, len(plans))
	for _, pl := range plans {
		if pl.n == 1 {
			out[pl.req] = got[pl.names[0]]
			continue
		}
		team, global := got[pl.names[0]], got[pl.names[1]]
		if team != "" || global != "" {
			out[pl.req] = "team:" + team + "|global:" + global
		}
	}
	return out, nil
}

// fetchVersions reads the latest version's metadata of each secret in
// names, pollParallel at a time; the first failure cancels the others and
// is returned.
func (b *Backend) fetchVersions(ctx context.Context, names []string) (map[string]string, error) {
	return kit.PollVersions(ctx, names, pollParallel, b.secretVersion)
}

// secretVersion returns the version string of secret name's latest
// version: its number and state ("7 ENABLED"), "" when the secret does
// not exist or has no version, versionDenied or versionInvalid. A new
// version changes the number; disabling, enabling or destroying the
// latest one changes the state. Any other failure (after the lookup's
// retries, within its timeout) is an error naming the secret.
func (b *Backend) secretVersion(ctx context.Context, name string) (string, error) {
	if !validSecretID(name) {
		return versionInvalid, nil
	}
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	target := b.secretsURL + name + "/versions/latest"
	v, err := withRetries(ctx, b, func() (string, error) { return b.getVersionOnce(ctx, target) })
	if err == nil {
		return v, nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case "NOT_FOUND":
			return "", nil
		case "PERMISSION_DENIED":
			if _, warned := b.denied.LoadOrStore(name, true); warned {
				return versionDenied, nil
			}
			b.logger.LogAttrs(ctx, slog.LevelWarn, "GCP Secret Manager: reading a version's metadata was refused; changes of the secret are not seen (grant secretmanager.versions.get, for instance roles/secretmanager.viewer)",
				slog.String("backend", Name), slog.String("secret", name), slog.String("message", ae.Message))
			return versionDenied, nil
		case "INVALID_ARGUMENT":
			return versionInvalid, nil
		}
	}
	e := &Error{Secret: name, err: fmt.Errorf("reading the latest version's metadata: %w", err)}
	if unavailable(err) {
		e.err = kit.Unavailable(e.err)
	}
	return "", e
}

// getVersionOnce sends one GetSecretVersion request (REST: GET
// /v1/{name=projects/*/secrets/*/versions/*}) and returns the version
// string of its SecretVersion answer.
func (b *Backend) getVersionOnce(ctx context.Context, target string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", err
	}
	req.Header["User-Agent"] = userAgentValue
	if b.tokens != nil {
		tok, err := b.tokens.token(ctx)
		if err != nil {
			return "", err
		}
		req.Header["Authorization"] = tok.auth
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	rb := kit.GetBody()
	defer rb.Put()
	over, err := rb.Read(resp.Body, maxBody)
	if err == nil && over {
		err = errTooLarge
	}
	if err != nil {
		return "", fmt.Errorf("reading the response (HTTP %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", parseAPIError(resp.StatusCode, rb.Bytes())
	}
	return decodeVersion(rb.Bytes())
}

// decodeVersion reads a SecretVersion (proto3 JSON): its name, whose last
// segment is the version's number ("latest" resolved), and its state.
// Nothing else is read; the resource holds no payload.
func decodeVersion(body []byte) (string, error) {
	var doc struct {
		Name  *string `json:"name"`
		State *string `json:"state"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("%w: %s", errDecode, jsonWhere(err))
	}
	if doc.Name == nil || *doc.Name == "" {
		return "", fmt.Errorf("%w: no version name: not a SecretVersion", errDecode)
	}
	i := strings.LastIndex(*doc.Name, "/versions/")
	if i < 0 || !strings.HasPrefix(*doc.Name, "projects/") || !positiveNumber((*doc.Name)[i+len("/versions/"):]) {
		return "", fmt.Errorf("%w: the version name is not projects/*/secrets/*/versions/<number>", errDecode)
	}
	state := "STATE_UNSPECIFIED" // proto3 JSON leaves out the zero value
	if doc.State != nil && *doc.State != "" {
		state = clean(*doc.State)
	}
	return (*doc.Name)[i+len("/versions/"):] + " " + state, nil
}

func positiveNumber(s string) bool {
	if s == "" || len(s) > 20 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
