package awsfake_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/awsfake"
)

func smClient(f *awsfake.Server) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region: awsfake.Region, BaseEndpoint: aws.String(f.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, ""),
	})
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i)
	}
	return out
}

func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "an API error: %v", err)
	return ae.ErrorCode()
}

// TestGetParameters: the parameters found in alphabetical order, the
// missing names in InvalidParameters, SecureString decrypted only
// WithDecryption, at most 10 names, and a fault naming one parameter
// failing the whole request.
func TestGetParameters(t *testing.T) {
	awsfake.Isolate(t)
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	f.PutParameter("/b", "2", awsfake.String)
	f.PutParameter("/a", "1", awsfake.SecureString)
	c := client(f, awsfake.Creds)

	for _, decrypt := range []bool{true, false} {
		out, err := c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: []string{"/b", "/missing", "/a"}, WithDecryption: aws.Bool(decrypt)})
		require.NoError(t, err)
		require.Len(t, out.Parameters, 2)
		assert.Equal(t, "/a", aws.ToString(out.Parameters[0].Name), "alphabetical order")
		assert.Equal(t, "/b", aws.ToString(out.Parameters[1].Name))
		assert.Equal(t, decrypt, aws.ToString(out.Parameters[0].Value) == "1", "SecureString in clear only WithDecryption")
		assert.Equal(t, "2", aws.ToString(out.Parameters[1].Value))
		assert.Equal(t, []string{"/missing"}, out.InvalidParameters)
	}
	reqs := f.Requests()
	assert.Equal(t, awsfake.TargetGetParameters, reqs[0].Target)
	assert.Equal(t, []string{"/b", "/missing", "/a"}, reqs[0].Names)
	assert.True(t, reqs[0].WithDecryption)

	for _, tc := range []struct {
		name  string
		names []string
		code  string
	}{
		{"11 names", names("/p", 11), "ValidationException"},
		{"no names", []string{}, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: tc.names})
			assert.Equal(t, tc.code, apiCode(t, err))
		})
	}
	_, err := c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: names("/p", 10)})
	require.NoError(t, err, "10 names are allowed")

	f.AddFault(awsfake.Fault{Target: awsfake.TargetGetParameters, Name: "/b", Code: "AccessDeniedException", Times: 1})
	_, err = c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: []string{"/a"}})
	require.NoError(t, err, "a fault for another name")
	_, err = c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: []string{"/a", "/b"}})
	assert.Equal(t, "AccessDeniedException", apiCode(t, err))
}

// TestBatchGetSecretValue: secrets in SecretValues (binary as
// SecretBinary), the others in Errors with their code and SecretId, at
// most 20 ids, SecretIdList and Filters exclusive, a named fault as an
// Errors entry and an unnamed one as the request's answer.
func TestBatchGetSecretValue(t *testing.T) {
	awsfake.Isolate(t)
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	f.PutSecret("s", "value")
	f.PutSecretBinary("bin", []byte{0, 1, 2})
	f.PutSecret("gone", "value")
	f.DeleteSecret("gone")
	f.PutSecret("denied", "value")
	f.AddFault(awsfake.Fault{Target: awsfake.TargetBatchGetSecretValue, Name: "denied", Code: "AccessDeniedException", Message: "not for you"})
	c := smClient(f)

	out, err := c.BatchGetSecretValue(t.Context(), &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"s", "missing", "bin", "gone", "denied"}})
	require.NoError(t, err)
	require.Len(t, out.SecretValues, 2)
	assert.Equal(t, "s", aws.ToString(out.SecretValues[0].Name))
	assert.Equal(t, "value", aws.ToString(out.SecretValues[0].SecretString))
	assert.Nil(t, out.SecretValues[1].SecretString)
	assert.Equal(t, []byte{0, 1, 2}, out.SecretValues[1].SecretBinary)
	code := func(e smtypes.APIErrorType) [2]string {
		return [2]string{aws.ToString(e.SecretId), aws.ToString(e.ErrorCode)}
	}
	var got [][2]string
	for _, e := range out.Errors {
		got = append(got, code(e))
	}
	assert.Equal(t, [][2]string{{"missing", "ResourceNotFoundException"}, {"gone", "InvalidRequestException"}, {"denied", "AccessDeniedException"}}, got)
	assert.Equal(t, []string{"s", "missing", "bin", "gone", "denied"}, f.Requests()[0].Names)

	for _, tc := range []struct {
		name string
		in   secretsmanager.BatchGetSecretValueInput
		code string
	}{
		{"21 ids", secretsmanager.BatchGetSecretValueInput{SecretIdList: names("s", 21)}, "ValidationException"},
		{"ids and filters", secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"s"},
			Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"s"}}}}, "InvalidParameterException"},
		{"neither", secretsmanager.BatchGetSecretValueInput{}, "InvalidParameterException"},
		{"MaxResults with ids", secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"s"}, MaxResults: aws.Int32(5)}, "InvalidParameterException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.BatchGetSecretValue(t.Context(), &tc.in)
			assert.Equal(t, tc.code, apiCode(t, err))
		})
	}
	_, err = c.BatchGetSecretValue(t.Context(), &secretsmanager.BatchGetSecretValueInput{SecretIdList: names("s", 20)})
	require.NoError(t, err, "20 ids are allowed")

	f.AddFault(awsfake.Fault{Target: awsfake.TargetBatchGetSecretValue, Code: "AccessDeniedException", Times: 1})
	_, err = c.BatchGetSecretValue(t.Context(), &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"s"}})
	assert.Equal(t, "AccessDeniedException", apiCode(t, err))
	assert.Equal(t, 7, f.Count(awsfake.TargetBatchGetSecretValue))
}
