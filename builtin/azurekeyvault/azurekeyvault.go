package azurekeyvault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// Name is the backend's registered name.
const Name = "azure-key-vault"

// Airflow's defaults.
const (
	DefaultConnectionsPrefix = "airflow-connections"
	DefaultVariablesPrefix   = "airflow-variables"
	DefaultConfigPrefix      = "airflow-config"
	DefaultSep               = "-"
)

// DefaultTimeout bounds a lookup when Options.Timeout is 0 and the
// timeout_seconds kwarg is absent.
const DefaultTimeout = 10 * time.Second

// DefaultChangesPollInterval is how often the versions of a watched secret
// are listed when neither Options.ChangesPollInterval nor
// changes_poll_interval_seconds says otherwise: one request per watched
// secret (per 25 of its versions) a minute.
const DefaultChangesPollInterval = time.Minute

const className = "AzureKeyVaultBackend"

func init() {
	resolver.Register(resolver.Registration{
		Name: Name,
		Aliases: []string{
			"airflow.providers.microsoft.azure.secrets.key_vault." + className,
			"airflow.contrib.secrets.azure_key_vault." + className,
		},
		Doc:     "Azure Key Vault secrets (Airflow's AzureKeyVaultBackend)",
		Factory: open,
	})
}

// Kind is the former name of location.Location.
//
// Deprecated: use location.Location; Kind goes in the next release.
type Kind = location.Location

// Options configure a Backend built with New.
type Options struct {
	// VaultURL is the vault, https://<name>.vault.azure.net/. Required.
	VaultURL string
	// Credential authenticates to the vault; nil means
	// azidentity.NewDefaultAzureCredential with Client.ClientOptions.
	Credential azcore.TokenCredential
	// Client are the SDK client's options: transport, retries, API version,
	// DisableChallengeResourceVerification (for a vault behind a private
	// endpoint whose host does not end in the resource's domain, or a
	// local test server).
	Client azsecrets.ClientOptions
	// Where connections, variables and configs live: the zero Location is
	// Airflow's default prefix; a prefix is put before sep + id, with the
	// characters of sep stripped from its end and '_' and '.' becoming
	// sep; NoPrefix makes the secret name the id alone. LookupPattern is
	// not supported (an error).
	Connections, Variables, Configs location.Location
	// Sep joins prefix and id and replaces '_' and '.'; "" means "-". It
	// must be made of 0-9, a-z, A-Z and '-'.
	Sep string
	// Timeout bounds one lookup, token acquisition and the SDK's retries
	// included: 0 means DefaultTimeout, a negative value no bound but the
	// caller's context.
	Timeout time.Duration
	// MultiTeam is Airflow's [core] multi_team. When true, a connection or
	// variable lookup for a team reads the team's secret
	// <prefix><sep><team>--<id> first, then the global one; and an id
	// holding TeamSep once mapped (as teama__db gives) is not found without
	// a request, for every lookup, as newest Airflow does. When false (the
	// default, and Airflow's), a request's team is not read and such an id
	// is an ordinary id: aws__prod is read from
	// airflow-connections-aws--prod.
	MultiTeam bool
	// Logger receives a warning for each id refused as ambiguous (see
	// MultiTeam), as Airflow logs one; nil means slog.Default(). Built from
	// backend_kwargs, the backend logs to the factory's resolver.Env.Logger.
	Logger *slog.Logger

	// ChangesPollInterval is how often the backend, as a change source
	// (see Changes), lists the versions of the secrets the resolver
	// watches: 0 means DefaultChangesPollInterval, a negative value no
	// polls at all.
	ChangesPollInterval time.Duration
	// ChangesPollJitter is the most a poll is moved earlier or later at
	// random: 0 means ChangesPollInterval/10, a negative value none.
	ChangesPollJitter time.Duration
}

// Backend reads connections, variables and configs from Azure Key Vault
// secrets. It is safe for concurrent use.
type Backend struct {
	client  *azsecrets.Client
	namer   namer
	places  kit.Places // prefixes mapped (see namer.place)
	timeout time.Duration
	secrets []string // credentials to mask in errors
	logger  *slog.Logger
	poller  kit.Poller // Interval < 0: polls are off
	denied  sync.Map   // lower-cased secret names whose versions were refused, warned of once
}

// scheme: connections_prefix etc. and Airflow's defaults, the characters
// of sep stripped from a prefix's end; no lookup patterns.
func scheme(sep string) kit.Scheme {
	return kit.Scheme{
		Backend:  Name,
		Suffix:   "_prefix",
		Defaults: [3]string{DefaultConnectionsPrefix, DefaultVariablesPrefix, DefaultConfigPrefix},
		Trim:     sep,
	}
}

