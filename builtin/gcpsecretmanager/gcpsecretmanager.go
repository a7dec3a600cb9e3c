// Package gcpsecretmanager is the Google Cloud Secret Manager backend:
// Airflow's CloudSecretManagerBackend
// (airflow.providers.google.cloud.secrets.secret_manager), over Secret
// Manager's REST API with golang.org/x/oauth2/google for credentials.
//
// Importing the package registers it as "gcp-secret-manager", with
// Airflow's class paths
// airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend
// and airflow.contrib.secrets.gcp_secrets_manager.CloudSecretsManagerBackend
// as aliases.
//
// # Names
//
// Connection conn_id is the latest version of secret connections_prefix +
// sep + conn_id (default airflow-connections-smtp_default), that is
// projects/<project>/secrets/<name>/versions/latest. There is no special
// case for an empty prefix: "" with sep "-" gives "-smtp_default", as in
// Airflow. Variables and configs work the same way under airflow-variables
// and airflow-config. The payload is returned as UTF-8 text; when the
// response carries a CRC32C checksum (dataCrc32c) it is verified, and a
// mismatch is an error matching ErrChecksum (the Go client libraries do not
// check it).
//
// Not found, as in Airflow: NOT_FOUND, PERMISSION_DENIED and
// INVALID_ARGUMENT answers (the last two are logged at error level with the
// secret's name, as Airflow logs them). Everything else is an error: the
// resolver logs it and asks the next tier. Those errors are only read from
// Google's JSON error documents: a 404 page from a proxy or a wrong
// endpoint is an error, not a miss.
//
// # Teams
//
// With [core] multi_team on in the config file (Options.MultiTeam in Go;
// off by default), as newest Airflow does (PRs #70869, #71078):
//
//   - a connection or variable lookup for a team reads the team's secret
//     first, connections_prefix + sep + team + "--" + conn_id, the id
//     verbatim (team_a's smtp_default is
//     airflow-connections-team_a--smtp_default), and the global secret when
//     the team's is not found (NOT_FOUND, PERMISSION_DENIED or
//     INVALID_ARGUMENT, as above); any other failure is the lookup's error.
//     A config has no team;
//   - a connection or variable id holding "--" is not found without a
//     request, for every lookup, with a team or without, and a warning is
//     logged: team a's id b--c and team a--b's id c are one name. Config
//     keys are not refused (Airflow's test_config_lookup_is_not_team_scoped);
//   - secretpath's addition: a team's lookup of an id starting with '-' is
//     refused the same way (team x's -y and team x-'s y are both x---y;
//     Airflow reads it). With both rules a team's secret name splits one
//     way only, at its last "--".
//
// With multi_team off, a lookup's team is not read and an id holding "--"
// is an ordinary id.
//
// # backend_kwargs
//
//	connections_prefix, variables_prefix, config_prefix
//	    absent: Airflow's default; null: that kind is never looked up (no
//	    request); "": no prefix (the name starts with sep).
//	sep                joins prefix and id (default "-"; "" joins them
//	                   directly). connections_prefix + sep must match
//	                   ^[a-zA-Z0-9-_]*$, as Airflow requires.
//	project_id         the project holding the secrets (default: from the
//	                   credentials, below).
//	gcp_key_path       a service-account JSON key file (.json).
//	gcp_keyfile_dict   a service-account key as a JSON object (or a string
//	                   holding one); the two characters \n in private_key
//	                   become newlines, as Airflow does.
//	gcp_credential_config_file
//	                   a credential configuration: a path, or the JSON itself
//	                   (a string starting with "{" or an object). Types
//	                   service_account, authorized_user, external_account
//	                   (workload identity federation),
//	                   external_account_authorized_user and
//	                   impersonated_service_account.
//	gcp_scopes         OAuth scopes, comma-separated (or a list); default
//	                   https://www.googleapis.com/auth/cloud-platform.
//	impersonation_chain
//	                   a service account to impersonate, or a list whose last
//	                   element is impersonated through the others
//	                   (delegates), with IAM Credentials' generateAccessToken.
//	endpoint           Secret Manager's base URL (default
//	                   https://secretmanager.googleapis.com): a private
//	                   endpoint, a proxy, or a test server. Not in Airflow.
//
// gcp_key_path, gcp_keyfile_dict and gcp_credential_config_file are mutually
// exclusive; without any of them the backend uses Application Default
// Credentials: GOOGLE_APPLICATION_CREDENTIALS, then gcloud's
// application_default_credentials.json, then the GCE metadata server
// (GCE_METADATA_HOST overrides its address). Any other key is a
// configuration error that names it.
//
// The project is project_id, else the impersonated service account's
// project (from its address, name@PROJECT.iam.gserviceaccount.com), else,
// for Application Default Credentials, GOOGLE_CLOUD_PROJECT or
// GCLOUD_PROJECT, else the credentials' project (a key file's project_id,
// the metadata server's project); with none of these the backend is not
// built (a configuration error).
//
// # Errors
//
// Errors name the secret and carry the service's status and message
// (errors.As finds *Error and *APIError); they never contain a payload, a
// token or a key. PERMISSION_DENIED does not match
// resolver.ErrPermissionDenied: it is a miss here, as in Airflow, so
// resolver.WithFailClosed does not apply. A lookup is bounded by a 10 s
// timeout; it retries UNAVAILABLE and RESOURCE_EXHAUSTED answers (as
// Google's client libraries do) and requests that got no answer, 3
// attempts in all. UNAVAILABLE, RESOURCE_EXHAUSTED, any HTTP 429 or 5xx
// answer and a refused connection are marked codes.Unavailable, which
// resolver.Code reports.
//
// # Change events
//
// The backend is a resolver.ChangeSource (see Backend.Changes): while a
// resolver has a cache or a Watcher, the backend polls, for each secret a
// watched or cached request reads, the metadata of the version "latest"
// resolves to: GetSecretVersion,
// GET v1/projects/P/secrets/S/versions/latest. Its answer names the
// resolved version by number and gives its state, and holds no payload.
// A new version changes the number; disabling, enabling or destroying the
// latest version changes the state; a deleted secret (NOT_FOUND) is a
// change to "absent". Each is reported for the requests that read the
// secret, and the resolver reads them again. The Secret's own metadata
// (GET .../secrets/S: etag, versionAliases) was not chosen: it does not
// say which version "latest" is, and its etag is not documented to change
// when a version is added.
//
// Cost: one request per watched secret per interval (a team's request
// reads two secrets, the team's and the global one, as its lookup does;
// a secret watched by several requests is read once per poll), 8 at a
// time, each with a lookup's timeout and retries.
//
//	changes_poll_interval_seconds
//	    seconds between polls (default 60: one request per watched secret
//	    a minute; at most 86400). A negative value switches polls off:
//	    the backend then reports nothing and a cached answer lives for
//	    the cache's TTL.
//	changes_poll_jitter_seconds
//	    the most a poll is moved earlier or later at random (default a
//	    tenth of the interval; 0 for none; at most the interval).
//
// (Options.ChangesPollInterval and ChangesPollJitter in Go.)
//
// Permissions: GetSecretVersion needs secretmanager.versions.get, which
// roles/secretmanager.viewer grants and roles/secretmanager.secretAccessor
// (enough for lookups) does not. Without it, the poll's PERMISSION_DENIED
// for a secret is not a failure: the secret's version is taken as
// "denied", a warning naming it is logged once, and its changes are not
// seen. Any other failure of a poll (UNAVAILABLE or RESOURCE_EXHAUSTED
// after the retries, a 5xx, the network, an expired credential) ends the
// change stream with an error naming the secret: the resolver drops the
// answers the backend gave and polls again after a back-off.
//
// # Expiry
//
// The backend is a resolver.AnswerBackend: a resolver with a cache drops
// an answer at its Answer.Expires, whatever its TTL, never serves it past
// that time, and a Watcher looks again then. AccessSecretVersion does not
// say when the secret expires or rotates (the Secret resource does), so
// this costs a request and is off by default:
//
//	expire_at_next_rotation
//	    true: after each found secret's value (not after a not-found or a
//	    failure), one GetSecret request (GET .../secrets/S: metadata, no
//	    payload) for that secret, within the lookup's timeout and
//	    retries. Expires is then the earlier of the secret's expireTime
//	    (when Secret Manager deletes it) and rotation.nextRotationTime,
//	    zero when it has neither. Default false: no extra request,
//	    Expires zero. (Options.ExpireAtNextRotation in Go.)
//
// At nextRotationTime Secret Manager only notifies the secret's Pub/Sub
// topics; the new version comes when the rotation's subscriber adds it.
// The lookup made at that time may still read the old version, which is
// then cached with the next rotation time: change polls (on by default,
// see "Change events") report the new version when it comes. The request
// needs secretmanager.secrets.get (roles/secretmanager.viewer grants it;
// roles/secretmanager.secretAccessor does not). A refused or failed
// GetSecret does not fail the lookup: the value is answered with no
// Expires (kept for the cache's TTL) and a warning is logged, once per
// secret for PERMISSION_DENIED. With a cache, the cost is one GetSecret
// per found secret per cache miss.
//
// # Deliberate differences from Airflow
//
//   - A name that is not a valid secret id (letters, digits, '-' and '_', at
//     most 255) is not found without a request; Airflow sends it and gets
//     INVALID_ARGUMENT, with the same outcome and log. An empty id is not
//     found without a request.
//   - Credentials that cannot be loaded are a configuration error when the
//     backend is built; Airflow logs them and fails every lookup.
//   - The impersonated account's project is read only from addresses ending
//     in .iam.gserviceaccount.com; Airflow takes whatever follows the "@".
//   - gcp_key_path, gcp_keyfile_dict and gcp_credential_config_file are
//     checked when the backend is built (type, client_email, a parseable
//     private key), not at the first lookup.
//   - Secret Manager is reached over REST (HTTP/1.1 or HTTP/2), not gRPC.
package gcpsecretmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// Name is the backend's registered name.
const Name = "gcp-secret-manager"

