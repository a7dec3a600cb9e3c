// Package vault is the HashiCorp Vault backend: Airflow's VaultBackend
// (airflow.providers.hashicorp.secrets.vault), reading the KV secrets
// engine (version 1 or 2) through github.com/hashicorp/vault/api.
//
// Importing the package registers it as "vault", with Airflow's class paths
// airflow.providers.hashicorp.secrets.vault.VaultBackend and
// airflow.contrib.secrets.hashicorp_vault.VaultBackend as aliases.
//
// # Paths
//
// Connection smtp_default is the secret <connections_path>/smtp_default in
// the KV mount mount_point (default secret/connections/smtp_default, read
// as GET /v1/secret/data/connections/smtp_default with KV version 2, or
// GET /v1/secret/connections/smtp_default with version 1). Variables and
// configs live under variables_path and config_path. A trailing "/" of a
// path is dropped; a path of "" means the id alone is the secret's path;
// null switches that kind off (no request is made). A path may also be a
// list of paths, tried in order (Airflow PR #70006): the first that holds
// the secret wins (see Paths lists). With mount_point null
// the id's first segment is the mount: with mount_point null, id
// airflow/hello is connections/hello in mount airflow, and an id without
// "/" is not found without a request.
//
// # Paths lists
//
// connections_path, variables_path or config_path given as a list of
// paths (Options.ConnectionsPaths, ... in Go) makes a lookup read the id
// under each path in turn, as newest Airflow's VaultBackend does: a path
// where Vault answers 404 (or a secret without data) is a miss and the
// next path is read; the first secret found is the answer, even when it
// then turns out not found (a variable without key value) or malformed:
// later paths are not read, as Airflow decodes the secret its loop
// returned. Any other failure (403, 5xx, a refused connection, the
// timeout) ends the lookup with that error, as hvac's exception ends
// Airflow's; the timeout bounds the whole lookup, every path included.
// Each element is a path as above ("" = the id alone, a trailing "/"
// dropped); an element that is not a string (null included) and an empty
// list are configuration errors naming the key. When every path misses,
// the not-found error names each path read.
//
// # Teams
//
// With [core] multi_team on in the config file (Options.MultiTeam in Go)
// and use_team_secrets_path true (its default), a connection or variable
// lookup for a team (resolver.Request.Team) reads <path>/<team>/<id>
// under each of the kind's paths in turn, as newest Airflow does (PR
// #65493, then #70006): team_a's smtp_default is
// secret/connections/team_a/smtp_default, and only that. There is no
// fallback to a path without the team (PR #65493 had one; #70006 dropped
// it): every path of a list gets the team's segment (["connections",
// "shared"] reads connections/team_a/<id>, then shared/team_a/<id>), so a
// secret every team reads is stored under each team's segment, or
// use_team_secrets_path is false. With mount_point null the team goes
// after the path in the id's mount (id airflow/x:
// airflow/connections/team_a/x).
// A lookup without a team, with multi_team off or use_team_secrets_path
// false (or null) reads <path>/<id>; configs never have a team. A team
// that cannot be one path segment (it holds "/", or is "." or "..") is
// not found without a request.
//
// The team guard, a secretpath addition: in Vault the team separator is
// "/", and nothing stops an id from spelling it, so with multi_team on and
// use_team_secrets_path true an id holding "/" (after the mount's
// segment, with mount_point null) is not found without a request, and a
// warning naming the id and why is logged, for a lookup without a team
// (team_b/x would read <path>/team_b/x, team team_b's secret) and for
// every config lookup (configs have no team, and config_path, with
// global_secrets_path appended or equal to variables_path, can hold a
// team's folder). A team's own lookup of x/y reads <path>/<team>/x/y,
// inside its folder, and is made. The other backends refuse ids holding
// their team separator ("--") the same way; Airflow reads such ids.
//
// global_secrets_path, deprecated (a warning is logged, as Airflow warns),
// is appended as one more, last path to connections_path, variables_path
// and config_path, whatever multi_team says: {"global_secrets_path":
// "shared"} reads connections/<id>, then shared/<id> (a team:
// connections/<team>/<id>, then shared/<team>/<id>). A kind whose path is
// null is then read from that path alone, as in Airflow.
//
// # Secrets
//
// A connection secret holding a non-empty conn_uri is that URI. Otherwise
// its keys are the connection's fields, as Airflow passes them to
// Connection(): conn_type (not normalised), host, login, password, schema,
// port (a number or a numeric string), extra (an object or a string holding
// one), description; any other key is an error that names it. A variable
// or config secret is its key value: a string as stored, any other JSON
// value as compact JSON text; without value (or value null) it is not
// found. Only Vault's 404 means not found (a soft-deleted KV v2 version
// included).
//
// # backend_kwargs
//
//	connections_path, variables_path, config_path
//	    defaults connections, variables, config; null: that kind is off;
//	    "": the id is the path; a list of paths: tried in order.
//	use_team_secrets_path
//	                   true (default): with multi_team on, a lookup for a
//	                   team reads <path>/<team>/<id> (see Teams).
//	global_secrets_path
//	                   deprecated: one more, last path of every kind.
//	mount_point        the KV mount (default secret); null or "": the
//	                   id's first segment.
//	kv_engine_version  1 or 2 (default 2).
//	url                the Vault address; default $VAULT_ADDR.
//	namespace          Vault Enterprise namespace (X-Vault-Namespace).
//	verify             false: do not verify TLS certificates; a string: a
//	                   CA bundle file.
//	cert               the TLS client certificate: a file holding the
//	                   certificate and key, or [cert_file, key_file].
//	proxies            {"http": url, "https": url}.
//	timeout            seconds bounding one lookup, login and retries
//	                   included (default 30; 0: only the caller's context).
//	allow_redirects    false: do not follow a redirect.
//	changes_poll_interval_seconds, changes_poll_jitter_seconds
//	                   the change events' poll (see Change events):
//	                   default 60 and a tenth of it; a negative interval:
//	                   no polling; a jitter of 0: none.
//	auth_type          token (default), approle, userpass, ldap, kubernetes,
//	                   jwt, github, cert, radius, aws_iam, azure or gcp.
//	                   aws_iam, azure and gcp need packages
//	                   builtin/vault/vaultaws, vaultazure and vaultgcp
//	                   linked; without one a configuration error names the
//	                   import and the build tag that left it out.
//	auth_mount_point   the auth method's mount (default: the type's name).
//	token, token_path  token and github auth; token auth falls back on
//	                   $VAULT_TOKEN.
//	role_id, secret_id approle (role_id required).
//	username, password userpass and ldap (both required).
//	kubernetes_role, kubernetes_jwt_path
//	                   kubernetes (the path defaults to the pod's service
//	                   account token).
//	jwt_role, jwt_token, jwt_token_path
//	                   jwt.
//	cert_role          cert: the role to log in against (default: any).
//	key_id, secret_id, role_id, region, assume_role_kwargs
//	                   aws_iam: static AWS keys (else the AWS SDK's default
//	                   chain, after STS AssumeRole with assume_role_kwargs,
//	                   every input STS takes, RoleArn required, when
//	                   given), the Vault role, the signing region
//	                   (default us-east-1); the login is a signed STS
//	                   GetCallerIdentity request, as hvac's iam_login,
//	                   made by package vaultaws.
//
//	azure_tenant_id, azure_resource, key_id, secret_id, role_id
//	                   azure: an Entra token for azure_resource from the
//	                   tenant (client secret key_id/secret_id, else
//	                   DefaultAzureCredential), logged in as role role_id.
//	gcp_key_path, gcp_keyfile_dict, gcp_scopes, gcp_role_type, role_id
//	                   gcp: iam (IAM signJwt, as Airflow) or gce (the
//	                   metadata server's identity token), role role_id.
//	username, password (radius_host, radius_secret, radius_port)
//	                   radius: a login; the server kwargs Airflow uses to
//	                   reconfigure Vault are ignored with a warning.
//
// Another auth type's kwargs are accepted whatever their values and
// ignored, as in Airflow; any other key is a configuration error that
// names it, with a "did you mean". The client also reads Vault's usual
// environment (VAULT_ADDR, VAULT_CACERT, VAULT_CLIENT_CERT,
// VAULT_SKIP_VERIFY, VAULT_NAMESPACE, VAULT_MAX_RETRIES, ...); kwargs win.
//
// # Authentication
//
// The backend authenticates at its first lookup, once: token auth checks
// the token with lookup-self, the other types log in. A renewable token
// with a TTL is renewed in the background (api.LifetimeWatcher); a failed
// renewal is tried again after 10 s, then 20 s, ... up to 5 min, while the
// lease leaves room for it. When the token can no longer be renewed (not
// renewable, its max TTL reached, renewals failing or refused), the next
// lookup logs in again first. A lookup refused with 403 logs in again once
// (token auth: re-reads token_path) and retries; a second 403 is an error
// matching resolver.ErrPermissionDenied. Close stops the renewal and
// revokes the tokens our logins created. Token and credential files are
// read at each login, so rotated files are picked up. Failed requests are
// retried by the client on 412 and 5xx (VAULT_MAX_RETRIES, default 2).
//
// # Logging
//
// The backend logs to Options.Logger (the resolver's logger when a config
// file opens it), with the auth type: the first authentication and each
// renewal (debug); a login again and why, and a token lease ending
// (info); a renewal that failed or was refused, and a failed login again
// (warning); an id the team guard refuses (warning, see Teams: the one
// record naming an id, which is what was asked for, never a value).
// Records hold no token, credential or secret value.
//
// # Errors
//
// Errors name the path and Vault's message and unwrap to the API's
// *api.ResponseError; none contains a token, a password or a secret's value
// (a malformed response is reported without quoting it). HTTP 412 (a
// standby not yet consistent), 429 (a rate limit quota) and 5xx answers (a
// sealed or failing server) and a refused connection, at a read or a login,
// are marked codes.Unavailable, which resolver.Code reports.
//
// # Change events
//
// The Backend is a resolver.ChangeSource that polls: with KV version 2,
// every changes_poll_interval_seconds (default 60, moved earlier or later
// by up to changes_poll_jitter_seconds at random, default a tenth of the
// interval) it reads the metadata of the secrets the resolver watches
// (its cached answers and its Watchers' ids), GET
// /v1/<mount>/metadata/<path>, never their data, and emits an event for
// each id whose secret's current_version changed, whose current version
// was deleted, undeleted or destroyed, or which appeared or vanished.
// Vault has no batch metadata read: a poll costs one request per path a
// watched lookup reads (a path read by several requests, a team's and
// the global one with use_team_secrets_path false, is read once), up to
// 8 at once, each bounded by the timeout; with a paths list, the paths
// are read in order up to the first holding a live version, as the lookup
// reads them. The token's policy needs read on
// <mount>/metadata/<path> as well as on <mount>/data/<path> (Airflow's
// policies often grant data/ only): a metadata read refused with 403,
// after a login again (at most one per poll, however many paths are
// refused, and none at the later polls for a path already denied), counts
// as the stable version "denied" (a warning is logged once), so that id's
// changes are not seen while the others' are. Any other failed poll (a 5xx after the client's retries, a
// refused connection, the timeout) ends the stream with the error: the
// resolver drops the tier's cached answers and polls again after its
// back-off. A negative changes_poll_interval_seconds (Options.PollInterval
// in Go) switches polling off. KV version 1 keeps no versions: with it
// there are no change events (Changes only says the stream is
// established and waits). Vault's event notifications (a WebSocket
// subscription, sys/events/subscribe) are left out: polling works with
// every Vault version and edition.
//
// # Expiry
//
// The Backend is a resolver.AnswerBackend: the resolver calls Answer,
// which answers what Lookup or Connection would, plus, with KV version 1,
// Expires: when the read started plus the lease_duration Vault answered.
// That is the secret's ttl key when it has one Vault parses (seconds, or
// a duration such as "1h" or "1d"), else the mount's default lease TTL
// (32 days unless tuned: vault secrets tune -default-lease-ttl). A cached
// answer is then dropped at that time even if the cache's TTL has not
// passed, and never served stale past it. Vault calls it a refresh
// interval: nothing expires in the store, and a lease of 0 or less means
// no expiry. A connection given as fields cannot carry a ttl key (any
// other key is an error, as in Airflow): use conn_uri with ttl, or the
// mount's default. KV version 2 answers no lease (its ttl key is data
// like any other), so its answers have no expiry; its change events tell
// the cache when a secret changes.
//
// # Deliberate differences from Airflow
//
//   - An empty id, or one with a "." or ".." segment, is not found without
//     a request (the client would resolve the dots out of the path).
//   - userpass and ldap require username and password at construction.
//   - token_path also works for github auth (Airflow reads it only for token).
//   - A missing address (no url, no VAULT_ADDR) is a configuration error.
//   - Vault's 403 on a login is a permission-denied error too.
//   - A team lookup under a path of "" reads <team>/<id> directly
//     (Airflow asks for /<team>/<id>, which Vault redirects there).
//   - With multi_team on and use_team_secrets_path true, an id holding
//     "/" is refused for a lookup without a team and for every config
//     lookup (the team guard, see Teams).
package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/tidwall/gjson"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// Name is the backend's registered name.
const Name = "vault"

