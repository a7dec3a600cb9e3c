package gcpsecretmanager_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestNames checks which secret each kwarg and id make the backend read
// (Airflow: prefix + sep + id, with no special case for an empty prefix),
// and the request itself.
func TestNames(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name string
		kw   map[string]any
		kind resolver.Kind
		id   string
		want string
	}{
		{name: "connection default", kind: resolver.KindConnection, id: "smtp_default", want: "airflow-connections-smtp_default"},
		{name: "variable default", kind: resolver.KindVariable, id: "hello", want: "airflow-variables-hello"},
		{name: "config default", kind: resolver.KindConfig, id: "sql_alchemy_conn", want: "airflow-config-sql_alchemy_conn"},
		{name: "empty prefix keeps the sep", kw: map[string]any{"connections_prefix": ""}, kind: resolver.KindConnection, id: "x", want: "-x"},
		{name: "empty prefix and sep", kw: map[string]any{"variables_prefix": "", "sep": ""}, kind: resolver.KindVariable, id: "x", want: "x"},
		{name: "custom sep", kw: map[string]any{"sep": "_"}, kind: resolver.KindConnection, id: "x", want: "airflow-connections_x"},
		{name: "empty sep", kw: map[string]any{"sep": ""}, kind: resolver.KindConfig, id: "x", want: "airflow-configx"},
		{name: "prefix not stripped", kw: map[string]any{"connections_prefix": "conns-"}, kind: resolver.KindConnection, id: "x", want: "conns--x"},
		{name: "multi-character sep", kw: map[string]any{"sep": "--", "variables_prefix": "team"}, kind: resolver.KindVariable, id: "x", want: "team--x"},
		{name: "id kept as is", kind: resolver.KindVariable, id: "My-Var_1", want: "airflow-variables-My-Var_1"},
		{name: "project by number", kw: map[string]any{"project_id": gcpfake.ProjectNumber}, kind: resolver.KindVariable, id: "n", want: "airflow-variables-n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			f.PutSecret(tt.want, "value of "+tt.name)
			b := mustOpen(t, fakeKwargs(f, tt.kw))
			got, err := lookup(t.Context(), b, tt.kind, tt.id)
			require.NoError(t, err)
			assert.Equal(t, "value of "+tt.name, got)

			reqs := f.RequestsTo(gcpfake.APISecretManager)
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, tt.want, r.Secret)
			assert.Equal(t, "latest", r.Version)
			assert.Equal(t, http.MethodGet, r.Method)
			project := gcpfake.ProjectID
			if p, ok := tt.kw["project_id"].(string); ok {
				project = p
			}
			assert.Equal(t, project, r.Project)
			assert.Equal(t, "/v1/projects/"+project+"/secrets/"+tt.want+"/versions/latest:access", r.Path)
			assert.Equal(t, "Bearer "+gcpfake.MetadataToken, r.Header.Get("Authorization"))
			// What the service needs and our User-Agent in place of Go's:
			// the same headers a bare oauth2 client's GET sends.
			assert.Equal(t, "secretpath/gcp-secret-manager", r.Header.Get("User-Agent"))
			assert.ElementsMatch(t, []string{"Authorization", "User-Agent", "Accept-Encoding"}, slices.Collect(maps.Keys(r.Header)))
		})
	}
}

// TestNoRequest: a name the service would refuse is not found, and no
// request is made (a kind switched off and an empty id: TestKit).
func TestNoRequest(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name    string
		kw      map[string]any
		kind    resolver.Kind
		id      string
		wantLog string // logged at error level, as Airflow logs INVALID_ARGUMENT
	}{
		{name: "connections off skips the prefix check", kw: map[string]any{"connections_prefix": nil, "sep": ":"}, kind: resolver.KindConnection, id: "x"},
		{name: "id with a dot", kind: resolver.KindConnection, id: "with.dot", wantLog: "airflow-connections-with.dot"},
		{name: "id with a slash", kind: resolver.KindVariable, id: "a/b", wantLog: "airflow-variables-a/b"},
		{name: "id with a space", kind: resolver.KindConfig, id: "a b", wantLog: `"airflow-config-a b"`},
		{name: "variables_prefix is not checked but cannot name a secret", kw: map[string]any{"variables_prefix": "my vars"}, kind: resolver.KindVariable, id: "x", wantLog: `"my vars-x"`},
		{name: "name over 255 characters", kind: resolver.KindVariable, id: strings.Repeat("x", 256-len("airflow-variables-")), wantLog: "airflow-variables-xxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			b := mustOpen(t, fakeKwargs(f, tt.kw))
			_, err := lookup(t.Context(), b, tt.kind, tt.id)
			require.ErrorIs(t, err, resolver.ErrNotFound)
			assert.Zero(t, f.Count(gcpfake.APISecretManager), "no request may be made")
		})
	}

	// The same through the Go API, to see the log records.
	for _, tt := range tests {
		if tt.wantLog == "" {
			continue
		}
		o := gcpsecretmanager.Options{}
		if p, ok := tt.kw["variables_prefix"].(string); ok {
			o.Variables.Prefix = p
		}
		b, logs := newGo(t, f, o)
		_, err := lookup(t.Context(), b, tt.kind, tt.id)
		require.ErrorIs(t, err, resolver.ErrNotFound)
		assert.Contains(t, err.Error(), "not a valid secret id")
		assert.Contains(t, logs.String(), "level=ERROR", tt.name)
		assert.Contains(t, logs.String(), "secret="+tt.wantLog, tt.name)
		assert.Contains(t, logs.String(), "status=INVALID_ARGUMENT", tt.name)
	}
	assert.Zero(t, f.Count(gcpfake.APISecretManager))
}

