package azurekeyvault

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretpath/secretpath/resolver"
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

const className = "AzureKeyVaultBackend"

func init() {
	resolver.Register(Name, open,
		"airflow.providers.microsoft.azure.secrets.key_vault."+className,
		"airflow.contrib.secrets.azure_key_vault."+className,
	)
}

// Kind says where one kind of value lives.
type Kind struct {
	// Off: never look this kind up; no request is made (Airflow's prefix
	// None).
	Off bool
	// Prefix is put before sep + id; "" means the default prefix unless
	// NoPrefix is set. Trailing characters of sep are stripped, and '_'
	// and '.' become sep.
	Prefix string
	// NoPrefix: the secret name is the id alone (Airflow's prefix "").
	NoPrefix bool
}

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
	// Where connections, variables and configs live. The zero Kind is
	// Airflow's default.
	Connections, Variables, Configs Kind
	// Sep joins prefix and id and replaces '_' and '.'; "" means "-". It
	// must be made of 0-9, a-z, A-Z and '-'.
	Sep string
	// Timeout bounds one lookup, token acquisition and the SDK's retries
	// included: 0 means DefaultTimeout, a negative value no bound but the
	// caller's context.
	Timeout time.Duration
}

// Backend reads connections, variables and configs from Azure Key Vault
// secrets. It is safe for concurrent use.
type Backend struct {
	client            *azsecrets.Client
	namer             namer
	conns, vars, cfgs kind
	timeout           time.Duration
	secrets           []string // credentials to mask in errors
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
	n, err := newNamer(sep)
	if err != nil {
		return nil, err
	}
	b := &Backend{namer: n, timeout: o.Timeout}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	for _, k := range []struct {
		o    Kind
		def  string
		what string
		dst  *kind
	}{
		{o.Connections, DefaultConnectionsPrefix, "connections_prefix", &b.conns},
		{o.Variables, DefaultVariablesPrefix, "variables_prefix", &b.vars},
		{o.Configs, DefaultConfigPrefix, "config_prefix", &b.cfgs},
	} {
		if *k.dst, err = n.kind(k.o, k.def, k.what); err != nil {
			return nil, err
		}
	}
	cred := o.Credential
	if cred == nil {
		if cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: o.Client.ClientOptions}); err != nil {
			return nil, fmt.Errorf("%w: %s: DefaultAzureCredential: %s", resolver.ErrConfig, Name, oneLine(err.Error(), 2*maxMessage))
		}
	}
	co := o.Client
	co.PerCallPolicies = append(append([]policy.Policy(nil), co.PerCallPolicies...), statusPolicy{})
	if b.client, err = azsecrets.NewClient(o.VaultURL, cred, &co); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", resolver.ErrConfig, Name, oneLine(err.Error(), 2*maxMessage))
	}
	return b, nil
}

// Name returns "azure-key-vault".
func (b *Backend) Name() string { return Name }

// ConnectionValue returns the value of secret <connections prefix><sep>connID.
func (b *Backend) ConnectionValue(ctx context.Context, connID string) (string, error) {
	return b.get(ctx, &b.conns, connID)
}

// Variable returns the value of secret <variables prefix><sep>key.
func (b *Backend) Variable(ctx context.Context, key string) (string, error) {
	return b.get(ctx, &b.vars, key)
}

// Config returns the value of secret <config prefix><sep>key.
func (b *Backend) Config(ctx context.Context, key string) (string, error) {
	return b.get(ctx, &b.cfgs, key)
}

// SecretName returns the name of the secret that holds id of kind k, or an
// error matching resolver.ErrNotFound that says why no secret is read for
// it (the kind is off, the id is empty, spells a team-scoped name, or gives
// a name Key Vault cannot hold). It makes no request.
func (b *Backend) SecretName(k resolver.Kind, id string) (string, error) {
	switch k {
	case resolver.KindConnection:
		return b.namer.name(&b.conns, id)
	case resolver.KindVariable:
		return b.namer.name(&b.vars, id)
	case resolver.KindConfig:
		return b.namer.name(&b.cfgs, id)
	}
	return "", fmt.Errorf("%w: unknown kind %v", resolver.ErrNotFound, k)
}

func (b *Backend) get(ctx context.Context, k *kind, id string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	name, err := b.namer.name(k, id)
	if err != nil {
		return "", err
	}
	if b.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}
	var status int
	resp, err := b.client.GetSecret(context.WithValue(ctx, statusKey{}, &status), name, "", nil)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return "", fmt.Errorf("secret %q: %w", name, cerr)
		}
		return "", b.wrap(name, status, err)
	}
	if resp.Value == nil {
		return "", &lookupError{err: errNoValue, msg: fmt.Sprintf("secret %q: %v", name, errNoValue)}
	}
	return *resp.Value, nil
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