// Airflow's defaults.
const (
	DefaultConnectionsPath = "connections"
	DefaultVariablesPath   = "variables"
	DefaultConfigPath      = "config"
	DefaultMountPoint      = "secret"
	DefaultKVVersion       = 2
)

// DefaultTimeout bounds a lookup when Options.Timeout is 0 (hvac's default
// request timeout).
const DefaultTimeout = 30 * time.Second

const className = "VaultBackend"

func init() {
	resolver.Register(resolver.Registration{
		Name: Name,
		Aliases: []string{
			"airflow.providers.hashicorp.secrets.vault." + className,
			"airflow.contrib.secrets.hashicorp_vault." + className,
		},
		Doc:     "HashiCorp Vault's KV secrets engine, version 1 or 2 (Airflow's VaultBackend)",
		Factory: open,
	})
}

// Kind is the former name of location.Location. Its fields were Path and
// NoPath; they are location.Location's Prefix and NoPrefix.
//
// Deprecated: use location.Location; Kind goes in the next release.
type Kind = location.Location

// Options configure a Backend built with New.
type Options struct {
	// Config is the API client's configuration; nil means
	// api.DefaultConfig(), which reads VAULT_ADDR, VAULT_CACERT and the
	// rest of Vault's environment. New uses it, not a copy: it sets its
	// Address (from Address) and its Timeout to 0 (Timeout below bounds
	// each lookup instead).
	Config *api.Config
	// Address overrides Config.Address when not "".
	Address string
	// Namespace is the Vault Enterprise namespace ("" = none, or
	// VAULT_NAMESPACE).
	Namespace string

	// MountPoint is the KV mount; "" means DefaultMountPoint unless
	// MountFromID is set.
	MountPoint string
	// MountFromID: the id's first segment is the mount (Airflow's
	// mount_point None).
	MountFromID bool
	// KVVersion is 1 or 2; 0 means 2.
	KVVersion int

	// Where connections, variables and configs live: the zero Location is
	// Airflow's default path (DefaultConnectionsPath, ...); Prefix is the
	// path under the mount, trailing "/" dropped; NoPrefix makes the id
	// alone the secret's path (Airflow's path ""). LookupPattern is not
	// supported (an error).
	Connections, Variables, Configs location.Location

	// ConnectionsPaths, VariablesPaths and ConfigsPaths, when not empty,
	// are the kind's paths, tried in order (see Paths lists in the package
	// doc), instead of Connections, Variables or Configs, which must then
	// be the zero Location. An element may not be Off nor have a
	// LookupPattern; its Prefix and NoPrefix mean what they mean above.
	ConnectionsPaths, VariablesPaths, ConfigsPaths []location.Location

	// MultiTeam is Airflow's [core] multi_team: only then does a lookup
	// for a team (resolver.Request.Team) read the team's paths (see Teams
	// in the package doc). The registry's factory reads it from the
	// config file.
	MultiTeam bool
	// NoTeamPaths is Airflow's use_team_secrets_path false: with
	// MultiTeam, a lookup for a team reads the paths a lookup without a
	// team reads.
	NoTeamPaths bool

	// Auth says how to authenticate; the zero Auth is token auth with
	// VAULT_TOKEN.
	Auth Auth

	// Timeout bounds one lookup, login and retries included: 0 means
	// DefaultTimeout, a negative value no bound but the caller's context.
	Timeout time.Duration

	// PollInterval is how often Changes reads the watched secrets'
	// metadata (see Change events in the package doc): 0 means
	// DefaultPollInterval; a negative value switches polling off.
	PollInterval time.Duration
	// PollJitter is the most a poll is moved earlier or later at random:
	// 0 means PollInterval/10, a negative value none.
	PollJitter time.Duration

	// Logger receives the backend's own records: logins, token renewals
	// (renewed, failed, lease ending), logins again and the ids the team
	// guard refuses (see Teams in the package doc); never a token, a
	// credential or a secret's value. A registered AuthMethod's Login gets
	// it too. nil discards them. The registry's factory sets it to the
	// resolver's logger (resolver.Env.Logger).
	Logger *slog.Logger

	settings *settings // from backend_kwargs: applied to the default Config
	warnings []string  // from backend_kwargs: logged to Logger by New
}

