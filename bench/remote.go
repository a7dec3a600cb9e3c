package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	vaultapi "github.com/hashicorp/vault/api"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	_ "github.com/secretpath/secretpath" // registers every backend of this build, for plannedRemotes
	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/builtin/executionapi"
	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/internal/execapifake"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/internal/k8sfake"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
)

// remote is one remote backend's row. Adding a backend is one entry here
// and one start function: start its loopback double, store URI under ID,
// and return our backend's lookup and the raw SDK call that reads the same
// value from the same double.
type remote struct {
	name   string // the registry name; the rows are Remote/<name> and Remote/<name>/sdk
	double string // what it runs against, for the row's description
	start  func() (*remotePair, error)
}

// remotePair are the two calls a remote row alternates.
type remotePair struct {
	ours, sdk func(context.Context) (string, error)
	// want is what both calls return; "" means URI.
	want string
	// reset, when set, runs after each sample (the double forgets the
	// requests it recorded).
	reset func()
}

var remotes = []remote{
	{name: awsssm.Name, double: "internal/awsfake (SSM GetParameter, SecureString)", start: startSSM},
	{name: awssecretsmanager.Name, double: "internal/awsfake (Secrets Manager GetSecretValue)", start: startSecretsManager},
	{name: vault.Name, double: "internal/vaultfake (KV v2 read, token auth)", start: startVault},
	{name: gcpsecretmanager.Name, double: "internal/gcpfake (AccessSecretVersion, static OAuth token)", start: startGCP},
	{name: azurekeyvault.Name, double: "internal/azurefake (GetSecret over TLS, client-secret credential)", start: startAzure},
	{name: executionapi.Name, double: "internal/execapifake (GET connections/<id>, bearer token, Airflow-API-Version)", start: startExecutionAPI},
	{name: kubernetessecrets.Name, double: "internal/k8sfake (secrets listed by label over TLS, bearer token)", start: startKubernetes},
}

// plannedRemotes are the remote backends the design plans (the registry
// names of secretpath.go's planned map). One without an entry in remotes
// shows as "not built in this tree" while no package registers it.
var plannedRemotes = []string{"vault", "gcp-secret-manager", "azure-key-vault", "execution-api", "kubernetes-secrets"}

// errNoRow: a backend this build registers has no row in remotes yet.
var errNoRow = errors.New("no benchmark row yet")

// remoteOverhead is the target in bench/README.md: ≤ 5% over the raw SDK call.
const remoteOverhead = 1.05

func remoteCases() []Case {
	var cs []Case
	for _, r := range remotes {
		l := newLazy(r.start)
		sdk := "Remote/" + r.name + "/sdk"
		cs = append(cs, Case{Name: "Remote/" + r.name,
			What: "our " + r.name + " backend's Lookup(ctx, connection request) against " + r.double + " on loopback, alternating in blocks of 8 with " + sdk +
				", the same request made directly with the service's client (AWS, Azure: its SDK client; Vault: api.Client.Logical().ReadWithContext; GCP: an oauth2 HTTP client's GET and the payload decoded; Execution API, Kubernetes: a net/http GET with the same headers and the answer decoded) from the same configuration, credentials and endpoint; allocs include the in-process double's",
			Paired: sdk, Baseline: sdk, Targets: []Target{ratioAtMost(remoteOverhead)},
			Setup: setup(l), F: pairedBench(l)})
	}
	var registered []string
	for _, reg := range resolver.Registered() {
		registered = append(registered, reg.Name)
	}
	for _, name := range plannedRemotes {
		if slices.ContainsFunc(remotes, func(r remote) bool { return r.name == name }) {
			continue
		}
		cs = append(cs, Case{Name: "Remote/" + name, What: "planned: the " + name + " backend against its loopback double",
			Setup: func() error {
				if slices.Contains(registered, name) {
					return fmt.Errorf("bench: backend %q is registered in this build but has %w: add its start function to remotes in bench/remote.go", name, errNoRow)
				}
				return fmt.Errorf("%w (no package registers %q)", ErrNotBuilt, name)
			}})
	}
	return inGroup(GroupRemote, cs)
}

