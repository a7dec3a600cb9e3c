package kubernetessecrets_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/k8sfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestTokenRotation: the service account's token is read for every
// request: after the kubelet swaps the file (or an agent rewrites it in
// place with a token of the same length), the next lookup sends the new
// token, and the old one, revoked, is never sent again.
func TestTokenRotation(t *testing.T) {
	for _, tt := range []struct {
		name  string
		write func(t *testing.T, path, token string)
	}{
		{"swapped (kubelet's atomic writer)", func(t *testing.T, path, token string) {
			tmp := path + ".new"
			require.NoError(t, os.WriteFile(tmp, []byte(token), 0o600))
			require.NoError(t, os.Rename(tmp, path))
		}},
		{"rewritten in place, same length", func(t *testing.T, path, token string) {
			require.NoError(t, os.WriteFile(path, []byte(token+"\n"), 0o600))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			put(p.fake, map[string]string{"airflow.apache.org/variable-key": "k"}, "value", "v")
			b := mustOpen(t, p.kwargs(nil), "")
			req := resolver.Request{Kind: resolver.KindVariable, ID: "k"}
			_, err := b.Lookup(t.Context(), req)
			require.NoError(t, err)
			assert.Equal(t, saToken, p.fake.Last().Token)

			require.Len(t, saToken2, len(saToken), "the in-place case needs tokens of one length")
			p.fake.AllowToken(saToken2)
			p.fake.RevokeToken(saToken)
			tt.write(t, p.tokenPath, saToken2)
			got, err := b.Lookup(t.Context(), req)
			require.NoError(t, err)
			assert.Equal(t, "v", got)
			assert.Equal(t, saToken2, p.fake.Last().Token, "the second lookup sends the new token")
		})
	}
}

// TestInCluster: the pod's configuration as load_incluster_config reads
// it, and Airflow's namespace rule.
func TestInCluster(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, p *pod) map[string]any
		wantErr []string
		wantNS  string
	}{
		{
			name:   "namespace from the service account",
			setup:  func(*testing.T, *pod) map[string]any { return nil },
			wantNS: namespace,
		},
		{
			name: "namespace kwarg wins; the namespace file is then not needed",
			setup: func(t *testing.T, p *pod) map[string]any {
				require.NoError(t, os.Remove(p.nsPath))
				return map[string]any{"namespace": "explicit"}
			},
			wantNS: "explicit",
		},
		{
			name: "no namespace file: Airflow's error",
			setup: func(t *testing.T, p *pod) map[string]any {
				require.NoError(t, os.Remove(p.nsPath))
				return nil
			},
			wantErr: []string{"Could not auto-detect Kubernetes namespace", "automountServiceAccountToken", "'namespace' parameter"},
		},
		{
			name: "a namespace file holding no namespace",
			setup: func(t *testing.T, p *pod) map[string]any {
				require.NoError(t, os.WriteFile(p.nsPath, []byte("Not/A/Namespace"), 0o600))
				return nil
			},
			wantErr: []string{"namespace file", "does not hold a namespace name"},
		},
		{
			name: "no token file",
			setup: func(t *testing.T, p *pod) map[string]any {
				require.NoError(t, os.Remove(p.tokenPath))
				return nil
			},
			wantErr: []string{"token file", "is missing"},
		},
		{
			name: "an empty token file",
			setup: func(t *testing.T, p *pod) map[string]any {
				require.NoError(t, os.WriteFile(p.tokenPath, []byte("\n"), 0o600))
				return nil
			},
			wantErr: []string{"token file", "is empty"},
		},
		{
			name: "no CA file",
			setup: func(*testing.T, *pod) map[string]any {
				return map[string]any{"service_account_ca_path": "/nonexistent/ca.crt"}
			},
			wantErr: []string{"CA file", "/nonexistent/ca.crt"},
		},
		{
			name: "not in a pod",
			setup: func(t *testing.T, _ *pod) map[string]any {
				t.Setenv("KUBERNETES_SERVICE_HOST", "")
				return nil
			},
			wantErr: []string{"KUBERNETES_SERVICE_HOST"},
		},
		{
			name: "in a pod by default: KUBERNETES_SERVICE_HOST set, no in_cluster kwarg",
			setup: func(t *testing.T, p *pod) map[string]any {
				t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent"))
				return map[string]any{"in_cluster": nil}
			},
			wantNS: namespace,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			kw := p.kwargs(tt.setup(t, p))
			be, err := open(t, "kubernetes-secrets", kw, "")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, config.ErrInvalid)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				assert.NotContains(t, err.Error(), saToken)
				return
			}
			require.NoError(t, err)
			_, err = be.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
			require.ErrorIs(t, err, resolver.ErrNotFound)
			assert.Equal(t, tt.wantNS, p.fake.Last().Namespace)
			assert.Equal(t, saToken, p.fake.Last().Token)
		})
	}
}