// Airflow's defaults.
const (
	DefaultConnectionsPrefix = "airflow-connections"
	DefaultVariablesPrefix   = "airflow-variables"
	DefaultConfigPrefix      = "airflow-config"
	DefaultSep               = "-"
	// DefaultScope is the OAuth scope asked for when none is given.
	DefaultScope = "https://www.googleapis.com/auth/cloud-platform"
)

// Endpoints.
const (
	DefaultEndpoint               = "https://secretmanager.googleapis.com"
	DefaultIAMCredentialsEndpoint = "https://iamcredentials.googleapis.com"
)

// Lookup bounds, used when the Options leave them 0.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 3
	DefaultRetryDelay  = 250 * time.Millisecond
	// DefaultChangesPollInterval is how often the version metadata of a
	// watched secret is read when neither Options.ChangesPollInterval nor
	// changes_poll_interval_seconds says otherwise: one GetSecretVersion
	// request per watched secret a minute.
	DefaultChangesPollInterval = time.Minute
)

func init() {
	resolver.Register(resolver.Registration{
		Name: Name,
		Aliases: []string{
			"airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend",
			"airflow.contrib.secrets.gcp_secrets_manager.CloudSecretsManagerBackend",
		},
		Doc:     "Google Cloud Secret Manager (Airflow's CloudSecretManagerBackend)",
		Factory: open,
	})
}