// Backend reads connections, variables and configs from Vault's KV engine.
// It is safe for concurrent use.
type Backend struct {
	logical *api.Logical
	sess    *session
	// places are compiled for Vault: the request path is Prefix + id (a
	// fixed mount: "secret/data/connections/"), or mount + "/data/" +
	// Prefix + the id's key (mount from the id: Prefix "connections/" or
	// ""); see placeOnMount.
	places kit.Places
	// paths are each kind's places in the order they are tried
	// (connections, variables, configs): the place above alone, or
	// Options' paths lists.
	paths       [3][]kit.Place
	v2          bool
	mountFromID bool
	multiTeam   bool // [core] multi_team
	noTeamPaths bool // use_team_secrets_path false
	timeout     time.Duration
	ownConfig   *api.Config  // closed (idle connections) by Close when New made it
	mount       string       // the KV mount, "" with mountFromID
	poller      kit.Poller   // Changes (changes.go)
	deniedOnce  sync.Once    // the warning of a metadata read denied
	deniedPaths sync.Map     // metadata paths denied after a login again: no login again for them
	established atomic.Int64 // Changes streams established (Event{All: true} emitted and handled), for tests
}

// scheme: connections_path etc., Airflow's default paths, trailing "/"
// dropped; no lookup patterns. backend_kwargs paths with a "." or ".."
// segment are refused.
var scheme = kit.Scheme{
	Backend:  Name,
	Suffix:   "_path",
	Defaults: [3]string{DefaultConnectionsPath, DefaultVariablesPath, DefaultConfigPath},
	Trim:     "/",
	Check: func(key, path string) error {
		if hasDotSegment(path) {
			return fmt.Errorf("%w: %s: backend_kwargs key %s has a \".\" or \"..\" path segment", config.ErrInvalid, Name, key)
		}
		return nil
	},
}

