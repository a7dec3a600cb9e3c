package kubernetessecrets_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/internal/k8sfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
)

// hostileValue is a stored value no error, log or panic may show.
const hostileValue = "hostile-value-must-stay-hidden"

// newDirect builds a backend with the Go API against f, with a small
// response budget and a log the test reads.
func newDirect(t *testing.T, f *k8sfake.Server, maxBytes int64) (*kubernetessecrets.Backend, *strings.Builder) {
	t.Helper()
	return newDirectMax(t, f, maxBytes)
}

// newDirectTB is newDirect for a fuzz target.
func newDirectTB(t testing.TB, f *k8sfake.Server) (*kubernetessecrets.Backend, *strings.Builder) {
	t.Helper()
	return newDirectMax(t, f, 4096)
}

func newDirectMax(t testing.TB, f *k8sfake.Server, maxBytes int64) (*kubernetessecrets.Backend, *strings.Builder) {
	t.Helper()
	f.AllowToken(saToken)
	logger, buf := logBuffer()
	b, err := kubernetessecrets.New(context.Background(), kubernetessecrets.Options{
		Cluster:          kubernetessecrets.Cluster{Server: f.URL, CAData: f.CAPEM, Token: saToken, Namespace: namespace},
		MaxResponseBytes: maxBytes,
		Logger:           logger,
	})
	require.NoError(t, err)
	return b, buf
}

// item is one SecretList item as JSON, with data given raw.
func item(name, label, id, rawData string) string {
	return fmt.Sprintf(`{"metadata":{"name":%q,"labels":{%q:%q}},"data":%s}`, name, label, id, rawData)
}

