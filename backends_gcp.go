//go:build !secretpath_no_gcp

package secretpath

// The GCP backend, available to config files and the CLI by name
// ("gcp-secret-manager") and by Airflow's class paths. Build with -tags
// secretpath_no_gcp to leave it (and Google's auth libraries) out.
import _ "github.com/secretpath/secretpath/builtin/gcpsecretmanager" // registers "gcp-secret-manager"
