// Package awsssm is the AWS Systems Manager Parameter Store backend:
// Airflow's SystemsManagerParameterStoreBackend
// (airflow.providers.amazon.aws.secrets.systems_manager), on
// aws-sdk-go-v2.
//
// Importing the package registers it as "aws-ssm", with Airflow's class
// paths airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend
// and airflow.contrib.secrets.aws_systems_manager.SystemsManagerParameterStoreBackend
// as aliases.
//
// # Names
//
// Connection conn_id is parameter prefix + "/" + conn_id, with a leading
// "/" added when missing: the default prefix /airflow/connections gives
// /airflow/connections/smtp_default; prefix "" gives /smtp_default. Trailing
// "/" characters are stripped from a prefix. Variables and configs work the
// same way under /airflow/variables and /airflow/config. A parameter is read
// with GetParameter, WithDecryption set (SecureString parameters work);
// only ParameterNotFound means "not found".
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
//	region_name, profile_name, endpoint_url
//	aws_access_key_id, aws_secret_access_key, aws_session_token
//	    static credentials instead of the SDK's default chain.
//	role_arn, assume_role_method, assume_role_kwargs
//	    assume this role through STS. assume_role_method "assume_role"
//	    (default) calls AssumeRole; assume_role_kwargs takes every input
//	    of it as STS names them (ExternalId, DurationSeconds, Policy,
//	    PolicyArns, Tags, TransitiveTagKeys, SourceIdentity, SerialNumber,
//	    TokenCode, ProvidedContexts, RoleSessionName, ...); the default
//	    session name is Airflow's, Airflow_SystemsManagerParameterStoreBackend__connection.
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
//	    never is). Airflow builds the SSM client with endpoint_url and
//	    nothing from service_config, so ssm.endpoint_url (and
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
// resolver.BatchBackend, resolver.Describer and resolver.ChangeSource
// (see "Change events"). A kind other than connection, variable and
// config is not found, without a request.
//
// # Batch lookups
//
// A batch lookup (resolver.LookupMany, Connections, Variables, Prefetch)
// reads its ids with GetParameters, WithDecryption set, 10 names a request
// (SSM's limit), up to 4 requests at once (a batch's latency falls by that
// factor while staying well below SSM's default 40 requests a second).
// Each id answers as its Lookup would: a name in the response's
// InvalidParameters is not found; with multi_team on and a team, the
// team's names are read first, in one round, then the global names of the
// ids the team does not have, in a second; ids the team rules, a null
// prefix or a lookup pattern refuse make no request. A request that fails
// (throttling or a 5xx answer after the SDK's retries, a refused
// connection) fails every id in it, classified as a single lookup's
// error. Any other error the service answers to a request of several
// names may be a single name's fault (AccessDeniedException: IAM refuses
// the whole call when one of its names is denied; a ValidationException
// for one name), unless it refuses the credentials or the signature: those
// names are read again one by one with GetParameter, so that every id
// answers as alone. timeout_seconds bounds each request.
// The role needs ssm:GetParameters on the parameters (ssm:GetParameter
// for single lookups; both when some are denied).
//
// # Teams
//
// As newest Airflow (PRs #65703, #70878, #71078), when [core] multi_team
// is on in the config file (Options.MultiTeam in Go; off by default):
//
//   - a lookup with a team (resolver.Request.Team) first reads
//     <prefix>/<team>--<id> (/airflow/connections/team_a--smtp_default),
//     then, when that parameter is not found, the global name
//     <prefix>/<id>; any other error of the team's read is the lookup's;
//   - an id that contains "--" is not found without a request, whatever
//     the kind (configs too) and with or without a team: it could name
//     another team's parameter (team "a" asking for "b--c" would read team
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
// or a Watcher, it polls the version metadata of the parameters the
// resolver watches (its cached answers and Watchers' requests), never
// their values, and reports each parameter whose version changed,
// appeared or vanished, so that the cached answer is dropped and the
// Watcher looks again. A poll is DescribeParameters with a Name filter
// (option Equals) of up to 50 names (MaxDescribe, SSM's limit for a
// filter's values), MaxResults 50, every page (SSM may answer fewer
// parameters a page than asked, with a NextToken), up to 4 requests at
// once; the version is the parameter's Version and LastModifiedDate. A
// watched id reads one name, a team's request with multi_team on two
// (the team's and the global one, which its lookup falls back on): a
// poll costs one request per 50 such names, at least one a watched key
// per interval when the names fit in one request. Ids that no lookup
// would ask for (a null prefix, a lookup pattern, a team rule) are not
// polled.
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
// A poll that fails (throttling or a 5xx answer after the SDK's retries,
// a refused connection, AccessDeniedException) ends the change stream
// with that error: the resolver drops the answers this backend gave and
// polls again after its back-off. The role needs ssm:DescribeParameters,
// which IAM grants on Resource "*" only (it takes no parameter ARN, so a
// refusal is every name's, never one's); a role without it sees its cache
// emptied at every back-off. DescribeParameters shares the account's
// Parameter Store throughput with GetParameter and GetParameters.
//
// # Errors
//
// AccessDeniedException matches resolver.ErrPermissionDenied. Every error
// unwraps to the SDK's (errors.As finds smithy.APIError); its text names the
// parameter and masks access key ids and the kwargs' credentials. No error
// contains a parameter's value. Throttling, an HTTP 429 or 5xx answer and a
// refused connection (after the SDK's retries) are marked
// codes.Unavailable, which resolver.Code reports.
//
// # Deliberate differences from Airflow
//
//   - An empty id is not found without a request (Airflow would ask for
//     "/prefix/" and fail).
//   - Lookup patterns are Go regular expressions (RE2): no lookarounds or
//     backreferences; a pattern that does not compile is a configuration
//     error when the backend is built, not at the first lookup.
//   - A missing region is a configuration error when the backend is built
//     (boto3 raises NoRegionError when the client is first made).
//   - Every lookup is bounded by timeout_seconds (Airflow: botocore's
//     connect and read timeouts per attempt).
package awsssm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/secretpath/secretpath/builtin/internal/awscommon"
	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// Name is the backend's registered name.
