package awsssm_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

var (
	containerCreds = aws.Credentials{AccessKeyID: "ASIACONTAINEREXAMPLE", SecretAccessKey: "container-secret-access-key-example-000", SessionToken: "container-session-token-example"}
	envCreds       = aws.Credentials{AccessKeyID: "AKIAENVIRONMENTEXAMP", SecretAccessKey: "environment-secret-access-key-example-0"}
	profileCreds   = aws.Credentials{AccessKeyID: "AKIAPROFILEEXAMPLE00", SecretAccessKey: "profile-secret-access-key-example-00000"}
	assumedCreds   = aws.Credentials{AccessKeyID: "ASIAASSUMEDEXAMPLE00", SecretAccessKey: "assumed-secret-access-key-example-00000", SessionToken: "assumed-session-token-example"}
)

// TestSigV4 checks the Authorization header's shape and, through the fake,
// the signature itself, with a session token.
func TestSigV4(t *testing.T) {
	f := newFake(t)
	creds := awsfake.Creds
	creds.SessionToken = "static-session-token-for-the-test"
	f.RequireSignatures("eu-central-1", creds)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	b := mustOpen(t, fakeKwargs(f, map[string]any{"region_name": "eu-central-1", "aws_session_token": creds.SessionToken}))
	before := time.Now().UTC()
	got, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.NoError(t, err)
	assert.Equal(t, "value", got)

	req := f.Requests()[0]
	assert.Empty(t, req.SignatureError, "the fake recomputed the same signature")
	a, err := awsfake.ParseAuthorization(req.Header.Get("Authorization"))
	require.NoError(t, err)
	assert.Equal(t, creds.AccessKeyID, a.AccessKeyID)
	assert.Equal(t, "eu-central-1", a.Region)
	assert.Equal(t, "ssm", a.Service)
	assert.Equal(t, before.Format("20060102"), a.Date)
	assert.True(t, slices.IsSorted(a.SignedHeaders))
	for _, h := range []string{"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"} {
		assert.Contains(t, a.SignedHeaders, h)
	}
	assert.NotContains(t, a.SignedHeaders, "user-agent")
	assert.NotContains(t, a.SignedHeaders, "authorization")
	assert.Equal(t, creds.SessionToken, req.Header.Get("X-Amz-Security-Token"))
	assert.Equal(t, "AmazonSSM.GetParameter", req.Header.Get("X-Amz-Target"))
	assert.Equal(t, "application/x-amz-json-1.1", req.Header.Get("Content-Type"))
	assert.Empty(t, req.Header.Get("X-Amz-Content-Sha256"), "awsJson services sign without it")
	amzDate, err := time.Parse("20060102T150405Z", req.Header.Get("X-Amz-Date"))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), amzDate, time.Minute)

	// A wrong secret key is refused by the signature check: an error, not
	// "not found".
	wrong := fakeKwargs(f, map[string]any{"aws_secret_access_key": "not-the-right-secret-access-key-0000000"})
	_, err = lookup(t.Context(), mustOpen(t, wrong), resolver.KindVariable, "v")
	require.Error(t, err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.NotContains(t, err.Error(), awsfake.Creds.AccessKeyID)
}

// TestDefaultChainContainer exercises the SDK's default credential chain
// through the container credentials provider on a loopback endpoint: no
// credentials in kwargs or the environment.
func TestDefaultChainContainer(t *testing.T) {
	f := newFake(t)
	t.Setenv("AWS_REGION", awsfake.Region)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f.ServeContainerCredentials("Bearer container-auth-token", containerCreds))
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer container-auth-token")
	f.PutParameter("/airflow/connections/c", "mysql://h", awsfake.SecureString)

	b := mustOpen(t, map[string]any{"endpoint_url": f.URL})
	for range 3 {
		got, err := lookup(t.Context(), b, resolver.KindConnection, "c")
		require.NoError(t, err)
		assert.Equal(t, "mysql://h", got)
	}
	assert.Equal(t, 1, f.Count(awsfake.TargetContainerCredentials), "credentials are fetched once and cached")
	for _, r := range f.Requests() {
		if r.Target == awsfake.TargetGetParameter {
			assert.Equal(t, containerCreds.AccessKeyID, r.AccessKeyID)
			assert.Empty(t, r.SignatureError)
		}
	}
}

