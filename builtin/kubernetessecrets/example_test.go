package kubernetessecrets_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/internal/k8sfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// A connection and a variable from Kubernetes Secrets found by label, as
// External Secrets Operator might create them (the secrets' names do not
// matter). A local fake API server stands in for the cluster here; in a
// pod, InCluster reads the service account, and outside one
// LoadKubeconfig(KubeconfigPaths(), "") reads kubectl's configuration.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "k8s-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	fake, err := k8sfake.NewServer(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	fake.AllowToken("example-token")
	fake.PutValue("airflow", "eso-smtp", kubernetessecrets.DefaultConnectionsLabel, "smtp_default", "value",
		"smtps://mailer:hunter2@relay.example.com:465")
	fake.PutValue("airflow", "eso-region", kubernetessecrets.DefaultVariablesLabel, "region", "value", "europe-west1")

	b, err := kubernetessecrets.New(ctx, kubernetessecrets.Options{
		Cluster:   kubernetessecrets.Cluster{Server: fake.URL, CAData: fake.CAPEM, Token: "example-token"},
		Namespace: "airflow",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Describe(resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"}))
	r := resolver.New(resolver.WithBackend(kubernetessecrets.Name, b))
	conn, err := r.Connection(ctx, "smtp_default")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.ConnType, conn.Login, conn.Host, conn.Port)
	fmt.Println(conn.Password) // secrets print as ***
	region, err := r.Variable(ctx, "region")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(region.Reveal())
	// Output:
	// secrets in namespace "airflow" with label selector "airflow.apache.org/connection-id=smtp_default", data key "value"
	// smtps mailer relay.example.com 465
	// ***
	// europe-west1
}

// From backend_kwargs, as a config file gives them, with Airflow's class
// path as the name and a kubeconfig (outside a pod). In a pod, leave the
// kubeconfig out: the service account is used, and its namespace.
func Example_kwargs() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "k8s-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	fake, err := k8sfake.NewServer(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	fake.AllowToken("example-token")
	fake.PutValue("data", "eso-retries", "example.com/var", "retries", "payload", "3")
	kubeconfig := filepath.Join(dir, "config")
	err = os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
current-context: ops
clusters:
- name: fake
  cluster: {server: "`+fake.URL+`", certificate-authority: k8sfake-ca.crt}
contexts:
- name: ops
  context: {cluster: fake, user: ops, namespace: data}
users:
- name: ops
  user: {token: example-token}
`), 0o600)
	if err != nil {
		log.Fatal(err)
	}

	kwargs, err := config.ParseKwargs([]byte(`{
		"kube_config_path": "` + kubeconfig + `",
		"variables_label": "example.com/var",
		"variables_data_key": "payload",
		"connections_label": null}`))
	if err != nil {
		log.Fatal(err)
	}
	b, err := resolver.OpenBackend(ctx, "airflow.providers.cncf.kubernetes.secrets.kubernetes_secrets_backend.KubernetesSecretsBackend",
		resolver.Env{Kwargs: kwargs})
	if err != nil {
		log.Fatal(err)
	}
	v, err := b.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "retries"})
	fmt.Println(v, err)
	_, err = b.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"})
	fmt.Println(errors.Is(err, resolver.ErrNotFound), len(fake.Requests()))
	// Output:
	// 3 <nil>
	// true 1
}