// Kind is the former name of location.Location.
//
// Deprecated: use location.Location; Kind goes in the next release.
type Kind = location.Location

// Options configure a Backend built with New.
type Options struct {
	// ProjectID is the project holding the secrets; "" means the
	// impersonated account's project, else GOOGLE_CLOUD_PROJECT or
	// GCLOUD_PROJECT when Credentials is nil, else Credentials' project.
	ProjectID string
	// Credentials authenticate requests; nil means Application Default
	// Credentials with Scopes.
	Credentials *google.Credentials
	// Scopes for Application Default Credentials and impersonation; nil
	// means DefaultScope.
	Scopes []string
	// ImpersonationChain, when not empty, impersonates its last element,
	// through the others as delegates, with IAM Credentials.
	ImpersonationChain []string
	// WithoutAuthentication sends requests without credentials (an
	// emulator or a test server); Credentials and ImpersonationChain must
	// then be unset.
	WithoutAuthentication bool

	// Endpoint is Secret Manager's base URL; "" means DefaultEndpoint. A
	// bare host[:port] means https.
	Endpoint string
	// IAMCredentialsEndpoint is IAM Credentials' base URL for
	// impersonation; "" means DefaultIAMCredentialsEndpoint.
	IAMCredentialsEndpoint string
	// HTTPClient sends the requests, token requests included; nil means a
	// client of its own (http.DefaultTransport's settings, more idle
	// connections; token requests time out after 30 s).
	HTTPClient *http.Client

	// Where connections, variables and configs live: the zero Location is
	// Airflow's default prefix; the secret is prefix + sep + id, the
	// prefix as given (nothing stripped); NoPrefix makes it sep + id.
	// LookupPattern is not supported (an error).
	Connections, Variables, Configs location.Location
	// Sep joins prefix and id; "" means DefaultSep unless NoSep is set.
	Sep string
	// NoSep joins prefix and id with nothing between (Airflow's sep "").
	NoSep bool

	// Timeout bounds one lookup, retries included: 0 means DefaultTimeout,
	// a negative value no bound but the caller's context.
	Timeout time.Duration
	// MaxAttempts is how many times a request is sent when the service is
	// unavailable or throttles: 0 means DefaultMaxAttempts, 1 no retry.
	MaxAttempts int
	// RetryDelay is the wait before the first retry, doubled for each
	// further one, with jitter: 0 means DefaultRetryDelay.
	RetryDelay time.Duration

	// Logger receives the PERMISSION_DENIED and INVALID_ARGUMENT answers
	// treated as "not found" (error level, as Airflow logs them), NOT_FOUND
	// (debug level) and the ids refused as ambiguous (warning level, see
	// MultiTeam); nil means slog.Default(). Built from backend_kwargs, the
	// backend logs to the factory's resolver.Env.Logger.
	Logger *slog.Logger

	// MultiTeam is Airflow's [core] multi_team (read from the config file
	// when built from backend_kwargs). When true, a connection or variable
	// lookup for a team reads the team's secret
	// <prefix><sep><team>--<id> first, then the global one; and a
	// connection or variable id holding TeamSep is not found without a
	// request, for every lookup, as newest Airflow does. When false (the
	// default), a request's team is not read and such an id is ordinary.
	MultiTeam bool

	// ChangesPollInterval is how often the backend, as a change source
	// (see Changes), reads the version metadata of the secrets the
	// resolver watches: 0 means DefaultChangesPollInterval, a negative
	// value no polls at all.
	ChangesPollInterval time.Duration
	// ChangesPollJitter is the most a poll is moved earlier or later at
	// random: 0 means ChangesPollInterval/10, a negative value none.
	ChangesPollJitter time.Duration

	// ExpireAtNextRotation (kwarg expire_at_next_rotation) makes each
	// found secret's answer carry the earlier of the secret's expireTime
	// and rotation.nextRotationTime as resolver.Answer.Expires, at the cost
	// of one GetSecret request per found secret and lookup (see "Expiry"
	// in the package doc).
	ExpireAtNextRotation bool
}

