package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// settings are the kwargs that configure the HTTP client rather than
// Options' plain fields.
type settings struct {
	verify         *bool  // nil: Vault's environment
	caCert         string // verify given as a path
	certFile       string
	keyFile        string
	proxies        map[string]string
	allowRedirects *bool
}

// open is the registered Factory: it builds a Backend from env.Kwargs
// (see the package doc), with [core] multi_team from the config file
// (Airflow's conf.getboolean, default false; a nil Config reads as
// unset), that logs to env.Logger (token renewals, re-logins, and a
// registered AuthMethod's logins).
func open(_ context.Context, env resolver.Env) (resolver.Backend, error) {
	o, s, err := optionsFromKwargs(env.Kwargs)
	if err != nil {
		return nil, err
	}
	if o.MultiTeam, err = env.Config.Bool("core", "multi_team", false); err != nil {
		return nil, err
	}
	if err := env.Kwargs.CheckUnused(Name); err != nil {
		return nil, err
	}
	o.settings = &s
	o.Logger = env.Logger
	return New(o)
}

// optionsFromKwargs decodes backend_kwargs. It reads no file and no
// environment and makes no request.
func optionsFromKwargs(kw *config.Kwargs) (Options, settings, error) {
	var o Options
	var s settings
	var err error
	str := func(key string, dst *string) {
		if err == nil {
			*dst, err = kw.String(key, *dst)
		}
	}
	var lists [3][]location.Location
	for i, key := range pathKwargs {
		var l location.Location
		if l, lists[i], err = parsePath(kw, key); err != nil {
			return o, s, err
		}
		*[3]*location.Location{&o.Connections, &o.Variables, &o.Configs}[i] = l
	}
	o.ConnectionsPaths, o.VariablesPaths, o.ConfigsPaths = lists[0], lists[1], lists[2]

	// team paths: use_team_secrets_path, global_secrets_path (teams.go).
	if err := teamKwargs(kw, &o); err != nil {
		return o, s, err
	}

	mount, on, err := kw.OptString("mount_point", DefaultMountPoint)
	if err != nil {
		return o, s, err
	}
	if !on || strings.Trim(mount, "/") == "" {
		o.MountFromID = true // Airflow: `if not self.mount_point`
	} else if hasDotSegment(mount) {
		return o, s, fmt.Errorf("%w: %s: backend_kwargs key mount_point has a \".\" or \"..\" path segment", config.ErrInvalid, Name)
	} else {
		o.MountPoint = mount
	}
	if o.KVVersion, err = kw.Int("kv_engine_version", DefaultKVVersion); err != nil {
		return o, s, err
	}
	if o.KVVersion != 1 && o.KVVersion != 2 {
		return o, s, fmt.Errorf("%w: %s: the version is not supported: %d; it should be one of [1, 2]", config.ErrInvalid, Name, o.KVVersion)
	}
	str("url", &o.Address)
	str("namespace", &o.Namespace)

	a := &o.Auth
	a.Type = AuthToken
	a.KubernetesJWTPath = DefaultKubernetesJWTPath
	str("auth_type", &a.Type)
	str("auth_mount_point", &a.MountPoint)
	str("token", &a.Token)
	str("token_path", &a.TokenPath)
	str("role_id", &a.RoleID)
	str("secret_id", &a.SecretID)
	str("username", &a.Username)
	str("password", &a.Password)
	str("kubernetes_role", &a.KubernetesRole)
	str("jwt_role", &a.JWTRole)
	str("jwt_token", &a.JWT)
	str("jwt_token_path", &a.JWTPath)
	str("cert_role", &a.CertRole)
	str("key_id", &a.KeyID)
	str("region", &a.Region)
	if err != nil {
		return o, s, err
	}
	var assume map[string]json.RawMessage
	if _, err := kw.Decode("assume_role_kwargs", &assume); err != nil {
		return o, s, err
	}
	if a.Type == AuthAWSIAM {
		if a.AssumeRole, err = parseAssumeRole(assume); err != nil {
			return o, s, err
		}
	}
	// null switches the default off (Airflow: then an error for kubernetes).
	if a.KubernetesJWTPath, _, err = kw.OptString("kubernetes_jwt_path", DefaultKubernetesJWTPath); err != nil {
		return o, s, err
	}
	// auth azure/gcp/radius
	if err := decodeCloudAuth(kw, a); err != nil {
		return o, s, err
	}

	// hvac's timeout, in seconds (default 30; 0: no bound).
	if o.Timeout, err = kit.Seconds(kw, "timeout", 1e9, "must be a number of seconds >= 0"); err != nil {
		return o, s, err
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}

	if err := pollKwargs(kw, &o); err != nil {
		return o, s, err
	}
	if err := s.decode(kw); err != nil {
		return o, s, err
	}
	// hvac's Adapter options Airflow forwards with hvac.Client(**kwargs):
	// they change nothing a lookup does here, so they are accepted and
	// named in a warning (Vault's Go client always sends X-Vault-Request).
	for _, key := range []string{"strict_http", "request_header", "ignore_exceptions"} {
		if kw.Has(key) {
			if _, err := kw.Decode(key, new(any)); err != nil {
				return o, s, err
			}
			o.warnings = append(o.warnings, fmt.Sprintf("%s: backend_kwargs key %s (an hvac adapter option) is accepted and ignored: it changes nothing for these lookups", Name, key))
		}
	}
	for _, key := range []string{"session", "adapter"} {
		if kw.Has(key) {
			_, _ = kw.Decode(key, new(any)) // marks the key used; the error is ours
			return o, s, fmt.Errorf("%w: %s: backend_kwargs key %q (a Python object) is not supported", config.ErrInvalid, Name, key)
		}
	}
	if err := o.Auth.validate(func(string) string { return "" }); err != nil && !isTokenFromEnv(&o.Auth) {
		return o, s, err
	}
	return o, s, nil
}

