package awsfake_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/awsfake"
)

func nameFilter(option string, values ...string) []ssmtypes.ParameterStringFilter {
	return []ssmtypes.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String(option), Values: values}}
}

// TestDescribeParameters: metadata without values, versions that count
// the puts, the Name filter's options, pagination (also of short pages),
// and the documented limits, through the SDK's deserializers.
func TestDescribeParameters(t *testing.T) {
	awsfake.Isolate(t)
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	c := client(f, awsfake.Creds)
	f.PutParameter("/a/x", "secret-x", awsfake.SecureString)
	f.PutParameter("/a/xy", "secret-xy", awsfake.String)
	f.PutParameter("/b/x", "secret-bx", awsfake.String)

	out, err := c.DescribeParameters(t.Context(), &ssm.DescribeParametersInput{ParameterFilters: nameFilter("Equals", "/a/x", "/b/x", "/missing")})
	require.NoError(t, err)
	require.Len(t, out.Parameters, 2)
	assert.Nil(t, out.NextToken)
	first := out.Parameters[0]
	assert.Equal(t, "/a/x", aws.ToString(first.Name))
	assert.Equal(t, int64(1), first.Version)
	assert.Equal(t, ssmtypes.ParameterTypeSecureString, first.Type)
	require.NotNil(t, first.LastModifiedDate)
	assert.NotContains(t, string(f.Requests()[0].Body)+fmt.Sprint(out.Parameters), "secret-", "no value")

	assert.Equal(t, int64(2), f.RotateParameter("/a/x", "secret-x2"))
	assert.Zero(t, f.RotateParameter("/nope", "v"))
	out, err = c.DescribeParameters(t.Context(), &ssm.DescribeParametersInput{ParameterFilters: nameFilter("Equals", "/a/x")})
	require.NoError(t, err)
	require.Len(t, out.Parameters, 1)
	assert.Equal(t, int64(2), out.Parameters[0].Version)
	assert.True(t, out.Parameters[0].LastModifiedDate.After(*first.LastModifiedDate))
	got, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/a/x"), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, "secret-x2", aws.ToString(got.Parameter.Value))
	assert.Equal(t, int64(2), got.Parameter.Version)

	for _, tt := range []struct {
		option string
		value  string
		want   []string
	}{
		{"Equals", "/a/x", []string{"/a/x"}},
		{"BeginsWith", "/a/x", []string{"/a/x", "/a/xy"}},
		{"Contains", "xy", []string{"/a/xy"}},
	} {
		out, err := c.DescribeParameters(t.Context(), &ssm.DescribeParametersInput{ParameterFilters: nameFilter(tt.option, tt.value)})
		require.NoError(t, err, tt.option)
		var names []string
		for _, p := range out.Parameters {
			names = append(names, aws.ToString(p.Name))
		}
		assert.Equal(t, tt.want, names, tt.option)
	}

	// Short pages: every parameter is listed once over the pages.
	f.SetDescribePageSize(1)
	var names []string
	p := ssm.NewDescribeParametersPaginator(c, &ssm.DescribeParametersInput{ParameterFilters: nameFilter("BeginsWith", "/"), MaxResults: aws.Int32(50)})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		require.NoError(t, err)
		for _, p := range out.Parameters {
			names = append(names, aws.ToString(p.Name))
		}
	}
	assert.Equal(t, []string{"/a/x", "/a/xy", "/b/x"}, names)
	f.SetDescribePageSize(0)

	fiftyOne := make([]string, awsfake.MaxParameterFilterValues+1)
	for i := range fiftyOne {
		fiftyOne[i] = fmt.Sprintf("/p%d", i)
	}
	for _, tt := range []struct {
		name string
		in   ssm.DescribeParametersInput
		code string
	}{
		{"MaxResults above 50", ssm.DescribeParametersInput{MaxResults: aws.Int32(51)}, "ValidationException"},
		{"51 values", ssm.DescribeParametersInput{ParameterFilters: nameFilter("Equals", fiftyOne...)}, "ValidationException"},
		{"bad option", ssm.DescribeParametersInput{ParameterFilters: nameFilter("Recursive", "/a")}, "InvalidFilterOption"},
		{"bad token", ssm.DescribeParametersInput{NextToken: aws.String("nope")}, "InvalidNextToken"},
	} {
		_, err := c.DescribeParameters(t.Context(), &tt.in)
		var ae smithy.APIError
		require.True(t, errors.As(err, &ae), tt.name)
		assert.Equal(t, tt.code, ae.ErrorCode(), tt.name)
	}
	assert.Equal(t, 2+3+3+4, f.Count(awsfake.TargetDescribeParameters), "every request counted")
}