// TestAnswers maps every kind of answer the service gives: not found for
// NOT_FOUND, PERMISSION_DENIED and INVALID_ARGUMENT (as Airflow), an error
// for everything else, retries for UNAVAILABLE and RESOURCE_EXHAUSTED.
func TestAnswers(t *testing.T) {
	f := newFake(t)
	const value = "mysql://user:SECRET-VALUE@h"
	f.PutSecret("airflow-connections-c", value)
	f.PutSecret("airflow-connections-disabled", value)
	f.SetVersionState(gcpfake.ProjectID, "airflow-connections-disabled", 1, gcpfake.Disabled)
	f.PutSecret("airflow-connections-destroyed", value)
	f.SetVersionState(gcpfake.ProjectID, "airflow-connections-destroyed", 1, gcpfake.Destroyed)
	b, logs := newGo(t, f, gcpsecretmanager.Options{})
	other, _ := newGo(t, f, gcpsecretmanager.Options{ProjectID: "someone-elses"})
	bad, _ := newGo(t, f, gcpsecretmanager.Options{WithoutAuthentication: true})

	tests := []struct {
		name         string
		b            *gcpsecretmanager.Backend
		id           string
		fault        *gcpfake.Fault
		wantStatus   string // the APIError's Status; "-" for no APIError
		wantHTTP     int
		wantNotFound bool
		wantLevel    string
		wantClass    codes.Code // resolver.Code: "not found" first, then the Google table
		wantAttempts int
		wantValue    bool
	}{
		{name: "NOT_FOUND", b: b, id: "missing", wantStatus: "NOT_FOUND", wantHTTP: 404, wantNotFound: true, wantLevel: "level=DEBUG", wantClass: codes.NotFound, wantAttempts: 1},
		{name: "PERMISSION_DENIED for another project", b: other, id: "c", wantStatus: "PERMISSION_DENIED", wantHTTP: 403, wantNotFound: true, wantLevel: "level=ERROR", wantClass: codes.NotFound, wantAttempts: 1},
		{name: "PERMISSION_DENIED", b: b, id: "c", fault: &gcpfake.Fault{Status: "PERMISSION_DENIED", Message: "Permission 'secretmanager.versions.access' denied"}, wantStatus: "PERMISSION_DENIED", wantHTTP: 403, wantNotFound: true, wantLevel: "level=ERROR", wantClass: codes.NotFound, wantAttempts: 1},
		{name: "INVALID_ARGUMENT", b: b, id: "c", fault: &gcpfake.Fault{Status: "INVALID_ARGUMENT", Message: "Invalid resource field value in the request."}, wantStatus: "INVALID_ARGUMENT", wantHTTP: 400, wantNotFound: true, wantLevel: "level=ERROR", wantClass: codes.NotFound, wantAttempts: 1},
		{name: "FAILED_PRECONDITION: disabled version", b: b, id: "disabled", wantStatus: "FAILED_PRECONDITION", wantHTTP: 400, wantClass: codes.Internal, wantAttempts: 1},
		{name: "FAILED_PRECONDITION: destroyed version", b: b, id: "destroyed", wantStatus: "FAILED_PRECONDITION", wantHTTP: 400, wantClass: codes.Internal, wantAttempts: 1},
		{name: "RESOURCE_EXHAUSTED after retries", b: b, id: "c", fault: &gcpfake.Fault{Status: "RESOURCE_EXHAUSTED", Message: "Quota exceeded for quota metric 'Access requests'"}, wantStatus: "RESOURCE_EXHAUSTED", wantHTTP: 429, wantClass: codes.Unavailable, wantAttempts: 3},
		{name: "UNAVAILABLE after retries", b: b, id: "c", fault: &gcpfake.Fault{Status: "UNAVAILABLE", Message: "The service is currently unavailable."}, wantStatus: "UNAVAILABLE", wantHTTP: 503, wantClass: codes.Unavailable, wantAttempts: 3},
		{name: "UNAVAILABLE once, then the value", b: b, id: "c", fault: &gcpfake.Fault{Status: "UNAVAILABLE", Times: 1}, wantAttempts: 2, wantValue: true},
		{name: "INTERNAL is not retried", b: b, id: "c", fault: &gcpfake.Fault{Status: "INTERNAL", Message: "Internal error encountered."}, wantStatus: "INTERNAL", wantHTTP: 500, wantClass: codes.Unavailable, wantAttempts: 1},
		{name: "UNAUTHENTICATED", b: bad, id: "c", wantStatus: "UNAUTHENTICATED", wantHTTP: 401, wantClass: codes.Internal, wantAttempts: 1},
		{name: "status from the code when there is none", b: b, id: "c", fault: &gcpfake.Fault{Body: `{"error": {"code": 404, "message": "gone"}}`, HTTPStatus: 404}, wantStatus: "NOT_FOUND", wantHTTP: 404, wantNotFound: true, wantLevel: "level=DEBUG", wantClass: codes.NotFound, wantAttempts: 1},
		{name: "a 404 page is not a miss", b: b, id: "c", fault: &gcpfake.Fault{Body: "<html>Not Found</html>", HTTPStatus: 404, ContentType: "text/html"}, wantStatus: "", wantHTTP: 404, wantClass: codes.Internal, wantAttempts: 1},
		{name: "a 403 page is not a miss", b: b, id: "c", fault: &gcpfake.Fault{Body: `{"error": "forbidden"}`, HTTPStatus: 403}, wantStatus: "", wantHTTP: 403, wantClass: codes.Internal, wantAttempts: 1},
		{name: "a proxy's 503 page is retried", b: b, id: "c", fault: &gcpfake.Fault{Body: "upstream connect error", HTTPStatus: 503, ContentType: "text/plain"}, wantStatus: "", wantHTTP: 503, wantClass: codes.Unavailable, wantAttempts: 3},
		{name: "a proxy's 502 page once", b: b, id: "c", fault: &gcpfake.Fault{Body: "bad gateway", HTTPStatus: 502, ContentType: "text/plain", Times: 1}, wantAttempts: 2, wantValue: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			f.ClearFaults()
			logs.Reset()
			if tt.fault != nil {
				f.AddFault(*tt.fault)
			}
			got, err := tt.b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: tt.id})
			assert.Equal(t, tt.wantAttempts, f.Count(gcpfake.APISecretManager), "attempts")
			if tt.wantValue {
				require.NoError(t, err)
				assert.Equal(t, value, got)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantNotFound, errors.Is(err, resolver.ErrNotFound), "not found: %v", err)
			assert.NotErrorIs(t, err, resolver.ErrPermissionDenied, "GCP's permission denied is a miss, as in Airflow")
			var ae *gcpsecretmanager.APIError
			require.ErrorAs(t, err, &ae, "the service's answer stays reachable")
			assert.Equal(t, tt.wantStatus, ae.Status)
			assert.Equal(t, tt.wantHTTP, ae.HTTPStatus)
			assert.Equal(t, tt.wantClass, resolver.Code(err))
			var ge *gcpsecretmanager.Error
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, "airflow-connections-"+tt.id, ge.Secret)
			assert.Contains(t, err.Error(), `secret "airflow-connections-`+tt.id+`"`)
			assert.NotContains(t, err.Error(), "SECRET-VALUE")
			if tt.wantLevel != "" && tt.b == b {
				assert.Contains(t, logs.String(), tt.wantLevel)
				assert.Contains(t, logs.String(), "secret=airflow-connections-"+tt.id)
				assert.Contains(t, logs.String(), "status="+tt.wantStatus)
			}
			assert.NotContains(t, logs.String(), "SECRET-VALUE")
		})
	}
}

