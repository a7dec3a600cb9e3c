package gcpsecretmanager_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

const (
	saEmail      = "reader@secretpath-test.iam.gserviceaccount.com"
	cloudPlatfom = "https://www.googleapis.com/auth/cloud-platform"
)

// assertBearer checks that every Secret Manager request carried token.
func assertBearer(t *testing.T, f *gcpfake.Server, token string) {
	t.Helper()
	reqs := f.RequestsTo(gcpfake.APISecretManager)
	require.NotEmpty(t, reqs)
	for _, r := range reqs {
		assert.Equal(t, "Bearer "+token, r.Header.Get("Authorization"))
	}
}

// TestApplicationDefaultCredentials: without credential kwargs the backend
// uses ADC; here the chain ends at the (fake) metadata server, which gives
// the token and the project.
func TestApplicationDefaultCredentials(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow-connections-smtp_default", "smtps://user:pw@relay.example.com:465")

	b := mustOpen(t, fakeKwargs(f, nil))
	assert.Equal(t, gcpfake.ProjectID, b.(*gcpsecretmanager.Backend).ProjectID(), "the project comes from the metadata server")
	got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"})
	require.NoError(t, err)
	assert.Equal(t, "smtps://user:pw@relay.example.com:465", got)
	assertBearer(t, f, gcpfake.MetadataToken)

	md := f.RequestsTo(gcpfake.APIMetadata)
	require.NotEmpty(t, md)
	var tokenReqs int
	for _, r := range md {
		assert.Equal(t, "Google", r.Header.Get("Metadata-Flavor"), r.Path)
		if strings.HasSuffix(r.Path, "/token") {
			tokenReqs++
			assert.Equal(t, []string{cloudPlatfom}, r.Scopes)
		}
	}
	assert.Equal(t, 1, tokenReqs)

	// The token is reused.
	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"})
	require.NoError(t, err)
	assert.Len(t, f.RequestsTo(gcpfake.APIMetadata), len(md))

	// gcp_scopes reach the metadata server.
	f.ResetRequests()
	b = mustOpen(t, fakeKwargs(f, map[string]any{"gcp_scopes": "https://www.googleapis.com/auth/a, https://www.googleapis.com/auth/b"}))
	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"})
	require.NoError(t, err)
	last := f.RequestsTo(gcpfake.APIMetadata)
	assert.Equal(t, []string{"https://www.googleapis.com/auth/a", "https://www.googleapis.com/auth/b"}, last[len(last)-1].Scopes)
}

// TestProjectID: project_id, then GOOGLE_CLOUD_PROJECT / GCLOUD_PROJECT
// (ADC only), then the credentials' project.
func TestProjectID(t *testing.T) {
	f := newFake(t)
	project := func(kw map[string]any) string {
		t.Helper()
		return mustOpen(t, fakeKwargs(f, kw)).(*gcpsecretmanager.Backend).ProjectID()
	}
	assert.Equal(t, gcpfake.ProjectID, project(nil))
	t.Setenv("GCLOUD_PROJECT", "legacy-env")
	assert.Equal(t, "legacy-env", project(nil))
	t.Setenv("GOOGLE_CLOUD_PROJECT", "from-env")
	assert.Equal(t, "from-env", project(nil))
	assert.Equal(t, "from-kwarg", project(map[string]any{"project_id": "from-kwarg"}))
	assert.Equal(t, gcpfake.ProjectID, project(map[string]any{"gcp_keyfile_dict": string(f.ServiceAccountKey(saEmail))}),
		"a key's project wins over the environment, as in Airflow")

	// Credentials that name no project (the metadata library caches the
	// project it read for the process, so a key stands in here).
	noProject := strings.Replace(string(f.ServiceAccountKey(saEmail)), `"project_id"`, `"project"`, 1)
	_, err := openKwargs(t, fakeKwargs(f, map[string]any{"gcp_keyfile_dict": noProject}))
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "no project: set project_id")
	assert.Equal(t, "from-kwarg", project(map[string]any{"gcp_keyfile_dict": noProject, "project_id": "from-kwarg"}))
}

