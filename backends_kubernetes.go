//go:build !secretpath_no_kubernetes

package secretpath

// The Kubernetes Secrets backend, available to config files and the CLI
// by name ("kubernetes-secrets") and by Airflow's class path. Build with
// -tags secretpath_no_kubernetes to leave it out.
import _ "github.com/secretpath/secretpath/builtin/kubernetessecrets" // registers "kubernetes-secrets"
