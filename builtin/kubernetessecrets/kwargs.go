package kubernetessecrets

import (
	"context"
	"fmt"
	"os"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// settings are the backend_kwargs, decoded and checked, before any file
// is read.
type settings struct {
	opts Options // everything but Cluster and MultiTeam

	inCluster      *bool
	kubeconfigPath string
	context        string
	sa             ServiceAccount
}

func parseKwargs(kw *config.Kwargs) (settings, error) {
	var s settings
	o := &s.opts
	ls, err := scheme.Parse(kw)
	if err != nil {
		return s, err
	}
	for _, k := range []struct {
		key string
		l   bool
	}{{"connections_label", ls.Connections.NoPrefix}, {"variables_label", ls.Variables.NoPrefix}, {"config_label", ls.Configs.NoPrefix}} {
		if k.l {
			return s, kit.KwargError(k.key, "must not be empty (null switches the kind off)")
		}
	}
	o.Connections, o.Variables, o.Configs = ls.Connections, ls.Variables, ls.Configs
	team, on, err := kw.OptString("team_label", "")
	if err != nil {
		return s, err
	}
	o.NoTeamLabel = !on
	if on && kw.Has("team_label") {
		if team == "" {
			return s, kit.KwargError("team_label", "must not be empty (null switches teams off)")
		}
		if why := checkLabelKey(team); why != "" {
			return s, kit.KwargError("team_label", "is not a valid label key: "+why)
		}
		o.TeamLabel = team
	}
	for _, d := range []struct {
		key string
		dst *string
	}{{"connections_data_key", &o.ConnectionsDataKey}, {"variables_data_key", &o.VariablesDataKey}, {"config_data_key", &o.ConfigDataKey}} {
		if kw.IsNull(d.key) {
			return s, kit.KwargError(d.key, "must be a string")
		}
		v, err := kw.String(d.key, DefaultDataKey)
		if err != nil {
			return s, err
		}
		if why := checkDataKey(v); why != "" {
			return s, kit.KwargError(d.key, "is not a valid secret data key: "+why)
		}
		*d.dst = v
	}
	if o.Namespace, err = kw.String("namespace", ""); err != nil {
		return s, err
	}
	if o.Namespace != "" {
		if why := checkNamespace(o.Namespace); why != "" {
			return s, kit.KwargError("namespace", "is not a valid namespace name: "+why)
		}
	}
	if kw.Has("in_cluster") && !kw.IsNull("in_cluster") {
		v, err := kw.Bool("in_cluster", false)
		if err != nil {
			return s, err
		}
		s.inCluster = &v
	} else {
		_, _ = kw.String("in_cluster", "") // marks it read
	}
	if s.kubeconfigPath, err = kw.String("kube_config_path", ""); err != nil {
		return s, err
	}
	if s.context, err = kw.String("cluster_context", ""); err != nil {
		return s, err
	}
	for _, p := range []struct {
		key string
		dst *string
	}{{"service_account_token_path", &s.sa.TokenPath}, {"service_account_ca_path", &s.sa.CAPath}, {"service_account_namespace_path", &s.sa.NamespacePath}} {
		if *p.dst, err = kw.String(p.key, ""); err != nil {
			return s, err
		}
	}
	if o.Timeout, err = kit.Timeout(kw); err != nil {
		return s, err
	}
	if s.inCluster != nil && *s.inCluster && (s.kubeconfigPath != "" || s.context != "") {
		return s, fmt.Errorf("%w: backend %s: backend_kwargs key in_cluster true excludes kube_config_path and cluster_context", config.ErrInvalid, Name)
	}
	if s.inCluster != nil && !*s.inCluster && (s.sa != ServiceAccount{}) {
		return s, fmt.Errorf("%w: backend %s: backend_kwargs keys service_account_*_path need in_cluster", config.ErrInvalid, Name)
	}
	// Unknown keys are refused (Airflow's backend passes them to
	// BaseSecretsBackend, which raises TypeError), each with a "did you
	// mean" from the keys read above.
	return s, kw.CheckUnused(Name)
}

// useInCluster decides how the backend authenticates: in_cluster when
// given; else a kubeconfig when kube_config_path or cluster_context is
// given; else in-cluster when a service_account_*_path is given or in a
// pod (KUBERNETES_SERVICE_HOST set: Airflow's only way); else $KUBECONFIG
// or ~/.kube/config.
func (s *settings) useInCluster() bool {
	switch {
	case s.inCluster != nil:
		return *s.inCluster
	case s.kubeconfigPath != "" || s.context != "":
		return false
	case s.sa != ServiceAccount{}:
		return true
	}
	return os.Getenv("KUBERNETES_SERVICE_HOST") != ""
}

// open builds a Backend from env's backend_kwargs (see the package doc).
func open(ctx context.Context, env resolver.Env) (resolver.Backend, error) {
	s, err := parseKwargs(env.Kwargs)
	if err != nil {
		return nil, err
	}
	if s.opts.MultiTeam, err = env.Config.Bool("core", "multi_team", false); err != nil {
		return nil, err
	}
	if s.useInCluster() {
		s.opts.Cluster, err = InCluster(s.sa, s.opts.Namespace == "")
	} else {
		paths := KubeconfigPaths()
		if s.kubeconfigPath != "" {
			paths = []string{s.kubeconfigPath}
		}
		s.opts.Cluster, err = LoadKubeconfig(paths, s.context)
		if err == nil && s.opts.Cluster.Namespace == "" {
			s.opts.Cluster.Namespace = "default" // kubectl's
		}
	}
	if err != nil {
		return nil, err
	}
	s.opts.Logger = env.Logger
	return New(ctx, s.opts)
}
