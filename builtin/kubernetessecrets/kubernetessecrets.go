package kubernetessecrets

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// Name is the backend's registered name.
const Name = "kubernetes-secrets"

// Airflow's defaults.
const (
	DefaultConnectionsLabel = "airflow.apache.org/connection-id"
	DefaultVariablesLabel   = "airflow.apache.org/variable-key"
	DefaultConfigLabel      = "airflow.apache.org/config-key"
	DefaultTeamLabel        = "airflow.apache.org/team"
	DefaultDataKey          = "value"
)

// The service account's files in a pod (Airflow's
// SERVICE_ACCOUNT_NAMESPACE_PATH and its siblings).
const (
	DefaultTokenPath     = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	DefaultCAPath        = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
	DefaultNamespacePath = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
)

// Bounds, used when the Options leave them 0.
const (
	DefaultTimeout = 10 * time.Second
	// DefaultMaxResponseBytes bounds one list answer: a secret holds at
	// most 1 MiB of data (base64 makes it 4/3 larger), and a selector
	// should match one secret.
	DefaultMaxResponseBytes = 8 << 20
)

func init() {
	resolver.Register(resolver.Registration{
		Name:    Name,
		Aliases: []string{"airflow.providers.cncf.kubernetes.secrets.kubernetes_secrets_backend.KubernetesSecretsBackend"},
		Doc:     "Kubernetes Secrets found by label (Airflow's KubernetesSecretsBackend)",
		Factory: open,
	})
}

// Options configure a Backend built with New.
type Options struct {
	// Cluster is the API server and the credentials: from [InCluster],
	// [LoadKubeconfig], or filled by hand.
	Cluster Cluster
	// Namespace is the namespace listed; "" means Cluster.Namespace (the
	// service account's or the kubeconfig context's).
	Namespace string

	// The label keys that find connections, variables and configs: the
	// zero Location is Airflow's default label; Prefix is the label key;
	// Off switches the kind off (no request). NoPrefix and LookupPattern
	// are refused.
	Connections, Variables, Configs location.Location
	// TeamLabel is the label naming a secret's team; "" means
	// DefaultTeamLabel unless NoTeamLabel is set (Airflow's team_label
	// None: teams are not used).
	TeamLabel   string
	NoTeamLabel bool
	// MultiTeam is Airflow's [core] multi_team: only then are teams (and
	// TeamLabel) used.
	MultiTeam bool
	// The data keys holding the value; "" means DefaultDataKey.
	ConnectionsDataKey, VariablesDataKey, ConfigDataKey string

	// HTTPClient sends the requests; nil means a client of its own with
	// Cluster's TLS settings. A given client is used as is (its TLS
	// settings are the caller's).
	HTTPClient *http.Client
	// Timeout bounds one lookup: 0 means DefaultTimeout, a negative value
	// no bound but the caller's context.
	Timeout time.Duration
	// MaxResponseBytes bounds one list answer's body: 0 means
	// DefaultMaxResponseBytes. (Of a failure answer, the first 64 KiB
	// are read and the rest ignored: its status decides.)
	MaxResponseBytes int64
	// Logger receives the warnings Airflow logs (several secrets match, a
	// secret lacks the data key) and misses (debug); nil means
	// slog.Default().
	Logger *slog.Logger
}

// Backend reads connections, variables and configs from Kubernetes
// Secrets found by label. It is safe for concurrent use.
type Backend struct {
	server    string // base URL, no trailing slash
	namespace string
	listURL   string // server + the namespace's secrets + "?labelSelector="
	places    kit.Places
	dataKeys  [3]string
	teamLabel string // "": teams not used
	client    *http.Client
	token     tokenSource // nil: no bearer token
	auth      string      // the credential, as printed: never a secret
	timeout   time.Duration
	maxBytes  int64
	logger    *slog.Logger
}

var scheme = kit.Scheme{
	Backend:  Name,
	Suffix:   "_label",
	Defaults: [3]string{DefaultConnectionsLabel, DefaultVariablesLabel, DefaultConfigLabel},
	Check: func(key, label string) error {
		if why := checkLabelKey(label); why != "" {
			return kit.KwargError(key, "is not a valid label key: "+why)
		}
		return nil
	},
}

