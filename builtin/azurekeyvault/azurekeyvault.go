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
			return nil, fmt.Errorf("%w: %s: DefaultAzureCredential: %s", config.ErrInvalid, Name, oneLine(err.Error(), 2*maxMessage))
		}
	}
	co := o.Client
	co.PerCallPolicies = append(append([]policy.Policy(nil), co.PerCallPolicies...), statusPolicy{})
	if b.client, err = azsecrets.NewClient(o.VaultURL, cred, &co); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", config.ErrInvalid, Name, oneLine(err.Error(), 2*maxMessage))
	}
	return b, nil
}

// Name returns "azure-key-vault".
func (b *Backend) Name() string { return Name }

// Lookup returns the value of secret <prefix><sep>id, the prefix being
// the connections, variables or config prefix as req.Kind says (see
// SecretName). req.Team is not used: the secret is the one a lookup
// without a team reads.
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	name, err := b.SecretName(req)
	if err != nil {
		return "", err
	}
	return b.get(ctx, name)
}

// SecretName returns the name of the secret a lookup of req reads, or an
// error matching resolver.ErrNotFound that says why no secret is read for
// it (the kind is off or unknown, the id is empty, spells a team-scoped
// name, or gives a name Key Vault cannot hold). req.Team is not used. It
// makes no request.
func (b *Backend) SecretName(req resolver.Request) (string, error) {
	switch req.Kind {
	case resolver.KindConnection:
		return b.namer.name(&b.conns, req.ID)
	case resolver.KindVariable:
		return b.namer.name(&b.vars, req.ID)
	case resolver.KindConfig:
		return b.namer.name(&b.cfgs, req.ID)
	}
	return "", fmt.Errorf("%w: unknown kind %v", resolver.ErrNotFound, req.Kind)
}

// get reads secret name's latest version.
func (b *Backend) get(ctx context.Context, name string) (string, error) {
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
