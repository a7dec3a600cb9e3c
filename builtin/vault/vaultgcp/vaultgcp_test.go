package vaultgcp_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
)

var scopes = []string{"https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/iam"}

// jwtPart decodes part i (0 header, 1 claims) of a JWT.
func jwtPart(t *testing.T, jwt string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// TestGCPAuth: an iam login has IAM sign Airflow's JWT ({iat, exp = iat +
// 900, sub: the account, aud: vault/<role>}) for the service account of
// the key file, the key, or Application Default Credentials (a key file,
// the metadata server), with a token for gcp_scopes; a gce login sends
// the metadata server's identity token. The fake Vault checks the JWT's
// signature with the key IAM (or Google) publishes, the audience, the
// expiry and the role's bound account; reads use the token it returns.
func TestGCPAuth(t *testing.T) {
	tests := []struct {
		name  string
		kw    func(e env) map[string]any
		env   func(e env) map[string]string
		mount string // the fake's mount ("" = gcp)
		role  string
		// iam: the account signed for, the bearer token IAM got, the
		// OAuth scopes asked for ("" account = a gce login).
		account, bearer string
		oauthScopes     []string
		project         string // in IAM's resource name ("" = gcpfake.ProjectID)
	}{
		{name: "gcp_key_path", role: "airflow", account: sa, bearer: gcpfake.ServiceAccountToken(sa), oauthScopes: scopes,
			kw: func(e env) map[string]any { return map[string]any{"gcp_key_path": e.keyPath} }},
		{name: "gcp_keyfile_dict", role: "airflow", account: sa, bearer: gcpfake.ServiceAccountToken(sa), oauthScopes: scopes,
			kw: func(e env) map[string]any {
				var m map[string]any
				require.NoError(t, json.Unmarshal(e.key, &m))
				return map[string]any{"gcp_keyfile_dict": m}
			}},
		{name: "gcp_keyfile_dict as a JSON string", role: "airflow", account: sa, bearer: gcpfake.ServiceAccountToken(sa), oauthScopes: scopes,
			kw: func(e env) map[string]any { return map[string]any{"gcp_keyfile_dict": string(e.key)} }},
		{name: "gcp_keyfile_dict on one line, without type", role: "airflow", account: sa, bearer: gcpfake.ServiceAccountToken(sa), oauthScopes: scopes,
			kw: func(e env) map[string]any {
				var m map[string]any
				require.NoError(t, json.Unmarshal(e.key, &m))
				delete(m, "type")
				m["private_key"] = strings.ReplaceAll(m["private_key"].(string), "\n", `\n`)
				return map[string]any{"gcp_keyfile_dict": m}
			}},
		{name: "key without project_id: IAM's wildcard project", role: "airflow", account: sa, bearer: gcpfake.ServiceAccountToken(sa), oauthScopes: scopes, project: "-",
			kw: func(e env) map[string]any {
				var m map[string]any
				require.NoError(t, json.Unmarshal(e.key, &m))
				delete(m, "project_id")
				return map[string]any{"gcp_keyfile_dict": m}
			}},
		{name: "ADC: GOOGLE_APPLICATION_CREDENTIALS", role: "airflow", account: sa, bearer: gcpfake.ServiceAccountToken(sa), oauthScopes: scopes,
			env: func(e env) map[string]string { return map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": e.keyPath} }},
		{name: "ADC: the metadata server", role: "md", account: "default@" + gcpfake.ProjectID + ".iam.gserviceaccount.com", bearer: gcpfake.MetadataToken},
		{name: "auth_mount_point", mount: "cloud/gcp", role: "airflow", account: sa, bearer: gcpfake.ServiceAccountToken(sa), oauthScopes: scopes,
			kw: func(e env) map[string]any {
				return map[string]any{"gcp_key_path": e.keyPath, "auth_mount_point": "cloud/gcp"}
			}},
		{name: "gce", role: "worker", kw: func(env) map[string]any { return map[string]any{"gcp_role_type": "gce", "gcp_scopes": nil} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			mount := "gcp"
			if tt.mount != "" {
				mount = tt.mount
				e.vault.EnableAuth(mount, vaultfake.GCP, vaultfake.TokenOptions{TTL: loginTTL})
				kid, pub := e.g.SigningKey(sa)
				e.vault.AddGCPKey(mount, sa, kid, pub)
				e.vault.AddGCPRole(mount, "airflow", vaultfake.GCPRole{Type: "iam", ServiceAccount: sa})
			}
			if tt.env != nil {
				for k, v := range tt.env(e) {
					t.Setenv(k, v)
				}
			}
			kw := map[string]any{"url": e.vault.URL, "auth_type": "gcp", "role_id": tt.role, "gcp_scopes": strings.Join(scopes, ", ")}
			if tt.kw != nil {
				for k, v := range tt.kw(e) {
					if v == nil {
						delete(kw, k)
					} else {
						kw[k] = v
					}
				}
			}
			b, err := open(t, kw, nil)
			require.NoError(t, err)
			assert.Empty(t, e.vault.Requests(), "authentication is lazy")
			for range 2 {
				v, err := b.Lookup(t.Context(), varReq("hello"))
				require.NoError(t, err)
				assert.Equal(t, "world", v)
			}
			reqs := e.vault.Requests()
			require.GreaterOrEqual(t, len(reqs), 3)
			login := reqs[0]
			assert.Equal(t, "auth/"+mount+"/login", login.Path)
			assert.Empty(t, login.Token, "a login carries no token")
			var body map[string]any
			require.NoError(t, json.Unmarshal(login.Body, &body))
			assert.Equal(t, []string{"jwt", "role"}, slices.Sorted(maps.Keys(body)), "hvac's gcp.login body")
			assert.Equal(t, tt.role, body["role"])
			tokens := e.vault.LoginTokens()
			require.Len(t, tokens, 1, "one login for both reads")
			assert.Equal(t, tokens[0], reqs[1].Token)
			jwt, _ := body["jwt"].(string)

			signs := e.g.RequestsTo(gcpfake.APIIAM)
			if tt.account == "" { // gce
				assert.Empty(t, signs, "a gce login asks IAM nothing")
				var ids []gcpfake.Request
				for _, r := range e.g.RequestsTo(gcpfake.APIMetadata) {
					if strings.HasSuffix(r.Path, "/identity") {
						ids = append(ids, r)
					}
				}
				require.Len(t, ids, 1)
				assert.Equal(t, "http://vault/worker", ids[0].Query.Get("audience"))
				assert.Equal(t, "full", ids[0].Query.Get("format"))
				assert.Equal(t, gcpfake.GoogleCertKeyID, jwtPart(t, jwt, 0)["kid"])
				return
			}
			require.Len(t, signs, 1)
			project := tt.project
			if project == "" {
				project = gcpfake.ProjectID
			}
			assert.Equal(t, "/v1/projects/"+project+"/serviceAccounts/"+tt.account+":signJwt", signs[0].Path)
			assert.Equal(t, "Bearer "+tt.bearer, signs[0].Header.Get("Authorization"))
			var in struct {
				Payload string `json:"payload"`
			}
			require.NoError(t, json.Unmarshal(signs[0].Body, &in))
			var claims struct {
				Iat, Exp int64
				Sub, Aud string
			}
			require.NoError(t, json.Unmarshal([]byte(in.Payload), &claims))
			assert.Equal(t, tt.account, claims.Sub)
			assert.Equal(t, "vault/"+tt.role, claims.Aud)
			assert.Equal(t, int64(900), claims.Exp-claims.Iat, "Airflow's 15 minutes")
			kid, _ := e.g.SigningKey(tt.account)
			assert.Equal(t, kid, jwtPart(t, jwt, 0)["kid"], "IAM signed with the account's key")
			if tt.oauthScopes != nil {
				oauth := e.g.RequestsTo(gcpfake.APIOAuth2)
				require.Len(t, oauth, 1)
				assert.Equal(t, tt.oauthScopes, oauth[0].Scopes, "gcp_scopes, split at commas")
				assert.Equal(t, sa, oauth[0].Principal)
			}
		})
	}
}

// TestGCPAuthFailures: a key or credentials that cannot serve, IAM's
// refusal, and Vault's refusals fail the lookup with the reason, never as
// not found, and never quote a key.
func TestGCPAuthFailures(t *testing.T) {
	dir := t.TempDir()
	p12 := filepath.Join(dir, "key.p12")
	require.NoError(t, os.WriteFile(p12, []byte("not read"), 0o600))
	tests := []struct {
		name      string
		kw        func(e env) map[string]any
		env       func(e env) map[string]string
		fault     *gcpfake.Fault
		wantLogin bool // the login reached Vault
		want      string
	}{
		{name: "account not bound to the role", wantLogin: true, want: `service account "` + sa + `" is not authorized for role`,
			kw: func(e env) map[string]any { return map[string]any{"gcp_key_path": e.keyPath, "role_id": "md"} }},
		{name: "role unknown to Vault", wantLogin: true, want: `role "nobody" not found`,
			kw: func(e env) map[string]any { return map[string]any{"gcp_key_path": e.keyPath, "role_id": "nobody"} }},
		{name: "key Vault cannot fetch", wantLogin: true, want: "unable to get public key",
			kw: func(e env) map[string]any {
				other := "other@" + gcpfake.ProjectID + ".iam.gserviceaccount.com"
				return map[string]any{"gcp_keyfile_dict": string(e.g.ServiceAccountKey(other))}
			}},
		{name: "IAM refuses to sign", fault: &gcpfake.Fault{API: gcpfake.APIIAM, Status: "PERMISSION_DENIED", Message: "Permission 'iam.serviceAccounts.signJwt' denied on resource"},
			want: "IAM signJwt for " + sa + ": 403 PERMISSION_DENIED: Permission 'iam.serviceAccounts.signJwt' denied",
			kw:   func(e env) map[string]any { return map[string]any{"gcp_key_path": e.keyPath} }},
		{name: "key file missing", want: `reading gcp_key_path "` + filepath.Join(dir, "none.json") + `": no such file`,
			kw: func(env) map[string]any { return map[string]any{"gcp_key_path": filepath.Join(dir, "none.json")} }},
		{name: "P12 key file", want: "Legacy P12 key file are not supported, use a JSON key file",
			kw: func(env) map[string]any { return map[string]any{"gcp_key_path": p12} }},
		{name: "keyfile dict of a user", want: `gcp_keyfile_dict is not a service-account key (type "authorized_user")`,
			kw: func(e env) map[string]any {
				return map[string]any{"gcp_keyfile_dict": string(e.g.AuthorizedUser("client-1"))}
			}},
		{name: "ADC of a user", want: `could not determine the service account email from Application Default Credentials of type "authorized_user"`,
			env: func(e env) map[string]string {
				p := filepath.Join(dir, "adc.json")
				require.NoError(t, os.WriteFile(p, e.g.AuthorizedUser("client-2"), 0o600))
				return map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": p}
			}},
		{name: "gce login against an iam role", wantLogin: true, want: "unable to get public key",
			kw: func(env) map[string]any { return map[string]any{"gcp_role_type": "gce"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.env != nil {
				for k, v := range tt.env(e) {
					t.Setenv(k, v)
				}
			}
			if tt.fault != nil {
				e.g.AddFault(*tt.fault)
			}
			kw := map[string]any{"url": e.vault.URL, "auth_type": "gcp", "role_id": "airflow", "gcp_scopes": strings.Join(scopes, ",")}
			if tt.kw != nil {
				maps.Copy(kw, tt.kw(e))
			}
			b, err := open(t, kw, nil)
			require.NoError(t, err)
			_, err = b.Lookup(t.Context(), varReq("hello"))
			require.Error(t, err)
			assert.NotErrorIs(t, err, resolver.ErrNotFound)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "PRIVATE KEY")
			assert.NotContains(t, err.Error(), "fake-client-secret")
			assert.Equal(t, tt.wantLogin, e.vault.Count("auth/gcp/login") > 0)
			assert.Zero(t, e.vault.Count("secret/*"), "no read without a token")
			assert.Empty(t, e.vault.LoginTokens())
		})
	}
}

// TestGCPLogs: a login says where its credentials came from, the service
// account and the project, at debug level, without a key or a token.
func TestGCPLogs(t *testing.T) {
	e := newEnv(t)
	log := &testutil.SyncBuffer{}
	b, err := open(t, map[string]any{"url": e.vault.URL, "auth_type": "gcp", "role_id": "airflow", "gcp_scopes": scopes[0], "gcp_key_path": e.keyPath}, log)
	require.NoError(t, err)
	_, err = b.Lookup(t.Context(), varReq("hello"))
	require.NoError(t, err)
	var line string
	for l := range strings.SplitSeq(log.String(), "\n") {
		if strings.Contains(l, `msg="vault: gcp login"`) {
			line = l
		}
	}
	require.NotEmpty(t, line, log.String())
	for _, w := range []string{"level=DEBUG", "role_type=iam", "service_account=" + sa, "project=" + gcpfake.ProjectID, "gcp_key_path"} {
		assert.Contains(t, line, w)
	}
	for _, secret := range append([]string{"PRIVATE KEY", gcpfake.ServiceAccountToken(sa)}, e.vault.LoginTokens()...) {
		assert.NotContains(t, log.String(), secret)
	}
}

// TestGCPKeyFileSize: gcp_key_path is read up to 1 MiB (a key padded with
// blanks to exactly that loads); a larger file is refused with an error
// naming it and the limit, before any request (no token, no IAM, no
// login).
func TestGCPKeyFileSize(t *testing.T) {
	const limit = 1 << 20
	tests := []struct {
		name string
		size int
		want string // "" = the login works
	}{
		{name: "exactly 1 MiB", size: limit},
		{name: "1 MiB and a byte", size: limit + 1, want: "is larger than 1 MiB: not a service-account key file"},
		{name: "far larger", size: 4 * limit, want: "is larger than 1 MiB: not a service-account key file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			require.Less(t, len(e.key), tt.size)
			path := filepath.Join(t.TempDir(), "padded.json")
			require.NoError(t, os.WriteFile(path, append(e.key, bytes.Repeat([]byte(" "), tt.size-len(e.key))...), 0o600))
			b, err := open(t, map[string]any{"url": e.vault.URL, "auth_type": "gcp", "role_id": "airflow", "gcp_scopes": scopes[0], "gcp_key_path": path}, nil)
			require.NoError(t, err)
			v, err := b.Lookup(t.Context(), varReq("hello"))
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, "world", v)
				return
			}
			require.Error(t, err)
			assert.NotErrorIs(t, err, resolver.ErrNotFound)
			assert.Contains(t, err.Error(), `gcp_key_path "`+path+`" `+tt.want)
			assert.NotContains(t, err.Error(), "PRIVATE KEY")
			assert.Empty(t, e.g.RequestsTo(gcpfake.APIOAuth2), "no token asked for")
			assert.Empty(t, e.g.RequestsTo(gcpfake.APIIAM), "nothing signed")
			assert.Empty(t, e.vault.Requests(), "no login")
		})
	}
}