// New returns a Backend. It reads the credential files Cluster names
// (checking them) but sends no request.
func New(_ context.Context, o Options) (*Backend, error) {
	b := &Backend{
		namespace: o.Namespace,
		client:    o.HTTPClient,
		timeout:   o.Timeout,
		maxBytes:  o.MaxResponseBytes,
		logger:    o.Logger,
	}
	ls := kit.Locations{Connections: o.Connections, Variables: o.Variables, Configs: o.Configs}
	for i, l := range []location.Location{o.Connections, o.Variables, o.Configs} {
		key := [...]string{"connections_label", "variables_label", "config_label"}[i]
		if l.Off {
			continue
		}
		if l.NoPrefix {
			return nil, invalid("%s: a label key cannot be empty", key)
		}
		if l.Prefix != "" {
			if err := scheme.Check(key, l.Prefix); err != nil {
				return nil, err
			}
		}
	}
	var err error
	if b.places, err = scheme.Compile(ls); err != nil {
		return nil, err
	}
	for i, k := range []string{o.ConnectionsDataKey, o.VariablesDataKey, o.ConfigDataKey} {
		if k == "" {
			k = DefaultDataKey
		}
		if why := checkDataKey(k); why != "" {
			return nil, invalid("%s_data_key is not a valid secret data key: %s", [...]string{"connections", "variables", "config"}[i], why)
		}
		b.dataKeys[i] = k
	}
	if o.MultiTeam && !o.NoTeamLabel {
		b.teamLabel = o.TeamLabel
		if b.teamLabel == "" {
			b.teamLabel = DefaultTeamLabel
		}
	}
	if o.TeamLabel != "" {
		if why := checkLabelKey(o.TeamLabel); why != "" {
			return nil, invalid("team_label is not a valid label key: %s", why)
		}
	}
	if b.namespace == "" {
		b.namespace = o.Cluster.Namespace
	}
	if b.namespace == "" {
		return nil, invalid("no namespace: set namespace")
	}
	if why := checkNamespace(b.namespace); why != "" {
		return nil, invalid("namespace %q is not a valid namespace name: %s", b.namespace, why)
	}
	if b.server, err = serverURL(o.Cluster.Server); err != nil {
		return nil, err
	}
	b.listURL = b.server + "/api/v1/namespaces/" + url.PathEscape(b.namespace) + "/secrets?labelSelector="
	if b.client == nil {
		if b.client, err = o.Cluster.httpClient(); err != nil {
			return nil, err
		}
	}
	if b.token, err = o.Cluster.tokenSource(); err != nil {
		return nil, err
	}
	b.auth = o.Cluster.authText()
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	if b.maxBytes <= 0 {
		b.maxBytes = DefaultMaxResponseBytes
	}
	if b.logger == nil {
		b.logger = slog.Default()
	}
	return b, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", config.ErrInvalid, Name, fmt.Sprintf(format, args...))
}

// serverURL checks the API server's URL and returns it without a trailing
// slash.
func serverURL(s string) (string, error) {
	if s == "" {
		return "", invalid("no API server URL")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		// Not quoted: it could hold credentials.
		return "", invalid("the API server URL must be an http or https URL without user info, query or fragment")
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// Name returns "kubernetes-secrets".
func (b *Backend) Name() string { return Name }

// Namespace returns the namespace the backend lists.
func (b *Backend) Namespace() string { return b.namespace }

// Lookup returns the data key's value of the secret whose label matches
// req.ID (see the package doc for teams, several matches and misses).
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p, ok := b.places.For(req.Kind)
	if !ok {
		return "", kit.NotServed(req.Kind)
	}
	if why := p.Skip(req.ID); why != "" {
		return "", fmt.Errorf("%s: %s: %w", Name, why, resolver.ErrNotFound)
	}
	if why := checkLabelValue(req.ID); why != "" {
		// No secret can carry this label value; the API server would
		// refuse the selector (400). Not sending it also keeps an id from
		// adding requirements to the selector.
		b.logger.LogAttrs(ctx, slog.LevelDebug, "Kubernetes secrets: the id cannot be a label value; not found without a request",
			slog.String("backend", Name), slog.String("kind", req.Kind.String()), slog.String("reason", why))
		return "", fmt.Errorf("%s: %s %q cannot be a label value (%s): %w", Name, req.Kind, req.ID, why, resolver.ErrNotFound)
	}
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	dataKey := b.dataKey(req.Kind)
	var last error
	for _, sel := range b.selectors(p.Prefix, req) {
		v, err := b.find(ctx, sel, dataKey)
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, resolver.ErrNotFound) {
			return "", err
		}
		last = err
	}
	return "", last
}