// TeamSep separates the team from the id in a team's secret name,
// <prefix><sep><team>--<id> (Airflow's TEAM_SEP).
const TeamSep = kit.TeamSep

// Backend reads connections, variables and configs from Google Cloud
// Secret Manager. It is safe for concurrent use.
type Backend struct {
	endpoint   string // base URL, no trailing slash
	project    string
	secretsURL string // endpoint + "/v1/projects/<project>/secrets/", the project escaped
	places     kit.Places
	sep        string
	client     *http.Client
	tokens     *tokenCache // nil: no authentication
	timeout    time.Duration
	attempts   int
	retryDelay time.Duration
	logger     *slog.Logger
	multiTeam  bool
	poller     kit.Poller // Interval < 0: polls are off
	denied     sync.Map   // secret names whose metadata was refused, warned of once

	expireAtRotation bool     // Options.ExpireAtNextRotation
	expiryDenied     sync.Map // secret names whose GetSecret was refused, warned of once
}

// scheme: connections_prefix etc. and Airflow's defaults; nothing is
// stripped from a prefix, and there are no lookup patterns.
var scheme = kit.Scheme{
	Backend:  Name,
	Suffix:   "_prefix",
	Defaults: [3]string{DefaultConnectionsPrefix, DefaultVariablesPrefix, DefaultConfigPrefix},
}