// pathKwargs are the kinds' path kwargs: connections, variables, configs.
var pathKwargs = [3]string{"connections_path", "variables_path", "config_path"}

// parsePath reads path kwarg key: absent, the default (the zero
// Location); null, off; a string, that path ("" = the id alone); a list
// of strings, those paths tried in order (newest Airflow, PR #70006),
// returned as the list. A path with a "." or ".." segment, an empty list
// and an element that is not a string (null included) are configuration
// errors naming the key.
func parsePath(kw *config.Kwargs, key string) (location.Location, []location.Location, error) {
	if !kw.Has(key) {
		return location.Location{}, nil, nil
	}
	var v any
	if _, err := kw.Decode(key, &v); err != nil {
		return location.Location{}, nil, err
	}
	switch v := v.(type) {
	case nil:
		return location.Location{Off: true}, nil, nil
	case string:
		l, err := pathLocation(key, v)
		return l, nil, err
	case []any:
		if len(v) == 0 {
			return location.Location{}, nil, fmt.Errorf("%w: %s: backend_kwargs key %s is an empty list (null switches the kind off)", config.ErrInvalid, Name, key)
		}
		list := make([]location.Location, len(v))
		for i, e := range v {
			p, ok := e.(string)
			if !ok {
				return location.Location{}, nil, fmt.Errorf("%w: %s: backend_kwargs key %s[%d] must be a string (a path; \"\" for the id alone)", config.ErrInvalid, Name, key, i)
			}
			var err error
			if list[i], err = pathLocation(fmt.Sprintf("%s[%d]", key, i), p); err != nil {
				return location.Location{}, nil, err
			}
		}
		return location.Location{}, list, nil
	}
	return location.Location{}, nil, fmt.Errorf("%w: %s: backend_kwargs key %s must be a string, a list of strings or null", config.ErrInvalid, Name, key)
}

// pathLocation is the Location of path p, given as key.
func pathLocation(key, p string) (location.Location, error) {
	if err := scheme.Check(key, p); err != nil {
		return location.Location{}, err
	}
	return location.Location{Prefix: p, NoPrefix: p == ""}, nil
}

// isTokenFromEnv: token auth without token or token_path, which New
// resolves with VAULT_TOKEN.
func isTokenFromEnv(a *Auth) bool {
	return a.Type == AuthToken && a.Token == "" && a.TokenPath == ""
}

// verify is read as requests (under hvac) takes it: a boolean, or the path
// of a CA bundle ("" is as if absent: Vault's environment decides).
var verify = kit.VerifyKwarg{Key: "verify", Want: "must be a boolean or a CA bundle path"}

func (s *settings) decode(kw *config.Kwargs) error {
	v, err := verify.Parse(kw)
	if err != nil {
		return err
	}
	if v.Given {
		ok := !v.Insecure
		s.verify, s.caCert = &ok, v.CABundle
	}

	if kw.Has("cert") && !kw.IsNull("cert") {
		var v any
		if _, err := kw.Decode("cert", &v); err != nil {
			return err
		}
		bad := fmt.Errorf("%w: backend_kwargs key %q must be a file path or [cert_file, key_file]", config.ErrInvalid, "cert")
		switch v := v.(type) {
		case string:
			if v == "" {
				return bad
			}
			s.certFile, s.keyFile = v, v // one PEM file holding both, as requests takes
		case []any:
			if len(v) != 2 {
				return bad
			}
			c, ok1 := v[0].(string)
			k, ok2 := v[1].(string)
			if !ok1 || !ok2 || c == "" || k == "" {
				return bad
			}
			s.certFile, s.keyFile = c, k
		default:
			return bad
		}
	} else {
		_, _ = kw.Decode("cert", new(any)) // null: marks the key used
	}

	var proxies map[string]string
	if _, err := kw.Decode("proxies", &proxies); err != nil {
		return err
	}
	for scheme, u := range proxies {
		if _, err := url.Parse(u); err != nil || u == "" {
			return fmt.Errorf("%w: backend_kwargs key %q: the %q proxy is not a URL", config.ErrInvalid, "proxies", scheme)
		}
	}
	s.proxies = proxies

	if kw.Has("allow_redirects") && !kw.IsNull("allow_redirects") {
		v, err := kw.Bool("allow_redirects", true)
		if err != nil {
			return err
		}
		s.allowRedirects = &v
	} else {
		_, _ = kw.Decode("allow_redirects", new(any)) // null: marks the key used
	}
	return nil
}

// apply sets the TLS, proxy and redirect options on cfg.
func (s *settings) apply(cfg *api.Config) error {
	if s.verify != nil || s.certFile != "" {
		t := &api.TLSConfig{ClientCert: s.certFile, ClientKey: s.keyFile, CACert: s.caCert}
		if s.verify != nil {
			t.Insecure = !*s.verify
		}
		if err := cfg.ConfigureTLS(t); err != nil {
			return fmt.Errorf("%w: %s: TLS (verify, cert): %v", config.ErrInvalid, Name, err)
		}
	}
	if len(s.proxies) > 0 {
		tr, ok := cfg.HttpClient.Transport.(*http.Transport)
		if !ok {
			return fmt.Errorf("%w: %s: proxies need an *http.Transport", config.ErrInvalid, Name)
		}
		proxies := s.proxies
		tr.Proxy = func(r *http.Request) (*url.URL, error) {
			u, ok := proxies[r.URL.Scheme]
			if !ok {
				u, ok = proxies["all"]
			}
			if !ok {
				return nil, nil
			}
			return url.Parse(u)
		}
	}
	if s.allowRedirects != nil {
		cfg.DisableRedirects = !*s.allowRedirects
	}
	return nil
}

// AssumeRole is Airflow's assume_role_kwargs for aws_iam auth: the role
// the default credentials assume (STS AssumeRole) before logging in.
// Airflow passes the whole dict to boto3's sts.assume_role, so every STS
// AssumeRole input is taken: Inputs holds them all, as given, by STS's
// names; the aws_iam method (package vaultaws, which links the AWS SDK)
// checks them when the backend is built (AuthMethod.Check) and sends them.
// The fields below are the ones this package reads itself.
type AssumeRole struct {
	RoleArn         string
	RoleSessionName string // "" = "secretpath-vault"
	ExternalID      string
	DurationSeconds int

	Inputs map[string]json.RawMessage
}

// String describes ar without ExternalID's value and with only the names
// of Inputs (TokenCode, Policy, Tags and the like stay out), so that
// printing an Auth or Options reveals nothing. RoleArn, RoleSessionName
// and DurationSeconds are shown.
func (ar AssumeRole) String() string {
	var b strings.Builder
	b.WriteString("vault.AssumeRole{RoleArn: " + ar.RoleArn)
	if ar.RoleSessionName != "" {
		b.WriteString(", RoleSessionName: " + ar.RoleSessionName)
	}
	if ar.DurationSeconds != 0 {
		b.WriteString(", DurationSeconds: " + strconv.Itoa(ar.DurationSeconds))
	}
	if ar.ExternalID != "" {
		b.WriteString(", ExternalID: ***")
	}
	if len(ar.Inputs) > 0 {
		b.WriteString(", Inputs: [" + strings.Join(slices.Sorted(maps.Keys(ar.Inputs)), " ") + "]")
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so %#v reveals nothing either.
func (ar AssumeRole) GoString() string { return ar.String() }

// Format prints String for every verb.
func (ar AssumeRole) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(ar.String())) }

// MarshalJSON encodes String, so that encoding/json reveals nothing.
func (ar AssumeRole) MarshalJSON() ([]byte, error) { return json.Marshal(ar.String()) }

// LogValue is String, for log/slog.
func (ar AssumeRole) LogValue() slog.Value { return slog.StringValue(ar.String()) }

// parseAssumeRole decodes assume_role_kwargs (boto3's assume_role
// arguments). RoleArn is required; RoleSessionName, ExternalId and
// DurationSeconds are read here, and every key is kept in Inputs for the
// aws_iam method to check and send.
func parseAssumeRole(raw map[string]json.RawMessage) (*AssumeRole, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	bad := func(key, want string) error {
		return fmt.Errorf("%w: backend_kwargs key %q: %s %s", config.ErrInvalid, "assume_role_kwargs", key, want)
	}
	ar := &AssumeRole{Inputs: raw}
	for k, v := range raw {
		switch k {
		case "RoleArn", "RoleSessionName", "ExternalId":
			var s string
			if json.Unmarshal(v, &s) != nil {
				return nil, bad(k, "must be a string")
			}
			switch k {
			case "RoleArn":
				ar.RoleArn = s
			case "RoleSessionName":
				ar.RoleSessionName = s
			default:
				ar.ExternalID = s
			}
		case "DurationSeconds":
			var f float64
			if json.Unmarshal(v, &f) != nil || f != float64(int(f)) || f < 0 {
				return nil, bad(k, "must be a whole number")
			}
			ar.DurationSeconds = int(f)
		}
	}
	if ar.RoleArn == "" {
		return nil, bad("RoleArn", "is required")
	}
	return ar, nil
}