// awsConfig is the configuration of both clients of an AWS row: the fake's
// region and fixed test credentials (no credential chain runs, so nothing
// can reach an instance metadata address).
func awsConfig() aws.Config {
	return aws.Config{
		Region:      awsfake.Region,
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, ""),
	}
}

func startSSM() (*remotePair, error) {
	f := awsfake.NewServer()
	onClose(f.Close)
	name := awsssm.DefaultConnectionsPrefix + "/" + ID
	f.PutParameter(name, URI, awsfake.SecureString)
	endpoint := func(o *ssm.Options) { o.BaseEndpoint = aws.String(f.URL) }
	be, err := awsssm.New(awsssm.Options{AWS: awsConfig(), ClientOptions: []func(*ssm.Options){endpoint}})
	if err != nil {
		return nil, err
	}
	client := ssm.NewFromConfig(awsConfig(), endpoint)
	p := &remotePair{
		ours: func(ctx context.Context) (string, error) {
			return be.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: ID})
		},
		sdk: func(ctx context.Context) (string, error) {
			out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Parameter.Value), nil
		},
		reset: f.ResetRequests,
	}
	return p, p.check()
}

func startSecretsManager() (*remotePair, error) {
	f := awsfake.NewServer()
	onClose(f.Close)
	name := awssecretsmanager.DefaultConnectionsPrefix + awssecretsmanager.DefaultSep + ID
	f.PutSecret(name, URI)
	endpoint := func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(f.URL) }
	be, err := awssecretsmanager.New(awssecretsmanager.Options{AWS: awsConfig(), ClientOptions: []func(*secretsmanager.Options){endpoint}})
	if err != nil {
		return nil, err
	}
	client := secretsmanager.NewFromConfig(awsConfig(), endpoint)
	p := &remotePair{
		ours: func(ctx context.Context) (string, error) {
			return be.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: ID})
		},
		sdk: func(ctx context.Context) (string, error) {
			out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.SecretString), nil
		},
		reset: f.ResetRequests,
	}
	return p, p.check()
}

// startVault: the backend and api.Client.Logical().ReadWithContext of the
// same KV v2 path, both from the same api.Config and token.
func startVault() (*remotePair, error) {
	f := vaultfake.NewServer()
	onClose(f.Close)
	f.Mount(vault.DefaultMountPoint, 2)
	token := f.CreateToken(vaultfake.TokenOptions{})
	f.Put(vault.DefaultMountPoint, vault.DefaultConnectionsPath+"/"+ID, map[string]any{"conn_uri": URI})
	config := func() (*vaultapi.Config, error) {
		cfg := vaultapi.DefaultConfig()
		if cfg.Error != nil {
			return nil, cfg.Error
		}
		cfg.Address = f.URL
		cfg.MaxRetries = 0
		return cfg, nil
	}
	cfg, err := config()
	if err != nil {
		return nil, err
	}
	be, err := vault.New(vault.Options{Config: cfg, Auth: vault.Auth{Token: token}})
	if err != nil {
		return nil, err
	}
	onClose(func() { _ = be.Close() })
	if cfg, err = config(); err != nil {
		return nil, err
	}
	client, err := vaultapi.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	client.SetToken(token)
	client.SetNamespace("") // NewClient reads VAULT_NAMESPACE; the backend was given none
	path := vault.DefaultMountPoint + "/data/" + vault.DefaultConnectionsPath + "/" + ID
	p := &remotePair{
		ours: func(ctx context.Context) (string, error) {
			return be.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: ID})
		},
		sdk: func(ctx context.Context) (string, error) {
			s, err := client.Logical().ReadWithContext(ctx, path)
			if err != nil {
				return "", err
			}
			if s == nil {
				return "", fmt.Errorf("bench: no secret at %s", path)
			}
			data, _ := s.Data["data"].(map[string]any)
			v, _ := data["conn_uri"].(string)
			return v, nil
		},
		reset: f.ResetRequests,
	}
	return p, p.check()
}