// New returns a Backend. It makes no request.
func New(o Options) (*Backend, error) {
	if err := checkVaultURL(o.VaultURL); err != nil {
		return nil, err
	}
	sep := o.Sep
	if sep == "" {
		sep = DefaultSep
	}
	n, err := newNamer(sep, o.MultiTeam)
	if err != nil {
		return nil, err
	}
	b := &Backend{namer: n, timeout: o.Timeout, logger: o.Logger}
	if b.logger == nil {
		b.logger = slog.Default()
	}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	if b.places, err = scheme(sep).Compile(kit.Locations{Connections: o.Connections, Variables: o.Variables, Configs: o.Configs}); err != nil {
		return nil, err
	}
	for _, p := range []*kit.Place{&b.places.Connections, &b.places.Variables, &b.places.Configs} {
		if err := n.place(p); err != nil {
			return nil, err
		}
	}
	cred := o.Credential
	if cred == nil {
		if cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: o.Client.ClientOptions}); err != nil {
			return nil, fmt.Errorf("%w: %s: DefaultAzureCredential: %s", config.ErrInvalid, Name, oneLine(err.Error(), 2*maxMessage))
		}
	}
	co := o.Client
	co.PerCallPolicies = append(append([]policy.Policy(nil), co.PerCallPolicies...), statusPolicy{})
	if b.client, err = azsecrets.NewClient(o.VaultURL, cred, &co); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", config.ErrInvalid, Name, oneLine(err.Error(), 2*maxMessage))
	}
	b.poller = kit.Poller{Interval: o.ChangesPollInterval, Jitter: o.ChangesPollJitter, Versions: b.versions}
	if b.poller.Interval == 0 {
		b.poller.Interval = DefaultChangesPollInterval
	}
	return b, nil
}

// Name returns "azure-key-vault".
func (b *Backend) Name() string { return Name }

// Lookup returns the value of secret <prefix><sep>id, the prefix being
// the connections, variables or config prefix as req.Kind says (see
// SecretNames). With Options.MultiTeam on and req.Team set, the team's
// secret is read first and the global one only when the vault answers
// that the team's does not exist (404); any other failure of the first
// request is the lookup's error, as in Airflow.
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	a := b.Answer(ctx, req)
	return a.Value, a.Err
}

var _ resolver.AnswerBackend = (*Backend)(nil)

// Answer is Lookup's answer (resolver.AnswerBackend) with the time the
// secret expires: the exp attribute of the version read (Key Vault's
// "expires", whole seconds), zero when it has none. It costs nothing: Get
// Secret's response carries it. The resolver, which calls Answer rather
// than Lookup, drops a cached answer when it expires, whatever its TTL.
func (b *Backend) Answer(ctx context.Context, req resolver.Request) resolver.Answer {
	if err := ctx.Err(); err != nil {
		return resolver.Answer{Err: err}
	}
	names, err := b.SecretNames(req)
	if err != nil {
		if errors.Is(err, kit.ErrTeamSepInID) || errors.Is(err, kit.ErrTeamDash) {
			b.logger.LogAttrs(ctx, slog.LevelWarn, "Azure Key Vault: ambiguous id, not looked up",
				slog.String("backend", Name), slog.String("kind", req.Kind.String()), slog.String("id", req.ID), slog.String("why", err.Error()))
		}
		return resolver.Answer{Err: err}
	}
	// One bound for the lookup, both requests included.
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	for _, name := range names[:len(names)-1] {
		a := b.get(ctx, name)
		if !errors.Is(a.Err, resolver.ErrNotFound) {
			return a
		}
	}
	return b.get(ctx, names[len(names)-1])
}

// SecretName returns the name of the global secret a lookup of req reads
// (the last of SecretNames), or an error matching resolver.ErrNotFound
// that says why no secret is read for it. It makes no request.
func (b *Backend) SecretName(req resolver.Request) (string, error) {
	names, err := b.SecretNames(req)
	if err != nil {
		return "", err
	}
	return names[len(names)-1], nil
}

// SecretNames returns the names of the secrets a lookup of req reads, in
// order: with Options.MultiTeam on and req.Team set, the team's
// (<prefix><sep><team>--<id>, for connections and variables) then the
// global one; else the global one alone. It returns an error matching
// resolver.ErrNotFound that says why no secret is read instead (the kind
// is off or unknown, the id is empty, holds TeamSep once mapped while
// Options.MultiTeam is on, or gives a name Key Vault cannot hold). It
// makes no request.
func (b *Backend) SecretNames(req resolver.Request) ([]string, error) {
	p, ok := b.places.For(req.Kind)
	if !ok {
		return nil, fmt.Errorf("%w: unknown kind %v", resolver.ErrNotFound, req.Kind)
	}
	return b.namer.names(p, req.Kind, req.ID, req.Team)
}

// get reads secret name's latest version (ctx carries the lookup's
// timeout): its value and expiry.
func (b *Backend) get(ctx context.Context, name string) resolver.Answer {
	var status int
	resp, err := b.client.GetSecret(context.WithValue(ctx, statusKey{}, &status), name, "", nil)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return resolver.Answer{Err: fmt.Errorf("secret %q: %w", name, cerr)}
		}
		return resolver.Answer{Err: b.wrap(name, status, err)}
	}
	if resp.Value == nil {
		return resolver.Answer{Err: &lookupError{err: errNoValue, msg: fmt.Sprintf("secret %q: %v", name, errNoValue)}}
	}
	a := resolver.Answer{Value: *resp.Value}
	if resp.Attributes != nil && resp.Attributes.Expires != nil {
		a.Expires = *resp.Attributes.Expires
	}
	return a
}

// statusKey is the context key under which statusPolicy records the
// vault's last HTTP status.
type statusKey struct{}

// statusPolicy records the status of the vault's answers (and of none of
// the credential's, which run in their own pipelines), so that an
// undecodable 200 body can be told from other failures without reading
// the SDK's error text.
type statusPolicy struct{}

func (statusPolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if p, ok := req.Raw().Context().Value(statusKey{}).(*int); ok && resp != nil {
		*p = resp.StatusCode
	}
	return resp, err
}
