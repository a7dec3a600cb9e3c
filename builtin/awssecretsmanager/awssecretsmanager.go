// Package awssecretsmanager is the AWS Secrets Manager backend: Airflow's
// SecretsManagerBackend
// (airflow.providers.amazon.aws.secrets.secrets_manager), on aws-sdk-go-v2.
//
// Importing the package registers it as "aws-secrets-manager", with
// Airflow's class paths
// airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend
// and airflow.contrib.secrets.aws_secrets_manager.SecretsManagerBackend as
// aliases.
//
// # Names
//
// Connection conn_id is secret prefix + sep + conn_id (default
// airflow/connections/smtp_default), or conn_id alone when the prefix is
// "". Trailing characters of sep are stripped from a prefix (Python's
// rstrip(sep): with sep "/", "airflow/connections//" becomes
// "airflow/connections"). Variables and configs work the same way under
// airflow/variables and airflow/config. A secret is read with
// GetSecretValue and its SecretString returned; a secret that holds only
// SecretBinary is not found, as in Airflow.
//
// Not found, as in Airflow: ResourceNotFoundException,
// InvalidParameterException, InvalidRequestException (for instance a secret
// scheduled for deletion), DecryptionFailure and InternalServiceError. The
// error keeps the service's code (errors.As finds smithy.APIError).
//
// # JSON secrets
//
// A connection secret whose first non-blank character is '{' is a JSON
// object whose keys may be Airflow's aliases: login from login, user,
// username or user_name; password from password, pass or key; host from
// host, remote_host or server; port; schema from database or schema;
// conn_type from conn_type, conn_id, connection_type or engine; extra. For
// each field the first key of the secret that stands for it wins; other keys
// (description among them) are dropped. The extra_conn_words kwarg adds
// aliases: {"login": ["db_user"], "host": ["endpoint"]} ("user" is accepted
// for "login"). Variables and configs are returned as stored.
//
// Lookup returns the standardized form Airflow's get_conn_value returns:
// the seven fields in that order, null where absent. Connection (the
// resolver's path) builds the connection Airflow's Connection.from_json
// builds from it. A secret without a conn_type, or with a falsy one (null,
// "", false, 0, [], {}), is a connection without conn_type, as in Airflow:
// its URI starts with "//" and its JSON form has "conn_type": null. Every
// other field is parsed and checked as in a secret with a conn_type.
//
// # backend_kwargs
//
//	connections_prefix, variables_prefix, config_prefix
//	    absent: Airflow's default; null: that kind is never looked up (no
//	    request); "": no prefix.
//	connections_lookup_pattern, variables_lookup_pattern, config_lookup_pattern
//	    a regular expression (Go RE2 syntax) an id must match at its start,
//	    ignoring case, to be looked up; other ids are not found without a
//	    request.
//	sep                the separator between prefix and id (default "/").
//	extra_conn_words   more aliases for JSON secrets (above).
//	region_name, profile_name, endpoint_url
//	aws_access_key_id, aws_secret_access_key, aws_session_token
//	    static credentials instead of the SDK's default chain.
//	role_arn, assume_role_method, assume_role_kwargs
//	    assume this role through STS. assume_role_method "assume_role"
//	    (default) calls AssumeRole; assume_role_kwargs takes every input
//	    of it as STS names them (ExternalId, DurationSeconds, Policy,
//	    PolicyArns, Tags, TransitiveTagKeys, SourceIdentity, SerialNumber,
//	    TokenCode, ProvidedContexts, RoleSessionName, ...); the default
//	    session name is Airflow's, Airflow_SecretsManagerBackend__connection.
//	    "assume_role_with_web_identity" calls AssumeRoleWithWebIdentity
//	    with the token read, at each call, from
//	    assume_role_with_web_identity_token_file (else
//	    AWS_WEB_IDENTITY_TOKEN_FILE); assume_role_with_web_identity_federation
//	    must be "file", as Airflow requires ("google" is refused);
//	    assume_role_kwargs takes that call's inputs (ProviderId, Policy,
//	    PolicyArns, DurationSeconds, RoleSessionName; default
//	    botocore-session-<unix time>, botocore's).
//	verify
//	    false: do not verify TLS certificates; a string: a CA bundle file.
//	timeout_seconds
//	    bounds one lookup, the SDK's retries included (default 10; 0: no
//	    bound but the caller's context).
//	api_version, use_ssl
//	    boto3 client arguments Airflow passes on: api_version is accepted and
//	    ignored with a warning, use_ssl must be true.
//	config_kwargs
//	    botocore Config options, mapped onto the SDK and applied to every
//	    client this backend makes, the service's and STS's (Airflow gives
//	    them to the assume-role STS client only; retries, timeouts and
//	    proxies are what a user setting them means for the lookups):
//	    retries (max_attempts counts retries, total_max_attempts every
//	    attempt; mode standard, adaptive, legacy as standard),
//	    connect_timeout, read_timeout (the wait for the response headers),
//	    max_pool_connections (idle connections kept per host), proxies
//	    ({"http"|"https": URL}), tcp_keepalive, region_name (when
//	    region_name is not given), user_agent_appid, defaults_mode,
//	    use_dualstack_endpoint, use_fips_endpoint, signature_version ("v4"
//	    only), ignore_configured_endpoint_urls (true: endpoint URLs from
//	    the environment, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>,
//	    and the shared config file are not used; false: they are, whatever
//	    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS says; endpoint_url and
//	    service_config.sts.endpoint_url always apply). Options with no
//	    meaning for these calls (user_agent, user_agent_extra,
//	    parameter_validation, inject_host_prefix,
//	    endpoint_discovery_enabled, s3, client_context_params, request
//	    compression and checksum options, account_id_endpoint_mode,
//	    sigv4a_signing_region_set, auth_scheme_preference) are accepted
//	    with a warning naming them; client_cert and proxies_config are
//	    refused; any other key is an error with a "did you mean".
//	service_config
//	    per-service client options. As in Airflow's backends, only
//	    sts.endpoint_url is read: where a role is assumed (endpoint_url
//	    never is). Airflow builds the Secrets Manager client with endpoint_url and
//	    nothing from service_config, so secretsmanager.endpoint_url (and
//	    every other section and option) is accepted and ignored with a
//	    warning naming it: honouring it would read other data than Airflow.
//
// Credentials, region and everything kwargs leave open come from the SDK's
// default chain: environment variables, the shared config and credentials
// files (AWS_PROFILE), web identity, container credentials, then the EC2
// instance metadata service. Throttling and 5xx answers are retried by the
// SDK's standard retryer (config_kwargs.retries, else AWS_MAX_ATTEMPTS,
// AWS_RETRY_MODE). Any other key, including Airflow AWS connection options
// we do not implement (session_kwargs, assume_role_with_saml, ...), is a
// configuration error that names it.
//
// # Lookups
//
// The backend implements resolver.Backend (Lookup, by the request's kind),
// resolver.ConnectionBackend, resolver.BatchBackend, resolver.Describer
// and resolver.ChangeSource (see "Change events"). A kind other than
// connection, variable and config is not found, without a request.
//
// # Batch lookups
//
// A batch lookup (resolver.LookupMany, Connections, Variables, Prefetch)
// reads its ids with BatchGetSecretValue (SecretIdList), 20 secrets a
// request (the service's limit), up to 4 requests at once. Each id answers
// as its Lookup or Connection would: a secret's entry in the response's
// Errors is classified as the same code answered to GetSecretValue (not
// found as listed above, DecryptionFailure included; AccessDeniedException
// is permission denied), a secret holding only SecretBinary is not found,
// JSON secrets are standardized by the same code. With multi_team on and
// a team, the team's names are read first, in one round, then the global
// names of the ids the team does not have, in a second; ids the team
// rules, a null prefix or a lookup pattern refuse make no request. A
// request that fails (throttling or a 5xx answer after the SDK's retries,
// a refused connection) fails every id in it, classified as a single
// lookup's error. timeout_seconds bounds each request.
//
// AWS requires secretsmanager:BatchGetSecretValue and, for each secret,
// secretsmanager:GetSecretValue. A role with GetSecretValue only gets
// AccessDeniedException for the whole request: its ids are then read one
// by one with GetSecretValue, as single lookups (one failed batch request
// and then one request per id, every time: grant BatchGetSecretValue to
// save them). The same holds for any other error the service answers to
// the whole request unless it is throttling, a 5xx or a refusal of the
// credentials or the signature, since it may be one secret's. A secret
// that the response does not mention (asked for by a partial ARN) is read
// alone too.
//
// # Teams
//
// As newest Airflow (PRs #65703, #70878, #71078), when [core] multi_team
// is on in the config file (Options.MultiTeam in Go; off by default):
//
//   - a lookup with a team (resolver.Request.Team) first reads secret
//     <prefix><sep><team>--<id> (airflow/connections/team_a--smtp_default;
//     <team>--<id> when the prefix is ""), then, when that secret is not
//     found (any of the answers above that mean "not found"), the global
//     name <prefix><sep><id>; any other error of the team's read is the
//     lookup's;
//   - an id that contains "--" is not found without a request, whatever
//     the kind (configs too) and with or without a team: it could name
//     another team's secret (team "a" asking for "b--c" would read team
//     "a--b"'s "c");
//   - secretpath's addition (as the GCP and Azure backends): a
//     connection or variable lookup with a team of an id starting with
//     '-' is not found without a request either (team "x"'s "-y" and team
//     "x-"'s "y" both name x---y; Airflow reads it). With both rules a
//     team's name splits one way only, at its last "--".
//
// A lookup refused by either rule logs a warning (Options.Logger; the
// factory's resolver.Env.Logger) naming the id and why.
//
// With multi_team off, a request's team is ignored and an id with "--" is
// an ordinary one. A lookup pattern is matched against the id alone.
//
// # Change events
//
// The backend is a resolver.ChangeSource: while the resolver has a cache
// or a Watcher, it polls the version metadata of the secrets the resolver
// watches (its cached answers and Watchers' requests), never their
// values, and reports each secret whose AWSCURRENT version changed,
// appeared or vanished, so that the cached answer is dropped and the
// Watcher looks again. A poll is one DescribeSecret request per secret,
// up to 4 at once: it returns VersionIdsToStages, whose AWSCURRENT
// version id is the version. A watched id reads one name, a team's
// request with multi_team on two (the team's and the global one, which
// its lookup falls back on): a poll costs one request per such name and
// interval, priced as any Secrets Manager API call. Ids that no lookup
// would ask for (a null prefix, a lookup pattern, a team rule) are not
// polled. A secret not found, or scheduled for deletion (DescribeSecret
// describes it, with a DeletedDate; GetSecretValue refuses it), has no
// version: its disappearance is reported, and its lookup finds nothing.
//
// ListSecrets could cover several names a request, but its name filter
// is a prefix match (a client would check each name) and, as its API
// reference says, it "might not reflect changes from the last five
// minutes": DescribeSecret is the exact one.
//
//	changes_poll_interval_seconds
//	    seconds between polls (default 60, at most 86400; fractions
//	    allowed); a negative value switches polling off: Changes then
//	    reports once that everything may have changed and waits, and the
//	    cache keeps answers until they expire.
//	changes_poll_jitter_seconds
//	    the most a poll moves earlier or later at random (default a tenth
//	    of the interval; 0: none; at most the interval), so that processes
//	    started together do not poll together.
//
// In Go: Options.ChangesPollInterval and Options.ChangesPollJitter.
//
// The role needs secretsmanager:DescribeSecret on the secrets it reads. A
// DescribeSecret refused for one secret (AccessDeniedException) gives it
// the version "denied": the stream goes on, a warning naming the secret is
// logged once, and changes of that secret are not seen (its cached answer
// lives until it expires). Any other failure (throttling or a 5xx answer,
// InternalServiceError included, after the SDK's retries, a refused
// connection, a refusal of the credentials) ends the change stream with
// that error: the resolver drops the answers this backend gave and polls
// again after its back-off.
//
// # Expiry
//
// The backend is a resolver.AnswerBackend: a resolver with a cache drops
// an answer at its Answer.Expires, whatever its TTL, never serves it past
// that time, and a Watcher looks again then. GetSecretValue does not say
// when a secret rotates next (DescribeSecret does), so this costs a
// request and is off by default:
//
//	expire_at_next_rotation
//	    true: after each found secret's value (not after a not-found or a
//	    failure), one DescribeSecret request for that secret, within the
//	    lookup's timeout; a batch describes its found secrets 4 at once.
//	    Expires is then NextRotationDate while RotationEnabled is true
//	    (a date already past: the answer is not cached at all while the
//	    rotation is overdue), zero otherwise. When DescribeSecret reports
//	    an AWSCURRENT version other than the one read (the secret changed
//	    between the two requests), Expires is the present: the answer is
//	    not cached. Default false: no extra request, Expires zero.
//	    (Options.ExpireAtNextRotation in Go.)
//
// The role then needs secretsmanager:DescribeSecret (which change polls
// need too). A refused or failed DescribeSecret does not fail the lookup:
// the value is answered with no Expires (kept for the cache's TTL) and a
// warning is logged, once per secret for AccessDeniedException. The
// request is priced as any Secrets Manager API call: with a cache, one
// per found secret per cache miss.
//
// # Errors
//
// AccessDeniedException matches resolver.ErrPermissionDenied. Every error
// unwraps to the SDK's; its text names the secret and masks access key ids
// and the kwargs' credentials. No error contains a secret's value: a JSON
// secret that does not decode is reported by byte offset. Throttling, an
// HTTP 429 or 5xx answer and a refused connection (after the SDK's retries)
// are marked codes.Unavailable, which resolver.Code reports, unless Airflow
// takes the code for "not found" (InternalServiceError).
//
// # Deliberate differences from Airflow
//
//   - An empty id is not found without a request.
//   - Lookup patterns are Go regular expressions (RE2); a pattern that does
//     not compile is a configuration error when the backend is built.
//   - sep must not be empty, and extra_conn_words may name only connection
//     fields: both are configuration errors (Airflow fails at the lookup or
//     joins without a separator).
//   - JSON secrets holding NaN or Infinity (which Python reads) are errors.
//   - A missing region is a configuration error when the backend is built.
//   - Every lookup is bounded by timeout_seconds.
package awssecretsmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/secretpath/secretpath/builtin/internal/awscommon"
	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// Name is the backend's registered name.
