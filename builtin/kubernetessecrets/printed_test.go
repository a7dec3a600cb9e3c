package kubernetessecrets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/internal/k8sfake"
)

// printedForms are every way a value reaches a log or a message: fmt's
// verbs, log/slog's text and JSON handlers, encoding/json.
func printedForms(t *testing.T, v any) []string {
	t.Helper()
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("built", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("built", "v", v)
	out := []string{fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprintf("%s", v), fmt.Sprintf("%q", v),
		fmt.Sprint(v), text.String(), js.String()}
	if b, err := json.Marshal(v); err == nil {
		out = append(out, string(b))
	}
	return out
}

// TestPrintedForms: no printed form of a backend, its options or its
// cluster holds the bearer token or the client key; the backend's names
// the server, the namespace and the kind of credential.
func TestPrintedForms(t *testing.T) {
	f := k8sfake.New(t)
	f.AllowToken(userToken)
	certPEM, keyPEM, err := f.ClientCert("jane")
	require.NoError(t, err)
	tests := []struct {
		name    string
		cluster kubernetessecrets.Cluster
		want    string // in the backend's String
	}{
		{name: "a bearer token", cluster: kubernetessecrets.Cluster{Server: f.URL, CAData: f.CAPEM, Token: userToken},
			want: "kubernetes-secrets(" + f.URL + ", namespace \"airflow\", token ***)"},
		{name: "a token file", cluster: kubernetessecrets.Cluster{Server: f.URL, CAData: f.CAPEM, TokenFile: writeTemp(t, "token", userToken)},
			want: "token from file "},
		{name: "a client certificate", cluster: kubernetessecrets.Cluster{Server: f.URL, CAData: f.CAPEM, ClientCertData: certPEM, ClientKeyData: keyPEM},
			want: "client certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kubernetessecrets.Options{Cluster: tt.cluster, Namespace: namespace}
			b, err := kubernetessecrets.New(t.Context(), o)
			require.NoError(t, err)
			assert.Contains(t, b.String(), tt.want)
			for _, v := range []any{b, o, &o, tt.cluster} {
				for _, s := range printedForms(t, v) {
					assert.NotContains(t, s, userToken)
					assert.NotContains(t, s, string(keyPEM))
					assert.NotContains(t, s, "PRIVATE KEY")
				}
			}
		})
	}
}

// TestPrintedURL: a server URL holding user information (refused by New,
// but a Cluster or Options may be printed before) is printed without it.
func TestPrintedURL(t *testing.T) {
	const userInfo = "user-info-in-url"
	for _, server := range []string{
		"https://" + userInfo + ":" + userToken + "@127.0.0.1:6443/base",
		"https://" + userToken + "@127.0.0.1:6443/base",
	} {
		c := kubernetessecrets.Cluster{Server: server}
		for _, v := range []any{c, kubernetessecrets.Options{Cluster: c}} {
			for _, s := range printedForms(t, v) {
				assert.NotContains(t, s, userToken)
				assert.NotContains(t, s, userInfo)
			}
		}
		assert.Contains(t, c.String(), "https://***@127.0.0.1:6443/base")
	}
}