// New returns a Backend. It makes no request: authentication happens at the
// first lookup.
func New(o Options) (*Backend, error) {
	return newBackend(o, osGetenv)
}

func newBackend(o Options, getenv func(string) string) (*Backend, error) {
	if err := o.Auth.validate(getenv); err != nil {
		return nil, err
	}
	switch o.KVVersion {
	case 0:
		o.KVVersion = DefaultKVVersion
	case 1, 2:
	default:
		return nil, fmt.Errorf("%w: %s: the version is not supported: %d; it should be one of [1, 2]", config.ErrInvalid, Name, o.KVVersion)
	}
	cfg := o.Config
	b := &Backend{v2: o.KVVersion == 2, mountFromID: o.MountFromID, timeout: o.Timeout, multiTeam: o.MultiTeam, noTeamPaths: o.NoTeamPaths}
	if cfg == nil {
		if o.Address == "" && getenv("VAULT_ADDR") == "" {
			return nil, fmt.Errorf("%w: %s: no Vault address: set url (or VAULT_ADDR)", config.ErrInvalid, Name)
		}
		cfg = api.DefaultConfig()
		if cfg.Error != nil {
			return nil, fmt.Errorf("%w: %s: Vault's environment: %v", config.ErrInvalid, Name, cfg.Error)
		}
		if o.settings != nil {
			if err := o.settings.apply(cfg); err != nil {
				return nil, err
			}
		}
		b.ownConfig = cfg
	}
	if o.Address != "" {
		cfg.Address = o.Address
	}
	if cfg.Address == "" {
		return nil, fmt.Errorf("%w: %s: no Vault address", config.ErrInvalid, Name)
	}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	// Every request is bounded by the lookup's context instead: the
	// client's own timeout would add a second timer per request (never
	// stopped, for raw reads).
	cfg.Timeout = 0
	if b.ownConfig != nil && b.timeout > 0 {
		cfg.HttpClient.Timeout = b.timeout // bounds the background renewals too
	}
	client, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", config.ErrInvalid, Name, err)
	}
	client.ClearToken() // set by the first authentication, never from VAULT_TOKEN behind our back
	if o.Namespace != "" {
		client.SetNamespace(o.Namespace)
	}
	login, err := client.CloneWithHeaders()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", config.ErrInvalid, Name, err)
	}
	login.ClearToken()
	b.logical = client.Logical()
	b.sess = &session{auth: o.Auth, client: client, login: login, timeout: b.withTimeout, logger: o.Logger}
	if ext, ok := lookupAuthMethod(o.Auth.Type); ok {
		b.sess.ext = ext
	}
	if b.sess.logger == nil {
		b.sess.logger = slog.New(slog.DiscardHandler)
	}

	mount := strings.Trim(o.MountPoint, "/")
	if !o.MountFromID && mount == "" {
		mount = DefaultMountPoint
	}
	if !o.MountFromID {
		b.mount = mount
	}
	b.poller = kit.Poller{Interval: o.PollInterval, Jitter: o.PollJitter, Versions: b.versions}
	if b.places, err = compilePlaces(kit.Locations{Connections: o.Connections, Variables: o.Variables, Configs: o.Configs}, mount, b.v2, o.MountFromID); err != nil {
		return nil, err
	}
	if b.paths, err = compilePaths(&o, b.places, mount, b.v2); err != nil {
		return nil, err
	}
	for _, w := range o.warnings {
		b.sess.logger.Warn(w, "backend", Name)
	}
	return b, nil
}