const Name = "aws-secrets-manager"

// Airflow's defaults.
const (
	DefaultConnectionsPrefix = "airflow/connections"
	DefaultVariablesPrefix   = "airflow/variables"
	DefaultConfigPrefix      = "airflow/config"
	DefaultSep               = "/"
)

// DefaultTimeout bounds a lookup when Options.Timeout is 0 and the
// timeout_seconds kwarg is absent.
const DefaultTimeout = 10 * time.Second

const className = "SecretsManagerBackend"

func init() {
	resolver.Register(resolver.Registration{
		Name: Name,
		Aliases: []string{
			"airflow.providers.amazon.aws.secrets.secrets_manager." + className,
			"airflow.contrib.secrets.aws_secrets_manager." + className,
		},
		Doc:     "AWS Secrets Manager (Airflow's " + className + ")",
		Factory: open,
	})
}

// Kind is the former name of location.Location.
//
// Deprecated: use location.Location; Kind goes in the next release.
type Kind = location.Location

// Options configure a Backend built with New.
type Options struct {
	// AWS is the SDK configuration (region, credentials, retryer, HTTP
	// client), as config.LoadDefaultConfig returns it. Region must be set.
	AWS aws.Config
	// ClientOptions adjust the Secrets Manager client (for instance
	// BaseEndpoint).
	ClientOptions []func(*secretsmanager.Options)

	// Where connections, variables and configs live: the zero Location is
	// Airflow's default prefix; a prefix is put before Sep + id, with the
	// characters of Sep stripped from its end; NoPrefix makes the secret's
	// name the id alone.
	Connections, Variables, Configs location.Location
	// Sep joins prefix and id; "" means DefaultSep.
	Sep string
	// ExtraConnWords adds aliases for JSON connection secrets, by field
	// (login or user, password, host, port, schema, conn_type, extra).
	ExtraConnWords map[string][]string

	// Timeout bounds one lookup, the SDK's retries included: 0 means
	// DefaultTimeout, a negative value no bound but the caller's context.
	Timeout time.Duration

	// MultiTeam is Airflow's [core] multi_team: only then is a request's
	// team read (<prefix><sep><team>--<id> first), and an id holding "--",
	// or a team's id starting with '-', refused (see the package doc).
	MultiTeam bool

	// Logger gets a warning for each lookup refused by a team rule (see
	// MultiTeam), and for each secret whose metadata a change poll may not
	// read; nil means slog.Default(). Built from backend_kwargs, the
	// backend logs to the factory's resolver.Env.Logger.
	Logger *slog.Logger

	// ChangesPollInterval is the time between two polls of the watched
	// secrets' versions (see "Change events" in the package doc): 0 means
	// a minute, a negative value switches polling off.
	ChangesPollInterval time.Duration
	// ChangesPollJitter is the most a poll moves earlier or later at
	// random: 0 means a tenth of the interval, a negative value none. It
	// must not exceed the interval.
	ChangesPollJitter time.Duration

	// ExpireAtNextRotation (kwarg expire_at_next_rotation) makes each
	// found secret's answer carry its NextRotationDate as
	// resolver.Answer.Expires, at the cost of one DescribeSecret request
	// per found secret and lookup (see "Expiry" in the package doc).
	ExpireAtNextRotation bool
}

