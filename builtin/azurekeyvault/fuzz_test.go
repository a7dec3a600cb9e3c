package azurekeyvault_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

const fuzzSecret = "FUZZ-client-secret-never-echoed"

// FuzzKwargs: any backend_kwargs either build a backend or fail with a
// configuration error that does not echo the client secret; a built
// backend only ever names valid Key Vault secrets. No request is made.
func FuzzKwargs(f *testing.F) {
	srv := azurefake.New(f)
	azurefake.Isolate(f, srv)
	f.Add([]byte(`{"vault_url": "https://kv.vault.azure.net/"}`))
	f.Add([]byte(`{"vault_url": "https://kv.vault.azure.net/", "connections_prefix": null, "variables_prefix": "", "sep": "x"}`))
	f.Add([]byte(`{"vault_url": "https://kv.vault.azure.net/", "tenant_id": "t", "client_id": "c", "client_secret": "` + fuzzSecret + `"}`))
	f.Add([]byte(`{"vault_url": "https://kv.vault.azure.net/", "managed_identity_client_id": "m", "workload_identity_tenant_id": "w", "timeout_seconds": "0"}`))
	f.Add([]byte(`{"vault_url": "https://kv.vault.azure.net/", "connection_verify": false, "verify_challenge_resource": "false", "api_version": "7.4"}`))
	f.Add([]byte(`{"vault_url": "http://u:` + fuzzSecret + `@h/", "client_secret": "` + fuzzSecret + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		kw, err := config.ParseKwargs(data)
		if err != nil {
			return
		}
		b, err := resolver.OpenBackend(t.Context(), azurekeyvault.Name, resolver.Env{Kwargs: kw})
		if err != nil {
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("not a configuration error: %v", err)
			}
			if strings.Contains(err.Error(), fuzzSecret) {
				t.Fatalf("the error echoes the client secret: %v", err)
			}
			return
		}
		checkNames(t, b.(*azurekeyvault.Backend), "smtp_default", "a.b", "x__y", "")
	})
}

var keyVaultName = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)

// checkNames fails unless every id maps to a valid Key Vault name or to
// "not found".
func checkNames(t *testing.T, b *azurekeyvault.Backend, ids ...string) {
	t.Helper()
	for _, k := range []resolver.Kind{resolver.KindConnection, resolver.KindVariable, resolver.KindConfig} {
		for _, id := range ids {
			name, err := b.SecretName(resolver.Request{Kind: k, ID: id})
			switch {
			case err != nil && !errors.Is(err, resolver.ErrNotFound):
				t.Fatalf("%v %q: %v", k, id, err)
			case err == nil && !keyVaultName.MatchString(name):
				t.Fatalf("%v %q: invalid name %q", k, id, name)
			}
		}
	}
}

// FuzzSecretName: whatever the prefix, sep and id, the backend either
// refuses the configuration or names a valid secret, or answers "not
// found".
func FuzzSecretName(f *testing.F) {
	cred, err := azidentity.NewClientSecretCredential("t", "c", "s", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("airflow-connections", "-", "smtp_default")
	f.Add("", "-", "teama__db")
	f.Add("af_x--", "x0", "a.b_c")
	f.Add("p", "-", strings.Repeat("z", 130))
	f.Add("p", "--", "a--b")
	f.Add("p", "-", "grüße")
	f.Fuzz(func(t *testing.T, prefix, sep, id string) {
		b, err := azurekeyvault.New(azurekeyvault.Options{
			VaultURL:    "https://kv.vault.azure.net/",
			Credential:  cred,
			Connections: location.Location{Prefix: prefix, NoPrefix: prefix == ""},
			Sep:         sep,
		})
		if err != nil {
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("not a configuration error: %v", err)
			}
			return
		}
		checkNames(t, b, id)
		name, err := b.SecretName(resolver.Request{Kind: resolver.KindConnection, ID: id})
		if err == nil && strings.ContainsAny(id, "_.") && strings.ContainsAny(name, "_.") {
			t.Fatalf("%q: '_' and '.' must become sep: %q", id, name)
		}
	})
}