// TestGCPServiceMessage: a Google service's error message is quoted on
// one line: its first line only, control and other non-printable
// characters as '?', cut at a rune boundary (never mid-rune) to 300 bytes
// with "..." after the cut.
func TestGCPServiceMessage(t *testing.T) {
	tests := []struct {
		name, message, want string
		notWant             string
	}{
		{name: "control characters", message: "denied\x1b[31m\tred\x7f\u200bend", want: ": denied?[31m red??end", notWant: "\x1b"},
		{name: "cut at a rune boundary", message: "x" + strings.Repeat("é", 200), want: ": x" + strings.Repeat("é", 149) + "..."},
		{name: "ASCII cut at 300 bytes", message: strings.Repeat("a", 400), want: ": " + strings.Repeat("a", 300) + "..."},
		{name: "short message kept whole", message: "Permission denied (ünïcode kept)", want: ": Permission denied (ünïcode kept)"},
		{name: "first line only", message: "first line\nsecond line", want: ": first line", notWant: "second line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.g.AddFault(gcpfake.Fault{API: gcpfake.APIIAM, Status: "PERMISSION_DENIED", Message: tt.message})
			b, err := open(t, map[string]any{"url": e.vault.URL, "auth_type": "gcp", "role_id": "airflow", "gcp_scopes": scopes[0], "gcp_key_path": e.keyPath}, nil)
			require.NoError(t, err)
			_, err = b.Lookup(t.Context(), varReq("hello"))
			require.Error(t, err)
			msg := err.Error()
			assert.Contains(t, msg, "IAM signJwt for "+sa+": 403 PERMISSION_DENIED"+tt.want)
			assert.True(t, utf8.ValidString(msg), "valid UTF-8: %q", msg)
			for _, r := range msg {
				assert.True(t, unicode.IsPrint(r), "printable: %q in %q", r, msg)
			}
			if tt.notWant != "" {
				assert.NotContains(t, msg, tt.notWant)
			}
		})
	}
}