// TestDefaultChainEnvironment: AWS_ACCESS_KEY_ID and friends, unless the
// kwargs give credentials, which win.
func TestDefaultChainEnvironment(t *testing.T) {
	f := newFake(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds, envCreds)
	t.Setenv("AWS_ACCESS_KEY_ID", envCreds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", envCreds.SecretAccessKey)
	t.Setenv("AWS_DEFAULT_REGION", awsfake.Region)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)

	_, err := lookup(t.Context(), mustOpen(t, map[string]any{"endpoint_url": f.URL}), resolver.KindVariable, "v")
	require.NoError(t, err)
	_, err = lookup(t.Context(), mustOpen(t, fakeKwargs(f, nil)), resolver.KindVariable, "v")
	require.NoError(t, err)
	reqs := f.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, envCreds.AccessKeyID, reqs[0].AccessKeyID)
	assert.Equal(t, awsfake.Creds.AccessKeyID, reqs[1].AccessKeyID, "kwargs credentials win over the environment")
}

// TestProfile: profile_name picks a profile of the shared config and
// credentials files, with its region.
func TestProfile(t *testing.T) {
	f := newFake(t)
	f.RequireSignatures("ap-southeast-2", profileCreds)
	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile airflow]\nregion = ap-southeast-2\n"), 0o600))
	require.NoError(t, os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(
		"[airflow]\naws_access_key_id = "+profileCreds.AccessKeyID+"\naws_secret_access_key = "+profileCreds.SecretAccessKey+"\n"), 0o600))
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)

	b := mustOpen(t, map[string]any{"endpoint_url": f.URL, "profile_name": "airflow"})
	got, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.NoError(t, err)
	assert.Equal(t, "value", got)
	assert.Equal(t, profileCreds.AccessKeyID, f.Requests()[0].AccessKeyID)

	_, err = openKwargs(t, map[string]any{"endpoint_url": f.URL, "profile_name": "nosuch"})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "nosuch")
}

// TestAssumeRole: role_arn makes the backend call STS AssumeRole with the
// base credentials (as Airflow, STS does not use endpoint_url), then sign
// with the role's.
func TestAssumeRole(t *testing.T) {
	f := newFake(t)
	f.SetAssumeRoleCredentials(assumedCreds)
	t.Setenv("AWS_ENDPOINT_URL_STS", f.URL)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)

	b := mustOpen(t, fakeKwargs(f, map[string]any{
		"role_arn":           "arn:aws:iam::123456789012:role/airflow-secrets",
		"assume_role_kwargs": map[string]any{"ExternalId": "ext-123", "DurationSeconds": 1800},
	}))
	for range 2 {
		got, err := lookup(t.Context(), b, resolver.KindVariable, "v")
		require.NoError(t, err)
		assert.Equal(t, "value", got)
	}
	require.Equal(t, 1, f.Count(awsfake.TargetAssumeRole), "the role's credentials are cached")
	reqs := f.Requests()
	sts := reqs[0]
	assert.Equal(t, awsfake.TargetAssumeRole, sts.Target)
	assert.Equal(t, "arn:aws:iam::123456789012:role/airflow-secrets", sts.Form.Get("RoleArn"))
	assert.Equal(t, "Airflow_SystemsManagerParameterStoreBackend__connection", sts.Form.Get("RoleSessionName"))
	assert.Equal(t, "ext-123", sts.Form.Get("ExternalId"))
	assert.Equal(t, "1800", sts.Form.Get("DurationSeconds"))
	assert.Equal(t, awsfake.Creds.AccessKeyID, sts.AccessKeyID, "STS is called with the base credentials")
	assert.Empty(t, sts.SignatureError)
	for _, r := range reqs[1:] {
		assert.Equal(t, assumedCreds.AccessKeyID, r.AccessKeyID)
		assert.Empty(t, r.SignatureError)
	}

	// A role session name of one's own.
	f.ResetRequests()
	b = mustOpen(t, fakeKwargs(f, map[string]any{
		"role_arn":           "arn:aws:iam::123456789012:role/airflow-secrets",
		"assume_role_kwargs": map[string]any{"RoleSessionName": "mine"},
	}))
	_, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.NoError(t, err)
	assert.Equal(t, "mine", f.Requests()[0].Form.Get("RoleSessionName"))
}