// TestDescribeSecret: the AWSCURRENT version id, a new one per value, no
// value; a deleted secret described with its DeletedDate; an unknown one
// a ResourceNotFoundException.
func TestDescribeSecret(t *testing.T) {
	awsfake.Isolate(t)
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	c := smClient(f)
	f.PutSecret("s", "value-1")

	describe := func(id string) (*secretsmanager.DescribeSecretOutput, error) {
		return c.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	}
	current := func(out *secretsmanager.DescribeSecretOutput) string {
		for v, stages := range out.VersionIdsToStages {
			for _, s := range stages {
				if s == "AWSCURRENT" {
					return v
				}
			}
		}
		return ""
	}
	out, err := describe("s")
	require.NoError(t, err)
	v1 := current(out)
	require.NotEmpty(t, v1)
	assert.Nil(t, out.DeletedDate)
	assert.NotContains(t, fmt.Sprintf("%+v", *out), "value-1")

	v2 := f.RotateSecret("s", "value-2")
	require.NotEqual(t, v1, v2)
	out, err = describe("s")
	require.NoError(t, err)
	assert.Equal(t, v2, current(out))
	assert.Equal(t, []string{"AWSPREVIOUS"}, out.VersionIdsToStages[v1])
	val, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
	require.NoError(t, err)
	assert.Equal(t, v2, aws.ToString(val.VersionId))
	assert.Empty(t, f.RotateSecret("nope", "v"))

	require.True(t, f.DeleteSecret("s"))
	out, err = describe("s")
	require.NoError(t, err)
	assert.NotNil(t, out.DeletedDate)

	_, err = describe("nope")
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, "ResourceNotFoundException", ae.ErrorCode())
	assert.Equal(t, 4, f.Count(awsfake.TargetDescribeSecret))
}

// TestDescribeSecretRotation: RotationEnabled is absent until rotation is
// configured, NextRotationDate is sent only while it is on, and both
// outlive new versions, through the SDK's deserializers.
func TestDescribeSecretRotation(t *testing.T) {
	awsfake.Isolate(t)
	f := awsfake.New(t)
	c := smClient(f)
	f.PutSecret("s", "v1")
	describe := func() *secretsmanager.DescribeSecretOutput {
		t.Helper()
		out, err := c.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("s")})
		require.NoError(t, err)
		return out
	}
	out := describe()
	assert.Nil(t, out.RotationEnabled)
	assert.Nil(t, out.NextRotationDate)

	next := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	require.True(t, f.SetRotation("s", awsfake.Rotation{Enabled: true, Next: next}))
	assert.False(t, f.SetRotation("missing", awsfake.Rotation{Enabled: true, Next: next}))
	f.RotateSecret("s", "v2")
	out = describe()
	require.NotNil(t, out.RotationEnabled)
	assert.True(t, *out.RotationEnabled)
	require.NotNil(t, out.NextRotationDate)
	assert.True(t, next.Equal(*out.NextRotationDate), "%v", *out.NextRotationDate)
	assert.NotNil(t, out.RotationRules)

	require.True(t, f.SetRotation("s", awsfake.Rotation{Enabled: false, Next: next}))
	out = describe()
	require.NotNil(t, out.RotationEnabled)
	assert.False(t, *out.RotationEnabled)
	assert.Nil(t, out.NextRotationDate, "null while rotation is off")
}