// Backend reads connections, variables and configs from AWS Secrets
// Manager. It is safe for concurrent use.
type Backend struct {
	client   *secretsmanager.Client
	places   kit.Places
	teams    awscommon.Teams
	sep      string
	aliases  *aliases
	timeout  time.Duration
	redactor awscommon.Redactor
	poller   *kit.Poller // nil: polling off

	expireAtRotation bool     // Options.ExpireAtNextRotation
	deniedWarned     sync.Map // the secrets warnDenied warned of
	expiryDenied     sync.Map // the secrets warnNoExpiry warned of
}

// New returns a Backend. It makes no request.
func New(o Options) (*Backend, error) {
	if o.AWS.Region == "" {
		return nil, fmt.Errorf("%w: %s: no AWS region", config.ErrInvalid, Name)
	}
	b := &Backend{
		client:  secretsmanager.NewFromConfig(o.AWS, o.ClientOptions...),
		sep:     o.Sep,
		teams:   awscommon.Teams{MultiTeam: o.MultiTeam, Backend: Name, Logger: o.Logger},
		timeout: o.Timeout,

		expireAtRotation: o.ExpireAtNextRotation,
	}
	if b.sep == "" {
		b.sep = DefaultSep
	}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	var err error
	if b.aliases, err = newAliases(o.ExtraConnWords); err != nil {
		return nil, err
	}
	scheme := awscommon.Scheme(Name, b.sep, [3]string{DefaultConnectionsPrefix, DefaultVariablesPrefix, DefaultConfigPrefix})
	if b.places, err = scheme.Compile(kit.Locations{Connections: o.Connections, Variables: o.Variables, Configs: o.Configs}); err != nil {
		return nil, err
	}
	poll := awscommon.Poll{Interval: o.ChangesPollInterval, Jitter: o.ChangesPollJitter}
	if err := poll.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	b.poller = poll.Poller(b.versions)
	return b, nil
}

