package vaultaws_test

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"maps"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestAWSIAMAuth: aws_iam logs in with a SigV4-signed STS
// GetCallerIdentity request (checked by the fake with the key's secret),
// from static keys, the AWS default chain, or a role assumed through STS.
func TestAWSIAMAuth(t *testing.T) {
	const akid, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	assumed := aws.Credentials{AccessKeyID: "ASIAASSUMEDEXAMPLE01", SecretAccessKey: "assumed-secret-key-example", SessionToken: "assumed-session", CanExpire: true, Expires: time.Now().Add(time.Hour)}
	tests := []struct {
		name       string
		kw         map[string]any
		env        map[string]string
		sts        bool // serve STS AssumeRole from awsfake
		wantRegion string
		wantRole   string
		wantErr    string
		wantSTS    map[string]string // AssumeRole's form, as the STS fake recorded it
	}{
		{name: "static keys", kw: map[string]any{"key_id": akid, "secret_id": secret, "role_id": "airflow"},
			wantRegion: "us-east-1", wantRole: "airflow"},
		{name: "static keys, region", kw: map[string]any{"key_id": akid, "secret_id": secret, "region": "eu-west-1"},
			wantRegion: "eu-west-1"},
		{name: "default chain", env: map[string]string{"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "eu-central-1"},
			kw: map[string]any{"role_id": "airflow"}, wantRegion: "eu-central-1", wantRole: "airflow"},
		{name: "assumed role", env: map[string]string{"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1"}, sts: true,
			kw: map[string]any{"assume_role_kwargs": map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/vault", "RoleSessionName": "airflow"}}, wantRegion: "us-east-1"},
		// Airflow passes assume_role_kwargs whole to sts.assume_role: every
		// AssumeRole input reaches STS.
		{name: "assumed role, every input", env: map[string]string{"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1"}, sts: true,
			kw: map[string]any{"assume_role_kwargs": map[string]any{
				"RoleArn": "arn:aws:iam::123456789012:role/vault", "RoleSessionName": "airflow", "ExternalId": "ext-1", "DurationSeconds": 3600,
				"Policy":            `{"Version":"2012-10-17","Statement":[]}`,
				"PolicyArns":        []any{map[string]any{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
				"Tags":              []any{map[string]any{"Key": "team", "Value": "data"}},
				"TransitiveTagKeys": []any{"team"},
				"SourceIdentity":    "airflow-worker",
			}},
			wantRegion: "us-east-1", wantSTS: map[string]string{
				"RoleArn": "arn:aws:iam::123456789012:role/vault", "RoleSessionName": "airflow", "ExternalId": "ext-1", "DurationSeconds": "3600",
				"Policy":                     `{"Version":"2012-10-17","Statement":[]}`,
				"PolicyArns.member.1.arn":    "arn:aws:iam::aws:policy/ReadOnlyAccess",
				"Tags.member.1.Key":          "team",
				"Tags.member.1.Value":        "data",
				"TransitiveTagKeys.member.1": "team",
				"SourceIdentity":             "airflow-worker",
			}},
		{name: "assumed role, default session name", env: map[string]string{"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1"}, sts: true,
			kw:         map[string]any{"assume_role_kwargs": map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/vault"}},
			wantRegion: "us-east-1", wantSTS: map[string]string{"RoleArn": "arn:aws:iam::123456789012:role/vault", "RoleSessionName": "secretpath-vault"}},
		{name: "wrong secret", kw: map[string]any{"key_id": akid, "secret_id": "not-the-secret-KEY"}, wantErr: "SignatureDoesNotMatch"},
		{name: "unknown key", kw: map[string]any{"key_id": "AKIAUNKNOWNEXAMPLE00", "secret_id": secret}, wantErr: "InvalidClientTokenId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awsfake.Isolate(t)
			f := newFake(t)
			f.Put("secret", "variables/hello", map[string]any{"value": "world"})
			f.EnableAuth("", vaultfake.AWS, vaultfake.TokenOptions{TTL: loginTTL})
			f.AddCredential("aws", akid, secret)
			f.AddCredential("aws", assumed.AccessKeyID, assumed.SecretAccessKey)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var a *awsfake.Server
			if tt.sts {
				a = awsfake.New(t)
				a.SetAssumeRoleCredentials(assumed)
				t.Setenv("AWS_ENDPOINT_URL_STS", a.URL)
			}
			kw := map[string]any{"url": f.URL, "auth_type": "aws_iam"}
			for k, v := range tt.kw {
				kw[k] = v
			}
			b := mustOpen(t, kw)
			v, err := b.Lookup(t.Context(), varReq("hello"))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.NotErrorIs(t, err, resolver.ErrNotFound)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), secret)
				assert.NotContains(t, err.Error(), "not-the-secret-KEY")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "world", v)
			login := f.Requests()[0]
			require.Equal(t, "auth/aws/login", login.Path)
			var body map[string]any
			require.NoError(t, json.Unmarshal(login.Body, &body))
			assert.Equal(t, "POST", body["iam_http_request_method"])
			if tt.wantRole != "" {
				assert.Equal(t, tt.wantRole, body["role"])
			} else {
				assert.NotContains(t, body, "role")
			}
			hj, err := base64.StdEncoding.DecodeString(body["iam_request_headers"].(string))
			require.NoError(t, err)
			var headers map[string][]string
			require.NoError(t, json.Unmarshal(hj, &headers))
			assert.Equal(t, []string{"sts.amazonaws.com"}, headers["Host"])
			assert.Contains(t, headers["Authorization"][0], "/"+tt.wantRegion+"/sts/aws4_request")
			if tt.sts {
				assert.Equal(t, 1, a.Count(awsfake.TargetAssumeRole))
				assert.True(t, strings.HasPrefix(headers["Authorization"][0], "AWS4-HMAC-SHA256 Credential="+assumed.AccessKeyID+"/"))
				assert.Equal(t, []string{assumed.SessionToken}, headers["X-Amz-Security-Token"])
			}
			if tt.wantSTS != nil {
				var form url.Values
				for _, r := range a.Requests() {
					if r.Target == awsfake.TargetAssumeRole {
						form = r.Form
					}
				}
				require.NotNil(t, form, "an AssumeRole request")
				for k, v := range tt.wantSTS {
					assert.Equal(t, v, form.Get(k), k)
				}
			}
		})
	}
}

// TestAWSIAMKwargs: assume_role_kwargs are checked at construction.
func TestAWSIAMKwargs(t *testing.T) {
	f := newFake(t)
	for _, tt := range []struct {
		assume map[string]any
		want   string
	}{
		{assume: map[string]any{"RoleSessionName": "x"}, want: "RoleArn is required"},
		{assume: map[string]any{"RoleArn": "arn", "Polcy": "{}"}, want: "assume_role_kwargs.Polcy is not an input of STS AssumeRole (did you mean Policy?)"},
		{assume: map[string]any{"RoleArn": "arn", "Tags": "team=data"}, want: "assume_role_kwargs.Tags has the wrong type or shape"},
		{assume: map[string]any{"RoleArn": "arn", "DurationSeconds": 60}, want: "assume_role_kwargs.DurationSeconds must be between 900 and 43200"},
		{assume: map[string]any{"RoleArn": "arn", "WebIdentityToken": "t"}, want: "assume_role_kwargs.WebIdentityToken is not an input of STS AssumeRole"},
		{assume: map[string]any{"RoleArn": 5}, want: "RoleArn must be a string"},
		{assume: map[string]any{"RoleArn": "arn", "DurationSeconds": 1.5}, want: "DurationSeconds must be a whole number"},
	} {
		_, err := openKwargs(t, map[string]any{"url": f.URL, "auth_type": "aws_iam", "assume_role_kwargs": tt.assume})
		require.ErrorIs(t, err, config.ErrInvalid)
		assert.Contains(t, err.Error(), tt.want)
	}
}

// TestAWSIAMLogs: a login says, to the logger the factory is given, where
// its AWS credentials came from and the signing region, without a key.
func TestAWSIAMLogs(t *testing.T) {
	const akid, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	assumed := aws.Credentials{AccessKeyID: "ASIAASSUMEDEXAMPLE01", SecretAccessKey: "assumed-secret-key-example", SessionToken: "assumed-session", CanExpire: true, Expires: time.Now().Add(time.Hour)}
	for _, tt := range []struct {
		name string
		kw   map[string]any
		env  map[string]string
		sts  bool // serve STS AssumeRole from awsfake
		want []string
	}{
		{name: "static keys", kw: map[string]any{"key_id": akid, "secret_id": secret},
			want: []string{`credentials="static key_id and secret_id"`, "source=StaticCredentials", "region=us-east-1"}},
		{name: "default chain", env: map[string]string{"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "eu-central-1"},
			want: []string{`credentials="the AWS default chain"`, "source=EnvConfigCredentials", "region=eu-central-1"}},
		{name: "assumed role", env: map[string]string{"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1"}, sts: true,
			kw:   map[string]any{"assume_role_kwargs": map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/vault"}},
			want: []string{`credentials="a role assumed with the AWS default chain"`, "role_arn=arn:aws:iam::123456789012:role/vault", "source=AssumeRoleProvider", "region=us-east-1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			awsfake.Isolate(t)
			f := newFake(t)
			f.Put("secret", "variables/hello", map[string]any{"value": "world"})
			f.EnableAuth("", vaultfake.AWS, vaultfake.TokenOptions{TTL: loginTTL})
			f.AddCredential("aws", akid, secret)
			f.AddCredential("aws", assumed.AccessKeyID, assumed.SecretAccessKey)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if tt.sts {
				a := awsfake.New(t)
				a.SetAssumeRoleCredentials(assumed)
				t.Setenv("AWS_ENDPOINT_URL_STS", a.URL)
			}
			kw := map[string]any{"url": f.URL, "auth_type": "aws_iam"}
			maps.Copy(kw, tt.kw)
			raw, err := json.Marshal(kw)
			require.NoError(t, err)
			kwargs, err := config.ParseKwargs(raw)
			require.NoError(t, err)
			log := &testutil.SyncBuffer{}
			logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			b, err := resolver.OpenBackend(t.Context(), vault.Name, resolver.Env{Kwargs: kwargs, Logger: logger})
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.(*vault.Backend).Close() })
			v, err := b.Lookup(t.Context(), varReq("hello"))
			require.NoError(t, err)
			assert.Equal(t, "world", v)
			var line string
			for l := range strings.SplitSeq(log.String(), "\n") {
				if strings.Contains(l, `msg="vault: aws_iam login"`) {
					line = l
				}
			}
			require.NotEmpty(t, line, log.String())
			assert.Contains(t, line, "level=DEBUG")
			for _, w := range tt.want {
				assert.Contains(t, line, w)
			}
			for _, key := range []string{akid, secret, assumed.AccessKeyID, assumed.SecretAccessKey, assumed.SessionToken} {
				assert.NotContains(t, log.String(), key)
			}
			for _, tok := range f.LoginTokens() {
				assert.NotContains(t, log.String(), tok)
			}
		})
	}
}

// TestAWSIAMGoAssumeRole: an AssumeRole built in Go, without Inputs (as
// before assume_role_kwargs was kept whole), still sends its typed
// fields to STS.
func TestAWSIAMGoAssumeRole(t *testing.T) {
	const akid, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	assumed := aws.Credentials{AccessKeyID: "ASIAASSUMEDEXAMPLE01", SecretAccessKey: "assumed-secret-key-example", SessionToken: "assumed-session", CanExpire: true, Expires: time.Now().Add(time.Hour)}
	awsfake.Isolate(t)
	f := newFake(t)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	f.EnableAuth("", vaultfake.AWS, vaultfake.TokenOptions{TTL: loginTTL})
	f.AddCredential("aws", assumed.AccessKeyID, assumed.SecretAccessKey)
	t.Setenv("AWS_ACCESS_KEY_ID", akid)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", "us-east-1")
	a := awsfake.New(t)
	a.SetAssumeRoleCredentials(assumed)
	t.Setenv("AWS_ENDPOINT_URL_STS", a.URL)
	b, err := vault.New(vault.Options{Address: f.URL, Auth: vault.Auth{Type: vault.AuthAWSIAM, AssumeRole: &vault.AssumeRole{
		RoleArn: "arn:aws:iam::123456789012:role/vault", ExternalID: "ext-2", DurationSeconds: 1800,
	}}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	v, err := b.Lookup(t.Context(), varReq("hello"))
	require.NoError(t, err)
	assert.Equal(t, "world", v)
	reqs := a.Requests()
	require.Len(t, reqs, 1)
	form := reqs[0].Form
	assert.Equal(t, "arn:aws:iam::123456789012:role/vault", form.Get("RoleArn"))
	assert.Equal(t, "ext-2", form.Get("ExternalId"))
	assert.Equal(t, "1800", form.Get("DurationSeconds"))
	assert.Equal(t, "secretpath-vault", form.Get("RoleSessionName"))
}