// validPrefixSep reports whether s matches Airflow's SECRET_ID_PATTERN,
// ^[a-zA-Z0-9-_]*$, which connections_prefix + sep must match.
//
// It and validSecretID are loops rather than regexps: a lookup checks
// every secret name it would send, and a compiled regexp is a package
// init cost for every program that links the backend (the CLI's start).
func validPrefixSep(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validSecretID reports whether the service accepts s as a secret id:
// ^[a-zA-Z0-9_-]{1,255}$.
func validSecretID(s string) bool { return len(s) >= 1 && len(s) <= 255 && validPrefixSep(s) }

// New returns a Backend. Without o.Credentials it looks for Application
// Default Credentials, which may ask the metadata server for the project;
// it sends no request to Secret Manager.
func New(ctx context.Context, o Options) (*Backend, error) {
	b := &Backend{
		client:     o.HTTPClient,
		sep:        o.Sep,
		timeout:    o.Timeout,
		attempts:   o.MaxAttempts,
		retryDelay: o.RetryDelay,
		logger:     o.Logger,
		multiTeam:  o.MultiTeam,

		expireAtRotation: o.ExpireAtNextRotation,
	}
	if b.sep == "" && !o.NoSep {
		b.sep = DefaultSep
	}
	if o.NoSep && o.Sep != "" {
		return nil, fmt.Errorf("%w: %s: Sep and NoSep are both set", config.ErrInvalid, Name)
	}
	var err error
	if b.places, err = scheme.Compile(kit.Locations{Connections: o.Connections, Variables: o.Variables, Configs: o.Configs}); err != nil {
		return nil, err
	}
	if c := b.places.Connections; c.On && !validPrefixSep(c.Prefix+b.sep) {
		return nil, fmt.Errorf("%w: %s: connections_prefix %q + sep %q must match %s (letters, digits, '-' and '_'), as Airflow requires",
			config.ErrInvalid, Name, c.Prefix, b.sep, "^[a-zA-Z0-9-_]*$")
	}
	if b.client == nil {
		b.client = defaultClient()
	}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	if b.attempts <= 0 {
		b.attempts = DefaultMaxAttempts
	}
	if b.retryDelay <= 0 {
		b.retryDelay = DefaultRetryDelay
	}
	if b.logger == nil {
		b.logger = slog.Default()
	}
	if b.endpoint, err = baseURL(o.Endpoint, DefaultEndpoint, "endpoint"); err != nil {
		return nil, err
	}
	iam, err := baseURL(o.IAMCredentialsEndpoint, DefaultIAMCredentialsEndpoint, "IAM Credentials endpoint")
	if err != nil {
		return nil, err
	}
	scopes := o.Scopes
	if len(scopes) == 0 {
		scopes = []string{DefaultScope}
	}
	for _, p := range o.ImpersonationChain {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("%w: %s: impersonation_chain holds an empty service account", config.ErrInvalid, Name)
		}
	}

	creds, adc := o.Credentials, false
	switch {
	case o.WithoutAuthentication:
		if creds != nil || len(o.ImpersonationChain) > 0 {
			return nil, fmt.Errorf("%w: %s: WithoutAuthentication excludes Credentials and ImpersonationChain", config.ErrInvalid, Name)
		}
	case creds == nil:
		adc = true
		creds, err = google.FindDefaultCredentialsWithParams(authContext(ctx, o.HTTPClient), google.CredentialsParams{Scopes: scopes})
		if err != nil {
			return nil, fmt.Errorf("%w: %s: no credentials: Application Default Credentials were not found or did not load: %s",
				config.ErrInvalid, Name, clean(err.Error()))
		}
	}
	var ts oauth2.TokenSource
	if creds != nil {
		if creds.TokenSource == nil {
			return nil, fmt.Errorf("%w: %s: Credentials without a TokenSource", config.ErrInvalid, Name)
		}
		ts = creds.TokenSource
	}
	if n := len(o.ImpersonationChain); n > 0 {
		ts = newImpersonator(authContext(ctx, o.HTTPClient), tokenClient(o.HTTPClient), iam, ts,
			o.ImpersonationChain[n-1], o.ImpersonationChain[:n-1], scopes)
	}
	if ts != nil {
		b.tokens = newTokenCache(ts)
	}

	var envProject string
	if adc {
		envProject = firstEnv("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")
	}
	switch {
	case o.ProjectID != "":
		b.project = o.ProjectID
	case len(o.ImpersonationChain) > 0 && projectOfServiceAccount(o.ImpersonationChain[len(o.ImpersonationChain)-1]) != "":
		b.project = projectOfServiceAccount(o.ImpersonationChain[len(o.ImpersonationChain)-1])
	case envProject != "":
		b.project = envProject
	case creds != nil && creds.ProjectID != "":
		b.project = creds.ProjectID
	default:
		return nil, fmt.Errorf("%w: %s: no project: set project_id (or GOOGLE_CLOUD_PROJECT), or use credentials that name one",
			config.ErrInvalid, Name)
	}
	b.secretsURL = b.endpoint + "/v1/projects/" + url.PathEscape(b.project) + "/secrets/"
	b.poller = kit.Poller{Interval: o.ChangesPollInterval, Jitter: o.ChangesPollJitter, Versions: b.versions}
	if b.poller.Interval == 0 {
		b.poller.Interval = DefaultChangesPollInterval
	}
	return b, nil
}

