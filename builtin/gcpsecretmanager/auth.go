package gcpsecretmanager

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/secretpath/secretpath/resolver/config"
)

// defaultTokenClient fetches tokens when Options.HTTPClient is nil: a
// token endpoint that hangs must not hold lookups forever.
var defaultTokenClient = &http.Client{Timeout: 30 * time.Second}

func tokenClient(hc *http.Client) *http.Client {
	if hc != nil {
		return hc
	}
	return defaultTokenClient
}

// authContext is the context token sources keep for their token
// requests: ctx's values without its cancellation (a token source outlives
// the call that built it), with hc as the HTTP client unless ctx already
// names one and hc is nil.
func authContext(ctx context.Context, hc *http.Client) context.Context {
	ctx = context.WithoutCancel(ctx)
	if _, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && hc == nil {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, tokenClient(hc))
}

// impersonator gets access tokens for a service account from IAM
// Credentials' generateAccessToken, authenticated by source.
type impersonator struct {
	ctx       context.Context
	client    *http.Client
	url       string
	target    string
	source    oauth2.TokenSource
	delegates []string
	scopes    []string
}

// impersonationLifetime is the tokens' lifetime, Google's default.
const impersonationLifetime = "3600s"

func newImpersonator(ctx context.Context, client *http.Client, iamBase string, source oauth2.TokenSource, target string, delegates, scopes []string) oauth2.TokenSource {
	im := &impersonator{
		ctx:    ctx,
		client: client,
		url:    iamBase + "/v1/projects/-/serviceAccounts/" + url.PathEscape(target) + ":generateAccessToken",
		target: target,
		source: source,
		scopes: scopes,
	}
	for _, d := range delegates {
		im.delegates = append(im.delegates, "projects/-/serviceAccounts/"+d)
	}
	return oauth2.ReuseTokenSource(nil, im)
}

// Token asks IAM Credentials for a token of the target account.
func (im *impersonator) Token() (*oauth2.Token, error) {
	src, err := im.source.Token()
	if err != nil {
		return nil, err
	}
	in := map[string]any{"scope": im.scopes, "lifetime": impersonationLifetime}
	if len(im.delegates) > 0 {
		in["delegates"] = im.delegates
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(im.ctx, http.MethodPost, im.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	src.SetAuthHeader(req)
	resp, err := im.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("impersonating %s: %w", im.target, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if err := readBody(&buf, resp.Body); err != nil {
		return nil, fmt.Errorf("impersonating %s: %w", im.target, err)
	}
	b := buf.Bytes()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("impersonating %s: %w", im.target, parseAPIError(resp.StatusCode, b))
	}
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpireTime  string `json:"expireTime"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("impersonating %s: %w: %s", im.target, errDecode, jsonWhere(err))
	}
	exp, err := time.Parse(time.RFC3339Nano, out.ExpireTime)
	if err != nil || out.AccessToken == "" {
		return nil, fmt.Errorf("impersonating %s: %w: no accessToken or expireTime", im.target, errDecode)
	}
	return &oauth2.Token{AccessToken: out.AccessToken, TokenType: "Bearer", Expiry: exp}, nil
}

// configTypes are the credential configuration types
// gcp_credential_config_file accepts (google.auth.load_credentials_from_file's,
// less GDCH).
var configTypes = map[string]bool{
	string(google.ServiceAccount):                true,
	string(google.AuthorizedUser):                true,
	string(google.ExternalAccount):               true,
	string(google.ExternalAccountAuthorizedUser): true,
	string(google.ImpersonatedServiceAccount):    true,
}

// serviceAccountCredentials loads a service-account key, checking it
// first so that a broken key is a configuration error now rather than a
// token error at the first lookup. what names its origin in errors.
func serviceAccountCredentials(ctx context.Context, data []byte, what string, scopes []string) (*google.Credentials, error) {
	var key struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if err := json.Unmarshal(data, &key); err != nil {
		return nil, credErr(what, "is not a JSON key: "+jsonWhere(err))
	}
	switch {
	case key.Type != string(google.ServiceAccount):
		return nil, credErr(what, fmt.Sprintf("is not a service-account key (type %q)", key.Type))
	case key.ClientEmail == "":
		return nil, credErr(what, "has no client_email")
	}
	if err := checkPrivateKey(key.PrivateKey); err != nil {
		return nil, credErr(what, "private_key "+err.Error())
	}
	creds, err := google.CredentialsFromJSONWithTypeAndParams(ctx, data, google.ServiceAccount, google.CredentialsParams{Scopes: scopes})
	if err != nil {
		return nil, credErr(what, "did not load: "+clean(err.Error()))
	}
	return creds, nil
}

// configCredentials loads a credential configuration of any type
// configTypes lists.
func configCredentials(ctx context.Context, data []byte, what string, scopes []string) (*google.Credentials, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, credErr(what, "is not a JSON credential configuration: "+jsonWhere(err))
	}
	if head.Type == string(google.ServiceAccount) {
		return serviceAccountCredentials(ctx, data, what, scopes)
	}
	if !configTypes[head.Type] {
		return nil, credErr(what, fmt.Sprintf("has credential type %q; supported: service_account, authorized_user, external_account, external_account_authorized_user, impersonated_service_account", head.Type))
	}
	creds, err := google.CredentialsFromJSONWithTypeAndParams(ctx, data, google.CredentialsType(head.Type), google.CredentialsParams{Scopes: scopes})
	if err != nil {
		return nil, credErr(what, "did not load: "+clean(err.Error()))
	}
	return creds, nil
}

// checkPrivateKey checks that a key parses the way golang.org/x/oauth2's
// JWT signer parses it: an RSA key in PKCS#8 or PKCS#1, PEM-armoured or
// not. Errors never quote the key.
func checkPrivateKey(text string) error {
	if text == "" {
		return errors.New("is missing")
	}
	der := []byte(text)
	if block, _ := pem.Decode(der); block != nil {
		der = block.Bytes
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if _, ok := k.(*rsa.PrivateKey); ok {
			return nil
		}
		return errors.New("is not an RSA key")
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return nil
	}
	return errors.New("is not a PEM RSA private key (PKCS#8 or PKCS#1)")
}

func credErr(what, msg string) error {
	return fmt.Errorf("%w: %s: %s %s", config.ErrInvalid, Name, what, msg)
}
