package awsssm_test

import (
	"context"
	"testing"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/internal/kumotest"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

// kumoHarness seeds the emulator under a namespace of its own per backend
// (kumo's storage is shared by the whole test binary) and opens the backend
// through the registry with prefixes pointing there. Connections are
// SecureString parameters, variables and configs String ones.
type kumoHarness struct{ srv *kumotest.Server }

func (kumoHarness) Capabilities() backendtest.Capabilities {
	// SSM refuses an empty parameter value.
	return backendtest.Capabilities{Configs: true, JSONConnections: true, MultilineValues: true}
}

func (h kumoHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	ns := "/" + kumotest.Namespace("conformance")
	kw := h.srv.Kwargs()
	for _, k := range []struct {
		kind   string
		values map[string]string
		typ    ssmtypes.ParameterType
	}{
		{"connections", seed.Connections, ssmtypes.ParameterTypeSecureString},
		{"variables", seed.Variables, ssmtypes.ParameterTypeString},
		{"config", seed.Configs, ssmtypes.ParameterTypeString},
	} {
		prefix := ns + "/" + k.kind
		kw[k.kind+"_prefix"] = prefix + "/" // the trailing "/" is stripped
		for id, v := range k.values {
			h.srv.PutParameter(t, prefix+"/"+id, v, k.typ)
		}
	}
	return mustOpen(t, kw)
}

// fakeHarness serves the seed from our own fake, which checks every
// request's signature.
type fakeHarness struct{}

func (fakeHarness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{Configs: true, JSONConnections: true, MultilineValues: true}
}

func (fakeHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	for prefix, values := range map[string]map[string]string{
		"/airflow/connections/": seed.Connections,
		"/airflow/variables/":   seed.Variables,
		"/airflow/config/":      seed.Configs,
	} {
		for id, v := range values {
			f.PutParameter(prefix+id, v, awsfake.SecureString)
		}
	}
	return mustOpen(t, fakeKwargs(f, nil))
}

func TestConformance(t *testing.T) {
	awsfake.Isolate(t)
	t.Run("kumo", func(t *testing.T) { backendtest.Run(t, kumoHarness{kumotest.Start(t)}) })
	t.Run("fake", func(t *testing.T) { backendtest.Run(t, fakeHarness{}) })
}