// TestServiceAccountKey: gcp_key_path and gcp_keyfile_dict sign a JWT that
// the fake token endpoint (the key's token_uri) checks, and its token
// reaches Secret Manager. No metadata request is made.
func TestServiceAccountKey(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow-variables-hello", "world")
	key := f.ServiceAccountKey(saEmail)
	dir := t.TempDir()
	path := filepath.Join(dir, "key.json")
	require.NoError(t, os.WriteFile(path, key, 0o600))
	escaped := strings.ReplaceAll(string(key), `\n`, `\\n`) // private_key with literal \n, as pasted into a UI

	tests := []struct {
		name string
		kw   map[string]any
	}{
		{name: "gcp_key_path", kw: map[string]any{"gcp_key_path": path}},
		{name: "gcp_keyfile_dict as a string", kw: map[string]any{"gcp_keyfile_dict": string(key)}},
		{name: "gcp_keyfile_dict with escaped newlines", kw: map[string]any{"gcp_keyfile_dict": escaped}},
		{name: "gcp_keyfile_dict as an object", kw: map[string]any{"gcp_keyfile_dict": rawJSON(key)}},
		{name: "gcp_credential_config_file as a path", kw: map[string]any{"gcp_credential_config_file": path}},
		{name: "gcp_credential_config_file as JSON text", kw: map[string]any{"gcp_credential_config_file": string(key)}},
		{name: "GOOGLE_APPLICATION_CREDENTIALS", kw: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			if tt.kw == nil {
				t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", path)
			}
			b := mustOpen(t, fakeKwargs(f, tt.kw))
			assert.Equal(t, gcpfake.ProjectID, b.(*gcpsecretmanager.Backend).ProjectID(), "the key's project_id")
			got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "hello"})
			require.NoError(t, err)
			assert.Equal(t, "world", got)
			assertBearer(t, f, gcpfake.ServiceAccountToken(saEmail))
			tok := f.RequestsTo(gcpfake.APIOAuth2)
			require.Len(t, tok, 1)
			assert.Equal(t, saEmail, tok[0].Principal)
			assert.Equal(t, []string{cloudPlatfom}, tok[0].Scopes)
			assert.Zero(t, f.Count(gcpfake.APIMetadata), "no metadata request")
		})
	}
}

// TestAuthorizedUser: a credential configuration of another type (gcloud's
// user credentials) through gcp_credential_config_file and through
// gcloud's well-known file.
func TestAuthorizedUser(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow-variables-hello", "world")
	cfg := f.AuthorizedUser("cli-1")

	b := mustOpen(t, fakeKwargs(f, map[string]any{"gcp_credential_config_file": rawJSON(cfg), "project_id": gcpfake.ProjectID}))
	got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "hello"})
	require.NoError(t, err)
	assert.Equal(t, "world", got)
	assertBearer(t, f, gcpfake.UserToken("cli-1"))

	// ADC: gcloud's application_default_credentials.json under $HOME.
	f.ResetRequests()
	gcloud := filepath.Join(os.Getenv("HOME"), ".config", "gcloud")
	require.NoError(t, os.MkdirAll(gcloud, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(gcloud, "application_default_credentials.json"), cfg, 0o600))
	_, err = openKwargs(t, fakeKwargs(f, nil))
	require.ErrorIs(t, err, config.ErrInvalid, "user credentials name no project")
	b = mustOpen(t, fakeKwargs(f, map[string]any{"project_id": gcpfake.ProjectID}))
	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "hello"})
	require.NoError(t, err)
	assertBearer(t, f, gcpfake.UserToken("cli-1"))
	assert.Zero(t, f.Count(gcpfake.APIMetadata))
}

