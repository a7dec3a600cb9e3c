package gcpfake

import (
	"os"
	"path/filepath"
	"testing"
)

// gcpEnv are the environment variables through which the machine could
// reach into Google credential and project detection.
var gcpEnv = []string{
	"GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT",
	"GOOGLE_CLOUD_QUOTA_PROJECT", "GOOGLE_CLOUD_UNIVERSE_DOMAIN", "GOOGLE_API_USE_CLIENT_CERTIFICATE",
	"GOOGLE_API_USE_MTLS_ENDPOINT", "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES",
	"GCE_METADATA_HOST", "GCE_METADATA_IP", "GCE_METADATA_ROOT", "APPDATA", "XDG_CONFIG_HOME",
}

// DeadMetadataHost is a loopback address where nothing listens: metadata
// requests to it fail at once.
const DeadMetadataHost = "127.0.0.1:1"

// Isolate gives the test an empty Google environment, restored when it
// ends: no GOOGLE_APPLICATION_CREDENTIALS, no project variables, HOME and
// CLOUDSDK_CONFIG in a fresh directory (so gcloud's well-known credentials
// file is absent), and GCE_METADATA_HOST pointing at f's metadata server,
// or at DeadMetadataHost when f is nil. With GCE_METADATA_HOST set,
// credential detection treats the machine as GCE and never probes
// 169.254.169.254 or metadata.google.internal. It uses t.Setenv: the test
// must not be parallel.
//
// The metadata library caches "on GCE" for the whole process the first
// time it is asked, so every test that builds Google credentials must call
// Isolate first.
func Isolate(t testing.TB, f *Server) {
	t.Helper()
	for _, k := range gcpEnv {
		t.Setenv(k, "")
		_ = os.Unsetenv(k)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("CLOUDSDK_CONFIG", filepath.Join(home, ".config", "gcloud"))
	host := DeadMetadataHost
	if f != nil {
		host = f.MetadataHost()
	}
	t.Setenv("GCE_METADATA_HOST", host)
}
