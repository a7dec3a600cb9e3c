package kubernetessecrets

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver/config"
)

// maxKubeconfig bounds a kubeconfig file.
const maxKubeconfig = 4 << 20

// kubeconfig is the part of a kubeconfig (kind: Config, apiVersion: v1)
// the backend reads. Fields that would change how requests are
// authenticated but are not supported are read only to refuse them.
type kubeconfig struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string    `yaml:"name"`
		Cluster kcCluster `yaml:"cluster"`
	} `yaml:"clusters"`
	Contexts []struct {
		Name    string    `yaml:"name"`
		Context kcContext `yaml:"context"`
	} `yaml:"contexts"`
	Users []struct {
		Name string `yaml:"name"`
		User kcUser `yaml:"user"`
	} `yaml:"users"`
}

type kcCluster struct {
	Server        string `yaml:"server"`
	CA            string `yaml:"certificate-authority"`
	CAData        string `yaml:"certificate-authority-data"`
	Insecure      bool   `yaml:"insecure-skip-tls-verify"`
	TLSServerName string `yaml:"tls-server-name"`
	ProxyURL      string `yaml:"proxy-url"`
	dir           string
}

type kcContext struct {
	Cluster   string `yaml:"cluster"`
	User      string `yaml:"user"`
	Namespace string `yaml:"namespace"`
}

type kcUser struct {
	Token          string    `yaml:"token"`
	TokenFile      string    `yaml:"tokenFile"`
	ClientCert     string    `yaml:"client-certificate"`
	ClientCertData string    `yaml:"client-certificate-data"`
	ClientKey      string    `yaml:"client-key"`
	ClientKeyData  string    `yaml:"client-key-data"`
	Username       string    `yaml:"username"`
	Password       string    `yaml:"password"`
	Exec           yaml.Node `yaml:"exec"`
	AuthProvider   yaml.Node `yaml:"auth-provider"`
	As             string    `yaml:"as"`
	AsUID          string    `yaml:"as-uid"`
	AsGroups       []string  `yaml:"as-groups"`
	dir            string
}

// KubeconfigPaths are the kubeconfig files used when none is given: the
// files listed in $KUBECONFIG (separated by the OS's list separator),
// else ~/.kube/config, as kubectl finds them.
func KubeconfigPaths() []string {
	if v := os.Getenv("KUBECONFIG"); v != "" {
		var out []string
		for _, p := range filepath.SplitList(v) {
			if p != "" {
				out = append(out, p)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	return []string{filepath.Join(home, ".kube", "config")}
}

// LoadKubeconfig reads the kubeconfig files (merged as kubectl merges
// them: the first file to name a cluster, context or user, or to set
// current-context, wins) and returns the cluster and credentials of
// context, or of current-context when context is "". Relative paths in a
// file are relative to its directory. Supported: token, tokenFile,
// client-certificate(-data), client-key(-data), certificate-authority(-data),
// insecure-skip-tls-verify, tls-server-name, the context's namespace.
// exec and auth-provider plugins, basic authentication, impersonation and
// proxy-url are refused with an error that says so.
func LoadKubeconfig(paths []string, context string) (Cluster, error) {
	if len(paths) == 0 {
		return Cluster{}, invalid("no kubeconfig: set kube_config_path or KUBECONFIG (and no home directory to find ~/.kube/config in)")
	}
	var merged kubeconfig
	seen := map[string]bool{}
	for _, p := range paths {
		data, err := kit.ReadFile(p, maxKubeconfig)
		if err != nil {
			if len(paths) > 1 && os.IsNotExist(err) {
				continue // kubectl skips missing files of a list
			}
			return Cluster{}, invalid("kubeconfig %s cannot be read: %v", p, oneLine(err.Error()))
		}
		kc, err := parseKubeconfig(data)
		if err != nil {
			return Cluster{}, invalid("kubeconfig %s: %v", p, err)
		}
		dir := filepath.Dir(p)
		if merged.CurrentContext == "" {
			merged.CurrentContext = kc.CurrentContext
		}
		for _, c := range kc.Clusters {
			if !seen["cluster\x00"+c.Name] {
				seen["cluster\x00"+c.Name] = true
				c.Cluster.dir = dir
				merged.Clusters = append(merged.Clusters, c)
			}
		}
		for _, c := range kc.Contexts {
			if !seen["context\x00"+c.Name] {
				seen["context\x00"+c.Name] = true
				merged.Contexts = append(merged.Contexts, c)
			}
		}
		for _, u := range kc.Users {
			if !seen["user\x00"+u.Name] {
				seen["user\x00"+u.Name] = true
				u.User.dir = dir
				merged.Users = append(merged.Users, u)
			}
		}
	}
	where := "kubeconfig " + strings.Join(paths, string(filepath.ListSeparator))
	return merged.resolve(context, where)
}

// parseKubeconfig decodes one kubeconfig document. Its errors carry
// positions and YAML's own words, never a value.
func parseKubeconfig(data []byte) (*kubeconfig, error) {
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return nil, fmt.Errorf("not a kubeconfig (YAML: %s)", yamlWhere(err))
	}
	return &kc, nil
}

// yamlWhere keeps the line numbers of a YAML error and drops the quoted
// input yaml.v3 includes (which could be a token).
func yamlWhere(err error) string {
	msg := err.Error()
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(l, "yaml: "))
		if i := strings.Index(l, "`"); i >= 0 {
			l = l[:i] + "..."
		}
		if l != "" {
			lines = append(lines, l)
		}
	}
	return oneLine(strings.Join(lines, "; "))
}