// FuzzResponse: whatever the vault answers (any status, any body), a
// lookup returns the decoded value or an error of one line that never
// quotes a 200 body (which holds the secret) nor the client secret; 404 is
// "not found", 403 "permission denied", nothing else is either.
func FuzzResponse(f *testing.F) {
	srv := newFake(f)
	b := newGo(f, srv, azurekeyvault.Options{})
	f.Add(200, []byte(`{"value": "v", "id": "https://x.vault.azure.net/secrets/k/0123", "attributes": {"enabled": true}}`))
	f.Add(200, []byte(`{"value": null}`))
	f.Add(200, []byte(`{"value": ["SECRET"]}`))
	f.Add(200, []byte(`{"value": "SECRET`))
	f.Add(200, []byte("\xef\xbb\xbf{\"value\": \"bom\"}"))
	f.Add(404, []byte(`{"error": {"code": "SecretNotFound", "message": "A secret with (name/id) k was not found in this key vault."}}`))
	f.Add(403, []byte(`{"error": {"code": "Forbidden", "message": "no", "innererror": {"code": "AccessDenied"}}}`))
	f.Add(429, []byte(`{"error": {"code": "Throttled"}}`))
	f.Add(401, []byte(`{"error": {"code": "Unauthorized", "message": "AKV10032"}}`))
	f.Add(500, []byte("<html>\n</html>"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 200 || status > 599 {
			status %= 400
			if status < 0 {
				status = -status
			}
			status += 200
		}
		srv.ClearFaults()
		srv.AddFault(azurefake.Fault{Status: status, Body: string(body) + " "})
		v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
		if err == nil {
			// The SDK reads the "value" member, exactly so named.
			var doc map[string]json.RawMessage
			var want string
			if status != http.StatusOK || json.Unmarshal(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), &doc) != nil ||
				json.Unmarshal(doc["value"], &want) != nil || want != v {
				t.Fatalf("status %d body %q: got value %q", status, body, v)
			}
			return
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || strings.Contains(msg, azurefake.ClientSecret) {
			t.Fatalf("bad error text: %q", msg)
		}
		if status == http.StatusOK && !strings.HasSuffix(msg, "details withheld: they can quote the secret)") && !strings.HasSuffix(msg, "the response carries no value") {
			t.Fatalf("a 200 answer gave an error that may quote its body: %q", msg)
		}
		if errors.Is(err, resolver.ErrNotFound) != (status == http.StatusNotFound) {
			t.Fatalf("status %d: not found = %v: %v", status, errors.Is(err, resolver.ErrNotFound), err)
		}
		if errors.Is(err, resolver.ErrPermissionDenied) != (status == http.StatusForbidden) {
			t.Fatalf("status %d: permission denied = %v: %v", status, errors.Is(err, resolver.ErrPermissionDenied), err)
		}
	})
}

// FuzzTeamNames: with multi_team on, whatever the team and id, every
// secret a lookup reads is either a global name (no "--" after the
// prefix) or one that, split at its last "--", gives back the caller's
// team and the id, mapped. So a team's name has one reading and no id
// reaches another mapped team's namespace (teams equal once mapped share
// one: see the package doc).
func FuzzTeamNames(f *testing.F) {
	cred, err := azidentity.NewClientSecretCredential("t", "c", "s", nil)
	if err != nil {
		f.Fatal(err)
	}
	b, err := azurekeyvault.New(azurekeyvault.Options{VaultURL: "https://kv.vault.azure.net/", Credential: cred, MultiTeam: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("team_a", "my_db")
	f.Add("team_a", "prod__conn")
	f.Add("team_b", "team_a__db")
	f.Add("team_a--prod", "conn")
	f.Add("t", "-x")
	f.Add("a-", "-b")
	f.Add("abc", "_y")
	f.Add("abc_", "y")
	f.Fuzz(func(t *testing.T, team, id string) {
		const prefix = "airflow-connections-"
		mapper := strings.NewReplacer("_", "-", ".", "-")
		mappedTeam, mappedID := mapper.Replace(team), mapper.Replace(id)
		names, err := b.SecretNames(resolver.Request{Kind: resolver.KindConnection, ID: id, Team: team})
		if err != nil {
			if !errors.Is(err, resolver.ErrNotFound) {
				t.Fatalf("not a not-found error: %v", err)
			}
			return
		}
		for _, name := range names {
			rest, ok := strings.CutPrefix(name, prefix)
			if !ok {
				t.Fatalf("%q: outside the prefix", name)
			}
			if !strings.Contains(rest, azurekeyvault.TeamSep) {
				continue
			}
			i := strings.LastIndex(rest, azurekeyvault.TeamSep)
			if team == "" || rest[:i] != mappedTeam || rest[i+len(azurekeyvault.TeamSep):] != mappedID {
				t.Fatalf("team %q id %q: %q is not the caller's own team's name", team, id, name)
			}
		}
	})
}
