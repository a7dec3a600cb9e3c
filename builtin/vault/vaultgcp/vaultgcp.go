// Package vaultgcp is the Vault backend's gcp auth method (Airflow's
// auth_type "gcp"): the login sends Vault's gcp auth method, POST
// auth/gcp/login, the role and a JWT Google signed, as hvac's gcp.login
// takes them.
//
// It lives apart from package vault because it needs Google's credential
// libraries (golang.org/x/oauth2/google and the metadata client), which
// the vault package does not link. Importing it, usually for its side
// effect only, registers the method with vault.RegisterAuthMethod:
//
//	import _ "github.com/secretpath/secretpath/builtin/vault/vaultgcp"
//
// The root package github.com/secretpath/secretpath and the secretpath
// command import it unless built with tag secretpath_no_gcp (or
// secretpath_no_vault). Without it, a Vault backend with auth_type gcp is a
// configuration error that names this package.
//
// The kwargs are decoded by package vault into vault.Auth, with Airflow's
// names. role_id is the Vault role (required). gcp_role_type (ours; "iam"
// by default) picks the role type of Vault's gcp method:
//
//   - iam, Airflow's login: Google credentials from gcp_key_path (a JSON
//     service-account key file), gcp_keyfile_dict (the key itself), or with
//     neither Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS,
//     gcloud's file, the GCE metadata server), with the OAuth scopes of
//     gcp_scopes (comma-separated, required as Airflow requires it), ask IAM
//     (projects.serviceAccounts.signJwt, IAM v1, as Airflow calls it) to sign
//     {"iat": now, "exp": now + 900, "sub": <the service account>, "aud":
//     "vault/<role>"} for the credentials' own service account, in the
//     credentials' project. The JWT is signed remotely, by IAM, even with a
//     key file, as Airflow does.
//   - gce: the instance identity token of the GCE metadata server, for
//     audience http://vault/<role>, format full (what Vault's gce roles
//     verify); no key and no scopes. Airflow has no such login.
//
// The default mount is "gcp". Each login logs (debug, to the backend's
// logger) where its credentials came from, the service account and the
// project, never a key or a token. Errors never quote a key, nor the
// signed JWT the login sent (masked should Vault's answer quote it); a
// gcp_key_path larger than 1 MiB is refused unread; a Google service's
// message is quoted on one line, at most 300 bytes, non-printable
// characters as '?'.
package vaultgcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"cloud.google.com/go/compute/metadata"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/builtin/vault"
)

// mount is the gcp method's default mount path.
const mount = "gcp"

// JWTLifetime is how long the JWTs IAM signs for an iam login are valid:
// Airflow's 15 minutes, Vault's default max_jwt_exp.
const JWTLifetime = 900 * time.Second

func init() {
	vault.RegisterAuthMethod(vault.AuthGCP, vault.AuthMethod{Mount: mount, Login: login, MaskBody: []string{"jwt"}})
}

// iamEndpoint is IAM's base URL (tests: export_test.go).
var iamEndpoint = "https://iam.googleapis.com"

// client makes the IAM and metadata requests: a service that hangs must
// not hold the login forever (the login's context bounds it too).
var client = &http.Client{Timeout: 30 * time.Second}

func login(ctx context.Context, req vault.LoginRequest) (map[string]any, error) {
	a := &req.Auth
	if a.GCPRoleType == vault.GCPRoleGCE {
		return gceLogin(ctx, req)
	}
	return iamLogin(ctx, req)
}

// gceLogin gets the instance identity token for the role from the
// metadata server.
func gceLogin(ctx context.Context, req vault.LoginRequest) (map[string]any, error) {
	role := req.Auth.RoleID
	q := url.Values{"audience": {"http://vault/" + role}, "format": {"full"}}
	tok, err := metadata.NewClient(client).GetWithContext(ctx, "instance/service-accounts/default/identity?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("%s: gcp: gce: the instance identity token from the metadata server: %w", vault.Name, err)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return nil, fmt.Errorf("%s: gcp: gce: the metadata server returned an empty identity token", vault.Name)
	}
	req.Logger.LogAttrs(ctx, slog.LevelDebug, "vault: gcp login", slog.String("role_type", vault.GCPRoleGCE),
		slog.String("credentials", "the GCE metadata server's identity token"))
	return map[string]any{"role": role, "jwt": tok}, nil
}

// account is the service account an iam login signs for.
type account struct {
	creds   *google.Credentials
	email   string
	project string
	source  string // where the credentials came from, for the log
}