func (kc *kubeconfig) resolve(context, where string) (Cluster, error) {
	name := context
	if name == "" {
		name = kc.CurrentContext
	}
	if name == "" {
		return Cluster{}, invalid("%s sets no current-context: set cluster_context", where)
	}
	var ctx *kcContext
	var names []string
	for i := range kc.Contexts {
		names = append(names, kc.Contexts[i].Name)
		if kc.Contexts[i].Name == name {
			ctx = &kc.Contexts[i].Context
			break
		}
	}
	if ctx == nil {
		msg := fmt.Sprintf("%s has no context %q", where, name)
		if h := config.Closest(name, names); h != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", h)
		}
		return Cluster{}, invalid("%s", msg)
	}
	var cl *kcCluster
	for i := range kc.Clusters {
		if kc.Clusters[i].Name == ctx.Cluster {
			cl = &kc.Clusters[i].Cluster
			break
		}
	}
	if cl == nil {
		return Cluster{}, invalid("%s: context %q names cluster %q, which is not defined", where, name, ctx.Cluster)
	}
	var u *kcUser
	if ctx.User != "" {
		for i := range kc.Users {
			if kc.Users[i].Name == ctx.User {
				u = &kc.Users[i].User
				break
			}
		}
		if u == nil {
			return Cluster{}, invalid("%s: context %q names user %q, which is not defined", where, name, ctx.User)
		}
	}
	c := Cluster{Server: cl.Server, Namespace: ctx.Namespace, InsecureSkipTLSVerify: cl.Insecure, TLSServerName: cl.TLSServerName}
	if c.Server == "" {
		return Cluster{}, invalid("%s: cluster %q has no server", where, ctx.Cluster)
	}
	if cl.ProxyURL != "" {
		return Cluster{}, invalid("%s: cluster %q sets proxy-url, which is not supported (HTTPS_PROXY is honoured)", where, ctx.Cluster)
	}
	var err error
	if c.CAData, err = b64Field(cl.CAData, "certificate-authority-data", "cluster", ctx.Cluster); err != nil {
		return Cluster{}, invalid("%s: %v", where, err)
	}
	if cl.CA != "" && c.CAData == nil {
		c.CAFile = rel(cl.dir, cl.CA)
	}
	if u == nil {
		return c, nil
	}
	refuse := func(what, instead string) (Cluster, error) {
		return Cluster{}, invalid("%s: user %q uses %s, which secretpath does not support: %s", where, ctx.User, what, instead)
	}
	switch {
	case !u.Exec.IsZero():
		return refuse("an exec credential plugin", "give the user a token, a tokenFile (e.g. from `kubectl create token`) or a client certificate")
	case !u.AuthProvider.IsZero():
		return refuse("an auth-provider plugin", "give the user a token, a tokenFile or a client certificate")
	case u.Username != "" || u.Password != "":
		return refuse("basic authentication (username/password, removed from Kubernetes in 1.19)", "give the user a token or a client certificate")
	case u.As != "" || u.AsUID != "" || len(u.AsGroups) > 0:
		return refuse("impersonation (as, as-uid, as-groups)", "give the impersonated identity's own credentials")
	}
	c.Token = u.Token
	if u.TokenFile != "" && u.Token == "" {
		c.TokenFile = rel(u.dir, u.TokenFile)
	}
	if c.ClientCertData, err = b64Field(u.ClientCertData, "client-certificate-data", "user", ctx.User); err != nil {
		return Cluster{}, invalid("%s: %v", where, err)
	}
	if u.ClientCert != "" && c.ClientCertData == nil {
		c.ClientCertFile = rel(u.dir, u.ClientCert)
	}
	if c.ClientKeyData, err = b64Field(u.ClientKeyData, "client-key-data", "user", ctx.User); err != nil {
		return Cluster{}, invalid("%s: %v", where, err)
	}
	if u.ClientKey != "" && c.ClientKeyData == nil {
		c.ClientKeyFile = rel(u.dir, u.ClientKey)
	}
	return c, nil
}

// b64Field decodes a *-data field (base64 of PEM); "" gives nil.
func b64Field(v, field, kind, name string) ([]byte, error) {
	if v == "" {
		return nil, nil
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil {
		return nil, fmt.Errorf("%s %q: %s is not valid base64", kind, name, field)
	}
	return data, nil
}

func rel(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return filepath.Join(dir, p)
}

// oneLine keeps an error's text on one line and bounded (cut at a rune
// boundary).
func oneLine(s string) string { return kit.Printable(s, 512) }
