package kubernetessecrets_test

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/internal/k8sfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

var capabilities = backendtest.Capabilities{Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true}

// podHarness: Airflow's defaults, in a pod (service-account token, CA and
// namespace files).
type podHarness struct{}

func (podHarness) Capabilities() backendtest.Capabilities { return capabilities }

func (podHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	p := newPod(t)
	for label, values := range map[string]map[string]string{
		kubernetessecrets.DefaultConnectionsLabel: seed.Connections,
		kubernetessecrets.DefaultVariablesLabel:   seed.Variables,
		kubernetessecrets.DefaultConfigLabel:      seed.Configs,
	} {
		for id, v := range values {
			put(p.fake, map[string]string{label: id}, "value", v)
		}
	}
	return mustOpen(t, p.kwargs(nil), "")
}

// kubeconfigHarness: a kubeconfig with a client certificate (the fake
// accepts nothing else), its own labels and data keys, multi_team on
// (global secrets answer every team).
type kubeconfigHarness struct{}

func (kubeconfigHarness) Capabilities() backendtest.Capabilities { return capabilities }

func (kubeconfigHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := k8sfake.New(t)
	f.RequireClientCert(true)
	cert, key, err := f.ClientCert("airflow-worker")
	require.NoError(t, err)
	for label, values := range map[string]map[string]string{"example.com/conn": seed.Connections, "example.com/var": seed.Variables, "cfg": seed.Configs} {
		for id, v := range values {
			put(f, map[string]string{label: id}, "payload", v)
		}
	}
	path := kubeconfig(t, `apiVersion: v1
kind: Config
current-context: ops
clusters:
- name: fake
  cluster:
    server: `+f.URL+`
    certificate-authority-data: `+base64.StdEncoding.EncodeToString(f.CAPEM)+`
contexts:
- name: ops
  context: {cluster: fake, user: worker, namespace: `+namespace+`}
users:
- name: worker
  user:
    client-certificate-data: `+base64.StdEncoding.EncodeToString(cert)+`
    client-key-data: `+base64.StdEncoding.EncodeToString(key)+`
`)
	return mustOpen(t, map[string]any{
		"kube_config_path":  path,
		"connections_label": "example.com/conn", "variables_label": "example.com/var", "config_label": "cfg",
		"connections_data_key": "payload", "variables_data_key": "payload", "config_data_key": "payload",
	}, multiTeam)
}

func TestConformance(t *testing.T) {
	t.Run("pod", func(t *testing.T) { backendtest.Run(t, podHarness{}) })
	t.Run("kubeconfig", func(t *testing.T) { backendtest.Run(t, kubeconfigHarness{}) })
}
