package awssecretsmanager_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// TestNames checks which secret each kwarg and id make the backend ask for
// (Airflow: prefix.rstrip(sep) + sep + id, or the bare id when the prefix
// is empty).
func TestNames(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name string
		kw   map[string]any
		kind resolver.Kind
		id   string
		want string
	}{
		{name: "connection default", kind: resolver.KindConnection, id: "smtp_default", want: "airflow/connections/smtp_default"},
		{name: "variable default", kind: resolver.KindVariable, id: "hello", want: "airflow/variables/hello"},
		{name: "config default", kind: resolver.KindConfig, id: "sql_alchemy_conn", want: "airflow/config/sql_alchemy_conn"},
		{name: "no leading slash added", kw: map[string]any{"connections_prefix": "prod/conns"}, kind: resolver.KindConnection, id: "x", want: "prod/conns/x"},
		{name: "leading slash kept", kw: map[string]any{"connections_prefix": "/prod/conns"}, kind: resolver.KindConnection, id: "x", want: "/prod/conns/x"},
		{name: "trailing sep stripped", kw: map[string]any{"variables_prefix": "team/vars//"}, kind: resolver.KindVariable, id: "x", want: "team/vars/x"},
		{name: "empty prefix drops the separator", kw: map[string]any{"connections_prefix": ""}, kind: resolver.KindConnection, id: "x", want: "x"},
		{name: "prefix of separators only is empty", kw: map[string]any{"config_prefix": "//"}, kind: resolver.KindConfig, id: "x", want: "x"},
		{name: "custom sep", kw: map[string]any{"sep": "-", "connections_prefix": "airflow-connections"}, kind: resolver.KindConnection, id: "x", want: "airflow-connections-x"},
		{name: "custom sep stripped", kw: map[string]any{"sep": "-", "variables_prefix": "vars--"}, kind: resolver.KindVariable, id: "x", want: "vars-x"},
		{name: "custom sep leaves a slash alone", kw: map[string]any{"sep": "-", "variables_prefix": "vars/"}, kind: resolver.KindVariable, id: "x", want: "vars/-x"},
		{name: "default prefix with custom sep", kw: map[string]any{"sep": "_"}, kind: resolver.KindVariable, id: "x", want: "airflow/variables_x"},
		{name: "multi-character sep strips any of its characters", kw: map[string]any{"sep": "::", "connections_prefix": "a:b::"}, kind: resolver.KindConnection, id: "x", want: "a:b::x"},
		{name: "rstrip works on a character set", kw: map[string]any{"sep": "/_", "connections_prefix": "conns_/_"}, kind: resolver.KindConnection, id: "x", want: "conns/_x"},
		{name: "id kept as is", kind: resolver.KindVariable, id: "My.Var-1/x", want: "airflow/variables/My.Var-1/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			f.PutSecret(tt.want, "value of "+tt.name)
			b := mustOpen(t, fakeKwargs(f, tt.kw))
			got, err := lookup(t.Context(), b, tt.kind, tt.id)
			require.NoError(t, err)
			assert.Equal(t, "value of "+tt.name, got)
			assert.Equal(t, []string{tt.want}, f.Names(awsfake.TargetGetSecretValue))
		})
	}
}

