package azurekeyvault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// settings are the backend_kwargs, read.
type settings struct {
	vaultURL  string
	sep       string
	locations kit.Locations

	// tenant_id, client_id, client_secret: a client-secret credential.
	tenantID, clientID, clientSecret string
	// managed_identity_client_id, workload_identity_tenant_id: a
	// user-assigned identity (see credential).
	miClientID, wiTenantID string

	verifyChallenge          bool   // verify_challenge_resource
	disableInstanceDiscovery bool   // disable_instance_discovery
	insecure                 bool   // connection_verify: false
	caBundle                 string // connection_verify: a path
	apiVersion               string // api_version
	timeout                  time.Duration
	client                   clientOpts // the azure-core client options
	pollInterval, pollJitter time.Duration
}

// parseSettings reads every key the backend knows; the caller then calls
// CheckUnused.
func parseSettings(kw *config.Kwargs) (settings, error) {
	var s settings
	var err error
	if s.locations, err = scheme(DefaultSep).Parse(kw); err != nil {
		return settings{}, err
	}
	strs := []struct {
		key string
		dst *string
		def string
	}{
		{"vault_url", &s.vaultURL, ""},
		{"tenant_id", &s.tenantID, ""},
		{"client_id", &s.clientID, ""},
		{"client_secret", &s.clientSecret, ""},
		{"managed_identity_client_id", &s.miClientID, ""},
		{"workload_identity_tenant_id", &s.wiTenantID, ""},
		{"api_version", &s.apiVersion, ""},
	}
	for _, f := range strs {
		if *f.dst, err = kw.String(f.key, f.def); err != nil {
			return settings{}, err
		}
	}
	sep, on, err := kw.OptString("sep", DefaultSep)
	switch {
	case err != nil:
		return settings{}, err
	case !on: // null: Airflow's default
		sep = DefaultSep
	case sep == "":
		return settings{}, fmt.Errorf("%w: backend_kwargs key %q must not be empty (it is part of every Key Vault secret name)", config.ErrInvalid, "sep")
	}
	s.sep = sep
	if err := checkVaultURL(s.vaultURL); err != nil {
		return settings{}, err
	}
	if n := count(s.tenantID, s.clientID, s.clientSecret); n != 0 && n != 3 {
		return settings{}, fmt.Errorf("%w: backend_kwargs keys %q, %q and %q go together (a client-secret credential)", config.ErrInvalid, "tenant_id", "client_id", "client_secret")
	}
	if n := count(s.miClientID, s.wiTenantID); n == 1 {
		return settings{}, fmt.Errorf("%w: backend_kwargs keys %q and %q go together (Airflow ignores one without the other)", config.ErrInvalid, "managed_identity_client_id", "workload_identity_tenant_id")
	}
	if s.clientSecret != "" && s.miClientID != "" {
		return settings{}, fmt.Errorf("%w: backend_kwargs keys %q and %q are two different credentials: give one", config.ErrInvalid, "client_secret", "managed_identity_client_id")
	}
	if s.verifyChallenge, err = kw.Bool("verify_challenge_resource", true); err != nil {
		return settings{}, err
	}
	if s.disableInstanceDiscovery, err = kw.Bool("disable_instance_discovery", false); err != nil {
		return settings{}, err
	}
	v, err := verify.Parse(kw)
	if err != nil {
		return settings{}, err
	}
	s.insecure, s.caBundle = v.Insecure, v.CABundle
	if s.timeout, err = kit.Timeout(kw); err != nil {
		return settings{}, err
	}
	if s.client, err = parseClientOpts(kw); err != nil {
		return settings{}, err
	}
	poll, err := kit.ReadPollKwargs(kw)
	if err != nil {
		return settings{}, err
	}
	s.pollInterval, s.pollJitter = poll.Interval, poll.Jitter
	return s, nil
}

func count(vals ...string) int {
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	return n
}

// checkVaultURL refuses anything but an https:// URL with a host. The URL
// is not echoed: it may carry user information.
func checkVaultURL(s string) error {
	if s == "" {
		return fmt.Errorf("%w: backend_kwargs key %q is required (https://<vault-name>.vault.azure.net/)", config.ErrInvalid, "vault_url")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: backend_kwargs key %q must be an https:// URL with a host and no user, query or fragment", config.ErrInvalid, "vault_url")
	}
	return nil
}

// verify is connection_verify, as azure-core's transport takes it: a
// boolean, or the path of a CA bundle ("" is refused).
var verify = kit.VerifyKwarg{Key: "connection_verify", RefuseEmpty: true}

// transportHook, when set (by tests), adjusts every transport the backend
// builds from kwargs.
var transportHook func(*http.Transport)