// TestNoCredentials: with no credentials anywhere (and the instance
// metadata service disabled, as every test has it) a lookup fails fast
// without reaching the service.
func TestNoCredentials(t *testing.T) {
	f := newFake(t)
	t.Setenv("AWS_REGION", awsfake.Region)
	b := mustOpen(t, map[string]any{"endpoint_url": f.URL})
	_, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.Error(t, err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Zero(t, f.Count(""), "nothing reached the service")
}

// TestVerify: verify=false skips certificate checks, a CA bundle path
// trusts that bundle, the default verifies.
func TestVerify(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	tlsURL, caPEM := f.StartTLS(t)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(bundle, caPEM, 0o600))

	tests := []struct {
		name   string
		verify any
		wantOK bool
	}{
		{name: "default verifies", verify: nil, wantOK: false},
		{name: "true verifies", verify: true, wantOK: false},
		{name: "false skips", verify: false, wantOK: true},
		{name: "string false skips", verify: "false", wantOK: true},
		{name: "CA bundle", verify: bundle, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kw := fakeKwargs(f, map[string]any{"endpoint_url": tlsURL})
			if tt.verify != nil {
				kw["verify"] = tt.verify
			}
			got, err := lookup(t.Context(), mustOpen(t, kw), resolver.KindVariable, "v")
			if !tt.wantOK {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "certificate")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "value", got)
		})
	}
}

