package awsssm_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestKwargsErrors: every refused kwarg is a configuration error that
// names it and never echoes a credential (the kit's kwargs: TestKit).
func TestKwargsErrors(t *testing.T) {
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	f := newFake(t)
	const secret = "do-not-echo-this-secret-access-key-00000"
	tests := []struct {
		name string
		kw   map[string]any
		want []string
	}{
		{name: "unknown key", kw: map[string]any{"bogus": 1, "other": "x"}, want: []string{"bogus", "other"}},
		{name: "unknown key near a known one", kw: map[string]any{"config_kwarg": map[string]any{}, "rolearn": "x"}, want: []string{`config_kwarg (did you mean "config_kwargs"?), rolearn (did you mean "role_arn"?)`}},
		{name: "sep is Secrets Manager's", kw: map[string]any{"sep": "-"}, want: []string{"sep"}},
		{name: "extra_conn_words is Secrets Manager's", kw: map[string]any{"extra_conn_words": map[string]any{}}, want: []string{"extra_conn_words", "aws-secrets-manager"}},
		{name: "unsupported Airflow option", kw: map[string]any{"session_kwargs": map[string]any{}}, want: []string{"session_kwargs", "does not support"}},
		{name: "config_kwargs unknown key", kw: map[string]any{"config_kwargs": map[string]any{"connect_timout": 3}}, want: []string{"config_kwargs.connect_timout", "did you mean connect_timeout?"}},
		{name: "config_kwargs retries not an object", kw: map[string]any{"config_kwargs": map[string]any{"retries": 3}}, want: []string{"config_kwargs.retries"}},
		{name: "config_kwargs retries unknown", kw: map[string]any{"config_kwargs": map[string]any{"retries": map[string]any{"max_attempt": 3}}}, want: []string{"config_kwargs.retries.max_attempt", "did you mean max_attempts?"}},
		{name: "config_kwargs retries mode", kw: map[string]any{"config_kwargs": map[string]any{"retries": map[string]any{"mode": "fast"}}}, want: []string{"config_kwargs.retries.mode"}},
		{name: "config_kwargs timeout", kw: map[string]any{"config_kwargs": map[string]any{"read_timeout": -1}}, want: []string{"config_kwargs.read_timeout"}},
		{name: "config_kwargs client_cert", kw: map[string]any{"config_kwargs": map[string]any{"client_cert": "/c.pem"}}, want: []string{"config_kwargs.client_cert", "not supported"}},
		{name: "config_kwargs unsigned", kw: map[string]any{"config_kwargs": map[string]any{"signature_version": "unsigned"}}, want: []string{"config_kwargs.signature_version"}},
		{name: "config_kwargs proxy not a URL", kw: map[string]any{"config_kwargs": map[string]any{"proxies": map[string]any{"https": "u:pw@proxy"}}}, want: []string{"config_kwargs.proxies.https"}},
		{name: "config_kwargs ignore_configured_endpoint_urls not a boolean", kw: map[string]any{"config_kwargs": map[string]any{"ignore_configured_endpoint_urls": "yes"}}, want: []string{"config_kwargs.ignore_configured_endpoint_urls must be true or false"}},
		{name: "config_kwargs proxy scheme", kw: map[string]any{"config_kwargs": map[string]any{"proxies": map[string]any{"ftp": "http://u:pw@proxy"}}}, want: []string{"config_kwargs.proxies.ftp"}},
		{name: "config_kwargs defaults_mode", kw: map[string]any{"config_kwargs": map[string]any{"defaults_mode": "fast"}}, want: []string{"config_kwargs.defaults_mode"}},
		{name: "config_kwargs not an object", kw: map[string]any{"config_kwargs": []any{1}}, want: []string{"config_kwargs"}},
		{name: "service_config not an object", kw: map[string]any{"service_config": map[string]any{"ssm": "x"}}, want: []string{"service_config.ssm"}},
		{name: "service_config endpoint", kw: map[string]any{"service_config": map[string]any{"sts": map[string]any{"endpoint_url": "ftp://u:pw@host"}}}, want: []string{"service_config.sts.endpoint_url"}},
		{name: "key id without secret", kw: map[string]any{"aws_secret_access_key": nil}, want: []string{"aws_access_key_id", "aws_secret_access_key"}},
		{name: "token without keys", kw: map[string]any{"aws_access_key_id": nil, "aws_secret_access_key": nil, "aws_session_token": "tok"}, want: []string{"aws_session_token"}},
		{name: "endpoint not a URL", kw: map[string]any{"endpoint_url": "localhost:4566"}, want: []string{"endpoint_url"}},
		{name: "endpoint not http", kw: map[string]any{"endpoint_url": "ftp://u:pw@host"}, want: []string{"endpoint_url"}},
		{name: "use_ssl false", kw: map[string]any{"use_ssl": false}, want: []string{"use_ssl"}},
		{name: "saml", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_method": "assume_role_with_saml"}, want: []string{"assume_role_method"}},
		{name: "assume_role_kwargs unknown key", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_kwargs": map[string]any{"PolicyArn": "x"}}, want: []string{"assume_role_kwargs.PolicyArn", "did you mean PolicyArns?"}},
		{name: "assume_role_kwargs RoleArn", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_kwargs": map[string]any{"RoleArn": "x"}}, want: []string{"assume_role_kwargs.RoleArn", "role_arn"}},
		{name: "assume_role_kwargs wrong shape", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_kwargs": map[string]any{"Tags": map[string]any{"Key": secret}}}, want: []string{"assume_role_kwargs.Tags", "wrong type"}},
		{name: "assume_role_kwargs nested unknown", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_kwargs": map[string]any{"Tags": []any{map[string]any{"Name": secret}}}}, want: []string{"assume_role_kwargs.Tags"}},
		{name: "web identity input not AssumeRole's", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_kwargs": map[string]any{"ProviderId": "x"}}, want: []string{"assume_role_kwargs.ProviderId", "AssumeRole"}},
		{name: "AssumeRole input not web identity's", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_method": "assume_role_with_web_identity", "assume_role_with_web_identity_federation": "file", "assume_role_with_web_identity_token_file": "/t", "assume_role_kwargs": map[string]any{"ExternalId": "x"}}, want: []string{"assume_role_kwargs.ExternalId", "AssumeRoleWithWebIdentity"}},
		{name: "web identity token in kwargs", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_method": "assume_role_with_web_identity", "assume_role_with_web_identity_federation": "file", "assume_role_with_web_identity_token_file": "/t", "assume_role_kwargs": map[string]any{"WebIdentityToken": secret}}, want: []string{"assume_role_kwargs.WebIdentityToken", "assume_role_with_web_identity_token_file"}},
		{name: "web identity without federation", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_method": "assume_role_with_web_identity", "assume_role_with_web_identity_token_file": "/t"}, want: []string{"assume_role_with_web_identity_federation", "file"}},
		{name: "web identity google", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_method": "assume_role_with_web_identity", "assume_role_with_web_identity_federation": "google"}, want: []string{"assume_role_with_web_identity_federation", "google"}},
		{name: "web identity without role", kw: map[string]any{"assume_role_method": "assume_role_with_web_identity", "assume_role_with_web_identity_federation": "file", "assume_role_with_web_identity_token_file": "/t"}, want: []string{"assume_role_method", "role_arn"}},
		{name: "web identity without token file", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_method": "assume_role_with_web_identity", "assume_role_with_web_identity_federation": "file"}, want: []string{"assume_role_with_web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE"}},
		{name: "token file without web identity", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_with_web_identity_token_file": "/t"}, want: []string{"assume_role_with_web_identity_*", "assume_role_method"}},
		{name: "method typo", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_method": "assume_role_with_web_identiy"}, want: []string{"assume_role_method", "did you mean assume_role_with_web_identity?"}},
		{name: "assume_role_kwargs duration", kw: map[string]any{"role_arn": "arn:aws:iam::1:role/r", "assume_role_kwargs": map[string]any{"DurationSeconds": 60}}, want: []string{"DurationSeconds"}},
		{name: "assume_role_kwargs without role", kw: map[string]any{"assume_role_kwargs": map[string]any{"ExternalId": "x"}}, want: []string{"role_arn"}},
		{name: "no region", kw: map[string]any{"region_name": nil}, want: []string{"region"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kw := fakeKwargs(f, map[string]any{"aws_secret_access_key": secret})
			for k, v := range tt.kw {
				if v == nil {
					delete(kw, k)
				} else {
					kw[k] = v
				}
			}
			_, err := openKwargs(t, kw)
			require.ErrorIs(t, err, config.ErrInvalid)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, err.Error(), "u:pw")
		})
	}
	assert.Zero(t, f.Count(""), "building a backend makes no request")
}

// TestKwargsAccepted: keys Airflow passes to boto3 or its AWS connection
// that we accept, and per-key environment overrides given as strings (the
// kit's kwargs: TestKit).
func TestKwargsAccepted(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	for _, kw := range []map[string]any{
		{"api_version": "2014-11-06", "use_ssl": true},
		{"use_ssl": "true", "timeout_seconds": "2.5", "verify": "true"},
		{"assume_role_method": "assume_role"},
	} {
		b, err := openKwargs(t, fakeKwargs(f, kw))
		require.NoError(t, err, kw)
		got, err := lookup(t.Context(), b, resolver.KindVariable, "v")
		require.NoError(t, err, kw)
		assert.Equal(t, "value", got)
	}
}

// TestUnknownKwargHintOnce: an unknown key gets one "did you mean", not
// one from config.Kwargs and another from the AWS backends.
func TestUnknownKwargHintOnce(t *testing.T) {
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	f := newFake(t)
	_, err := openKwargs(t, fakeKwargs(f, map[string]any{"rolearn": "x"}))
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Equal(t, 1, strings.Count(err.Error(), "did you mean"), err.Error())
}