// auth azure/gcp/radius

// cloudKwargs are the kwargs of the azure, gcp and radius auth types, by
// type (Airflow's names; gcp_role_type is ours).
var cloudKwargs = map[string][]string{
	AuthAzure:  {"azure_tenant_id", "azure_resource"},
	AuthGCP:    {"gcp_key_path", "gcp_keyfile_dict", "gcp_scopes", "gcp_role_type"},
	AuthRadius: {"radius_host", "radius_secret", "radius_port"},
}

// decodeCloudAuth reads the kwargs of a.Type, when it is azure, gcp or
// radius, into a. Those of the other types are accepted whatever their
// values and ignored, as Airflow ignores them.
func decodeCloudAuth(kw *config.Kwargs, a *Auth) error {
	for typ, keys := range cloudKwargs {
		if typ == a.Type {
			continue
		}
		for _, key := range keys {
			_, _ = kw.Decode(key, new(any)) // marks the key used
		}
	}
	var err error
	switch a.Type {
	case AuthAzure:
		if a.AzureTenantID, err = kw.String("azure_tenant_id", ""); err != nil {
			return err
		}
		a.AzureResource, err = kw.String("azure_resource", "")
		return err
	case AuthRadius:
		if a.RadiusHost, err = kw.String("radius_host", ""); err != nil {
			return err
		}
		if a.RadiusSecret, err = kw.String("radius_secret", ""); err != nil {
			return err
		}
		a.RadiusPort, err = kw.Int("radius_port", 0)
		return err
	case AuthGCP:
	default:
		return nil
	}
	if a.GCPKeyPath, err = kw.String("gcp_key_path", ""); err != nil {
		return err
	}
	if a.GCPRoleType, err = kw.String("gcp_role_type", ""); err != nil {
		return err
	}
	// gcp_scopes: Airflow's comma-separated string (a list is accepted).
	var scopes any
	if _, err := kw.Decode("gcp_scopes", &scopes); err != nil {
		return err
	}
	a.GCPScopes = nil
	switch v := scopes.(type) {
	case nil:
	case string:
		for _, sc := range strings.Split(v, ",") {
			if sc = strings.TrimSpace(sc); sc != "" {
				a.GCPScopes = append(a.GCPScopes, sc)
			}
		}
	case []any:
		for i, e := range v {
			sc, ok := e.(string)
			if !ok || strings.TrimSpace(sc) == "" {
				return fmt.Errorf("%w: %s: backend_kwargs key gcp_scopes[%d] must be a scope (a non-empty string)", config.ErrInvalid, Name, i)
			}
			a.GCPScopes = append(a.GCPScopes, strings.TrimSpace(sc))
		}
	default:
		return fmt.Errorf("%w: %s: backend_kwargs key gcp_scopes must be a comma-separated string or a list of strings", config.ErrInvalid, Name)
	}
	// gcp_keyfile_dict: a key as a JSON object (or a string holding one).
	// Errors never quote it.
	var keyfile any
	if _, err := kw.Decode("gcp_keyfile_dict", &keyfile); err != nil {
		return fmt.Errorf("%w: %s: backend_kwargs key gcp_keyfile_dict must be a JSON object (a service-account key)", config.ErrInvalid, Name)
	}
	a.GCPKeyfileJSON = ""
	switch v := keyfile.(type) {
	case nil:
	case string:
		if strings.TrimSpace(v) == "" {
			break // as if absent
		}
		var m map[string]any
		if json.Unmarshal([]byte(v), &m) != nil || m == nil {
			return fmt.Errorf("%w: %s: backend_kwargs key gcp_keyfile_dict is a string that does not hold a JSON object", config.ErrInvalid, Name)
		}
		a.GCPKeyfileJSON = v
	case map[string]any:
		if len(v) > 0 {
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("%w: %s: backend_kwargs key gcp_keyfile_dict: %v", config.ErrInvalid, Name, err)
			}
			a.GCPKeyfileJSON = string(b)
		}
	default:
		return fmt.Errorf("%w: %s: backend_kwargs key gcp_keyfile_dict must be a JSON object (a service-account key)", config.ErrInvalid, Name)
	}
	return nil
}