// TestAssumeRoleKwargsOnTheWire: every STS AssumeRole input given in
// assume_role_kwargs reaches STS, as boto3 would send it.
func TestAssumeRoleKwargsOnTheWire(t *testing.T) {
	f := newFake(t)
	f.SetAssumeRoleCredentials(assumedCreds)
	t.Setenv("AWS_ENDPOINT_URL_STS", f.URL)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)

	b := mustOpen(t, fakeKwargs(f, map[string]any{
		"role_arn": "arn:aws:iam::123456789012:role/airflow-secrets",
		"assume_role_kwargs": map[string]any{
			"ExternalId":              "ext-123",
			"DurationSeconds":         1800,
			"Policy":                  `{"Version":"2012-10-17"}`,
			"PolicyArns":              []any{map[string]any{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
			"Tags":                    []any{map[string]any{"Key": "team", "Value": "data"}, map[string]any{"Key": "env", "Value": "prod"}},
			"TransitiveTagKeys":       []any{"team"},
			"SourceIdentity":          "alice",
			"SerialNumber":            "arn:aws:iam::123456789012:mfa/alice",
			"TokenCode":               "123456",
			"ProvidedContexts":        []any{map[string]any{"ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter", "ContextAssertion": "abc"}},
			"MinimumSessionTokenSize": 1024,
		},
	}))
	_, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.NoError(t, err)
	require.Equal(t, 1, f.Count(awsfake.TargetAssumeRole))
	form := f.Requests()[0].Form
	for k, want := range map[string]string{
		"RoleArn":                               "arn:aws:iam::123456789012:role/airflow-secrets",
		"RoleSessionName":                       "Airflow_SystemsManagerParameterStoreBackend__connection",
		"ExternalId":                            "ext-123",
		"DurationSeconds":                       "1800",
		"Policy":                                `{"Version":"2012-10-17"}`,
		"PolicyArns.member.1.arn":               "arn:aws:iam::aws:policy/ReadOnlyAccess",
		"Tags.member.1.Key":                     "team",
		"Tags.member.1.Value":                   "data",
		"Tags.member.2.Key":                     "env",
		"Tags.member.2.Value":                   "prod",
		"TransitiveTagKeys.member.1":            "team",
		"SourceIdentity":                        "alice",
		"SerialNumber":                          "arn:aws:iam::123456789012:mfa/alice",
		"TokenCode":                             "123456",
		"ProvidedContexts.member.1.ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter",
		"ProvidedContexts.member.1.ContextAssertion": "abc",
		"MinimumSessionTokenSize":                    "1024",
	} {
		assert.Equal(t, want, form.Get(k), k)
	}
}

// TestAssumeRoleWithWebIdentity: assume_role_method
// assume_role_with_web_identity reads the token file at each STS call
// (unsigned, as STS takes it) and signs with the role's credentials.
func TestAssumeRoleWithWebIdentity(t *testing.T) {
	f := newFake(t)
	f.SetAssumeRoleCredentials(assumedCreds)
	t.Setenv("AWS_ENDPOINT_URL_STS", f.URL)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("eyJ.token-one\n"), 0o600))
	envFile := filepath.Join(dir, "env-token")
	require.NoError(t, os.WriteFile(envFile, []byte("eyJ.token-env"), 0o600))

	tests := []struct {
		name      string
		kw        map[string]any
		env       string
		wantToken string
		wantForm  map[string]string
	}{
		{
			name: "token file kwarg and every input",
			kw: map[string]any{
				"assume_role_with_web_identity_token_file": tokenFile,
				"assume_role_kwargs": map[string]any{
					"RoleSessionName": "mine", "DurationSeconds": 3600, "ProviderId": "www.amazon.com",
					"Policy": "{}", "PolicyArns": []any{map[string]any{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
				},
			},
			env:       envFile,
			wantToken: "eyJ.token-one",
			wantForm: map[string]string{
				"RoleSessionName": "mine", "DurationSeconds": "3600", "ProviderId": "www.amazon.com",
				"Policy": "{}", "PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
			},
		},
		{name: "AWS_WEB_IDENTITY_TOKEN_FILE", env: envFile, wantToken: "eyJ.token-env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tt.env)
			kw := fakeKwargs(f, map[string]any{
				"role_arn":           "arn:aws:iam::123456789012:role/web",
				"assume_role_method": "assume_role_with_web_identity",
				"assume_role_with_web_identity_federation": "file",
			})
			for k, v := range tt.kw {
				kw[k] = v
			}
			b := mustOpen(t, kw)
			got, err := lookup(t.Context(), b, resolver.KindVariable, "v")
			require.NoError(t, err)
			assert.Equal(t, "value", got)
			reqs := f.Requests()
			require.Equal(t, 1, f.Count(awsfake.TargetAssumeRoleWithWebIdentity))
			sts := reqs[0]
			assert.Equal(t, awsfake.TargetAssumeRoleWithWebIdentity, sts.Target)
			assert.Empty(t, sts.Header.Get("Authorization"), "unsigned")
			assert.Equal(t, "arn:aws:iam::123456789012:role/web", sts.Form.Get("RoleArn"))
			assert.Equal(t, tt.wantToken, sts.Form.Get("WebIdentityToken"))
			if tt.wantForm == nil {
				assert.Regexp(t, `^botocore-session-\d+$`, sts.Form.Get("RoleSessionName"))
			}
			for k, want := range tt.wantForm {
				assert.Equal(t, want, sts.Form.Get(k), k)
			}
			for _, r := range reqs[1:] {
				assert.Equal(t, assumedCreds.AccessKeyID, r.AccessKeyID)
			}
		})
	}
}