// open builds a Backend from backend_kwargs (see the package doc).
func open(ctx context.Context, env resolver.Env) (resolver.Backend, error) {
	kw := env.Kwargs
	s, err := awscommon.ParseSettings(kw)
	if err != nil {
		return nil, err
	}
	if kw.IsNull("sep") {
		return nil, fmt.Errorf("%w: backend_kwargs key %q must be a string", config.ErrInvalid, "sep")
	}
	sep, err := kw.String("sep", DefaultSep)
	if err != nil {
		return nil, err
	}
	if sep == "" {
		return nil, fmt.Errorf("%w: backend_kwargs key %q must not be empty", config.ErrInvalid, "sep")
	}
	var words map[string][]string
	if _, err := kw.Decode("extra_conn_words", &words); err != nil {
		return nil, err
	}
	// Deprecated by Airflow and ignored by its newest provider.
	for _, key := range []string{"full_url_mode", "are_secret_values_urlencoded"} {
		if _, err := kw.Decode(key, new(any)); err != nil {
			return nil, err
		}
	}
	expire, err := kw.Bool(expireKey, false)
	if err != nil {
		return nil, err
	}
	if err := awscommon.CheckKwargs(kw, Name); err != nil {
		return nil, err
	}
	multiTeam, err := env.Config.Bool("core", "multi_team", false)
	if err != nil {
		return nil, err
	}
	for _, w := range s.Warnings {
		env.Logger.Warn(w, "backend", Name)
	}
	cfg, err := s.Session.Config(ctx, awscommon.RoleSessionName(className))
	if err != nil {
		return nil, err
	}
	o := Options{
		AWS:            cfg,
		Connections:    s.Locations.Connections,
		Variables:      s.Locations.Variables,
		Configs:        s.Locations.Configs,
		Sep:            sep,
		ExtraConnWords: words,
		Timeout:        s.Timeout,
		MultiTeam:      multiTeam,
		Logger:         env.Logger,

		ChangesPollInterval: s.Poll.Interval,
		ChangesPollJitter:   s.Poll.Jitter,

		ExpireAtNextRotation: expire,
	}
	if u := s.EndpointURL; u != "" {
		o.ClientOptions = append(o.ClientOptions, func(so *secretsmanager.Options) { so.BaseEndpoint = aws.String(u) })
	}
	b, err := New(o)
	if err != nil {
		return nil, err
	}
	b.redactor.Secrets = s.Session.Secrets()
	return b, nil
}