func list(items ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[%s]}`, strings.Join(items, ","))
	}
}

// bigPage is an error page larger than any budget of the tests (70 KiB),
// as a proxy in front of the API server may send.
var bigPage = "<html><body>" + strings.Repeat("<p>Access denied by the proxy.</p>", 2048) + "</body></html>"

// TestErrors: the API server's failures and hostile answers are errors
// classified as the resolver expects, that start with what was asked for,
// name the secret when one was read, and never hold a value or token.
func TestErrors(t *testing.T) {
	const label = kubernetessecrets.DefaultVariablesLabel
	tests := []struct {
		name     string
		setup    func(f *k8sfake.Server)
		want     []string // in the error text
		sentinel error    // errors.Is
		code     codes.Code
	}{
		{
			name:     "403 Forbidden: permission denied",
			setup:    func(f *k8sfake.Server) { f.Forbid(namespace) },
			want:     []string{"403", "Forbidden", "secrets is forbidden"},
			sentinel: resolver.ErrPermissionDenied, code: codes.PermissionDenied,
		},
		{
			name:     "401 Unauthorized (a revoked token): permission denied",
			setup:    func(f *k8sfake.Server) { f.RevokeToken(saToken) },
			want:     []string{"401", "Unauthorized"},
			sentinel: resolver.ErrPermissionDenied, code: codes.PermissionDenied,
		},
		{
			name: "403 with a body over the budget (a proxy's page): permission denied",
			setup: func(f *k8sfake.Server) {
				f.Fault(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(http.StatusForbidden)
					fmt.Fprint(w, bigPage)
				})
			},
			want:     []string{"403 Forbidden"},
			sentinel: resolver.ErrPermissionDenied, code: codes.PermissionDenied,
		},
		{
			name: "401 Status with a message over the budget: permission denied",
			setup: func(f *k8sfake.Server) {
				f.Fault(func(w http.ResponseWriter, _ *http.Request) {
					k8sfake.WriteStatus(w, http.StatusUnauthorized, "Unauthorized", bigPage)
				})
			},
			want:     []string{"401 Unauthorized"},
			sentinel: resolver.ErrPermissionDenied, code: codes.PermissionDenied,
		},
		{
			name: "a Status echoing the token: masked",
			setup: func(f *k8sfake.Server) {
				f.Fault(func(w http.ResponseWriter, _ *http.Request) {
					k8sfake.WriteStatus(w, http.StatusUnauthorized, "Unauthorized "+saToken, "invalid bearer token "+saToken+", expired")
				})
			},
			want:     []string{"401 Unauthorized (Unauthorized ***): invalid bearer token ***, expired"},
			sentinel: resolver.ErrPermissionDenied, code: codes.PermissionDenied,
		},
		{
			name: "a long Status message is cut at a rune boundary",
			setup: func(f *k8sfake.Server) {
				f.Fault(func(w http.ResponseWriter, _ *http.Request) {
					k8sfake.WriteStatus(w, http.StatusConflict, "Conflict", "a"+strings.Repeat("é", 600))
				})
			},
			want: []string{"409 Conflict (Conflict): aéé", "é..."},
		},
		{
			name:  "404 namespace: a clear error, not a miss",
			setup: func(f *k8sfake.Server) { f.NamespaceNotFound(namespace) },
			want:  []string{"404", "NotFound", `namespaces "airflow" not found`, "is the namespace right"},
		},
		{
			name: "503: unavailable",
			setup: func(f *k8sfake.Server) {
				f.Fault(func(w http.ResponseWriter, _ *http.Request) {
					k8sfake.WriteStatus(w, http.StatusServiceUnavailable, "ServiceUnavailable", "etcdserver: leader changed")
				})
			},
			want: []string{"503", "ServiceUnavailable", "leader changed"}, code: codes.Unavailable,
		},
		{
			name: "429: unavailable",
			setup: func(f *k8sfake.Server) {
				f.Fault(func(w http.ResponseWriter, _ *http.Request) {
					k8sfake.WriteStatus(w, http.StatusTooManyRequests, "TooManyRequests", "too many requests")
				})
			},
			want: []string{"429"}, code: codes.Unavailable,
		},
		{
			name: "500 without a Status body",
			setup: func(f *k8sfake.Server) {
				f.Fault(func(w http.ResponseWriter, _ *http.Request) {
					http.Error(w, "<html>proxy error</html>", http.StatusBadGateway)
				})
			},
			want: []string{"502 Bad Gateway"}, code: codes.Unavailable,
		},
		{
			name: "a redirect is not followed",
			setup: func(f *k8sfake.Server) {
				f.Fault(func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "https://example.invalid/steal", http.StatusFound)
				})
			},
			want: []string{"302"},
		},
		{
			name: "a huge body",
			setup: func(f *k8sfake.Server) {
				big := strings.Repeat("A", 4096)
				f.Fault(list(item("huge", label, "k", `{"value":"`+big+`"}`)))
			},
			want: []string{"larger than the response budget"},
		},
		{
			name: "bad JSON",
			setup: func(f *k8sfake.Server) {
				f.Fault(list(`{"metadata":{"name":"broken"},"data":{"value":` + hostileValue))
			},
			want: []string{"not valid JSON"},
		},
		{
			name: "not a SecretList",
			setup: func(f *k8sfake.Server) {
				f.Fault(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"kind":"ConfigMapList","items":[]}`) })
			},
			want: []string{"not a SecretList"},
		},
		{
			name:  "bad base64: names the secret, not the value",
			setup: func(f *k8sfake.Server) { f.Fault(list(item("bad-b64", label, "k", `{"value":"`+hostileValue+`!!"}`))) },
			want:  []string{`secret "bad-b64"`, "not valid base64"},
		},
		{
			name:  "not UTF-8",
			setup: func(f *k8sfake.Server) { f.Fault(list(item("binary", label, "k", `{"value":"/w=="}`))) },
			want:  []string{`secret "binary"`, "not UTF-8"},
		},
		{
			name:     "no data at all: a miss, as in Airflow",
			setup:    func(f *k8sfake.Server) { f.Fault(list(`{"metadata":{"name":"empty"}}`)) },
			want:     []string{`secret "empty"`, "no such data key"},
			sentinel: resolver.ErrNotFound, code: codes.NotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := k8sfake.New(t)
			b, logs := newDirect(t, f, 1024)
			tt.setup(f)
			req := resolver.Request{Kind: resolver.KindVariable, ID: "k"}
			_, err := b.Lookup(t.Context(), req)
			require.Error(t, err)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, b.Describe(req)), "the error starts with what was asked for: %s", msg)
			assert.True(t, utf8.ValidString(msg), "the error is valid UTF-8")
			for _, w := range tt.want {
				assert.Contains(t, msg, w)
			}
			if tt.sentinel != nil {
				assert.ErrorIs(t, err, tt.sentinel)
			} else {
				assert.NotErrorIs(t, err, resolver.ErrNotFound)
				assert.NotErrorIs(t, err, resolver.ErrPermissionDenied)
			}
			if tt.code != codes.OK {
				assert.Equal(t, tt.code, resolver.Code(err))
			}
			for _, s := range []string{msg, fmt.Sprintf("%+v", err), logs.String()} {
				assert.NotContains(t, s, hostileValue)
				assert.NotContains(t, s, saToken)
			}
			var ke *kubernetessecrets.Error
			require.True(t, errors.As(err, &ke))
			assert.Equal(t, namespace, ke.Namespace)
		})
	}
}

// TestUnreachable: a server that refuses connections is unavailable.
func TestUnreachable(t *testing.T) {
	f := k8sfake.New(t)
	b, _ := newDirect(t, f, 0)
	f.Close()
	_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
	require.Error(t, err)
	assert.Equal(t, codes.Unavailable, resolver.Code(err))
	assert.NotContains(t, err.Error(), saToken)
}

// TestSeveralMatches: as Airflow, the first secret of the list answers
// and a warning names the selector; a secret without the data key is a
// miss with a warning.
func TestSeveralMatches(t *testing.T) {
	f := k8sfake.New(t)
	b, logs := newDirect(t, f, 0)
	label := kubernetessecrets.DefaultConnectionsLabel
	f.Put(k8sfake.Secret{Namespace: namespace, Name: "secret-2", Labels: map[string]string{label: "db"}, Data: map[string][]byte{"value": []byte("mysql://second")}})
	f.Put(k8sfake.Secret{Namespace: namespace, Name: "secret-1", Labels: map[string]string{label: "db"}, Data: map[string][]byte{"value": []byte("mysql://first")}})
	f.Put(k8sfake.Secret{Namespace: namespace, Name: "no-key", Labels: map[string]string{label: "other"}, Data: map[string][]byte{"wrong_key": []byte("x")}})
	got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "db"})
	require.NoError(t, err)
	assert.Equal(t, "mysql://first", got)
	assert.Contains(t, logs.String(), "Multiple secrets found with label")
	assert.Contains(t, logs.String(), "matches=2")

	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "other"})
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, logs.String(), "Secret does not have the data key")
	assert.NotContains(t, logs.String(), "mysql://")
}

// TestIDsThatAreNoLabelValue: an id that cannot be a label value is a
// miss without a request: the selector cannot be widened by an id.
func TestIDsThatAreNoLabelValue(t *testing.T) {
	f := k8sfake.New(t)
	b, _ := newDirect(t, f, 0)
	for _, id := range []string{"a,airflow.apache.org/team", "x=y", "!a", "a b", "-lead", "trail_", strings.Repeat("a", 64), "ü"} {
		_, err := b.Lookup(context.Background(), resolver.Request{Kind: resolver.KindVariable, ID: id})
		require.ErrorIs(t, err, resolver.ErrNotFound, "%q", id)
		assert.Regexp(t, `^no request \(`, b.Describe(resolver.Request{Kind: resolver.KindVariable, ID: id}))
	}
	assert.Zero(t, f.Count())
}
