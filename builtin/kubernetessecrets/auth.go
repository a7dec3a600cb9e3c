package kubernetessecrets

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
)

// tokenSource gives the bearer token of each request.
type tokenSource interface {
	token() (string, error)
}

type staticToken string

func (t staticToken) token() (string, error) { return string(t), nil }

// fileToken reads a token file for every request, so that a rotated
// token is sent as soon as it is written, whether the writer swaps the
// file (the kubelet's projected service-account tokens) or rewrites it in
// place (agents): a file's size and modification time cannot tell two
// tokens of the same length written within the clock's granularity apart,
// and one read of a small file is nothing next to the request it
// authenticates.
type fileToken struct{ path string }

func newFileToken(path string) (*fileToken, error) {
	f := &fileToken{path: path}
	if _, err := f.token(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fileToken) token() (string, error) {
	data, err := kit.ReadFile(f.path, maxCredentialFile)
	if err != nil {
		return "", fmt.Errorf("the token file cannot be read: %w", err)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", fmt.Errorf("the token file %s is empty", f.path)
	}
	return tok, nil
}

func (c Cluster) tokenSource() (tokenSource, error) {
	switch {
	case c.Token != "" && c.TokenFile != "":
		return nil, invalid("give a token or a token file, not both")
	case c.Token != "":
		return staticToken(c.Token), nil
	case c.TokenFile != "":
		f, err := newFileToken(c.TokenFile)
		if err != nil {
			return nil, invalid("%v", err)
		}
		return f, nil
	}
	return nil, nil
}

// ServiceAccount names the files a pod's service account is mounted as;
// empty fields mean the default paths.
type ServiceAccount struct {
	TokenPath, CAPath, NamespacePath string
}

// InCluster is the configuration of a pod, as Python's
// kubernetes.config.load_incluster_config reads it (which Airflow's
// backend uses): the API server from KUBERNETES_SERVICE_HOST and
// KUBERNETES_SERVICE_PORT, the service account's token (read for every
// request) and CA. The token and CA files must exist. The namespace is
// read from the namespace file when needNamespace is set, with Airflow's
// error when it is missing.
func InCluster(sa ServiceAccount, needNamespace bool) (Cluster, error) {
	if sa.TokenPath == "" {
		sa.TokenPath = DefaultTokenPath
	}
	if sa.CAPath == "" {
		sa.CAPath = DefaultCAPath
	}
	if sa.NamespacePath == "" {
		sa.NamespacePath = DefaultNamespacePath
	}
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return Cluster{}, invalid("in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not in a pod? set kube_config_path, or in_cluster false)")
	}
	for _, f := range []struct{ what, path string }{{"token", sa.TokenPath}, {"CA", sa.CAPath}} {
		if _, err := os.Stat(f.path); err != nil {
			return Cluster{}, invalid("in-cluster configuration: the service account's %s file %s is missing (is automountServiceAccountToken disabled for this pod?)", f.what, f.path)
		}
	}
	c := Cluster{Server: "https://" + net.JoinHostPort(host, port), CAFile: sa.CAPath, TokenFile: sa.TokenPath}
	if needNamespace {
		data, err := kit.ReadFile(sa.NamespacePath, 4096)
		switch {
		case os.IsNotExist(err):
			// Airflow's message.
			return Cluster{}, invalid("Could not auto-detect Kubernetes namespace from %s. "+
				"Is automountServiceAccountToken disabled for this pod? Set the 'namespace' parameter explicitly in backend_kwargs.", sa.NamespacePath)
		case err != nil:
			return Cluster{}, invalid("in-cluster configuration: the namespace file cannot be read: %v", err)
		}
		c.Namespace = strings.TrimSpace(string(data))
		if why := checkNamespace(c.Namespace); why != "" {
			return Cluster{}, invalid("the namespace file %s does not hold a namespace name: %s", sa.NamespacePath, why)
		}
	}
	return c, nil
}