// Name returns "aws-secrets-manager".
func (b *Backend) Name() string { return Name }

// Lookup returns secret <prefix of req's kind><sep>req.ID: a connection
// with a JSON secret's aliases mapped to Airflow's field names, a variable
// or a config value as stored.
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	v, std, err := b.lookup(ctx, req)
	if err != nil || std == nil {
		return v, err
	}
	return std.String(), nil
}

// Connection returns connection req.ID as Airflow builds it from what
// Lookup returns (resolver.ConnectionBackend): a URI secret is parsed as
// the resolver parses any; a JSON secret without a conn_type, or with a
// falsy one, is a connection without conn_type, as Airflow's
// Connection.from_json makes it.
func (b *Backend) Connection(ctx context.Context, req resolver.Request) (connection.Connection, error) {
	v, std, err := b.lookup(ctx, req)
	return toConnection(req, v, std, err)
}

// toConnection is Connection's answer from lookup's.
func toConnection(req resolver.Request, v string, std *stdSecret, err error) (connection.Connection, error) {
	switch {
	case err != nil:
		return connection.Connection{}, err
	case std != nil:
		return connectionFrom(req.ID, std)
	case v == "": // Airflow: a falsy value is no connection
		return connection.Connection{}, resolver.ErrNotFound
	}
	return connection.Parse(req.ID, v)
}

