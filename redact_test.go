package secretpath_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/builtin/executionapi"
	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
	"github.com/secretpath/secretpath/wasmhost"
)

// TestExportedTypesDoNotPrintSecrets formats every exported type that can
// hold a credential with every fmt verb, encoding/json and both slog
// handlers, directly and nested in a struct, and checks the planted
// secret never shows.
func TestExportedTypesDoNotPrintSecrets(t *testing.T) {
	const secret = "Pl4nted-type-secret"
	kw, err := config.ParseKwargs([]byte(`{"client_secret": "` + secret + `", "region": "x"}`))
	require.NoError(t, err)
	conn, err := connection.ParseURI("c", "postgres://u:"+secret+"@h/db?token="+secret)
	require.NoError(t, err)
	cfg, err := config.Parse("a.cfg", []byte("[secrets]\nbackend_kwargs = {\"token\": \""+secret+"\"}\n[core]\nfernet_key = "+secret+"\n"), nil)
	require.NoError(t, err)
	awsCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", secret, secret)}
	execAPI, err := executionapi.New(executionapi.Options{URL: "http://127.0.0.1:9/execution/", Token: secret})
	require.NoError(t, err)
	k8s, err := kubernetessecrets.New(t.Context(), kubernetessecrets.Options{Cluster: kubernetessecrets.Cluster{Server: "https://127.0.0.1:6443", Token: secret}, Namespace: "ns"})
	require.NoError(t, err)
	values := map[string]any{
		"connection.Secret":          connection.NewSecret(secret),
		"connection.Connection":      conn,
		"*config.Kwargs":             kw,
		"config.File":                *cfg,
		"wasmhost.TenantConfig":      wasmhost.TenantConfig{Name: "t", Kwargs: []byte(`{"token": "` + secret + `"}`)},
		"metastore.Options":          metastore.Options{DSN: "postgres://u:" + secret + "@h/db", FernetKey: connection.NewSecret(secret)},
		"vault.Auth":                 vault.Auth{Type: "approle", RoleID: "r", SecretID: secret, Token: secret, Password: secret, JWT: secret},
		"vault.Options":              vault.Options{Address: "http://127.0.0.1:9", Auth: vault.Auth{Token: secret}},
		"awsssm.Options":             awsssm.Options{AWS: awsCfg},
		"awssecretsmanager.Options":  awssecretsmanager.Options{AWS: awsCfg},
		"kubernetessecrets.Cluster":  kubernetessecrets.Cluster{Server: "https://127.0.0.1:6443", Token: secret, ClientKeyData: []byte(secret)},
		"kubernetessecrets.Options":  kubernetessecrets.Options{Cluster: kubernetessecrets.Cluster{Token: secret, ClientKeyData: []byte(secret), CAData: []byte(secret)}},
		"executionapi.Options":       executionapi.Options{URL: "http://127.0.0.1:9/execution/", Token: secret},
		"*executionapi.Backend":      execAPI,
		"*kubernetessecrets.Backend": k8s,
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			nested := struct{ V any }{v}
			var out bytes.Buffer
			for _, x := range []any{v, nested, &nested} {
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
					fmt.Fprintf(&out, verb+"\n", x)
				}
				b, _ := json.Marshal(x)
				out.Write(b)
				slog.New(slog.NewJSONHandler(&out, nil)).Info("m", "v", x)
				slog.New(slog.NewTextHandler(&out, nil)).Info("m", "v", x)
			}
			s := out.String()
			for _, form := range []string{secret, fmt.Sprintf("%x", secret)} {
				assert.False(t, strings.Contains(s, form), "%s shows the secret (%s):\n%s", name, form, s)
			}
		})
	}
}
