package secretpath

// The GCP backend, available to config files and the CLI by name
// ("gcp-secret-manager") and by Airflow's class paths.
import (
	_ "github.com/secretpath/secretpath/builtin/gcpsecretmanager" // registers "gcp-secret-manager"
)