// iamLogin has IAM sign the login JWT for the credentials' service
// account.
func iamLogin(ctx context.Context, req vault.LoginRequest) (map[string]any, error) {
	a := &req.Auth
	acct, err := credentials(ctx, a)
	if err != nil {
		return nil, err
	}
	now := time.Now().Unix()
	payload, err := json.Marshal(map[string]any{
		"iat": now, "exp": now + int64(JWTLifetime/time.Second), "sub": acct.email, "aud": "vault/" + a.RoleID,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: gcp: the JWT payload: %w", vault.Name, err)
	}
	tok, err := acct.creds.TokenSource.Token()
	if err != nil {
		return nil, fmt.Errorf("%s: gcp: an access token (%s): %w", vault.Name, acct.source, err)
	}
	project := acct.project
	if project == "" {
		project = "-" // IAM's wildcard: the account's own project
	}
	jwt, err := signJWT(ctx, tok, project, acct.email, payload)
	if err != nil {
		return nil, err
	}
	req.Logger.LogAttrs(ctx, slog.LevelDebug, "vault: gcp login", slog.String("role_type", vault.GCPRoleIAM),
		slog.String("credentials", acct.source), slog.String("service_account", acct.email), slog.String("project", project))
	return map[string]any{"role": a.RoleID, "jwt": jwt}, nil
}

// signJWT asks IAM v1 to sign payload for the service account email, as
// Airflow's iam.projects().serviceAccounts().signJwt does.
func signJWT(ctx context.Context, tok *oauth2.Token, project, email string, payload []byte) (string, error) {
	body, err := json.Marshal(map[string]string{"payload": string(payload)})
	if err != nil {
		return "", err
	}
	u := iamEndpoint + "/v1/projects/" + url.PathEscape(project) + "/serviceAccounts/" + url.PathEscape(email) + ":signJwt"
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("%s: gcp: IAM signJwt: %w", vault.Name, err)
	}
	r.Header.Set("Content-Type", "application/json")
	tok.SetAuthHeader(r)
	resp, err := client.Do(r)
	if err != nil {
		return "", fmt.Errorf("%s: gcp: IAM signJwt for %s: %w", vault.Name, email, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("%s: gcp: IAM signJwt for %s: %w", vault.Name, email, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct {
				Message string `json:"message"`
				Status  string `json:"status"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Status != "" {
			return "", fmt.Errorf("%s: gcp: IAM signJwt for %s: %d %s: %s", vault.Name, email, resp.StatusCode, e.Error.Status, oneLine(e.Error.Message))
		}
		return "", fmt.Errorf("%s: gcp: IAM signJwt for %s: HTTP %d", vault.Name, email, resp.StatusCode)
	}
	var out struct {
		SignedJWT string `json:"signedJwt"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.SignedJWT == "" {
		return "", fmt.Errorf("%s: gcp: IAM signJwt for %s: the answer holds no signedJwt", vault.Name, email)
	}
	return out.SignedJWT, nil
}

// credentials loads the iam login's credentials as Airflow's
// get_credentials_and_project_id does, and finds their service account.
func credentials(ctx context.Context, a *vault.Auth) (*account, error) {
	params := google.CredentialsParams{Scopes: a.GCPScopes}
	switch {
	case a.GCPKeyPath != "":
		switch ext := strings.ToLower(filepath.Ext(a.GCPKeyPath)); ext {
		case ".json":
		case ".p12":
			return nil, fmt.Errorf("%s: gcp: gcp_key_path %q: Legacy P12 key file are not supported, use a JSON key file", vault.Name, a.GCPKeyPath)
		default:
			return nil, fmt.Errorf("%s: gcp: gcp_key_path %q: Unrecognised extension for key file (want .json)", vault.Name, a.GCPKeyPath)
		}
		data, err := readKeyFile(a.GCPKeyPath)
		if err != nil {
			return nil, err
		}
		return serviceAccount(ctx, data, fmt.Sprintf("gcp_key_path %q", a.GCPKeyPath), params)
	case a.GCPKeyfileJSON != "":
		data, err := keyfileDict(a.GCPKeyfileJSON)
		if err != nil {
			return nil, err
		}
		return serviceAccount(ctx, data, "gcp_keyfile_dict", params)
	}
	creds, err := google.FindDefaultCredentialsWithParams(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("%s: gcp: Application Default Credentials: %s", vault.Name, oneLine(err.Error()))
	}
	acct := &account{creds: creds, project: creds.ProjectID}
	if len(creds.JSON) == 0 {
		// The GCE metadata server: its default account, as Airflow reads
		// it from refreshed Compute Engine credentials.
		acct.source = "Application Default Credentials (the GCE metadata server)"
		email, err := metadata.NewClient(client).GetWithContext(ctx, "instance/service-accounts/default/email")
		if err != nil {
			return nil, fmt.Errorf("%s: gcp: the service account of the GCE metadata server: %w", vault.Name, err)
		}
		acct.email = strings.TrimSpace(email)
		return acct, nil
	}
	acct.source = "Application Default Credentials (a credentials file)"
	var head struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		ImpURL      string `json:"service_account_impersonation_url"`
	}
	_ = json.Unmarshal(creds.JSON, &head)
	switch head.Type {
	case string(google.ServiceAccount):
		acct.email = head.ClientEmail
	case string(google.ImpersonatedServiceAccount):
		// .../serviceAccounts/<email>:generateAccessToken
		_, rest, _ := strings.Cut(head.ImpURL, "/serviceAccounts/")
		acct.email, _, _ = strings.Cut(rest, ":")
		acct.email, _ = url.PathUnescape(acct.email)
	}
	if acct.email == "" {
		return nil, fmt.Errorf("%s: gcp: could not determine the service account email from Application Default Credentials of type %q: the iam login signs a JWT for a service account (use gcp_key_path, gcp_keyfile_dict, or a service account's credentials)", vault.Name, head.Type)
	}
	return acct, nil
}

// keyfileDict is gcp_keyfile_dict as Airflow's credentials provider reads
// it: the two characters `\n` in private_key become newlines (a key pasted
// into one line), and a key without "type" is a service account's
// (google-auth's from_service_account_info does not ask; x/oauth2 does).
func keyfileDict(text string) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%s: gcp: gcp_keyfile_dict is not a JSON object", vault.Name)
	}
	if pk, ok := obj["private_key"]; ok {
		var s string
		if json.Unmarshal(pk, &s) != nil {
			return nil, fmt.Errorf("%s: gcp: gcp_keyfile_dict has a private_key that is not a string", vault.Name)
		}
		obj["private_key"], _ = json.Marshal(strings.ReplaceAll(s, `\n`, "\n"))
	}
	if _, ok := obj["type"]; !ok {
		obj["type"] = json.RawMessage(`"service_account"`)
	}
	return json.Marshal(obj)
}

// serviceAccount loads a service-account key (what names where it came
// from in errors, which never quote the key).
func serviceAccount(ctx context.Context, data []byte, what string, params google.CredentialsParams) (*account, error) {
	var key struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		ProjectID   string `json:"project_id"`
	}
	if err := json.Unmarshal(data, &key); err != nil {
		return nil, fmt.Errorf("%s: gcp: %s is not a JSON key", vault.Name, what)
	}
	switch {
	case key.Type != string(google.ServiceAccount):
		return nil, fmt.Errorf("%s: gcp: %s is not a service-account key (type %q)", vault.Name, what, key.Type)
	case key.ClientEmail == "":
		return nil, fmt.Errorf("%s: gcp: %s has no client_email", vault.Name, what)
	}
	creds, err := google.CredentialsFromJSONWithTypeAndParams(ctx, data, google.ServiceAccount, params)
	if err != nil {
		return nil, fmt.Errorf("%s: gcp: %s did not load (check its private_key)", vault.Name, what)
	}
	return &account{creds: creds, email: key.ClientEmail, project: key.ProjectID, source: what}, nil
}

// maxKeyFile bounds gcp_key_path: a service-account key is about 2 KiB.
const maxKeyFile = 1 << 20

// readKeyFile reads gcp_key_path with kit.ReadFile, at most maxKeyFile
// bytes: a larger file (a wrong path, a device) or one that is not a
// regular file (a named pipe would block the login) is an error naming
// it, never read whole. The errors never quote the content.
func readKeyFile(path string) ([]byte, error) {
	data, err := kit.ReadFile(path, maxKeyFile)
	switch {
	case errors.Is(err, kit.ErrFileTooLarge):
		return nil, fmt.Errorf("%s: gcp: gcp_key_path %q is larger than 1 MiB: not a service-account key file", vault.Name, path)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: gcp: reading gcp_key_path %q: %w", vault.Name, path, err)
	}
	return data, nil
}

// maxLine bounds oneLine's result, "..." excluded.
const maxLine = 300

// oneLine makes a service's message fit an error on one line: its first
// line, through kit.Printable (control characters and invalid UTF-8 made
// '?', cut at a rune boundary to at most maxLine bytes, then "...").
func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return kit.Printable(first, maxLine)
}