// TestPayload: values come back byte for byte, the checksum is verified
// when present, and responses that do not decode are errors that name the
// secret, never the value.
func TestPayload(t *testing.T) {
	f := newFake(t)
	const value = "postgres://app:S3CRET-PAYLOAD@db:5432/prod"
	f.PutSecret("airflow-variables-v", value)
	f.PutSecret("airflow-variables-empty", "")
	f.PutSecret("airflow-variables-unicode", "grüße, 世界 ✓\nline two\n")
	f.PutSecret("airflow-variables-versions", "old")
	f.PutSecret("airflow-variables-versions", "new")
	f.PutSecretVersion(gcpfake.ProjectID, "airflow-variables-latin1", []byte{'c', 'a', 'f', 0xe9})
	b, _ := newGo(t, f, gcpsecretmanager.Options{})

	for key, want := range map[string]string{"empty": "", "unicode": "grüße, 世界 ✓\nline two\n", "versions": "new", "v": value} {
		got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: key})
		require.NoError(t, err, key)
		assert.Equal(t, want, got, key)
	}

	tests := []struct {
		name    string
		key     string
		fault   gcpfake.Fault
		want    string // the value, or "" for an error
		wantErr string
		wantIs  error
	}{
		{name: "bad checksum", key: "v", fault: gcpfake.Fault{BadCRC: true}, wantErr: "does not match its CRC32C checksum", wantIs: gcpsecretmanager.ErrChecksum},
		{name: "no checksum", key: "v", fault: gcpfake.Fault{NoCRC: true}, want: value},
		{name: "checksum as a JSON number", key: "v", fault: gcpfake.Fault{Body: `{"name": "projects/1/secrets/s/versions/1", "payload": {"data": "aGVsbG8=", "dataCrc32c": 2591144780}}`}, want: "hello"},
		{name: "wrong checksum as a JSON number", key: "v", fault: gcpfake.Fault{Body: `{"name": "projects/1/secrets/s/versions/1", "payload": {"data": "UzNDUkVULVBBWUxPQUQ=", "dataCrc32c": 1}}`}, wantErr: "CRC32C", wantIs: gcpsecretmanager.ErrChecksum},
		{name: "proto field name", key: "v", fault: gcpfake.Fault{Body: `{"name": "n", "payload": {"data": "UzNDUkVULVBBWUxPQUQ=", "data_crc32c": "7"}}`}, wantErr: "CRC32C", wantIs: gcpsecretmanager.ErrChecksum},
		{name: "URL-safe base64 without padding", key: "v", fault: gcpfake.Fault{Body: `{"name": "n", "payload": {"data": "Pz8_"}}`}, want: "???"},
		{name: "not JSON", key: "v", fault: gcpfake.Fault{Body: `{"name": "n", "payload": {"data": "S3CRET-PAYLOAD`}, wantErr: "could not be decoded: not valid JSON"},
		{name: "data not base64", key: "v", fault: gcpfake.Fault{Body: `{"name": "n", "payload": {"data": "S3CRET-PAYLOAD!"}}`}, wantErr: "payload.data is not base64"},
		{name: "data not a string", key: "v", fault: gcpfake.Fault{Body: `{"name": "n", "payload": {"data": ["S3CRET-PAYLOAD"]}}`}, wantErr: "unexpected JSON array"},
		{name: "checksum not a number", key: "v", fault: gcpfake.Fault{Body: `{"name": "n", "payload": {"data": "", "dataCrc32c": "S3CRET-PAYLOAD"}}`}, wantErr: "dataCrc32c is not an int64"},
		{name: "no version name", key: "v", fault: gcpfake.Fault{Body: `{"payload": {"data": "UzNDUkVULVBBWUxPQUQ="}}`}, wantErr: "not an AccessSecretVersion response"},
		{name: "not UTF-8", key: "latin1", wantErr: "not UTF-8 text (invalid byte at offset 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ClearFaults()
			f.AddFault(tt.fault)
			got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: tt.key})
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			assert.NotErrorIs(t, err, resolver.ErrNotFound)
			assert.Contains(t, err.Error(), `secret "airflow-variables-`+tt.key+`"`)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "S3CRET-PAYLOAD")
			assert.NotContains(t, err.Error(), "UzNDUkVULVBBWUxPQUQ", "nor its base64")
			assert.NotContains(t, err.Error(), "caf")
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
		})
	}
}

// TestBadChecksumThroughResolver: the resolver logs the checksum error by
// the secret's name and asks the next tier.
func TestBadChecksumThroughResolver(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow-connections-db", "postgres://u:CORRUPT-ME@h/db")
	f.AddFault(gcpfake.Fault{Secret: "airflow-connections-db", BadCRC: true})
	logs := &logBuffer{}
	r := resolver.New(
		resolver.WithBackend(gcpsecretmanager.Name, mustOpen(t, fakeKwargs(f, nil))),
		resolver.WithLogger(slogTo(logs)),
	)
	_, err := r.Connection(t.Context(), "db")
	var nf *resolver.NotFoundError
	require.ErrorAs(t, err, &nf)
	require.Len(t, nf.Errs, 1, "the tier failed, it did not miss")
	assert.ErrorIs(t, err, gcpsecretmanager.ErrChecksum)
	assert.Contains(t, err.Error(), `secret "airflow-connections-db": the payload does not match its CRC32C checksum`)
	assert.Contains(t, logs.String(), "airflow-connections-db")
	assert.NotContains(t, err.Error()+logs.String(), "CORRUPT-ME")
}

// TestContext: a done context stops a lookup before any request; a
// lookup is bounded by Timeout.
func TestContext(t *testing.T) {
	f := newFake(t)
	b, _ := newGo(t, f, gcpsecretmanager.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := b.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "x"})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, f.Count(""))

	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer stuck.Close()
	defer close(release)
	sb, err := gcpsecretmanager.New(t.Context(), gcpsecretmanager.Options{
		ProjectID: "p", WithoutAuthentication: true, Endpoint: stuck.URL, Timeout: 50 * time.Millisecond, MaxAttempts: 1,
	})
	require.NoError(t, err)
	_, err = sb.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "x"})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), `secret "airflow-variables-x"`)
	assert.Equal(t, codes.DeadlineExceeded, resolver.Code(err), "a timeout is the deadline's, not the service's")
}