// transport returns the HTTP client connection_verify asks for, or nil for
// the SDK's default. With vault set, it is the vault client's: the
// azure-core client options (proxies, timeouts) apply too.
func (s *settings) transport(vault bool) (*http.Client, error) {
	opts := vault && s.client.needsTransport()
	if !s.insecure && s.caBundle == "" && transportHook == nil && !opts {
		return nil, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 10 // as the SDK's default transport: lookups run concurrently
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if s.insecure {
		tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the user asked for connection_verify=false
	}
	if s.caBundle != "" {
		pem, err := os.ReadFile(s.caBundle)
		if err != nil {
			return nil, fmt.Errorf("%w: backend_kwargs key %q: %v", config.ErrInvalid, "connection_verify", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: backend_kwargs key %q: %s holds no PEM certificate", config.ErrInvalid, "connection_verify", s.caBundle)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	if transportHook != nil {
		transportHook(tr)
	}
	if vault {
		s.client.applyTransport(tr)
		return s.client.redirects.httpClient(tr), nil
	}
	return &http.Client{Transport: tr}, nil
}

// credential builds the credential the kwargs describe, as Airflow does:
// tenant_id + client_id + client_secret give a client-secret credential;
// managed_identity_client_id + workload_identity_tenant_id give the
// production part of DefaultAzureCredential with that identity
// (environment, workload identity, then the managed identity); anything
// else gives DefaultAzureCredential. No request is made.
func (s *settings) credential(co azcore.ClientOptions) (azcore.TokenCredential, error) {
	wrap := func(what string, err error) error {
		return fmt.Errorf("%w: %s: %s: %s", config.ErrInvalid, Name, what, oneLine(err.Error(), 2*maxMessage))
	}
	switch {
	case s.clientSecret != "":
		c, err := azidentity.NewClientSecretCredential(s.tenantID, s.clientID, s.clientSecret, &azidentity.ClientSecretCredentialOptions{
			ClientOptions:            co,
			DisableInstanceDiscovery: s.disableInstanceDiscovery,
		})
		if err != nil {
			return nil, wrap("client-secret credential", err)
		}
		return c, nil
	case s.miClientID != "":
		return s.identityChain(co)
	}
	c, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
		ClientOptions:            co,
		DisableInstanceDiscovery: s.disableInstanceDiscovery,
	})
	if err != nil {
		return nil, wrap("DefaultAzureCredential", err)
	}
	return c, nil
}

// identityChain is what Python's DefaultAzureCredential(
// managed_identity_client_id=, workload_identity_tenant_id=,
// additionally_allowed_tenants=[tenant]) does in Azure: the environment's
// service principal (AZURE_CLIENT_SECRET etc.) when configured, workload
// identity with that client id and tenant when AZURE_FEDERATED_TOKEN_FILE
// is set, then the user-assigned managed identity. Go's
// DefaultAzureCredential has no option for the managed identity's client id
// (it reads AZURE_CLIENT_ID), hence this chain. The developer tools (Azure
// CLI and the like) are left out: they do not take a client id.
func (s *settings) identityChain(co azcore.ClientOptions) (azcore.TokenCredential, error) {
	var creds []azcore.TokenCredential
	if env, err := azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{
		ClientOptions:            co,
		DisableInstanceDiscovery: s.disableInstanceDiscovery,
	}); err == nil {
		creds = append(creds, env)
	}
	if os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "" {
		wi, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions:              co,
			ClientID:                   s.miClientID,
			TenantID:                   s.wiTenantID,
			AdditionallyAllowedTenants: []string{s.wiTenantID},
			DisableInstanceDiscovery:   s.disableInstanceDiscovery,
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %s: workload identity credential: %s", config.ErrInvalid, Name, oneLine(err.Error(), 2*maxMessage))
		}
		creds = append(creds, wi)
	}
	mi, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ClientOptions: co,
		ID:            azidentity.ClientID(s.miClientID),
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: managed identity credential: %s", config.ErrInvalid, Name, oneLine(err.Error(), 2*maxMessage))
	}
	creds = append(creds, mi)
	chain, err := azidentity.NewChainedTokenCredential(creds, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s", config.ErrInvalid, Name, oneLine(err.Error(), 2*maxMessage))
	}
	return chain, nil
}

// open builds a Backend from env's backend_kwargs (see the package doc).
func open(_ context.Context, env resolver.Env) (resolver.Backend, error) {
	kw := env.Kwargs
	s, err := parseSettings(kw)
	if err != nil {
		return nil, err
	}
	if err := kw.CheckUnused(Name); err != nil {
		return nil, err
	}
	var co azcore.ClientOptions
	client, err := s.transport(false)
	if err != nil {
		return nil, err
	}
	if client != nil {
		co.Transport = client
	}
	cred, err := s.credential(co)
	if err != nil {
		return nil, err
	}
	multiTeam, err := env.Config.Bool("core", "multi_team", false)
	if err != nil {
		return nil, err
	}
	// The vault's client alone gets the azure-core client options, as
	// SecretClient(**kwargs) does in Airflow.
	vco := co
	vclient, err := s.transport(true)
	if err != nil {
		return nil, err
	}
	if vclient != nil {
		vco.Transport = vclient
	}
	vco.Retry = s.client.retry
	vco.PerCallPolicies, vco.PerRetryPolicies = s.client.policies()
	s.client.warn(env.Logger)
	lookup := s.timeout
	if lookup == 0 {
		lookup = DefaultTimeout
	}
	if b := s.client.budget; b > 0 && lookup > 0 && b > lookup && env.Logger != nil {
		env.Logger.Warn("backend_kwargs key timeout is longer than the lookup's bound, timeout_seconds (default 10), which ends the lookup first",
			"backend", Name, "timeout", b.String(), "timeout_seconds", lookup.String())
	}
	sco := azsecrets.ClientOptions{ClientOptions: vco, DisableChallengeResourceVerification: !s.verifyChallenge}
	sco.APIVersion = s.apiVersion
	b, err := New(Options{
		VaultURL:    s.vaultURL,
		Credential:  cred,
		Client:      sco,
		Connections: s.locations.Connections,
		Variables:   s.locations.Variables,
		Configs:     s.locations.Configs,
		Sep:         s.sep,
		Timeout:     s.timeout,
		MultiTeam:   multiTeam,
		Logger:      env.Logger,

		ChangesPollInterval: s.pollInterval,
		ChangesPollJitter:   s.pollJitter,
	})
	if err != nil {
		return nil, err
	}
	if s.clientSecret != "" {
		b.secrets = []string{s.clientSecret}
	}
	return b, nil
}