// lookup reads req's secret; a JSON connection secret comes back
// standardized, in std.
func (b *Backend) lookup(ctx context.Context, req resolver.Request) (v string, std *stdSecret, err error) {
	v, std, _, _, err = b.lookupVersion(ctx, req)
	return v, std, err
}

// lookupVersion is lookup, also returning the name of the secret read and
// the id of the version read.
func (b *Backend) lookupVersion(ctx context.Context, req resolver.Request) (v string, std *stdSecret, name, version string, err error) {
	if err := ctx.Err(); err != nil {
		return "", nil, "", "", err
	}
	p, ok := b.places.For(req.Kind)
	if !ok {
		return "", nil, "", "", kit.NotServed(req.Kind)
	}
	names, skip := b.teams.Names(ctx, p, req, b.secretName)
	if skip != "" {
		return "", nil, "", "", resolver.ErrNotFound // Describe says why
	}
	// One bound for the team's name and the global one.
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	for _, name = range names {
		// Only "not found" goes on to the global name, as in Airflow.
		if v, version, err = b.get(ctx, name); !errors.Is(err, resolver.ErrNotFound) {
			break
		}
	}
	v, std, err = b.standardize(req, name, v, err)
	return v, std, name, version, err
}

// standardize is lookup's answer from what secret name held (v, err): a
// JSON connection secret comes back standardized, in std.
func (b *Backend) standardize(req resolver.Request, name, v string, err error) (string, *stdSecret, error) {
	if err != nil || req.Kind != resolver.KindConnection || !isJSONSecret(v) {
		return v, nil, err
	}
	std, err := standardizeFields(v, b.aliases)
	if err != nil {
		return "", nil, fmt.Errorf("secret %q: %w", name, err)
	}
	return "", std, nil
}

// get reads secret name's SecretString, and the id of the version read.
func (b *Backend) get(ctx context.Context, name string) (value, version string, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	out, err := b.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &name})
	if err != nil {
		return "", "", b.redactor.Wrap(fmt.Sprintf("secret %q", name), err, isNotFound)
	}
	value, err = secretString(name, out.SecretString)
	return value, aws.ToString(out.VersionId), err
}

// secretString is the value of secret name's SecretString s: a secret
// holding only SecretBinary is not found, as in Airflow.
func secretString(name string, s *string) (string, error) {
	if s == nil {
		return "", fmt.Errorf("secret %q holds no SecretString: %w", name, resolver.ErrNotFound)
	}
	return *s, nil
}

// isNotFound: the errors Airflow's SecretsManagerBackend turns into None.
func isNotFound(code string) bool {
	switch code {
	case "ResourceNotFoundException", "InvalidParameterException", "InvalidRequestException",
		"DecryptionFailure", "InternalServiceError":
		return true
	}
	return false
}