// TestImpersonation: the chain's last account is impersonated through the
// others with IAM Credentials, authenticated by the source credentials;
// its project is the backend's.
func TestImpersonation(t *testing.T) {
	f := newFake(t)
	const (
		delegate = "hop@secretpath-test.iam.gserviceaccount.com"
		target   = "airflow@other-project.iam.gserviceaccount.com"
	)
	f.AddProject("other-project", "555")
	f.PutSecretVersion("other-project", "airflow-variables-hello", []byte("from other-project"))
	f.AllowImpersonation(delegate)
	f.AllowImpersonation(target)

	b, err := gcpsecretmanager.New(t.Context(), gcpsecretmanager.Options{
		Endpoint:               f.URL,
		IAMCredentialsEndpoint: f.URL,
		ImpersonationChain:     []string{delegate, target},
	})
	require.NoError(t, err)
	assert.Equal(t, "other-project", b.ProjectID(), "the impersonated account's project")
	got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "hello"})
	require.NoError(t, err)
	assert.Equal(t, "from other-project", got)
	assertBearer(t, f, gcpfake.ImpersonatedToken(target))

	iam := f.RequestsTo(gcpfake.APIIAMCredentials)
	require.Len(t, iam, 1)
	assert.Equal(t, target, iam[0].Principal)
	assert.Equal(t, []string{"projects/-/serviceAccounts/" + delegate}, iam[0].Delegates)
	assert.Equal(t, []string{cloudPlatfom}, iam[0].Scopes)
	assert.Equal(t, "Bearer "+gcpfake.MetadataToken, iam[0].Header.Get("Authorization"), "the source credentials call IAM")
	assert.JSONEq(t, `{"delegates": ["projects/-/serviceAccounts/`+delegate+`"], "scope": ["`+cloudPlatfom+`"], "lifetime": "3600s"}`, string(iam[0].Body))

	// A refused impersonation is a lookup error, not a miss.
	b, err = gcpsecretmanager.New(t.Context(), gcpsecretmanager.Options{
		Endpoint: f.URL, IAMCredentialsEndpoint: f.URL, ProjectID: gcpfake.ProjectID,
		ImpersonationChain: []string{"stranger@secretpath-test.iam.gserviceaccount.com"},
	})
	require.NoError(t, err)
	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "hello"})
	require.Error(t, err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), "getting an access token: impersonating stranger@secretpath-test.iam.gserviceaccount.com: PERMISSION_DENIED (HTTP 403)")
	assert.NotContains(t, err.Error(), gcpfake.MetadataToken)
}

// TestTokenErrors: credentials that fail at the first lookup give an
// error that says why, without the token endpoint's body or any key.
func TestTokenErrors(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow-variables-hello", "world")
	key := f.ServiceAccountKey(saEmail)

	f.AddFault(gcpfake.Fault{API: gcpfake.APIOAuth2, Body: `{"error": "invalid_grant", "error_description": "Invalid JWT Signature.", "debug": "LEAKED-BODY"}`, HTTPStatus: 400})
	b := mustOpen(t, fakeKwargs(f, map[string]any{"gcp_keyfile_dict": string(key)}))
	_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "hello"})
	require.Error(t, err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), `secret "airflow-variables-hello": getting an access token: the token endpoint answered HTTP 400: invalid_grant (Invalid JWT Signature.)`)
	assert.NotContains(t, err.Error(), "LEAKED-BODY")
	assert.NotContains(t, err.Error(), "PRIVATE KEY")
	assert.Zero(t, f.Count(gcpfake.APISecretManager), "no request without a token")

	f.ClearFaults()
	f.AddFault(gcpfake.Fault{API: gcpfake.APIMetadata, Body: "metadata server is sad", HTTPStatus: 418, ContentType: "text/plain"})
	b = mustOpen(t, fakeKwargs(f, map[string]any{"project_id": "p"}))
	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "hello"})
	require.Error(t, err)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), "getting an access token")
}

// TestWithoutAuthentication: no Authorization header at all.
func TestWithoutAuthentication(t *testing.T) {
	f := newFake(t)
	f.AllowUnauthenticated()
	f.PutSecret("airflow-config-k", "v")
	b, _ := newGo(t, f, gcpsecretmanager.Options{WithoutAuthentication: true})
	got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConfig, ID: "k"})
	require.NoError(t, err)
	assert.Equal(t, "v", got)
	assert.Empty(t, f.RequestsTo(gcpfake.APISecretManager)[0].Header.Get("Authorization"))
	assert.Zero(t, f.Count(gcpfake.APIMetadata))
}

// rawJSON turns a JSON document into a value that marshals as itself (an
// object in backend_kwargs).
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }
