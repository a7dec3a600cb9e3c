package awsssm_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
)

// TestNames checks which parameter each kwarg and id make the backend ask
// for (Airflow: build_path(prefix, id), then a leading "/").
func TestNames(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name string
		kw   map[string]any
		kind resolver.Kind
		id   string
		want string
	}{
		{name: "connection default", kind: resolver.KindConnection, id: "smtp_default", want: "/airflow/connections/smtp_default"},
		{name: "variable default", kind: resolver.KindVariable, id: "hello", want: "/airflow/variables/hello"},
		{name: "config default", kind: resolver.KindConfig, id: "sql_alchemy_conn", want: "/airflow/config/sql_alchemy_conn"},
		{name: "prefix without leading slash gets one", kw: map[string]any{"connections_prefix": "airflow/conns"},
			kind: resolver.KindConnection, id: "x", want: "/airflow/conns/x"},
		{name: "trailing slash stripped", kw: map[string]any{"variables_prefix": "/team/vars/"},
			kind: resolver.KindVariable, id: "x", want: "/team/vars/x"},
		{name: "every trailing slash stripped", kw: map[string]any{"config_prefix": "/team/cfg///"},
			kind: resolver.KindConfig, id: "x", want: "/team/cfg/x"},
		{name: "empty prefix", kw: map[string]any{"connections_prefix": ""},
			kind: resolver.KindConnection, id: "x", want: "/x"},
		{name: "slash prefix is empty", kw: map[string]any{"variables_prefix": "/"},
			kind: resolver.KindVariable, id: "x", want: "/x"},
		{name: "inner double slash kept", kw: map[string]any{"connections_prefix": "//a//b"},
			kind: resolver.KindConnection, id: "x", want: "//a//b/x"},
		{name: "id kept as is", kind: resolver.KindConnection, id: "My.Conn-1_x", want: "/airflow/connections/My.Conn-1_x"},
		{name: "id with a slash", kind: resolver.KindVariable, id: "team/key", want: "/airflow/variables/team/key"},
		{name: "id starting with a slash", kind: resolver.KindVariable, id: "/key", want: "/airflow/variables//key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			f.PutParameter(tt.want, "value of "+tt.name, awsfake.SecureString)
			b := mustOpen(t, fakeKwargs(f, tt.kw))
			got, err := lookup(t.Context(), b, tt.kind, tt.id)
			require.NoError(t, err)
			assert.Equal(t, "value of "+tt.name, got)
			assert.Equal(t, []string{tt.want}, f.Names(awsfake.TargetGetParameter))
			req := f.Requests()[0]
			assert.True(t, req.WithDecryption, "GetParameter must ask for decryption")
			assert.Empty(t, req.SignatureError)
		})
	}
}