// startGCP: the backend and what a program does without it, an oauth2
// HTTP client's GET of the same AccessSecretVersion URL and the JSON and
// base64 decoding of the payload, both with the same static token (no
// credential detection runs). Both send the same headers: Authorization,
// User-Agent (the backend's own, Go's for the raw call) and the
// Accept-Encoding Go's transport adds; the backend sends no more than the
// service needs. GCE_METADATA_HOST is pointed at a dead
// loopback port all the same, so that nothing in the Google libraries can
// ask 169.254.169.254 or metadata.google.internal.
func startGCP() (*remotePair, error) {
	if err := os.Setenv("GCE_METADATA_HOST", gcpfake.DeadMetadataHost); err != nil {
		return nil, err
	}
	f := gcpfake.NewServer()
	onClose(f.Close)
	const token = "ya29.bench-static-token"
	f.AllowToken(token)
	secret := gcpsecretmanager.DefaultConnectionsPrefix + gcpsecretmanager.DefaultSep + ID
	f.PutSecret(secret, URI)
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})
	be, err := gcpsecretmanager.New(ctx, gcpsecretmanager.Options{
		ProjectID: gcpfake.ProjectID, Credentials: &google.Credentials{TokenSource: ts}, Endpoint: f.URL,
	})
	if err != nil {
		return nil, err
	}
	raw := &http.Client{Transport: &oauth2.Transport{Source: ts, Base: http.DefaultTransport.(*http.Transport).Clone()}}
	url := f.URL + "/v1/projects/" + gcpfake.ProjectID + "/secrets/" + secret + "/versions/latest:access"
	p := &remotePair{
		ours: func(ctx context.Context) (string, error) {
			return be.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: ID})
		},
		sdk: func(ctx context.Context) (string, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return "", err
			}
			resp, err := raw.Do(req)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return "", fmt.Errorf("bench: GET %s: %s", url, resp.Status)
			}
			var out struct {
				Payload struct {
					Data string `json:"data"`
				} `json:"payload"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				return "", err
			}
			data, err := base64.StdEncoding.DecodeString(out.Payload.Data)
			return string(data), err
		},
		reset: f.ResetRequests,
	}
	return p, p.check()
}

// startAzure: the backend and azsecrets.Client.GetSecret of the same
// secret, from the same client-secret credential (talking to the fake's
// authority, instance discovery off: no credential chain runs) and client
// options, over a transport that trusts the fake's certificate and dials
// loopback only.
func startAzure() (*remotePair, error) {
	f := azurefake.NewServer()
	onClose(f.Close)
	secret := azurekeyvault.DefaultConnectionsPrefix + azurekeyvault.DefaultSep + strings.ReplaceAll(ID, "_", azurekeyvault.DefaultSep)
	f.SetSecret(secret, URI)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(f.CertPEM()) {
		return nil, errors.New("bench: azurefake's certificate")
	}
	hc := &http.Client{Transport: &http.Transport{
		DialContext:         loopbackDial,
		MaxIdleConnsPerHost: 4,
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
	co := azcore.ClientOptions{Transport: hc, Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: f.URL}}
	cred, err := azidentity.NewClientSecretCredential(azurefake.Tenant, azurefake.ClientID, azurefake.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: true})
	if err != nil {
		return nil, err
	}
	sco := azsecrets.ClientOptions{ClientOptions: co, DisableChallengeResourceVerification: true}
	be, err := azurekeyvault.New(azurekeyvault.Options{VaultURL: f.URL, Credential: cred, Client: sco})
	if err != nil {
		return nil, err
	}
	client, err := azsecrets.NewClient(f.URL, cred, &sco)
	if err != nil {
		return nil, err
	}
	p := &remotePair{
		ours: func(ctx context.Context) (string, error) {
			return be.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: ID})
		},
		sdk: func(ctx context.Context) (string, error) {
			resp, err := client.GetSecret(ctx, secret, "", nil)
			if err != nil {
				return "", err
			}
			if resp.Value == nil {
				return "", fmt.Errorf("bench: secret %s has no value", secret)
			}
			return *resp.Value, nil
		},
		reset: f.ResetRequests,
	}
	return p, p.check()
}

// startExecutionAPI: the backend and a net/http GET of the same
// connections/<id> URL with the headers the task SDK's client sends
// (Authorization, Airflow-API-Version and a random Correlation-Id per
// request, made as the backend makes it), the ConnectionResponse decoded
// and encoded again as Airflow's JSON form of the connection, which is
// what the backend returns (its Lookup answers a string).
func startExecutionAPI() (*remotePair, error) {
	const token = "bench-execution-api-token"
	f := execapifake.NewServer(token)
	onClose(f.Close)
	c, err := execapifake.ConnectionFrom(ID, URI)
	if err != nil {
		return nil, err
	}
	f.PutConnection(ID, c)
	be, err := executionapi.New(executionapi.Options{URL: f.URL, Token: token})
	if err != nil {
		return nil, err
	}
	onClose(func() { _ = be.Close() })
	raw := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	url := f.URL + "connections/" + ID
	// The ConnectionResponse; encoded, Airflow's JSON form (conn_id and
	// null fields left out), as the backend encodes it.
	type response struct {
		ConnID   string  `json:"-"`
		ConnType *string `json:"conn_type"`
		Host     *string `json:"host,omitempty"`
		Schema   *string `json:"schema,omitempty"`
		Login    *string `json:"login,omitempty"`
		Password *string `json:"password,omitempty"`
		Port     *int    `json:"port,omitempty"`
		Extra    *string `json:"extra,omitempty"`
	}
	p := &remotePair{
		ours: func(ctx context.Context) (string, error) {
			return be.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: ID})
		},
		sdk: func(ctx context.Context) (string, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return "", err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set(execapifake.VersionHeader, executionapi.APIVersion)
			var id [16]byte
			binary.LittleEndian.PutUint64(id[:8], rand.Uint64())
			binary.LittleEndian.PutUint64(id[8:], rand.Uint64())
			req.Header.Set("Correlation-Id", hex.EncodeToString(id[:]))
			resp, err := raw.Do(req)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return "", fmt.Errorf("bench: GET %s: %s", url, resp.Status)
			}
			var c response
			if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
				return "", err
			}
			out, err := json.Marshal(c)
			return string(out), err
		},
		reset: f.ResetRequests,
	}
	// Both answer Airflow's JSON form of URI.
	wantJSON, err := json.Marshal(response{ConnType: &c.ConnType, Host: c.Host, Schema: c.Schema, Login: c.Login,
		Password: c.Password, Port: c.Port, Extra: c.Extra})
	if err != nil {
		return nil, err
	}
	p.want = string(wantJSON)
	return p, p.check()
}

// startKubernetes: the backend and a net/http GET of the same secrets list
// (labelSelector=<connections label>=<id>, resourceVersion=0) with the
// same bearer token, over a transport trusting the fake's CA, the
// SecretList decoded and the first item's data key base64-decoded.
func startKubernetes() (*remotePair, error) {
	dir, err := os.MkdirTemp("", "secretpath-bench-k8s-")
	if err != nil {
		return nil, err
	}
	onClose(func() { _ = os.RemoveAll(dir) })
	f, err := k8sfake.NewServer(dir)
	if err != nil {
		return nil, err
	}
	onClose(f.Close)
	const token, namespace = "bench-kubernetes-token", "airflow"
	f.AllowToken(token)
	f.PutValue(namespace, "airflow-connection-"+strings.ReplaceAll(ID, "_", "-"), kubernetessecrets.DefaultConnectionsLabel, ID,
		kubernetessecrets.DefaultDataKey, URI)
	be, err := kubernetessecrets.New(ctx, kubernetessecrets.Options{
		Cluster:   kubernetessecrets.Cluster{Server: f.URL, CAData: f.CAPEM, Token: token},
		Namespace: namespace,
	})
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(f.CAPEM) {
		return nil, errors.New("bench: k8sfake's CA certificate")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	raw := &http.Client{Transport: tr}
	url := f.URL + "/api/v1/namespaces/" + namespace + "/secrets?labelSelector=" +
		neturl.QueryEscape(kubernetessecrets.DefaultConnectionsLabel+"="+ID) + "&resourceVersion=0"
	p := &remotePair{
		ours: func(ctx context.Context) (string, error) {
			return be.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: ID})
		},
		sdk: func(ctx context.Context) (string, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return "", err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := raw.Do(req)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return "", fmt.Errorf("bench: GET %s: %s", url, resp.Status)
			}
			var list struct {
				Items []struct {
					Data map[string]string `json:"data"`
				} `json:"items"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
				return "", err
			}
			if len(list.Items) == 0 {
				return "", fmt.Errorf("bench: no secret labelled %s", ID)
			}
			v, err := base64.StdEncoding.DecodeString(list.Items[0].Data[kubernetessecrets.DefaultDataKey])
			return string(v), err
		},
		reset: f.ResetRequests,
	}
	return p, p.check()
}

