package vaultaws

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secretpath/secretpath/builtin/vault"
)

// TestRedact: a login error loses every AWS access key id (the configured
// one and any other an STS message quotes in a credential scope) and the
// configured secret key, and still unwraps to the original error.
func TestRedact(t *testing.T) {
	const akid, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	cause := errors.New("Credential=" + akid + "/20260101/us-east-1/sts/aws4_request; other ASIAASSUMEDEXAMPLE01; key " + secret)
	err := redact(vault.Auth{Type: vault.AuthAWSIAM, KeyID: akid, SecretID: secret}, cause)
	assert.ErrorIs(t, err, cause)
	assert.NotContains(t, err.Error(), akid)
	assert.NotContains(t, err.Error(), "ASIAASSUMEDEXAMPLE01")
	assert.NotContains(t, err.Error(), secret)
	assert.Contains(t, err.Error(), "Credential=***/20260101/us-east-1/sts/aws4_request")
}
