package azurekeyvault

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.ChangeSource = (*Backend)(nil)

// Changes makes the backend a resolver.ChangeSource: every
// Options.ChangesPollInterval (± the jitter) it lists the versions of each
// secret the resolver watches (their ids and attributes, never a value)
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

// versionDenied is the version string of a secret whose versions the
// vault refused to list (403): stable, so that it is not a change from one
// poll to the next.
const versionDenied = "denied"

// pollParallel is how many secrets a poll lists at once.
const pollParallel = 8

// versions is the poller's Versions: for each request, the versions of
// the secrets its lookup reads (the team's, then the global one), listed
// once per distinct secret per poll. A request the lookup answers without
// a request (see SecretNames) has no entry.
func (b *Backend) versions(ctx context.Context, reqs []resolver.Request) (map[resolver.Request]string, error) {
	type plan struct {
		req   resolver.Request
		names []string
	}
	plans := make([]plan, 0, len(reqs))
	var names []string
	seen := map[string]bool{}
	for _, req := range reqs {
		ns, err := b.SecretNames(req)
		if err != nil {
			continue
		}
		for _, name := range ns {
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
		plans = append(plans, plan{req: req, names: ns})
	}
	got, err := b.listAll(ctx, names)
	if err != nil {
		return nil, err
	}
	out := make(map[resolver.Request]string, len(plans))
	for _, pl := range plans {
		if len(pl.names) == 1 {
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

// listAll lists the versions of each secret in names, pollParallel at a
// time; the first failure cancels the others and is returned.
func (b *Backend) listAll(ctx context.Context, names []string) (map[string]string, error) {
	return kit.PollVersions(ctx, names, pollParallel, b.secretVersions)
}

// secretVersions returns the version string of secret name: a digest of
// every version's id and attributes (enabled, created, updated, expiry and
// not-before), "" when the secret has no version (an empty list or 404),
// or versionDenied (403). Setting a secret adds a version, and disabling
// or updating one changes its attributes: each changes the digest. All
// pages are read within one lookup's timeout; the SDK retries throttling
// and 5xx answers as for a lookup. Any other failure is an error naming
// the secret.
func (b *Backend) secretVersions(ctx context.Context, name string) (string, error) {
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	var status int
	ctx = context.WithValue(ctx, statusKey{}, &status)
	var lines []string
	pager := b.client.NewListSecretPropertiesVersionsPager(name, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return b.listFailed(ctx, name, status, err)
		}
		for _, p := range page.Value {
			lines = append(lines, describeVersion(p))
		}
	}
	if len(lines) == 0 {
		return "", nil
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return strconv.Itoa(len(lines)) + " " + hex.EncodeToString(sum[:16]), nil
}

// describeVersion is one version's line in the digest: its id and the
// attributes that decide what GetSecret answers.
func describeVersion(p *azsecrets.SecretProperties) string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	if p.ID != nil {
		b.WriteString(string(*p.ID))
	}
	if a := p.Attributes; a != nil {
		if a.Enabled != nil {
			fmt.Fprintf(&b, " enabled=%t", *a.Enabled)
		}
		for _, t := range []struct {
			k string
			v *time.Time
		}{{"created", a.Created}, {"updated", a.Updated}, {"exp", a.Expires}, {"nbf", a.NotBefore}} {
			if t.v != nil {
				fmt.Fprintf(&b, " %s=%d", t.k, t.v.Unix())
			}
		}
	}
	return b.String()
}

// listFailed maps a failed page of name's versions: 404 is "no version",
// 403 versionDenied (warned of once per secret), anything else the
// poll's error.
func (b *Backend) listFailed(ctx context.Context, name string, status int, err error) (string, error) {
	if cerr := ctx.Err(); cerr != nil {
		return "", fmt.Errorf("secret %q: listing its versions: %w", name, cerr)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusNotFound:
			return "", nil
		case http.StatusForbidden:
			if _, warned := b.denied.LoadOrStore(strings.ToLower(name), true); !warned {
				b.logger.LogAttrs(ctx, slog.LevelWarn, "Azure Key Vault: listing a secret's versions was refused; its changes are not seen (grant the secrets List permission, or the Key Vault Secrets User role)",
					slog.String("backend", Name), slog.String("secret", name), slog.String("error", b.wrap(name, status, err).Error()))
			}
			return versionDenied, nil
		}
	}
	werr := b.wrap(name, status, err)
	var le *lookupError
	if errors.As(werr, &le) {
		le.msg = strings.Replace(le.msg, fmt.Sprintf("secret %q: ", name), fmt.Sprintf("secret %q: listing its versions: ", name), 1)
	}
	return "", werr
}