const Name = "aws-ssm"

// Airflow's default prefixes.
const (
	DefaultConnectionsPrefix = "/airflow/connections"
	DefaultVariablesPrefix   = "/airflow/variables"
	DefaultConfigPrefix      = "/airflow/config"
)

// DefaultTimeout bounds a lookup when Options.Timeout is 0 and the
// timeout_seconds kwarg is absent.
const DefaultTimeout = 10 * time.Second

const className = "SystemsManagerParameterStoreBackend"

func init() {
	resolver.Register(resolver.Registration{
		Name: Name,
		Aliases: []string{
			"airflow.providers.amazon.aws.secrets.systems_manager." + className,
			"airflow.contrib.secrets.aws_systems_manager." + className,
		},
		Doc:     "AWS Systems Manager Parameter Store (Airflow's " + className + ")",
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
	// ClientOptions adjust the SSM client (for instance BaseEndpoint).
	ClientOptions []func(*ssm.Options)

	// Where connections, variables and configs live: the zero Location is
	// Airflow's default prefix; a prefix is put before "/" + id, with a
	// leading "/" added and trailing "/" characters stripped; NoPrefix
	// makes the parameter "/" + id.
	Connections, Variables, Configs location.Location

	// Timeout bounds one lookup, the SDK's retries included: 0 means
	// DefaultTimeout, a negative value no bound but the caller's context.
	Timeout time.Duration

	// MultiTeam is Airflow's [core] multi_team: only then is a request's
	// team read (<prefix>/<team>--<id> first), and an id holding "--",
	// or a team's id starting with '-', refused (see the package doc).
	MultiTeam bool

	// Logger gets a warning for each lookup refused by a team rule (see
	// MultiTeam); nil means slog.Default(). Built from backend_kwargs, the
	// backend logs to the factory's resolver.Env.Logger.
	Logger *slog.Logger

	// ChangesPollInterval is the time between two polls of the watched
	// parameters' versions (see "Change events" in the package doc): 0
	// means a minute, a negative value switches polling off.
	ChangesPollInterval time.Duration
	// ChangesPollJitter is the most a poll moves earlier or later at
	// random: 0 means a tenth of the interval, a negative value none. It
	// must not exceed the interval.
	ChangesPollJitter time.Duration
}

// Backend reads connections, variables and configs from SSM Parameter
// Store. It is safe for concurrent use.
type Backend struct {
	client   *ssm.Client
	places   kit.Places
	teams    awscommon.Teams
	timeout  time.Duration
	redactor awscommon.Redactor
	poller   *kit.Poller // nil: polling off
}

// scheme: connections_prefix etc., Airflow's defaults, "/" stripped.
var scheme = awscommon.Scheme(Name, "/", [3]string{DefaultConnectionsPrefix, DefaultVariablesPrefix, DefaultConfigPrefix})

// New returns a Backend. It makes no request.
func New(o Options) (*Backend, error) {
	if o.AWS.Region == "" {
		return nil, fmt.Errorf("%w: %s: no AWS region", config.ErrInvalid, Name)
	}
	b := &Backend{
		client:  ssm.NewFromConfig(o.AWS, o.ClientOptions...),
		teams:   awscommon.Teams{MultiTeam: o.MultiTeam, Backend: Name, Logger: o.Logger},
		timeout: o.Timeout,
	}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	var err error
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
	if kw.Has("extra_conn_words") {
		return nil, fmt.Errorf("%w: backend_kwargs key %q applies to aws-secrets-manager only", config.ErrInvalid, "extra_conn_words")
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
		AWS:         cfg,
		Connections: s.Locations.Connections,
		Variables:   s.Locations.Variables,
		Configs:     s.Locations.Configs,
		Timeout:     s.Timeout,
		MultiTeam:   multiTeam,
		Logger:      env.Logger,

		ChangesPollInterval: s.Poll.Interval,
		ChangesPollJitter:   s.Poll.Jitter,
	}
	if u := s.EndpointURL; u != "" {
		o.ClientOptions = append(o.ClientOptions, func(so *ssm.Options) { so.BaseEndpoint = aws.String(u) })
	}
	b, err := New(o)
	if err != nil {
		return nil, err
	}
	b.redactor.Secrets = s.Session.Secrets()
	return b, nil
}

// Name returns "aws-ssm".
func (b *Backend) Name() string { return Name }

// Lookup returns the value of parameter <prefix of req's kind>/req.ID:
// a connection (URI or JSON), a variable or a config value, as stored.
// With multi_team on, a request with a team first reads
// <prefix>/<team>--<id>.
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p, ok := b.places.For(req.Kind)
	if !ok {
		return "", kit.NotServed(req.Kind)
	}
	names, skip := b.teams.Names(ctx, p, req, parameterPath)
	if skip != "" {
		return "", resolver.ErrNotFound // Describe says why
	}
	// One bound for the team's name and the global one.
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	var v string
	var err error
	for _, name := range names {
		// Only "not found" goes on to the global name, as in Airflow.
		if v, err = b.get(ctx, name); !errors.Is(err, resolver.ErrNotFound) {
			break
		}
	}
	return v, err
}

// parameterPath is the parameter holding id at p.
func parameterPath(p *kit.Place, id string) string { return parameterName(p.Prefix, id) }

// parameterName is Airflow's build_path(prefix, id) with a leading "/"
// ensured.
func parameterName(prefix, id string) string {
	name := prefix + "/" + id
	if name[0] != '/' {
		name = "/" + name
	}
	return name
}

var errNoValue = errors.New("the response carries no value")

// get reads parameter name.
func (b *Backend) get(ctx context.Context, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	out, err := b.client.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", b.redactor.Wrap(fmt.Sprintf("parameter %q", name), err, isNotFound)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("parameter %q: %w", name, errNoValue)
	}
	return *out.Parameter.Value, nil
}

func isNotFound(code string) bool { return code == "ParameterNotFound" }
