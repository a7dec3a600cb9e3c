package secretpath_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const mod = "github.com/secretpath/secretpath"

// layer rules: for every package of the module matching pkg, which of the
// module's packages its (non-test) dependencies may include, and which
// third-party paths they must not.
var layerRules = []struct {
	name   string
	pkg    match
	allow  func(p, dep string) bool // for dependencies inside the module
	banned []string                 // prefixes of dependencies outside it
}{
	{
		name:  "the connection codec imports no module package but its own internals",
		pkg:   is(mod + "/resolver/connection"),
		allow: deps(under(mod + "/resolver/internal/")),
	},
	{
		name:  "the codes package imports no module package",
		pkg:   is(mod + "/resolver/codes"),
		allow: deps(func(string) bool { return false }),
	},
	{
		name:  "the config package imports only the codec",
		pkg:   is(mod + "/resolver/config"),
		allow: deps(anyOf(is(mod+"/resolver/connection"), under(mod+"/resolver/internal/"))),
	},
	{
		name:  "resolver imports only its subpackages: no backend, host, command or fake",
		pkg:   is(mod + "/resolver"),
		allow: deps(anyOf(is(mod+"/resolver/connection"), is(mod+"/resolver/config"), is(mod+"/resolver/codes"), under(mod+"/resolver/internal/"))),
	},
	{
		name:   "the conformance suite imports only the resolver packages (and no testify)",
		pkg:    is(mod + "/resolver/backendtest"),
		allow:  deps(under(mod + "/resolver")),
		banned: []string{"github.com/stretchr/"},
	},
	{
		name: "a backend imports the resolver packages, builtin/location and builtin/internal, never another backend",
		pkg:  anyOf(under(mod+"/builtin/"), is(mod+"/builtin")),
		allow: func(p, dep string) bool {
			if strings.HasPrefix(dep, mod+"/resolver") || strings.HasPrefix(dep, mod+"/builtin/internal/") || dep == mod+"/builtin/location" {
				return true
			}
			// A backend's own subpackages (builtin/vault/vaultaws is vault's).
			own := strings.Join(strings.SplitN(strings.TrimPrefix(p, mod+"/builtin/"), "/", 2)[:1], "")
			return strings.HasPrefix(dep, mod+"/builtin/"+own+"/") || dep == mod+"/builtin/"+own
		},
	},
	{
		name:  "the location type imports no module package",
		pkg:   is(mod + "/builtin/location"),
		allow: deps(func(string) bool { return false }),
	},
	{
		name:   "builtin/vault links no AWS SDK (its aws_iam login is builtin/vault/vaultaws)",
		pkg:    is(mod + "/builtin/vault"),
		allow:  deps(under(mod + "/")),
		banned: []string{"github.com/aws/"},
	},
	{
		name:   "builtin/vault links no Azure SDK (its azure login is builtin/vault/vaultazure)",
		pkg:    is(mod + "/builtin/vault"),
		allow:  deps(under(mod + "/")),
		banned: []string{"github.com/Azure/", "github.com/AzureAD/"},
	},
	{
		name:   "builtin/vault links no Google SDK (its gcp login is builtin/vault/vaultgcp)",
		pkg:    is(mod + "/builtin/vault"),
		allow:  deps(under(mod + "/")),
		banned: []string{"golang.org/x/oauth2", "cloud.google.com/", "google.golang.org/"},
	},
	{
		name: "the WebAssembly host imports the resolver packages only",
		pkg: func(p string) bool {
			return (p == mod+"/wasmhost" || strings.HasPrefix(p, mod+"/wasmhost/")) && !strings.HasSuffix(p, "/abitest")
		},
		allow: deps(anyOf(under(mod+"/resolver"), under(mod+"/wasmhost/"))),
	},
	{
		name:  "examples/minimal links localfs and env only",
		pkg:   is(mod + "/examples/minimal"),
		allow: deps(anyOf(under(mod+"/resolver"), is(mod+"/builtin/localfs"), is(mod+"/builtin/env"), under(mod+"/builtin/internal/"))),
		banned: []string{"github.com/aws/", "github.com/Azure/", "github.com/hashicorp/vault", "golang.org/x/oauth2/google",
			"github.com/tetratelabs/wazero", "modernc.org/sqlite", "github.com/jackc/pgx", "github.com/go-sql-driver/mysql"},
	},
	{
		// aws-sdk-go-v2 turned on schema-based (de)serialization in ssm
		// v1.80.0 and secretsmanager v1.50.0: a generated package whose
		// init builds a schema for every shape of the service (~8,000
		// allocations, 1.4 MB, 2-3.4 ms), paid by every start of the CLI
		// whether or not AWS is configured. go.mod keeps the last releases
		// before it; RATIONALE.md ("The AWS service modules stay below
		// schema serde") says when to move.
		name:   "the CLI links no AWS schema-serde package (go.mod keeps ssm < v1.80, secretsmanager < v1.50)",
		pkg:    is(mod + "/cmd/secretpath"),
		allow:  deps(anyOf(is(mod), under(mod+"/"))),
		banned: []string{"github.com/aws/aws-sdk-go-v2/service/ssm/schemas", "github.com/aws/aws-sdk-go-v2/service/secretsmanager/schemas"},
	},
	{
		name: "nothing outside tests imports a fake or test helper",
		pkg: func(p string) bool {
			return !strings.Contains(p, "/internal/") && !strings.HasSuffix(p, "/backendtest")
		},
		allow: func(_, dep string) bool { return !isTestOnly(dep) },
	},
}

func isTestOnly(dep string) bool {
	for _, s := range []string{"/internal/awsfake", "/internal/azurefake", "/internal/execapifake", "/internal/gcpfake", "/internal/vaultfake", "/internal/k8sfake",
		"/internal/testutil", "/internal/testinfra", "/internal/abitest", "/resolver/backendtest", "/builtin/internal/kit/kittest",
		"/builtin/internal/awscommon/awsteamtest"} {
		if strings.HasPrefix(dep, mod+s) {
			return true
		}
	}
	return false
}

type match func(string) bool

func is(want string) match { return func(p string) bool { return p == want } }

func under(prefix string) match { return func(p string) bool { return strings.HasPrefix(p, prefix) } }

func anyOf(ms ...match) match {
	return func(p string) bool {
		for _, m := range ms {
			if m(p) {
				return true
			}
		}
		return false
	}
}

// deps turns a match on a dependency into an allow rule.
func deps(m match) func(p, dep string) bool { return func(_, dep string) bool { return m(dep) } }

// TestLayering checks every package's dependencies against layerRules with
// one `go list -deps` of the whole module: dependencies point from
// backends and the host down to resolver, never up or sideways.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./...").CombinedOutput()
	require.NoError(t, err, string(out))
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		p, deps := f[0], f[1:]
		for _, r := range layerRules {
			if !r.pkg(p) {
				continue
			}
			seen[r.name] = true
			for _, d := range deps {
				switch {
				case strings.HasPrefix(d, mod+"/") || d == mod:
					if !r.allow(p, d) {
						t.Errorf("%s: %s imports %s", r.name, p, d)
					}
				default:
					for _, b := range r.banned {
						if strings.HasPrefix(d, b) {
							t.Errorf("%s: %s depends on %s", r.name, p, d)
						}
					}
				}
			}
		}
	}
	for _, r := range layerRules {
		if !seen[r.name] {
			t.Errorf("rule %q matched no package: a package moved?", r.name)
		}
	}
}