// TestNotFoundMapping: the five codes Airflow treats as "not found", and
// the rest.
func TestNotFoundMapping(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow/connections/c", "mysql://user:SECRET-VALUE@h")
	b := newGo(t, f, awssecretsmanager.Options{})
	tests := []struct {
		name         string
		fault        awsfake.Fault
		wantNotFound bool
		wantDenied   bool
		wantClass    codes.Code // resolver.Code: "not found" first, then the AWS table
		wantAttempts int
	}{
		{name: "ResourceNotFoundException", fault: awsfake.Fault{Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret."}, wantNotFound: true, wantClass: codes.NotFound, wantAttempts: 1},
		{name: "ResourceNotFoundException as 404", fault: awsfake.Fault{Code: "ResourceNotFoundException", Status: http.StatusNotFound}, wantNotFound: true, wantClass: codes.NotFound, wantAttempts: 1},
		{name: "InvalidParameterException", fault: awsfake.Fault{Code: "InvalidParameterException", Message: "Invalid name"}, wantNotFound: true, wantClass: codes.NotFound, wantAttempts: 1},
		{name: "InvalidRequestException", fault: awsfake.Fault{Code: "InvalidRequestException", Message: "You can't perform this operation on the secret because it was marked for deletion."}, wantNotFound: true, wantClass: codes.NotFound, wantAttempts: 1},
		{name: "DecryptionFailure", fault: awsfake.Fault{Code: "DecryptionFailure", Message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key."}, wantNotFound: true, wantClass: codes.NotFound, wantAttempts: 1},
		{name: "InternalServiceError after retries", fault: awsfake.Fault{Code: "InternalServiceError", Status: http.StatusInternalServerError}, wantNotFound: true, wantClass: codes.NotFound, wantAttempts: 3},
		{name: "AccessDeniedException", fault: awsfake.Fault{Code: "AccessDeniedException", Message: "not authorized to perform: secretsmanager:GetSecretValue"}, wantDenied: true, wantClass: codes.PermissionDenied, wantAttempts: 1},
		{name: "KMS access denied", fault: awsfake.Fault{Code: "AccessDeniedException", Message: "Access to KMS is not allowed"}, wantDenied: true, wantClass: codes.PermissionDenied, wantAttempts: 1},
		{name: "throttling is an error after retries", fault: awsfake.Fault{Code: "ThrottlingException", Message: "Rate exceeded"}, wantClass: codes.Unavailable, wantAttempts: 3},
		{name: "unknown code is an error", fault: awsfake.Fault{Code: "UnrecognizedClientException", Status: http.StatusForbidden}, wantClass: codes.Internal, wantAttempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			f.ClearFaults()
			f.AddFault(tt.fault)
			_, err := lookup(t.Context(), b, resolver.KindConnection, "c")
			require.Error(t, err)
			assert.Equal(t, tt.wantNotFound, errors.Is(err, resolver.ErrNotFound), "not found: %v", err)
			assert.Equal(t, tt.wantDenied, errors.Is(err, resolver.ErrPermissionDenied), "permission denied: %v", err)
			var ae smithy.APIError
			require.ErrorAs(t, err, &ae, "the service's code stays reachable")
			assert.Equal(t, tt.fault.Code, ae.ErrorCode())
			assert.Equal(t, tt.wantClass, resolver.Code(err))
			assert.Equal(t, tt.wantAttempts, f.Count(awsfake.TargetGetSecretValue))
			assert.Contains(t, err.Error(), `secret "airflow/connections/c"`)
			assert.NotContains(t, err.Error(), "SECRET-VALUE")
		})
	}
}

// TestFunctional runs the normal paths through a resolver: a JSON secret
// with aliases, a binary secret (not found, as in Airflow), a secret
// scheduled for deletion (InvalidRequestException: not found), and a
// missing one.
func TestFunctional(t *testing.T) {
	f := newFake(t)
	const ns = "functional"
	f.PutSecret(ns+"/connections/pg", `{"user": "app", "pass": "s3cret", "server": "db.example.com", "port": 5432, "database": "prod", "engine": "postgresql", "extra": {"sslmode": "require"}, "note": "dropped"}`)
	f.PutSecret(ns+"/connections/words", `{"db_user": "u", "endpoint": "h", "conn_type": "mysql"}`)
	f.PutSecretBinary(ns+"/variables/binary", []byte{0, 1, 2})
	f.PutSecret(ns+"/variables/deleted", "gone")
	require.True(t, f.DeleteSecret(ns+"/variables/deleted"))

	kw := fakeKwargs(f, nil)
	kw["connections_prefix"] = ns + "/connections"
	kw["variables_prefix"] = ns + "/variables"
	kw["extra_conn_words"] = map[string]any{"user": []string{"db_user"}, "host": []string{"endpoint"}}
	b := mustOpen(t, kw)
	r := resolver.New(resolver.WithBackend(awssecretsmanager.Name, b))

	c, err := r.Connection(t.Context(), "pg")
	require.NoError(t, err)
	assert.Equal(t, "postgres", c.ConnType)
	assert.Equal(t, "app", c.Login)
	assert.Equal(t, "s3cret", c.Password.Reveal())
	assert.Equal(t, "db.example.com", c.Host)
	assert.Equal(t, 5432, c.Port)
	assert.Equal(t, "prod", c.Schema)
	assert.JSONEq(t, `{"sslmode": "require"}`, c.Extra)

	c, err = r.Connection(t.Context(), "words")
	require.NoError(t, err)
	assert.Equal(t, "u", c.Login)
	assert.Equal(t, "h", c.Host)

	for _, key := range []string{"binary", "deleted", "missing"} {
		_, err := lookup(t.Context(), b, resolver.KindVariable, key)
		assert.ErrorIs(t, err, resolver.ErrNotFound, key)
		_, err = r.Variable(t.Context(), key)
		var nf *resolver.NotFoundError
		require.ErrorAs(t, err, &nf, key)
		assert.Empty(t, nf.Errs, "%s: a clean miss", key)
	}
}

// TestBinarySecret: a secret holding only SecretBinary is not found.
func TestBinarySecret(t *testing.T) {
	f := newFake(t)
	f.PutSecretBinary("airflow/variables/b", []byte("binary"))
	_, err := lookup(t.Context(), mustOpen(t, fakeKwargs(f, nil)), resolver.KindVariable, "b")
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Equal(t, 1, f.Count(awsfake.TargetGetSecretValue))
}

// TestJSONSecrets: a connection secret in the JSON form has its aliases
// mapped; variables and configs are returned as stored; a broken JSON
// secret is an error that quotes nothing.
func TestJSONSecrets(t *testing.T) {
	f := newFake(t)
	const secret = ` {"username": "u", "key": "k", "host": "h", "conn_id": "ssh", "description": "dropped"}`
	f.PutSecret("airflow/connections/ssh", secret)
	f.PutSecret("airflow/variables/ssh", secret)
	f.PutSecret("airflow/config/ssh", secret)
	f.PutSecret("airflow/connections/broken", `{"password": "SECRET-VALUE", }`)
	b := mustOpen(t, fakeKwargs(f, nil))

	got, err := lookup(t.Context(), b, resolver.KindConnection, "ssh")
	require.NoError(t, err)
	assert.JSONEq(t, `{"login": "u", "password": "k", "host": "h", "port": null, "schema": null, "conn_type": "ssh", "extra": null}`, got)
	v, err := lookup(t.Context(), b, resolver.KindVariable, "ssh")
	require.NoError(t, err)
	assert.Equal(t, secret, v)
	v, err = lookup(t.Context(), b, resolver.KindConfig, "ssh")
	require.NoError(t, err)
	assert.Equal(t, secret, v)

	_, err = lookup(t.Context(), b, resolver.KindConnection, "broken")
	require.ErrorIs(t, err, connection.ErrInvalid)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), `secret "airflow/connections/broken"`)
	assert.NotContains(t, err.Error(), "SECRET-VALUE")
}

// TestRetriesThenSuccess: the SDK's default retryer through the kwargs
// path: throttled once, then answered.
func TestRetriesThenSuccess(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow/variables/v", "value")
	f.AddFault(awsfake.Fault{Target: awsfake.TargetGetSecretValue, Code: "ThrottlingException", Times: 1})
	got, err := lookup(t.Context(), mustOpen(t, fakeKwargs(f, nil)), resolver.KindVariable, "v")
	require.NoError(t, err)
	assert.Equal(t, "value", got)
	reqs := f.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "attempt=2; max=3", reqs[1].Header.Get("Amz-Sdk-Request"))
	assert.Equal(t, reqs[0].Header.Get("Amz-Sdk-Invocation-Id"), reqs[1].Header.Get("Amz-Sdk-Invocation-Id"))
}