// TestErrors maps the service's answers: only ParameterNotFound is not
// found; AccessDeniedException is permission denied; everything else is an
// error that the resolver logs, marked unavailable when the AWS table says
// so. Retryable answers are retried.
func TestErrors(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/connections/c", "mysql://user:SECRET-VALUE@h", awsfake.SecureString)
	b := newGo(t, f, awsssm.Options{})
	tests := []struct {
		name         string
		fault        awsfake.Fault
		wantNotFound bool
		wantDenied   bool
		wantCode     string
		wantClass    codes.Code // resolver.Code: the AWS table
		wantAttempts int
	}{
		{name: "ParameterNotFound", fault: awsfake.Fault{Code: "ParameterNotFound"}, wantNotFound: true, wantCode: "ParameterNotFound", wantClass: codes.NotFound, wantAttempts: 1},
		{name: "ParameterNotFound with a suffix", fault: awsfake.Fault{Code: "ParameterNotFound:http://internal.amazon.com/coral/com.amazonaws.ssm/"}, wantNotFound: true, wantCode: "ParameterNotFound", wantClass: codes.NotFound, wantAttempts: 1},
		{name: "ParameterVersionNotFound is an error", fault: awsfake.Fault{Code: "ParameterVersionNotFound"}, wantCode: "ParameterVersionNotFound", wantClass: codes.Internal, wantAttempts: 1},
		{name: "AccessDenied", fault: awsfake.Fault{Code: "AccessDeniedException", Message: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: ssm:GetParameter"},
			wantDenied: true, wantCode: "AccessDeniedException", wantClass: codes.PermissionDenied, wantAttempts: 1},
		{name: "KMS key disabled", fault: awsfake.Fault{Code: "InvalidKeyId", Message: "The KMS key is disabled."}, wantCode: "InvalidKeyId", wantClass: codes.Internal, wantAttempts: 1},
		{name: "KMS access denied", fault: awsfake.Fault{Code: "AccessDeniedException", Message: "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access."},
			wantDenied: true, wantCode: "AccessDeniedException", wantClass: codes.PermissionDenied, wantAttempts: 1},
		{name: "validation", fault: awsfake.Fault{Code: "ValidationException", Message: "Parameter name: can't be prefixed with \"aws\""}, wantCode: "ValidationException", wantClass: codes.Internal, wantAttempts: 1},
		{name: "internal error is retried", fault: awsfake.Fault{Code: "InternalServerError", Status: http.StatusInternalServerError}, wantCode: "InternalServerError", wantClass: codes.Unavailable, wantAttempts: 3},
		{name: "throttling is retried", fault: awsfake.Fault{Code: "ThrottlingException", Message: "Rate exceeded"}, wantCode: "ThrottlingException", wantClass: codes.Unavailable, wantAttempts: 3},
		{name: "503 is retried", fault: awsfake.Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable}, wantCode: "ServiceUnavailable", wantClass: codes.Unavailable, wantAttempts: 3},
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
			require.ErrorAs(t, err, &ae, "the SDK's error stays reachable")
			assert.Equal(t, tt.wantCode, ae.ErrorCode())
			assert.Equal(t, tt.wantClass, resolver.Code(err))
			assert.Equal(t, tt.wantAttempts, f.Count(awsfake.TargetGetParameter), "attempts")
			assert.Contains(t, err.Error(), `parameter "/airflow/connections/c"`)
			assert.NotContains(t, err.Error(), "SECRET-VALUE")
		})
	}
}

// TestRefused: a service that refuses the connection is unavailable
// (resolver.Code), and the text still names the parameter.
func TestRefused(t *testing.T) {
	awsfake.Isolate(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	endpoint := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	b := mustOpen(t, map[string]any{"endpoint_url": endpoint, "region_name": awsfake.Region,
		"aws_access_key_id": awsfake.Creds.AccessKeyID, "aws_secret_access_key": awsfake.Creds.SecretAccessKey})
	_, err = lookup(t.Context(), b, resolver.KindVariable, "v")
	require.Error(t, err)
	assert.Equal(t, codes.Unavailable, resolver.Code(err), "%v", err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), `parameter "/airflow/variables/v"`)
}

// TestRetriesThenSuccess: throttling twice, then the value, through the
// kwargs path and the SDK's default retryer: three attempts of one
// invocation, each numbered.
func TestRetriesThenSuccess(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	f.AddFault(awsfake.Fault{Target: awsfake.TargetGetParameter, Code: "ThrottlingException", Message: "Rate exceeded", Times: 2})
	b := mustOpen(t, fakeKwargs(f, nil))
	got, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.NoError(t, err)
	assert.Equal(t, "value", got)

	reqs := f.Requests()
	require.Len(t, reqs, 3)
	for i, r := range reqs {
		assert.Equal(t, reqs[0].Header.Get("Amz-Sdk-Invocation-Id"), r.Header.Get("Amz-Sdk-Invocation-Id"), "one invocation")
		assert.Equal(t, []string{"attempt=" + string(rune('1'+i)) + "; max=3"}, r.Header.Values("Amz-Sdk-Request"))
		assert.Empty(t, r.SignatureError, "each attempt is signed afresh")
	}
}

// TestMalformedResponse: a body that is not what the service sends is an
// error that quotes none of it.
func TestMalformedResponse(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, awsssm.Options{})
	for _, body := range []string{
		`{"Parameter": {"Name": "/airflow/connections/c", "Value": "postgres://u:LEAKED-PASSWORD@h/db"`,
		`{"Parameter": {"Value": 12345678, "Name": "LEAKED-PASSWORD"}}`,
		`{"Parameter": {"Name": "/airflow/connections/c", "Value": 98765432123}}`,
		`not json LEAKED-PASSWORD`,
		`{"Parameter": {"Name": "/airflow/connections/c"}}`,
	} {
		f.ClearFaults()
		f.AddFault(awsfake.Fault{Body: body})
		_, err := lookup(t.Context(), b, resolver.KindConnection, "c")
		require.Error(t, err, body)
		assert.NotErrorIs(t, err, resolver.ErrNotFound, body)
		assert.NotContains(t, err.Error(), "LEAKED", body)
		assert.NotContains(t, err.Error(), "98765432123", body)
	}
}

