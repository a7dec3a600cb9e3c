package kubernetessecrets_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/internal/k8sfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// Credentials of the tests: fake, valid nowhere else.
const (
	saToken   = "fake-sa-token-one"
	saToken2  = "fake-sa-token-two"
	userToken = "fake-user-token"
	namespace = "airflow"
)

// pod is a pod's service account mounted under a temp dir, pointing at a
// fake: KUBERNETES_SERVICE_HOST and _PORT are set for the test.
type pod struct {
	fake                     *k8sfake.Server
	tokenPath, nsPath, caDir string
}

func newPod(t *testing.T) *pod {
	t.Helper()
	f := k8sfake.New(t)
	f.AllowToken(saToken)
	dir := t.TempDir()
	p := &pod{fake: f, tokenPath: filepath.Join(dir, "token"), nsPath: filepath.Join(dir, "namespace"), caDir: dir}
	require.NoError(t, os.WriteFile(p.tokenPath, []byte(saToken+"\n"), 0o600))
	require.NoError(t, os.WriteFile(p.nsPath, []byte(namespace+"\n"), 0o600))
	t.Setenv("KUBERNETES_SERVICE_HOST", f.Host)
	t.Setenv("KUBERNETES_SERVICE_PORT", f.Port)
	return p
}

// kwargs are the in-cluster kwargs reaching p's fake, with kw added (a nil
// value is JSON null).
func (p *pod) kwargs(kw map[string]any) map[string]any {
	out := map[string]any{
		"in_cluster":                     true,
		"service_account_token_path":     p.tokenPath,
		"service_account_ca_path":        p.fake.CAFile,
		"service_account_namespace_path": p.nsPath,
	}
	for k, v := range kw {
		out[k] = v
	}
	return out
}

// open builds the backend through the registry from kw and an airflow.cfg
// text (for [core] multi_team).
func open(t testing.TB, name string, kw map[string]any, cfg string) (resolver.Backend, error) {
	t.Helper()
	raw, err := json.Marshal(kw)
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	file, err := config.Parse("airflow.cfg", []byte(cfg), nil)
	require.NoError(t, err)
	return resolver.OpenBackend(t.Context(), name, resolver.Env{Kwargs: kwargs, Config: file, Logger: slog.New(slog.DiscardHandler)})
}

func mustOpen(t testing.TB, kw map[string]any, cfg string) *kubernetessecrets.Backend {
	t.Helper()
	b, err := open(t, kubernetessecrets.Name, kw, cfg)
	require.NoError(t, err)
	return b.(*kubernetessecrets.Backend)
}

const multiTeam = "[core]\nmulti_team = True\n"

var secretSeq struct {
	sync.Mutex
	n int
}

// put stores value under a fresh secret name with labels, under data key.
func put(f *k8sfake.Server, labels map[string]string, dataKey, value string) string {
	secretSeq.Lock()
	secretSeq.n++
	name := fmt.Sprintf("s-%04d", secretSeq.n)
	secretSeq.Unlock()
	f.Put(k8sfake.Secret{Namespace: namespace, Name: name, Labels: labels, Data: map[string][]byte{dataKey: []byte(value)}})
	return name
}

// kubeconfig writes a kubeconfig file and returns its path.
func kubeconfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

// logBuffer is a logger whose output a test reads.
func logBuffer() (*slog.Logger, *strings.Builder) {
	var buf strings.Builder
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func secret(name string, labels map[string]string, value string) k8sfake.Secret {
	return k8sfake.Secret{Namespace: namespace, Name: name, Labels: labels, Data: map[string][]byte{"value": []byte(value)}}
}

// writeTemp writes content to a file named name in a temp dir and returns
// its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}