// TestSigV4AndContainerCredentials: the default chain's container
// credentials sign a request for signing name secretsmanager.
func TestSigV4AndContainerCredentials(t *testing.T) {
	f := newFake(t)
	creds := aws.Credentials{AccessKeyID: "ASIACONTAINEREXAMPLE", SecretAccessKey: "container-secret-access-key-example-000", SessionToken: "container-token"}
	t.Setenv("AWS_REGION", awsfake.Region)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f.ServeContainerCredentials("container-auth", creds))
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth")
	f.PutSecret("airflow/variables/v", "value")

	got, err := lookup(t.Context(), mustOpen(t, map[string]any{"endpoint_url": f.URL}), resolver.KindVariable, "v")
	require.NoError(t, err)
	assert.Equal(t, "value", got)
	var sm awsfake.Request
	for _, r := range f.Requests() {
		if r.Target == awsfake.TargetGetSecretValue {
			sm = r
		}
	}
	assert.Empty(t, sm.SignatureError)
	a, err := awsfake.ParseAuthorization(sm.Header.Get("Authorization"))
	require.NoError(t, err)
	assert.Equal(t, "secretsmanager", a.Service)
	assert.Equal(t, creds.AccessKeyID, a.AccessKeyID)
	assert.Contains(t, a.SignedHeaders, "x-amz-security-token")
	assert.Equal(t, "secretsmanager.GetSecretValue", sm.Header.Get("X-Amz-Target"))
	assert.JSONEq(t, `{"SecretId": "airflow/variables/v"}`, string(sm.Body))
}