// TestTransportErrors: an endpoint that does not answer is retried, then
// an error naming the secret, marked unavailable.
func TestTransportErrors(t *testing.T) {
	gcpfake.Isolate(t, nil)
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close()
	b, err := gcpsecretmanager.New(t.Context(), gcpsecretmanager.Options{
		ProjectID: "p", WithoutAuthentication: true, Endpoint: url, RetryDelay: time.Millisecond,
	})
	require.NoError(t, err)
	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "c"})
	require.Error(t, err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), `secret "airflow-connections-c"`)
	assert.Contains(t, err.Error(), "connection refused")
	assert.Equal(t, codes.Unavailable, resolver.Code(err))
}

func slogTo(l *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestEnvLogger: a backend built through the registry logs to the
// factory's Env.Logger.
func TestEnvLogger(t *testing.T) {
	f := newFake(t)
	kw, err := config.ParseKwargs([]byte(`{"endpoint": "` + f.URL + `"}`))
	require.NoError(t, err)
	logs := &logBuffer{}
	b, err := resolver.OpenBackend(t.Context(), gcpsecretmanager.Name, resolver.Env{Kwargs: kw, Logger: slogTo(logs)})
	require.NoError(t, err)
	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "with.dot"})
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, logs.String(), "level=ERROR")
	assert.Contains(t, logs.String(), "secret=airflow-connections-with.dot")
	assert.Contains(t, logs.String(), "status=INVALID_ARGUMENT")

	logs.Reset()
	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "missing"})
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, logs.String(), "level=DEBUG")
	assert.Contains(t, logs.String(), "status=NOT_FOUND")
}

// TestDescribe: Explain's line for each kind, and for each reason no
// request is made; the team does not change it.
func TestDescribe(t *testing.T) {
	f := newFake(t)
	b := mustOpen(t, fakeKwargs(f, map[string]any{"config_prefix": nil, "sep": "_"})).(resolver.Describer)
	f.ResetRequests()
	for _, tt := range []struct {
		req  resolver.Request
		want string
	}{
		{resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"}, "projects/" + gcpfake.ProjectID + "/secrets/airflow-connections_smtp_default/versions/latest"},
		{resolver.Request{Kind: resolver.KindVariable, ID: "hello", Team: "team-a"}, "projects/" + gcpfake.ProjectID + "/secrets/airflow-variables_hello/versions/latest"},
		{resolver.Request{Kind: resolver.KindConfig, ID: "k"}, "no request (config_prefix is null)"},
		{resolver.Request{Kind: resolver.KindVariable, ID: ""}, "no request (empty id)"},
		{resolver.Request{Kind: resolver.KindConnection, ID: "a.b"}, `no request ("airflow-connections_a.b" is not a valid secret id)`},
		{resolver.Request{Kind: resolver.Kind(9), ID: "x"}, "no request (gcp-secret-manager holds no Kind(9))"},
	} {
		assert.Equal(t, tt.want, b.Describe(tt.req), "%+v", tt.req)
	}
	assert.Zero(t, f.Count(""), "Describe makes no request")
}

// TestUnknownKind: a kind the backend does not serve is not found, with no
// request.
func TestUnknownKind(t *testing.T) {
	f := newFake(t)
	b := mustOpen(t, fakeKwargs(f, nil))
	f.ResetRequests()
	_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.Kind(9), ID: "x"})
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Zero(t, f.Count(""))
}
