package kubernetessecrets_test

import (
	"testing"

	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/resolver"
)

// TestKit runs the remote backends' shared tables against the fake: the
// registration, the kit's kwargs (labels are the location kwargs,
// connections_label ...), the lookups that make no request, and the
// timeout. KwargsAccepted is left out: its table takes "" for a location
// kwarg, which is no label key (see TestKwargErrors).
func TestKit(t *testing.T) {
	p := newPod(t)
	labels := map[resolver.Kind]string{
		resolver.KindConnection: kubernetessecrets.DefaultConnectionsLabel,
		resolver.KindVariable:   kubernetessecrets.DefaultVariablesLabel,
		resolver.KindConfig:     kubernetessecrets.DefaultConfigLabel,
	}
	b := kittest.Backend{
		Name:    kubernetessecrets.Name,
		Aliases: []string{"airflow.providers.cncf.kubernetes.secrets.kubernetes_secrets_backend.KubernetesSecretsBackend"},
		Type:    (*kubernetessecrets.Backend)(nil),
		Open: func(t *testing.T, name string, kw map[string]any) (resolver.Backend, error) {
			return open(t, name, p.kwargs(kw), "")
		},
		Requests: p.fake.Count,
		Put: func(_ *testing.T, kind resolver.Kind, id, value string) {
			put(p.fake, map[string]string{labels[kind]: id}, "value", value)
		},
		Hang:           func(*testing.T) { p.fake.Hang() },
		LocationSuffix: "_label",
		Timeout:        "timeout_seconds",
		TimeoutMax:     86400,
		Secrets:        []string{saToken},
	}
	t.Run("Registration", func(t *testing.T) { kittest.Registration(t, b) })
	t.Run("KwargErrors", func(t *testing.T) { kittest.KwargErrors(t, b) })
	t.Run("NoRequest", func(t *testing.T) { kittest.NoRequest(t, b) })
	t.Run("Timeout", func(t *testing.T) { kittest.Timeout(t, b) }) // last: the fake answers nothing afterwards
}