// TestAssumeRoleSessionName: Airflow's session name for this backend.
func TestAssumeRoleSessionName(t *testing.T) {
	f := newFake(t)
	f.SetAssumeRoleCredentials(aws.Credentials{AccessKeyID: "ASIAASSUMEDEXAMPLE00", SecretAccessKey: "assumed-secret", SessionToken: "assumed-token"})
	t.Setenv("AWS_ENDPOINT_URL_STS", f.URL)
	f.PutSecret("airflow/variables/v", "value")
	_, err := lookup(t.Context(), mustOpen(t, fakeKwargs(f, map[string]any{"role_arn": "arn:aws:iam::123456789012:role/r"})), resolver.KindVariable, "v")
	require.NoError(t, err)
	sts := f.Requests()[0]
	require.Equal(t, awsfake.TargetAssumeRole, sts.Target)
	assert.Equal(t, "Airflow_SecretsManagerBackend__connection", sts.Form.Get("RoleSessionName"))
}

// TestKwargs: the keys only this backend has (the kit's: TestKit).
func TestKwargs(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow/variables/v", "value")
	for _, kw := range []map[string]any{
		{"full_url_mode": false},
		{"are_secret_values_urlencoded": false},
		{"extra_conn_words": map[string]any{"password": []string{"pwd"}}},
		{"sep": "/"},
		// service_config's secretsmanager section is ignored, as Airflow's
		// backend ignores it: endpoint_url is the client's endpoint.
		{"service_config": map[string]any{"secretsmanager": map[string]any{"endpoint_url": "http://127.0.0.1:1"}}},
		{"config_kwargs": map[string]any{"retries": map[string]any{"max_attempts": 2, "mode": "standard"}, "connect_timeout": 5, "read_timeout": 5}},
	} {
		got, err := lookup(t.Context(), mustOpen(t, fakeKwargs(f, kw)), resolver.KindVariable, "v")
		require.NoError(t, err, kw)
		assert.Equal(t, "value", got)
	}
	tests := []struct {
		name string
		kw   map[string]any
		want string
	}{
		{name: "empty sep", kw: map[string]any{"sep": ""}, want: "sep"},
		{name: "null sep", kw: map[string]any{"sep": nil}, want: "sep"},
		{name: "extra_conn_words not a connection field", kw: map[string]any{"extra_conn_words": map[string]any{"username": []string{"u"}}}, want: "extra_conn_words"},
		{name: "extra_conn_words not lists", kw: map[string]any{"extra_conn_words": map[string]any{"login": "u"}}, want: "extra_conn_words"},
		{name: "unknown key", kw: map[string]any{"bogus": true}, want: "bogus"},
		{name: "unsupported Airflow option", kw: map[string]any{"session_kwargs": map[string]any{}}, want: "session_kwargs"},
		{name: "config_kwargs unknown key", kw: map[string]any{"config_kwargs": map[string]any{"retry": 3}}, want: "config_kwargs.retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openKwargs(t, fakeKwargs(f, tt.kw))
			require.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestTeamIgnored: with multi_team off, a request's team is ignored, and
// a JSON connection secret is mapped whatever the team (a kind the backend
// does not serve: TestKit).
func TestTeamIgnored(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow/variables/v", "value")
	f.PutSecret("airflow/connections/c", `{"user": "u", "conn_type": "http"}`)
	b := mustOpen(t, fakeKwargs(f, nil))
	got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team_a"})
	require.NoError(t, err)
	assert.Equal(t, "value", got)
	got, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "c", Team: "team_a"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"login": "u", "password": null, "host": null, "port": null, "schema": null, "conn_type": "http", "extra": null}`, got)
	assert.Equal(t, []string{"airflow/variables/v", "airflow/connections/c"}, f.Names(awsfake.TargetGetSecretValue))
}

// TestDescribe: what a lookup asks for, for resolver.Explain, without a
// request.
func TestDescribe(t *testing.T) {
	f := newFake(t)
	b := mustOpen(t, fakeKwargs(f, map[string]any{"sep": ":", "variables_prefix": nil, "config_prefix": "", "connections_lookup_pattern": "db_"}))
	d := b.(resolver.Describer)
	for _, tt := range []struct {
		req  resolver.Request
		want string
	}{
		{resolver.Request{Kind: resolver.KindConnection, ID: "db_main"}, `secret "airflow/connections:db_main"`},
		{resolver.Request{Kind: resolver.KindConnection, ID: "db_main", Team: "team_a"}, `secret "airflow/connections:db_main"`},
		{resolver.Request{Kind: resolver.KindConnection, ID: "web"}, "no request (the id does not match the lookup pattern)"},
		{resolver.Request{Kind: resolver.KindVariable, ID: "v"}, "no request (variables_prefix is null)"},
		{resolver.Request{Kind: resolver.KindConfig, ID: "k"}, `secret "k"`},
		{resolver.Request{Kind: resolver.KindConfig, ID: ""}, "no request (empty id)"},
		{resolver.Request{Kind: 0, ID: "k"}, "no request (Kind(0) lookups are not served)"},
	} {
		assert.Equal(t, tt.want, d.Describe(tt.req), "%+v", tt.req)
	}
	assert.Zero(t, f.Count(""), "describing makes no request")

	x := resolver.New(resolver.WithBackend(awssecretsmanager.Name, b)).Explain(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "db_main"})
	require.Len(t, x.Steps, 1)
	assert.Equal(t, awssecretsmanager.Name, x.Steps[0].Tier)
	assert.Equal(t, `secret "airflow/connections:db_main"`, x.Steps[0].Asked)
	assert.Equal(t, []string{"airflow/connections:db_main"}, f.Names(awsfake.TargetGetSecretValue))
}

// TestJSONSecretConnType: a JSON secret builds the connection Airflow's
// Connection.from_json builds from get_conn_value's standardized form. The
// vectors with a conn_type are Airflow's own (test_secrets_manager.py,
// "broken field mode"); the others are the same secrets without their
// conn_type, and falsy conn_types, which Airflow drops (conn_type None,
// get_uri starting "//").
func TestJSONSecretConnType(t *testing.T) {
	const airflowSecret = `{"user": "airflow", "pass": "airflow", "host": "host", "port": 5432, "schema": "airflow"`
	tests := []struct {
		name, secret string
		words        map[string]any // extra_conn_words
		wantURI      string
		wantJSON     string // RevealedJSON, Airflow's to_dict
	}{
		{name: "Airflow: broken field mode", secret: airflowSecret + `, "engine": "postgresql"}`,
			wantURI:  "postgres://airflow:airflow@host:5432/airflow",
			wantJSON: `{"conn_id": "c", "conn_type": "postgres", "description": null, "host": "host", "schema": "airflow", "login": "airflow", "password": "airflow", "port": 5432, "extra": null}`},
		{name: "Airflow: extra words added", secret: `{"usuario": "airflow", "pass": "airflow", "host": "host", "port": 5432, "schema": "airflow", "engine": "postgresql"}`,
			words:    map[string]any{"user": []string{"usuario"}},
			wantURI:  "postgres://airflow:airflow@host:5432/airflow",
			wantJSON: `{"conn_id": "c", "conn_type": "postgres", "description": null, "host": "host", "schema": "airflow", "login": "airflow", "password": "airflow", "port": 5432, "extra": null}`},
		{name: "Airflow: extra allows nested JSON", secret: `{"conn_type": "postgresql", "user": "airflow", "password": "airflow", "host": "airflow", "extra": {"foo": "bar"}}`,
			wantURI:  "postgres://airflow:airflow@airflow/?foo=bar",
			wantJSON: `{"conn_id": "c", "conn_type": "postgres", "description": null, "host": "airflow", "schema": null, "login": "airflow", "password": "airflow", "port": null, "extra": {"foo": "bar"}}`},
		{name: "Airflow: url encoding (values are verbatim)", secret: `{"conn_type": "postgresql", "user": "is%20url%20encoded", "password": "not url encoded", "host": "not%2520idempotent", "extra": "{\"foo\": \"bar\"}"}`,
			wantURI:  "postgres://is%2520url%2520encoded:not%20url%20encoded@not%252520idempotent/?foo=bar",
			wantJSON: `{"conn_id": "c", "conn_type": "postgres", "description": null, "host": "not%2520idempotent", "schema": null, "login": "is%20url%20encoded", "password": "not url encoded", "port": null, "extra": {"foo": "bar"}}`},
		{name: "url encoding without conn_type", secret: `{"user": "is%20url%20encoded", "password": "not url encoded", "host": "not%2520idempotent", "extra": "{\"foo\": \"bar\"}"}`,
			wantURI:  "//is%2520url%2520encoded:not%20url%20encoded@not%252520idempotent/?foo=bar",
			wantJSON: `{"conn_id": "c", "conn_type": null, "description": null, "host": "not%2520idempotent", "schema": null, "login": "is%20url%20encoded", "password": "not url encoded", "port": null, "extra": {"foo": "bar"}}`},
		{name: "broken field mode without conn_type", secret: airflowSecret + `}`,
			wantURI:  "//airflow:airflow@host:5432/airflow",
			wantJSON: `{"conn_id": "c", "conn_type": null, "description": null, "host": "host", "schema": "airflow", "login": "airflow", "password": "airflow", "port": 5432, "extra": null}`},
		{name: "extra words without conn_type", secret: `{"usuario": "airflow", "pass": "airflow", "endpoint": "host", "port": "5432", "database": "airflow"}`,
			words:    map[string]any{"user": []string{"usuario"}, "host": []string{"endpoint"}},
			wantURI:  "//airflow:airflow@host:5432/airflow",
			wantJSON: `{"conn_id": "c", "conn_type": null, "description": null, "host": "host", "schema": "airflow", "login": "airflow", "password": "airflow", "port": 5432, "extra": null}`},
		{name: "nested extra without conn_type", secret: `{"user": "airflow", "password": "airflow", "host": "airflow", "extra": {"foo": "bar", "a": 1}}`,
			wantURI:  "//airflow:airflow@airflow/?__extra__=%7B%22foo%22%3A+%22bar%22%2C+%22a%22%3A+1%7D", // 1 would come back as "1"
			wantJSON: `{"conn_id": "c", "conn_type": null, "description": null, "host": "airflow", "schema": null, "login": "airflow", "password": "airflow", "port": null, "extra": {"foo": "bar", "a": 1}}`},
		{name: "string extra without conn_type", secret: `{"username": "u", "extra": "{\"foo\": \"bar\"}"}`,
			wantURI:  "//u@/?foo=bar",
			wantJSON: `{"conn_id": "c", "conn_type": null, "description": null, "host": null, "schema": null, "login": "u", "password": null, "port": null, "extra": {"foo": "bar"}}`},
		{name: "password alone", secret: `{"key": "k"}`,
			wantURI:  "//:k@",
			wantJSON: `{"conn_id": "c", "conn_type": null, "description": null, "host": null, "schema": null, "login": null, "password": "k", "port": null, "extra": null}`},
		{name: "empty object", secret: `{}`,
			wantURI:  "//",
			wantJSON: `{"conn_id": "c", "conn_type": null, "description": null, "host": null, "schema": null, "login": null, "password": null, "port": null, "extra": null}`},
		{name: "keys that stand for nothing are dropped", secret: `{"server": "h", "description": "d", "uri": "x://y"}`,
			wantURI:  "//h",
			wantJSON: `{"conn_id": "c", "conn_type": null, "description": null, "host": "h", "schema": null, "login": null, "password": null, "port": null, "extra": null}`},
	}
	// Python's falsy values: from_json drops the conn_type.
	for _, falsy := range []string{`null`, `""`, `false`, `0`, `0.0`, `-0`, `1e-400`, `[]`, `{ }`} {
		tests = append(tests, struct {
			name, secret string
			words        map[string]any
			wantURI      string
			wantJSON     string
		}{name: "falsy conn_type " + falsy, secret: `{"connection_type": ` + falsy + `, "remote_host": "h", "port": 22}`,
			wantURI:  "//h:22",
			wantJSON: `{"conn_id": "c", "conn_type": null, "description": null, "host": "h", "schema": null, "login": null, "password": null, "port": 22, "extra": null}`})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.PutSecret("airflow/connections/c", tt.secret)
			kw := fakeKwargs(f, nil)
			if tt.words != nil {
				kw["extra_conn_words"] = tt.words
			}
			r := resolver.New(resolver.WithBackend(awssecretsmanager.Name, mustOpen(t, kw)))
			c, err := r.Connection(t.Context(), "c")
			require.NoError(t, err)
			assert.Equal(t, tt.wantURI, c.URI())
			got, err := c.RevealedJSON()
			require.NoError(t, err)
			assert.JSONEq(t, tt.wantJSON, string(got))
		})
	}
}

// TestJSONSecretConnTypeErrors: without a conn_type the other fields are
// checked as with one; a conn_type that is truthy but not a string is
// still refused. Errors name the field, never its value.
func TestJSONSecretConnTypeErrors(t *testing.T) {
	tests := []struct {
		name, secret, wantField string
	}{
		{"port not an integer", `{"host": "h", "port": "SECRET-VALUE"}`, "port"},
		{"port out of range", `{"host": "h", "port": 70000}`, "port"},
		{"extra not an object", `{"host": "h", "extra": "[\"SECRET-VALUE\"]"}`, "extra"},
		{"login not a string", `{"user": ["SECRET-VALUE"]}`, "login"},
		{"conn_type a number", `{"engine": 5, "host": "SECRET-VALUE"}`, "conn_type"},
		{"conn_type true", `{"conn_type": true, "host": "SECRET-VALUE"}`, "conn_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.PutSecret("airflow/connections/c", tt.secret)
			r := resolver.New(resolver.WithBackend(awssecretsmanager.Name, mustOpen(t, fakeKwargs(f, nil))))
			_, err := r.Connection(t.Context(), "c")
			require.ErrorIs(t, err, connection.ErrInvalid)
			assert.Contains(t, err.Error(), tt.wantField)
			assert.NotContains(t, err.Error(), "SECRET-VALUE")
		})
	}
}