// pathOptions name Options' paths lists, for errors.
var pathOptions = [3]string{"ConnectionsPaths", "VariablesPaths", "ConfigsPaths"}

// compilePaths returns each kind's places in the order they are tried:
// the kind's place in ps alone, or its paths list compiled.
func compilePaths(o *Options, ps kit.Places, mount string, v2 bool) ([3][]kit.Place, error) {
	var out [3][]kit.Place
	single := [3]location.Location{o.Connections, o.Variables, o.Configs}
	lists := [3][]location.Location{o.ConnectionsPaths, o.VariablesPaths, o.ConfigsPaths}
	for i := range out {
		if len(lists[i]) == 0 {
			out[i] = []kit.Place{*placeAt(&ps, i)}
			continue
		}
		if single[i] != (location.Location{}) {
			return out, fmt.Errorf("%w: %s: Options.%s and %s are both set: give one", config.ErrInvalid, Name, pathOptions[i], [3]string{"Connections", "Variables", "Configs"}[i])
		}
		for j, l := range lists[i] {
			if l.Off {
				return out, fmt.Errorf("%w: %s: Options.%s[%d] is Off: a kind is switched off by its Location, not in a list", config.ErrInvalid, Name, pathOptions[i], j)
			}
			var ls kit.Locations
			*[3]*location.Location{&ls.Connections, &ls.Variables, &ls.Configs}[i] = l
			cp, err := compilePlaces(ls, mount, v2, o.MountFromID)
			if err != nil {
				return out, fmt.Errorf("%s[%d]: %w", pathOptions[i], j, err)
			}
			p := *placeAt(&cp, i)
			p.Kwarg = placeAt(&ps, i).Kwarg
			out[i] = append(out[i], p)
		}
	}
	return out, nil
}