// loopbackDial refuses any address that is not a loopback IP.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("bench: refusing to dial %s (not a loopback address)", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// check makes both calls once (which also opens their connections).
func (p *remotePair) check() error {
	if p.want == "" {
		p.want = URI
	}
	for what, f := range map[string]func(context.Context) (string, error){"backend": p.ours, "SDK": p.sdk} {
		if got, err := f(ctx); err != nil || got != p.want {
			return fmt.Errorf("bench: the %s call returned %q, %v", what, got, err)
		}
	}
	return nil
}

// pairedBench alternates our call and the SDK's in blocks of 8 (which goes
// first alternates too), timing each call with the clock and counting
// allocations with runtime.ReadMemStats around each block (outside the
// timed part), and reports both per call: ns/op, allocs/op and B/op for
// ours, base-* for the SDK's (the means: the target's ratio). It also
// reports each side's median call, p50-ns and base-p50-ns, and how much
// longer ours is in percent, p50-overhead-%: a diagnostic that a call
// descheduled by other work on the machine does not move, to tell an
// overhead of ours from noise.
func pairedBench(l *lazy[*remotePair]) func(b *testing.B) {
	return func(b *testing.B) {
		p := must(b, l)
		if p.reset != nil {
			defer p.reset()
		}
		type tally struct {
			d             time.Duration
			allocs, bytes uint64
			calls         []time.Duration
		}
		var ms runtime.MemStats
		block := func(f func(context.Context) (string, error), k int, t *tally) {
			runtime.ReadMemStats(&ms)
			m0, b0 := ms.Mallocs, ms.TotalAlloc
			for range k {
				t0 := time.Now()
				got, err := f(ctx)
				d := time.Since(t0)
				t.d += d
				t.calls = append(t.calls, d)
				if err != nil || got != p.want {
					b.Fatalf("remote call returned %q, %v", got, err)
				}
			}
			runtime.ReadMemStats(&ms)
			t.allocs += ms.Mallocs - m0
			t.bytes += ms.TotalAlloc - b0
		}
		const blockSize = 8
		ours := tally{calls: make([]time.Duration, 0, b.N)}
		sdk := tally{calls: make([]time.Duration, 0, b.N)}
		n := 0
		for i := 0; n < b.N; i++ {
			k := min(blockSize, b.N-n)
			if i%2 == 0 {
				block(p.ours, k, &ours)
				block(p.sdk, k, &sdk)
			} else {
				block(p.sdk, k, &sdk)
				block(p.ours, k, &ours)
			}
			n += k
		}
		per := func(v uint64) float64 { return float64(v) / float64(n) }
		b.ReportMetric(float64(ours.d.Nanoseconds())/float64(n), MetricNs)
		b.ReportMetric(per(ours.allocs), MetricAllocs)
		b.ReportMetric(per(ours.bytes), MetricBytes)
		b.ReportMetric(float64(sdk.d.Nanoseconds())/float64(n), MetricBaseNs)
		b.ReportMetric(per(sdk.allocs), MetricBaseAllocs)
		b.ReportMetric(per(sdk.bytes), MetricBaseBytes)
		p50, base50 := medianDuration(ours.calls), medianDuration(sdk.calls)
		b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(base50.Nanoseconds()), "base-p50-ns")
		if base50 > 0 {
			b.ReportMetric(100*(float64(p50)/float64(base50)-1), "p50-overhead-%")
		}
	}
}

// medianDuration is the median of d (which it sorts), 0 for none.
func medianDuration(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}