// TestGCPJWTMasked: should Vault's answer to the login quote the request
// (a proxy or a verbose plugin; Vault's gcp method does not), the signed
// JWT sent is masked in the error, and the error still unwraps to
// Vault's.
func TestGCPJWTMasked(t *testing.T) {
	e := newEnv(t)
	e.vault.Fail(vaultfake.Fault{Path: "auth/gcp/login", Status: 400, Errors: []string{"login refused, request: "}, QuoteBody: true})
	b, err := open(t, map[string]any{"url": e.vault.URL, "auth_type": "gcp", "role_id": "airflow", "gcp_scopes": scopes[0], "gcp_key_path": e.keyPath}, nil)
	require.NoError(t, err)
	_, err = b.Lookup(t.Context(), varReq("hello"))
	require.Error(t, err)
	reqs := e.vault.Requests()
	require.NotEmpty(t, reqs)
	var body map[string]any
	require.NoError(t, json.Unmarshal(reqs[0].Body, &body))
	jwt, _ := body["jwt"].(string)
	require.NotEmpty(t, jwt, "the login sent a signed JWT")
	assert.NotContains(t, err.Error(), jwt)
	assert.Contains(t, err.Error(), `login refused, request: {"jwt":"***","role":"airflow"}`)
	var re *api.ResponseError
	require.ErrorAs(t, err, &re, "unwraps to Vault's answer")
	assert.Equal(t, 400, re.StatusCode)
}