func placeAt(ps *kit.Places, i int) *kit.Place {
	return [3]*kit.Place{&ps.Connections, &ps.Variables, &ps.Configs}[i]
}

// pathsFor returns the places a lookup of kind reads, in order, and false
// for a kind the backend does not serve.
func (b *Backend) pathsFor(kind resolver.Kind) ([]kit.Place, bool) {
	switch kind {
	case resolver.KindConnection:
		return b.paths[0], true
	case resolver.KindVariable:
		return b.paths[1], true
	case resolver.KindConfig:
		return b.paths[2], true
	}
	return nil, false
}

// compilePlaces compiles ls and puts each prefix on the mount (see
// placeOnMount).
func compilePlaces(ls kit.Locations, mount string, v2, fromID bool) (kit.Places, error) {
	ps, err := scheme.Compile(ls)
	if err != nil {
		return kit.Places{}, err
	}
	for _, p := range []*kit.Place{&ps.Connections, &ps.Variables, &ps.Configs} {
		if p.On {
			p.Prefix = placeOnMount(p.Prefix, mount, v2, fromID)
		}
	}
	return ps, nil
}

// placeOnMount returns the start of the request paths under path ("" for
// none): with a fixed mount, mount + "/data/" (KV v2) or "/" + path + "/";
// with the mount from the id, path + "/" (the mount is added per id).
func placeOnMount(path, mount string, v2, fromID bool) string {
	if path != "" {
		path += "/"
	}
	switch {
	case fromID:
		return path
	case v2:
		return mount + "/data/" + path
	}
	return mount + "/" + path
}

// path returns the API path (without /v1/) of id under p, or false when
// id cannot name a secret (the lookup is then not found without a
// request).
func (b *Backend) path(p *kit.Place, id string) (string, bool) { return b.teamPath(p, id, "") }

// teamPath is path with team (a path segment, see teamSegment; "" for
// none) between p's path and the id.
func (b *Backend) teamPath(p *kit.Place, id, team string) (string, bool) {
	if !p.Match(id) || hasDotSegment(id) {
		return "", false
	}
	if team != "" {
		// Airflow's build_path(path, team): with a path of "", hvac asks
		// for <mount>/data//<team>/<id>, which Vault's router redirects
		// (307) to <team>/<id>, and requests follows.
		team += "/"
	}
	if !b.mountFromID {
		return p.Prefix + team + id, true
	}
	mount, key, ok := strings.Cut(id, "/")
	if !ok || mount == "" || key == "" {
		return "", false
	}
	if b.v2 {
		return mount + "/data/" + p.Prefix + team + key, true
	}
	return mount + "/" + p.Prefix + team + key, true
}