// kubeconfigCase writes a kubeconfig for f with the given users section
// and cluster fields, the context "main" selecting them.
func kubeconfigText(server, clusterFields, userFields string) string {
	return `apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c
  cluster:
    server: ` + server + `
` + clusterFields + `
contexts:
- name: main
  context: {cluster: c, user: u}
- name: other
  context: {cluster: c, user: u, namespace: other-ns}
users:
- name: u
  user:
` + userFields + "\n"
}

func ind(n int, lines ...string) string {
	pad := strings.Repeat(" ", n)
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n")
}

// TestKubeconfig: the kubeconfig variants: bearer token (inline or file),
// client certificate (files or inline data; the fake then requires it),
// CA (file or data; another CA fails), contexts and $KUBECONFIG, and the
// plugins and features that are refused.
func TestKubeconfig(t *testing.T) {
	f := k8sfake.New(t)
	f.AllowToken(userToken)
	cert, key, err := f.ClientCert("jane")
	require.NoError(t, err)
	otherCA, err := k8sfake.OtherCA()
	require.NoError(t, err)
	dir := t.TempDir()
	for name, data := range map[string][]byte{"token": []byte(userToken + "\n"), "jane.crt": cert, "jane.key": key, "ca.crt": f.CAPEM} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	caData := ind(4, "certificate-authority-data: "+b64(f.CAPEM))
	put(f, map[string]string{"airflow.apache.org/variable-key": "k"}, "value", "v")
	put(f, map[string]string{"airflow.apache.org/variable-key": "k"}, "value", "v")
	f.Put(k8sfake.Secret{Namespace: "other-ns", Name: "x", Labels: map[string]string{"airflow.apache.org/variable-key": "k"}, Data: map[string][]byte{"value": []byte("from other-ns")}})
	const defaultNS = "default"
	f.Put(k8sfake.Secret{Namespace: defaultNS, Name: "x", Labels: map[string]string{"airflow.apache.org/variable-key": "k"}, Data: map[string][]byte{"value": []byte("from default")}})

	tests := []struct {
		name       string
		text       string
		kw         map[string]any
		env        string // $KUBECONFIG, relative names resolved under dir
		mtls       bool   // the fake requires a client certificate
		want       string
		wantNS     string
		wantCN     string
		wantToken  string
		wantErr    []string
		wantDenied bool
	}{
		{name: "token, CA data", text: kubeconfigText(f.URL, caData, ind(4, "token: "+userToken)), want: "from default", wantNS: defaultNS, wantToken: userToken},
		{name: "tokenFile relative to the kubeconfig, CA file", text: kubeconfigText(f.URL, ind(4, "certificate-authority: ca.crt"), ind(4, "tokenFile: token")), want: "from default", wantNS: defaultNS, wantToken: userToken},
		{name: "client certificate files (mTLS)", mtls: true, text: kubeconfigText(f.URL, caData, ind(4, "client-certificate: jane.crt", "client-key: "+filepath.Join(dir, "jane.key"))), want: "from default", wantNS: defaultNS, wantCN: "jane"},
		{name: "client certificate data (mTLS)", mtls: true, text: kubeconfigText(f.URL, caData, ind(4, "client-certificate-data: "+b64(cert), "client-key-data: "+b64(key))), want: "from default", wantNS: defaultNS, wantCN: "jane"},
		{name: "mTLS required, a token is not enough", mtls: true, text: kubeconfigText(f.URL, caData, ind(4, "token: "+userToken)), wantDenied: true},
		{name: "another CA: the server is not trusted", text: kubeconfigText(f.URL, ind(4, "certificate-authority-data: "+b64(otherCA)), ind(4, "token: "+userToken)), wantErr: []string{"certificate"}},
		{name: "no CA: the system's roots do not trust the fake", text: kubeconfigText(f.URL, "", ind(4, "token: "+userToken)), wantErr: []string{"certificate"}},
		{name: "insecure-skip-tls-verify", text: kubeconfigText(f.URL, ind(4, "insecure-skip-tls-verify: true"), ind(4, "token: "+userToken)), want: "from default", wantNS: defaultNS, wantToken: userToken},
		{name: "cluster_context selects the context and its namespace", kw: map[string]any{"cluster_context": "other"}, text: kubeconfigText(f.URL, caData, ind(4, "token: "+userToken)), want: "from other-ns", wantNS: "other-ns", wantToken: userToken},
		{name: "namespace kwarg wins over the context's", kw: map[string]any{"cluster_context": "other", "namespace": namespace}, text: kubeconfigText(f.URL, caData, ind(4, "token: "+userToken)), want: "v", wantNS: namespace, wantToken: userToken},
		{name: "$KUBECONFIG, first file wins", env: "first:second", kw: map[string]any{"in_cluster": false}, text: kubeconfigText(f.URL, caData, ind(4, "token: "+userToken)), want: "from default", wantNS: defaultNS, wantToken: userToken},
		{name: "unknown context: did you mean", kw: map[string]any{"cluster_context": "mian"}, text: kubeconfigText(f.URL, caData, ind(4, "token: "+userToken)), wantErr: []string{`no context "mian"`, "did you mean main?"}},
		{name: "exec plugin", text: kubeconfigText(f.URL, caData, ind(4, "exec:", "  apiVersion: client.authentication.k8s.io/v1", "  command: aws", "  args: [eks, get-token]")), wantErr: []string{`user "u" uses an exec credential plugin`, "does not support", "tokenFile"}},
		{name: "auth-provider", text: kubeconfigText(f.URL, caData, ind(4, "auth-provider:", "  name: oidc", "  config: {id-token: "+userToken+"}")), wantErr: []string{"auth-provider"}},
		{name: "basic authentication", text: kubeconfigText(f.URL, caData, ind(4, "username: admin", "password: "+userToken)), wantErr: []string{"basic authentication"}},
		{name: "impersonation", text: kubeconfigText(f.URL, caData, ind(4, "token: "+userToken, "as: admin")), wantErr: []string{"impersonation"}},
		{name: "proxy-url", text: kubeconfigText(f.URL, caData+"\n"+ind(4, "proxy-url: http://127.0.0.1:1"), ind(4, "token: "+userToken)), wantErr: []string{"proxy-url"}},
		{name: "bad certificate data", text: kubeconfigText(f.URL, ind(4, "certificate-authority-data: not*base64"), ind(4, "token: "+userToken)), wantErr: []string{"certificate-authority-data is not valid base64"}},
		{name: "a key without its certificate", text: kubeconfigText(f.URL, caData, ind(4, "client-key-data: "+b64(key))), wantErr: []string{"client key without its certificate"}},
		{name: "not YAML", text: "clusters: [\n  token: " + userToken, wantErr: []string{"not a kubeconfig"}},
		{name: "no current-context", text: "apiVersion: v1\nkind: Config\n", wantErr: []string{"no current-context"}},
		{name: "a missing kubeconfig", kw: map[string]any{"kube_config_path": "/nonexistent/kubeconfig"}, wantErr: []string{"/nonexistent/kubeconfig", "cannot be read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBERNETES_SERVICE_HOST", "")
			path := filepath.Join(dir, "config")
			require.NoError(t, os.WriteFile(path, []byte(tt.text), 0o600))
			kw := map[string]any{"kube_config_path": path}
			if tt.env != "" {
				kw = map[string]any{}
				var paths []string
				for i, n := range strings.Split(tt.env, ":") {
					p := filepath.Join(dir, n)
					text := tt.text
					if i > 0 {
						text = kubeconfigText("https://127.0.0.1:1", caData, ind(4, "token: wrong")) // loses: "first file wins"
					}
					require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
					paths = append(paths, p)
				}
				t.Setenv("KUBECONFIG", strings.Join(paths, string(filepath.ListSeparator)))
			}
			for k, v := range tt.kw {
				kw[k] = v
			}
			f.RequireClientCert(tt.mtls)
			be, err := open(t, "kubernetes-secrets", kw, "")
			if err == nil && tt.wantErr == nil && !tt.wantDenied {
				got, lerr := be.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
				require.NoError(t, lerr)
				assert.Equal(t, tt.want, got)
				last := f.Last()
				assert.Equal(t, tt.wantNS, last.Namespace)
				assert.Equal(t, tt.wantCN, last.ClientCN)
				assert.Equal(t, tt.wantToken, last.Token)
				return
			}
			if err == nil {
				_, err = be.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
			}
			require.Error(t, err)
			if tt.wantDenied {
				assert.ErrorIs(t, err, resolver.ErrPermissionDenied)
			}
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), userToken)
		})
	}
}

// TestKubeconfigDefaultPath: outside a pod, without kube_config_path or
// $KUBECONFIG, kubectl's ~/.kube/config is read.
func TestKubeconfigDefaultPath(t *testing.T) {
	f := k8sfake.New(t)
	f.AllowToken(userToken)
	put(f, map[string]string{"airflow.apache.org/variable-key": "k"}, "value", "v")
	home := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".kube"), 0o700))
	text := strings.Replace(kubeconfigText(f.URL, ind(4, "certificate-authority-data: "+base64.StdEncoding.EncodeToString(f.CAPEM)), ind(4, "token: "+userToken)),
		"{cluster: c, user: u}", "{cluster: c, user: u, namespace: "+namespace+"}", 1)
	require.NoError(t, os.WriteFile(filepath.Join(home, ".kube", "config"), []byte(text), 0o600))
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	b := mustOpen(t, map[string]any{}, "")
	got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
	require.NoError(t, err)
	assert.Equal(t, "v", got)
	assert.Equal(t, userToken, f.Last().Token)
}
