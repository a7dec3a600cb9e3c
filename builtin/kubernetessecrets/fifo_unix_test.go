//go:build unix

package kubernetessecrets_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestNamedPipes: a credential, CA, namespace or kubeconfig path that is a
// named pipe (which blocks a reader until a writer comes) is a
// configuration error naming the file, returned at once instead of
// blocking the backend's construction.
func TestNamedPipes(t *testing.T) {
	tests := []struct {
		name string
		kw   func(t *testing.T, p *pod, fifo string) map[string]any
		want string
	}{
		{name: "service account token", want: "token file",
			kw: func(_ *testing.T, p *pod, fifo string) map[string]any {
				return p.kwargs(map[string]any{"service_account_token_path": fifo})
			}},
		{name: "service account CA", want: "CA file",
			kw: func(_ *testing.T, p *pod, fifo string) map[string]any {
				return p.kwargs(map[string]any{"service_account_ca_path": fifo})
			}},
		{name: "service account namespace", want: "namespace file",
			kw: func(_ *testing.T, p *pod, fifo string) map[string]any {
				return p.kwargs(map[string]any{"service_account_namespace_path": fifo})
			}},
		{name: "kubeconfig", want: "kubeconfig",
			kw: func(t *testing.T, _ *pod, fifo string) map[string]any {
				t.Setenv("KUBERNETES_SERVICE_HOST", "")
				return map[string]any{"kube_config_path": fifo}
			}},
		{name: "kubeconfig tokenFile", want: "token file",
			kw: func(t *testing.T, p *pod, fifo string) map[string]any {
				t.Setenv("KUBERNETES_SERVICE_HOST", "")
				return map[string]any{"kube_config_path": kubeconfig(t, kubeconfigText(p.fake.URL, ind(4, "certificate-authority: "+p.fake.CAFile), ind(4, "tokenFile: "+fifo)))}
			}},
		{name: "kubeconfig client certificate", want: "client certificate",
			kw: func(t *testing.T, p *pod, fifo string) map[string]any {
				t.Setenv("KUBERNETES_SERVICE_HOST", "")
				return map[string]any{"kube_config_path": kubeconfig(t, kubeconfigText(p.fake.URL, "", ind(4, "client-certificate: "+fifo, "client-key: "+fifo)))}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			fifo := kittest.Fifo(t)
			kw := tt.kw(t, p, fifo)
			err := kittest.Returns(t, func() error {
				_, err := open(t, "kubernetes-secrets", kw, "")
				return err
			})
			require.Error(t, err)
			assert.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), fifo)
			assert.Contains(t, err.Error(), "not a regular file (a named pipe)")
			assert.Zero(t, p.fake.Count())
		})
	}
}

// TestTokenFileBecomesANamedPipe: a token file replaced by a named pipe
// after the backend was built fails the lookup at once, naming the file.
func TestTokenFileBecomesANamedPipe(t *testing.T) {
	p := newPod(t)
	b := mustOpen(t, p.kwargs(nil), "")
	require.NoError(t, os.Remove(p.tokenPath))
	require.NoError(t, syscall.Mkfifo(p.tokenPath, 0o600))
	t.Cleanup(func() { unblock(p.tokenPath) })
	err := kittest.Returns(t, func() error {
		_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "token file")
	assert.Contains(t, err.Error(), filepath.Base(p.tokenPath))
	assert.Contains(t, err.Error(), "not a regular file")
	assert.Zero(t, p.fake.Count())
}

// unblock opens a named pipe for writing and closes it, so that a reader
// left blocked on it returns.
func unblock(path string) {
	if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		_ = f.Close()
	}
}
