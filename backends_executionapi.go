//go:build !secretpath_no_executionapi

package secretpath

// The Execution API backend, a worker's third tier (resolver.Open uses it
// in a worker's view of the config when a token is set) and available by
// name ("execution-api") and by the task SDK's class path. It needs
// nothing beyond net/http; build with -tags secretpath_no_executionapi to
// leave it out (workers then read the metastore, with a warning).
import _ "github.com/secretpath/secretpath/builtin/executionapi" // registers "execution-api"