// defaultClient keeps more idle connections to the endpoint than
// http.DefaultTransport's 2, so that concurrent lookups reuse them.
func defaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}

// baseURL checks an endpoint and returns it without a trailing slash.
func baseURL(s, def, what string) (string, error) {
	if s == "" {
		return def, nil
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		// The text is not quoted: it could hold credentials.
		return "", fmt.Errorf("%w: %s: %s must be an http or https URL (or host[:port]) without user info, query or fragment",
			config.ErrInvalid, Name, what)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// projectOfServiceAccount returns PROJECT from
// name@PROJECT.iam.gserviceaccount.com, or "".
func projectOfServiceAccount(email string) string {
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	p, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com")
	if !ok || p == "" || strings.Contains(p, ".") {
		return ""
	}
	return p
}

// Name returns "gcp-secret-manager".
func (b *Backend) Name() string { return Name }

// ProjectID returns the project the backend reads from.
func (b *Backend) ProjectID() string { return b.project }

// Lookup returns the latest version of secret <prefix><sep>id, the prefix
// being the connections, variables or config prefix as req.Kind says.
// With Options.MultiTeam on and req.Team set, a connection or variable is
// first read from the team's secret <prefix><sep><team>--<id>, and from
// the global one when the team's is not found (NOT_FOUND, and the
// PERMISSION_DENIED and INVALID_ARGUMENT answers Airflow treats as
// absent); any other failure is the lookup's error. Both requests share
// one timeout.
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	v, _, err := b.lookup(ctx, req)
	return v, err
}

// lookup is Lookup, also returning the AccessSecretVersion URL of the
// secret that answered ("" when no request was made).
func (b *Backend) lookup(ctx context.Context, req resolver.Request) (string, string, error) {
	p, ok := b.places.For(req.Kind)
	if !ok {
		if err := ctx.Err(); err != nil {
			return "", "", err
		}
		return "", "", fmt.Errorf("%w: %s holds no %v", resolver.ErrNotFound, Name, req.Kind)
	}
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	if !p.Match(req.ID) {
		return "", "", resolver.ErrNotFound
	}
	if why := b.ambiguous(req); why != nil {
		b.logger.LogAttrs(ctx, slog.LevelWarn, "GCP Secret Manager: ambiguous id, not looked up",
			slog.String("backend", Name), slog.String("kind", req.Kind.String()), slog.String("id", req.ID), slog.String("why", why.Error()))
		return "", "", fmt.Errorf("%w: %s: %v id %q %w", resolver.ErrNotFound, Name, req.Kind, req.ID, why)
	}
	return b.read(ctx, req.Kind, p, req)
}

// read is Lookup's reading of the secrets (req is neither refused nor
// off): the value and the AccessSecretVersion URL of the secret that
// answered.
func (b *Backend) read(ctx context.Context, what resolver.Kind, p *kit.Place, req resolver.Request) (string, string, error) {
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	urls, n := b.urls(p, req)
	for _, target := range urls[:n-1] {
		v, err := b.get(ctx, what, target)
		if !errors.Is(err, resolver.ErrNotFound) {
			return v, target, err
		}
	}
	v, err := b.get(ctx, what, urls[n-1])
	return v, urls[n-1], err
}

// ambiguous says why req's id is refused, or nil: kit.TeamGuard, configs
// excepted (Airflow's CloudSecretManagerBackend does not check them: a
// config has no team).
func (b *Backend) ambiguous(req resolver.Request) error {
	return kit.TeamGuard(b.multiTeam, false, req.Kind, req.ID, req.Team)
}

// names returns the secrets a lookup of req at p reads, in order: the
// team's (multi_team on, a team, not a config), then the global one. The
// id is used verbatim in both, as Airflow's CloudSecretManagerBackend does
// (mapping '_' would let prod__conn manufacture the separator).
func (b *Backend) names(p *kit.Place, req resolver.Request) []string {
	urls, n := b.urls(p, req)
	names := make([]string, n)
	for i, target := range urls[:n] {
		names[i] = b.nameIn(target)
	}
	return names
}

// urls returns the AccessSecretVersion URLs of the secrets names returns,
// in the same order: urls[:n]. Each is one string, b.secretsURL + name +
// accessSuffix, the name sliced out of it by nameIn.
func (b *Backend) urls(p *kit.Place, req resolver.Request) (urls [2]string, n int) {
	global := b.secretsURL + p.Prefix + b.sep + req.ID + accessSuffix
	if !b.multiTeam || req.Team == "" || req.Kind == resolver.KindConfig {
		return [2]string{global}, 1
	}
	return [2]string{b.secretsURL + p.Prefix + b.sep + req.Team + TeamSep + req.ID + accessSuffix, global}, 2
}

// nameIn returns the secret's name in an AccessSecretVersion URL urls made.
func (b *Backend) nameIn(target string) string {
	return target[len(b.secretsURL) : len(target)-len(accessSuffix)]
}

// get reads the latest version of the secret whose AccessSecretVersion
// URL is target (made by urls); what is the kind, for logs.
func (b *Backend) get(ctx context.Context, what resolver.Kind, target string) (string, error) {
	name := b.nameIn(target)
	if !validSecretID(name) {
		// Airflow sends it and the service answers INVALID_ARGUMENT: same
		// outcome and log, without the request.
		b.logger.LogAttrs(ctx, slog.LevelError, "GCP Secret Manager: invalid secret id; treated as not found (only letters, digits, '-' and '_', at most 255, are allowed)",
			slog.String("backend", Name), slog.String("kind", what.String()), slog.String("secret", name),
			slog.String("status", "INVALID_ARGUMENT"), slog.Bool("sent", false))
		return "", &Error{Secret: name, sentinel: resolver.ErrNotFound, err: errInvalidName}
	}
	// name is a valid secret id: there is nothing in target to escape.
	v, err := b.access(ctx, target)
	if err == nil {
		return v, nil
	}
	e := &Error{Secret: name, err: err}
	if unavailable(err) {
		e.err = kit.Unavailable(err)
	}
	// Only Secret Manager's own answer can mean "not found" (not, say, IAM's
	// refusal to impersonate while getting a token).
	if ae, ok := err.(*APIError); ok && ae.notFound() {
		e.sentinel = resolver.ErrNotFound
		level := slog.LevelError // as Airflow logs PermissionDenied and InvalidArgument
		msg := "GCP Secret Manager refused the lookup; treated as not found"
		if ae.Status == "NOT_FOUND" {
			level, msg = slog.LevelDebug, "GCP Secret Manager: secret not found"
		}
		b.logger.LogAttrs(ctx, level, msg,
			slog.String("backend", Name), slog.String("kind", what.String()), slog.String("secret", name),
			slog.String("status", ae.Status), slog.String("message", ae.Message))
	}
	return "", e
}

// access reads the latest version of the secret at target, retrying
// unavailable and throttled answers.
func (b *Backend) access(ctx context.Context, target string) (string, error) {
	return withRetries(ctx, b, func() (string, error) { return b.accessOnce(ctx, target) })
}

// withRetries calls once until it succeeds, fails in a way that is not
// retryable, or b.attempts are spent, waiting between attempts.
func withRetries[T any](ctx context.Context, b *Backend, once func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err := once()
		if err == nil || attempt >= b.attempts || !retryable(ctx, err) {
			return v, err
		}
		d := b.retryDelay
		for i := 1; i < attempt && d < maxRetryDelay; i++ {
			d *= 2
		}
		d = min(d, maxRetryDelay)
		d = d/2 + rand.N(d/2+1) // jitter in [d/2, d]
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			var zero T
			return zero, fmt.Errorf("%w (gave up before retrying: %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}

// maxRetryDelay caps the wait between two attempts.
const maxRetryDelay = 30 * time.Second

// Error is a failed lookup. Its text names the secret and describes the
// cause without any value; it unwraps to resolver.ErrNotFound when the
// service's answer means "not found", and to the cause: an *APIError,
// ErrChecksum, a decoding, token or transport error.
type Error struct {
	Secret   string // the secret's name (not the full resource name)
	sentinel error
	err      error
}

func (e *Error) Error() string { return fmt.Sprintf("secret %q: %v", e.Secret, e.err) }

// Unwrap returns the sentinel, if any, and the cause.
func (e *Error) Unwrap() []error {
	if e.sentinel == nil {
		return []error{e.err}
	}
	return []error{e.sentinel, e.err}
}

// ErrChecksum is matched by the error of a lookup whose payload does not
// match the CRC32C checksum the response carries.
var ErrChecksum = errors.New("the payload does not match its CRC32C checksum (the response was corrupted)")

var errInvalidName = errors.New("not a valid secret id (only letters, digits, '-' and '_', at most 255): not looked up")

func firstEnv(keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return ""
}