// TestFailClosed: with resolver.WithFailClosed, AccessDenied stops the
// search before the next tier.
func TestFailClosed(t *testing.T) {
	f := newFake(t)
	f.AddFault(awsfake.Fault{Code: "AccessDeniedException", Message: "not authorized"})
	b := mustOpen(t, fakeKwargs(f, nil))
	r := resolver.New(resolver.WithBackend(awsssm.Name, b), resolver.WithFallback("never", panicBackend{}), resolver.WithFailClosed())
	_, err := r.Connection(t.Context(), "c")
	require.ErrorIs(t, err, resolver.ErrPermissionDenied)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
}

type panicBackend struct{}

func (panicBackend) Lookup(context.Context, resolver.Request) (string, error) {
	panic("fail-closed search reached the next tier")
}

// TestRedaction: credentials never show in an error, even when the service
// quotes them.
func TestRedaction(t *testing.T) {
	f := newFake(t)
	const token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789"
	withToken := awsfake.Creds
	withToken.SessionToken = token
	f.RequireSignatures(awsfake.Region, withToken)
	f.AddFault(awsfake.Fault{Code: "AccessDeniedException", Message: "key " + awsfake.Creds.AccessKeyID + " with token " + token +
		" and secret " + awsfake.Creds.SecretAccessKey + " and role key ASIAY34FZKBOKMUTVV7A is not authorized"})
	b := mustOpen(t, fakeKwargs(f, map[string]any{"aws_session_token": token}))
	_, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.ErrorIs(t, err, resolver.ErrPermissionDenied)
	msg := err.Error()
	for _, secret := range []string{awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey, token, "ASIAY34FZKBOKMUTVV7A"} {
		assert.NotContains(t, msg, secret)
	}
	assert.True(t, strings.Contains(msg, "key *** with token *** and secret ***"), msg)
}

// TestTeamIgnored: with multi_team off, a request's team is ignored (a
// kind the backend does not serve: TestKit).
func TestTeamIgnored(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	b := mustOpen(t, fakeKwargs(f, nil))
	got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team_a"})
	require.NoError(t, err)
	assert.Equal(t, "value", got)
	assert.Equal(t, []string{"/airflow/variables/v"}, f.Names(awsfake.TargetGetParameter))
}

// TestDescribe: what a lookup asks for, for resolver.Explain, without a
// request.
func TestDescribe(t *testing.T) {
	f := newFake(t)
	b := mustOpen(t, fakeKwargs(f, map[string]any{"variables_prefix": nil, "config_prefix": "cfg/", "connections_lookup_pattern": "db_"}))
	d := b.(resolver.Describer)
	for _, tt := range []struct {
		req  resolver.Request
		want string
	}{
		{resolver.Request{Kind: resolver.KindConnection, ID: "db_main"}, `parameter "/airflow/connections/db_main"`},
		{resolver.Request{Kind: resolver.KindConnection, ID: "db_main", Team: "team_a"}, `parameter "/airflow/connections/db_main"`},
		{resolver.Request{Kind: resolver.KindConnection, ID: "web"}, "no request (the id does not match the lookup pattern)"},
		{resolver.Request{Kind: resolver.KindVariable, ID: "v"}, "no request (variables_prefix is null)"},
		{resolver.Request{Kind: resolver.KindConfig, ID: "k"}, `parameter "/cfg/k"`},
		{resolver.Request{Kind: resolver.KindConfig, ID: ""}, "no request (empty id)"},
		{resolver.Request{Kind: 0, ID: "k"}, "no request (Kind(0) lookups are not served)"},
	} {
		assert.Equal(t, tt.want, d.Describe(tt.req), "%+v", tt.req)
	}
	assert.Zero(t, f.Count(""), "describing makes no request")

	x := resolver.New(resolver.WithBackend(awsssm.Name, b)).Explain(t.Context(), resolver.Request{Kind: resolver.KindConfig, ID: "k"})
	require.Len(t, x.Steps, 1)
	assert.Equal(t, awsssm.Name, x.Steps[0].Tier)
	assert.Equal(t, `parameter "/cfg/k"`, x.Steps[0].Asked)
	assert.Equal(t, []string{"/cfg/k"}, f.Names(awsfake.TargetGetParameter))
}