// hasDotSegment reports whether id has a "." or ".." path segment, which
// the client's path.Join would resolve (escaping the configured path).
func hasDotSegment(id string) bool {
	for seg := range strings.SplitSeq(id, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// Name returns "vault".
func (b *Backend) Name() string { return Name }

var (
	_ resolver.Backend           = (*Backend)(nil)
	_ resolver.ConnectionBackend = (*Backend)(nil)
	_ resolver.Named             = (*Backend)(nil)
	_ resolver.AnswerBackend     = (*Backend)(nil)
)

// Lookup returns the value req asks for: a variable's or config's key
// value, or a connection as a string (see connectionValue). Another kind
// is not found. With multi_team on, a connection or variable lookup for
// req.Team reads the team's paths (see Teams in the package doc).
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	v, _, err := b.lookup(ctx, req)
	return v, err
}

// lookup is Lookup, with the lease of the secret read (see kvSecret).
func (b *Backend) lookup(ctx context.Context, req resolver.Request) (string, int64, error) {
	switch req.Kind {
	case resolver.KindConnection:
		return b.connectionValue(ctx, req)
	case resolver.KindVariable:
		return b.value(ctx, b.paths[1], req)
	case resolver.KindConfig:
		return b.value(ctx, b.paths[2], req)
	}
	return "", 0, fmt.Errorf("%s: %w", Name, kit.NotServed(req.Kind))
}

// Connection returns connection req.ID: its conn_uri parsed, or its
// fields. The resolver calls it rather than Lookup for connections.
// req.Kind must be resolver.KindConnection (or zero).
func (b *Backend) Connection(ctx context.Context, req resolver.Request) (connection.Connection, error) {
	c, _, err := b.connection(ctx, req)
	return c, err
}

// connection is Connection, with the lease of the secret read.
func (b *Backend) connection(ctx context.Context, req resolver.Request) (connection.Connection, int64, error) {
	if req.Kind != resolver.KindConnection && req.Kind != 0 {
		return connection.Connection{}, 0, fmt.Errorf("%s: Connection of a %s request: %w", Name, req.Kind, resolver.ErrNotFound)
	}
	s, err := b.data(ctx, b.paths[0], req)
	if err != nil {
		return connection.Connection{}, 0, err
	}
	c, err := connectionFromData(req.ID, s.data)
	if err != nil {
		return connection.Connection{}, 0, fmt.Errorf("%s: secret %q: %w", Name, s.path, err)
	}
	return c, s.lease, nil
}

// connectionValue returns connection connID as a string: its conn_uri, or
// the URI of the connection its fields make (Airflow's get_uri, which is
// how Airflow caches one: the description is dropped and conn_type is
// normalised when the URI is parsed). Connection returns the exact value.
func (b *Backend) connectionValue(ctx context.Context, req resolver.Request) (string, int64, error) {
	s, err := b.data(ctx, b.paths[0], req)
	if err != nil {
		return "", 0, err
	}
	if uri := s.data.Get("conn_uri"); uri.Type == gjson.String && uri.Str != "" {
		return strings.Clone(uri.Str), s.lease, nil
	}
	c, err := connectionFromData(req.ID, s.data)
	if err != nil {
		return "", 0, fmt.Errorf("%s: secret %q: %w", Name, s.path, err)
	}
	return c.URI(), s.lease, nil
}

// value returns the key value of secret <path>/req.ID, the path being
// variables_path or config_path (the first that holds it).
func (b *Backend) value(ctx context.Context, ps []kit.Place, req resolver.Request) (string, int64, error) {
	s, err := b.data(ctx, ps, req)
	if err != nil {
		return "", 0, err
	}
	v, ok := valueFromData(s.data)
	if !ok {
		return "", 0, fmt.Errorf("%s: secret %q has no key value: %w", Name, s.path, resolver.ErrNotFound)
	}
	return v, s.lease, nil
}

// Close stops renewing the token and revokes the one our login created
// (bounded by the timeout). The Backend must not be used afterwards.
func (b *Backend) Close() error {
	ctx, cancel := b.withTimeout(context.Background())
	defer cancel()
	b.sess.close(ctx)
	if b.ownConfig != nil && b.ownConfig.HttpClient != nil {
		b.ownConfig.HttpClient.CloseIdleConnections()
	}
	return nil
}

func (b *Backend) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if b.timeout > 0 {
		return context.WithTimeout(ctx, b.timeout)
	}
	return context.WithCancel(ctx)
}

// kvSecret is a secret read: its data object (KV v1: data; v2:
// data.data), the API path read, and its lease_duration in seconds (KV v1
// only, as Vault answered it; 0 for KV v2, which answers 0).
type kvSecret struct {
	data  gjson.Result
	path  string
	lease int64
}

// data reads the secret of req.ID under each of ps in turn (under the
// team's segment of each, see teamSegment) and returns the first found.
// A miss (not found) goes on to the next place; any other error ends the
// lookup. The timeout bounds the whole of it.
func (b *Backend) data(ctx context.Context, ps []kit.Place, req resolver.Request) (kvSecret, error) {
	if err := ctx.Err(); err != nil {
		return kvSecret{}, err
	}
	id := req.ID
	team, ok := b.teamSegment(req)
	if !ok {
		return kvSecret{}, errBadTeam(req.Team)
	}
	if len(ps) > 0 && ps[0].Match(id) && !hasDotSegment(id) {
		if err := b.guarded(ctx, req); err != nil {
			return kvSecret{}, err
		}
	}
	if len(ps) == 1 {
		return b.dataAt(ctx, &ps[0], id, team)
	}
	ctx, cancel := b.withTimeout(ctx)
	defer cancel()
	var tried []string
	for i := range ps {
		s, err := b.dataAt(ctx, &ps[i], id, team)
		if err == nil || !errors.Is(err, resolver.ErrNotFound) {
			return s, err
		}
		if s.path != "" {
			tried = append(tried, strconv.Quote(s.path))
		}
	}
	if len(tried) == 0 {
		return kvSecret{}, resolver.ErrNotFound
	}
	return kvSecret{}, fmt.Errorf("%s: no secret at %s: %w", Name, strings.Join(tried, ", "), resolver.ErrNotFound)
}

