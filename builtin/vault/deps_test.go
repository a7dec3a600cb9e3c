package vault_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
)

// TestNoAWSSDK: the vault package links no AWS SDK package. The aws_iam
// login, which needs one, lives in builtin/vault/vaultaws (issue 16).
func TestNoAWSSDK(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		testutil.Missing(t, "the go command is not on PATH: cannot list the package's dependencies")
	}
	out, err := exec.Command(goCmd, "list", "-deps", "github.com/secretpath/secretpath/builtin/vault").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/hashicorp/vault/api", "the listing is the vault package's")
	var aws []string
	for _, pkg := range deps {
		if strings.HasPrefix(pkg, "github.com/aws/") {
			aws = append(aws, pkg)
		}
	}
	assert.Empty(t, aws, "builtin/vault links AWS packages (%d)", len(aws))
}