func (b *Backend) dataKey(k resolver.Kind) string {
	switch k {
	case resolver.KindConnection:
		return b.dataKeys[0]
	case resolver.KindVariable:
		return b.dataKeys[1]
	}
	return b.dataKeys[2]
}

// selectors are the label selectors a lookup tries, in order. Without
// teams (multi_team off, team_label null, or a config): label=id. With
// teams, as Airflow (PR #65694): a team's lookup tries
// label=id,team_label=team, then the global label=id,!team_label; a
// lookup without a team only the global one, so that a team's secret is
// never read without its team.
func (b *Backend) selectors(label string, req resolver.Request) []string {
	base := label + "=" + req.ID
	if b.teamLabel == "" || req.Kind == resolver.KindConfig {
		return []string{base}
	}
	global := base + ",!" + b.teamLabel
	if req.Team == "" || checkLabelValue(req.Team) != "" {
		// A team that cannot be a label value holds no secret of its own.
		return []string{global}
	}
	return []string{base + "," + b.teamLabel + "=" + req.Team, global}
}

// Cluster is where the API server is and how to authenticate to it. Its
// fmt forms print the server and namespace only (never a token or key).
type Cluster struct {
	// Server is the API server's base URL (https://host:port).
	Server string
	// Namespace is the default namespace: the service account's, or the
	// kubeconfig context's.
	Namespace string

	// CAFile or CAData (PEM) is the CA bundle that verifies the server;
	// neither means the system's roots. InsecureSkipTLSVerify turns
	// verification off (and excludes a CA). TLSServerName overrides the
	// name verified.
	CAFile                string
	CAData                []byte
	InsecureSkipTLSVerify bool
	TLSServerName         string

	// Token is a bearer token; TokenFile a file holding one, read for
	// every request (so a rotated service-account token is used at once).
	Token     string
	TokenFile string

	// A client certificate and its key: files or PEM data.
	ClientCertFile, ClientKeyFile string
	ClientCertData, ClientKeyData []byte
}

func (c Cluster) httpClient() (*http.Client, error) {
	cfg := &tls.Config{ServerName: c.TLSServerName, MinVersion: tls.VersionTLS12}
	ca := c.CAData
	if c.CAFile != "" {
		if c.CAData != nil {
			return nil, invalid("give a CA file or CA data, not both")
		}
		var err error
		if ca, err = kit.ReadFile(c.CAFile, maxCredentialFile); err != nil {
			return nil, invalid("the CA file cannot be read: %v", err)
		}
	}
	switch {
	case c.InsecureSkipTLSVerify && ca != nil:
		return nil, invalid("a CA and insecure-skip-tls-verify exclude each other")
	case c.InsecureSkipTLSVerify:
		cfg.InsecureSkipVerify = true
	case ca != nil:
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, invalid("the CA bundle holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	certPEM, keyPEM := c.ClientCertData, c.ClientKeyData
	var err error
	if c.ClientCertFile != "" {
		if certPEM, err = kit.ReadFile(c.ClientCertFile, maxCredentialFile); err != nil {
			return nil, invalid("the client certificate cannot be read: %v", err)
		}
	}
	if c.ClientKeyFile != "" {
		if keyPEM, err = kit.ReadFile(c.ClientKeyFile, maxCredentialFile); err != nil {
			return nil, invalid("the client key cannot be read: %v", err)
		}
	}
	switch {
	case certPEM != nil && keyPEM != nil:
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			// crypto/tls's errors describe the PEM blocks, never the key.
			return nil, invalid("the client certificate and key do not load: %v", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	case certPEM != nil:
		return nil, invalid("a client certificate without its key")
	case keyPEM != nil:
		return nil, invalid("a client key without its certificate")
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = cfg
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t, CheckRedirect: noRedirect}, nil
}

// noRedirect keeps the bearer token on the API server: a redirect is
// answered as it came (an error).
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// maxCredentialFile bounds a token, CA, certificate or key file.
const maxCredentialFile = 1 << 20