// dataAt reads the secret of id under p and team (see data). On an error,
// the kvSecret holds the path alone ("" when no request was made).
func (b *Backend) dataAt(ctx context.Context, p *kit.Place, id, team string) (kvSecret, error) {
	if err := ctx.Err(); err != nil {
		return kvSecret{}, err
	}
	path, ok := b.teamPath(p, id, team)
	if !ok {
		return kvSecret{}, resolver.ErrNotFound
	}
	ctx, cancel := b.withTimeout(ctx)
	defer cancel()
	st, err := b.sess.current(ctx)
	if err != nil {
		return kvSecret{path: path}, markUnavailable(b.ctxErr(ctx, err))
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer putBuf(buf)
	status, err := b.read(ctx, path, buf)
	if status == http.StatusForbidden && b.sess.canLogin() {
		// The token was revoked or expired: log in again once and retry.
		if _, aerr := b.sess.authenticate(ctx, st); aerr == nil {
			buf.Reset()
			status, err = b.read(ctx, path, buf)
		} else if !errors.Is(aerr, errSameToken) {
			return kvSecret{path: path}, markUnavailable(b.ctxErr(ctx, aerr))
		}
	}
	switch {
	case status == http.StatusNotFound:
		return kvSecret{path: path}, fmt.Errorf("%s: secret %q: %w", Name, path, resolver.ErrNotFound)
	case status == http.StatusForbidden:
		return kvSecret{path: path}, fmt.Errorf("%s: reading %q: %w: %w", Name, path, resolver.ErrPermissionDenied, err)
	case err != nil:
		return kvSecret{path: path}, markUnavailable(b.ctxErr(ctx, fmt.Errorf("%s: reading %q: %w", Name, path, err)))
	}
	body := buf.Bytes()
	data, found, err := kvData(body, b.v2)
	if err != nil {
		return kvSecret{path: path}, fmt.Errorf("%s: reading %q: %w", Name, path, err)
	}
	if !found {
		return kvSecret{path: path}, fmt.Errorf("%s: secret %q holds no data: %w", Name, path, resolver.ErrNotFound)
	}
	s := kvSecret{data: data, path: path}
	if !b.v2 {
		s.lease = kvLease(body)
	}
	return s, nil
}

// read GETs path into buf. It returns the HTTP status (0 when none came)
// and the API's error for any status but 200.
func (b *Backend) read(ctx context.Context, path string, buf *bytes.Buffer) (int, error) {
	resp, err := b.logical.ReadRawWithContext(ctx, path)
	if resp == nil {
		if err == nil {
			err = errors.New("no response")
		}
		return 0, err
	}
	defer resp.Body.Close()
	if err != nil {
		return resp.StatusCode, err
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1)); err != nil {
		return resp.StatusCode, fmt.Errorf("reading the response: %w", err)
	}
	if buf.Len() > maxBody {
		return resp.StatusCode, fmt.Errorf("the response exceeds %d bytes", maxBody)
	}
	return resp.StatusCode, nil
}

// markUnavailable marks err codes.Unavailable when the Vault table says it
// is Vault's unavailability: a 412 (a standby not yet consistent, which
// the client retries), 429 (a rate limit quota) or 5xx answer (a sealed
// or failing server), or a request that got no answer because the
// connection was refused. A 404 or 403 answer never gets here (not found,
// permission denied); the context's errors are left to the resolver.
func markUnavailable(err error) error {
	switch s := statusOf(err); {
	case s == http.StatusPreconditionFailed, s == http.StatusTooManyRequests, s >= 500, s == 0 && kit.Unanswered(err):
		return kit.Unavailable(err)
	}
	return err
}

// ctxErr prefers the context's error when it is done, so that a canceled
// lookup says so.
func (b *Backend) ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// maxBody bounds a secret read (Vault's own request limit is 32 MiB).
const maxBody = 32 << 20

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBuf(b *bytes.Buffer) {
	if b.Cap() > 64<<10 {
		return // do not keep a huge secret's buffer around
	}
	b.Reset()
	bufPool.Put(b)
}

var osGetenv = os.Getenv
