package awsfake_test

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/awsfake"
)

func client(f *awsfake.Server, c aws.Credentials) *ssm.Client {
	return ssm.New(ssm.Options{
		Region:       awsfake.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		BaseEndpoint: aws.String(f.URL),
	})
}

// TestSignatureCheck: the fake accepts what the SDK signs and refuses a
// replay with another body, a wrong secret key and an unknown key id.
func TestSignatureCheck(t *testing.T) {
	awsfake.Isolate(t)
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	f.PutParameter("/p", "v", awsfake.String)

	out, err := client(f, awsfake.Creds).GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)
	assert.Equal(t, "v", *out.Parameter.Value)
	good := f.Requests()[0]
	require.Empty(t, good.SignatureError)

	// Replay the signed headers with another body.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.URL+"/", bytes.NewReader([]byte(`{"Name":"/q"}`)))
	require.NoError(t, err)
	for k, v := range good.Header {
		req.Header[k] = v
	}
	req.Header.Del("Content-Length")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "signature mismatch", f.Requests()[1].SignatureError)

	wrong := awsfake.Creds
	wrong.SecretAccessKey = "not-the-secret"
	_, err = client(f, wrong).GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/p")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "InvalidSignatureException")

	_, err = client(f, aws.Credentials{AccessKeyID: "AKIAUNKNOWNEXAMPLE00", SecretAccessKey: "x"}).GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/p")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "UnrecognizedClientException")
}

// TestFaults: a fault answers Times matching requests, then the normal
// answer comes back; Target and Name narrow it.
func TestFaults(t *testing.T) {
	awsfake.Isolate(t)
	f := awsfake.New(t)
	f.PutParameter("/a", "1", awsfake.String)
	f.PutParameter("/b", "2", awsfake.String)
	f.AddFault(awsfake.Fault{Target: awsfake.TargetGetParameter, Name: "/a", Code: "AccessDeniedException", Times: 2})
	f.AddFault(awsfake.Fault{Target: awsfake.TargetGetSecretValue, Code: "InternalServiceError"})
	c := ssm.New(ssm.Options{
		Region: awsfake.Region, BaseEndpoint: aws.String(f.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, ""),
	})
	get := func(name string) error {
		_, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String(name)})
		return err
	}
	require.Error(t, get("/a"))
	require.NoError(t, get("/b"))
	require.Error(t, get("/a"))
	require.NoError(t, get("/a"))
	assert.Equal(t, 4, f.Count(awsfake.TargetGetParameter))
	assert.Equal(t, []string{"/a", "/b", "/a", "/a"}, f.Names(awsfake.TargetGetParameter))
}

// TestDeleteSecret: a secret scheduled for deletion answers
// InvalidRequestException (400) through the SDK, as Secrets Manager does in
// the recovery window; other secrets are unaffected; deleting an unknown
// secret reports false.
func TestDeleteSecret(t *testing.T) {
	awsfake.Isolate(t)
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	f.PutSecret("gone", "value")
	f.PutSecret("kept", "value")
	require.True(t, f.DeleteSecret("gone"))
	assert.False(t, f.DeleteSecret("never-stored"))

	c := secretsmanager.New(secretsmanager.Options{
		Region: awsfake.Region, BaseEndpoint: aws.String(f.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, ""),
	})
	_, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("gone")})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "an API error: %v", err)
	assert.Equal(t, "InvalidRequestException", ae.ErrorCode())
	assert.Contains(t, ae.ErrorMessage(), "marked for deletion")

	out, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("kept")})
	require.NoError(t, err)
	assert.Equal(t, "value", aws.ToString(out.SecretString))
	assert.Empty(t, f.Requests()[0].SignatureError)
}
