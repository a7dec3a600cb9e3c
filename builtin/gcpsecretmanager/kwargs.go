package gcpsecretmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/oauth2/google"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// settings are the backend_kwargs, decoded and checked, before any file
// is read or credential loaded.
type settings struct {
	opts Options // everything but Credentials

	keyPath    string // gcp_key_path
	keyfile    []byte // gcp_keyfile_dict, as JSON with private_key unescaped
	configPath string // gcp_credential_config_file naming a file
	configJSON []byte // gcp_credential_config_file holding the JSON
}

// parseKwargs decodes backend_kwargs (see the package doc). It reads no
// file and makes no request.
func parseKwargs(kw *config.Kwargs) (settings, error) {
	var s settings
	o := &s.opts
	ls, err := scheme.Parse(kw)
	if err != nil {
		return s, err
	}
	o.Connections, o.Variables, o.Configs = ls.Connections, ls.Variables, ls.Configs
	if kw.IsNull("sep") {
		return s, kwargErr("sep", "must be a string")
	}
	sep, err := kw.String("sep", DefaultSep)
	if err != nil {
		return s, err
	}
	o.Sep, o.NoSep = sep, sep == ""
	if o.ProjectID, err = kw.String("project_id", ""); err != nil {
		return s, err
	}
	if o.Endpoint, err = kw.String("endpoint", ""); err != nil {
		return s, err
	}
	if _, err := baseURL(o.Endpoint, DefaultEndpoint, `backend_kwargs key "endpoint"`); err != nil {
		return s, err
	}
	if o.Scopes, err = stringList(kw, "gcp_scopes", true); err != nil {
		return s, err
	}
	if o.ImpersonationChain, err = stringList(kw, "impersonation_chain", false); err != nil {
		return s, err
	}
	for _, p := range o.ImpersonationChain {
		if p == "" {
			return s, kwargErr("impersonation_chain", "holds an empty service account")
		}
	}

	if s.keyPath, err = kw.String("gcp_key_path", ""); err != nil {
		return s, err
	}
	if s.keyfile, err = keyfileDict(kw); err != nil {
		return s, err
	}
	if s.configPath, s.configJSON, err = credentialConfig(kw); err != nil {
		return s, err
	}
	var given []string
	for _, g := range []struct {
		key string
		set bool
	}{
		{"gcp_key_path", s.keyPath != ""},
		{"gcp_keyfile_dict", s.keyfile != nil},
		{"gcp_credential_config_file", s.configPath != "" || s.configJSON != nil},
	} {
		if g.set {
			given = append(given, g.key)
		}
	}
	if len(given) > 1 {
		return s, fmt.Errorf("%w: backend_kwargs keys %s are mutually exclusive: give one", config.ErrInvalid, strings.Join(given, ", "))
	}
	poll, err := kit.ReadPollKwargs(kw)
	if err != nil {
		return s, err
	}
	o.ChangesPollInterval, o.ChangesPollJitter = poll.Interval, poll.Jitter
	if o.ExpireAtNextRotation, err = kw.Bool(expireKey, false); err != nil {
		return s, err
	}
	if err := kw.CheckUnused(Name); err != nil {
		return s, err
	}
	return s, nil
}

// stringList reads a key holding a string or a list of strings. With
// commas, a string is split at commas (gcp_scopes: Airflow's comma-separated
// scopes); blank elements are dropped.
func stringList(kw *config.Kwargs, key string, commas bool) ([]string, error) {
	var raw json.RawMessage
	if ok, err := kw.Decode(key, &raw); err != nil || !ok {
		return nil, err
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if !commas {
			one = strings.TrimSpace(one)
			if one == "" {
				return nil, nil
			}
			return []string{one}, nil
		}
		var out []string
		for _, p := range strings.Split(one, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, kwargErr(key, "must be a string or a list of strings")
	}
	out := make([]string, 0, len(list))
	for _, p := range list {
		p = strings.TrimSpace(p)
		if p == "" && !commas {
			return nil, kwargErr(key, "holds an empty element")
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// keyfileDict reads gcp_keyfile_dict: a JSON object, or a string holding
// one (as Airflow's connection form stores it). Like Airflow it turns the
// two characters `\n` in private_key into newlines.
func keyfileDict(kw *config.Kwargs) ([]byte, error) {
	const key = "gcp_keyfile_dict"
	obj, err := jsonObject(kw, key)
	if obj == nil || err != nil {
		return nil, err
	}
	if pk, ok := obj["private_key"]; ok {
		var s string
		if json.Unmarshal(pk, &s) != nil {
			return nil, kwargErr(key, "has a private_key that is not a string")
		}
		obj["private_key"], _ = json.Marshal(strings.ReplaceAll(s, `\n`, "\n"))
	}
	if _, ok := obj["type"]; !ok {
		// Airflow builds service-account credentials from it whatever it
		// says; golang.org/x/oauth2 wants the type.
		obj["type"] = json.RawMessage(`"service_account"`)
	}
	return json.Marshal(obj)
}

// credentialConfig reads gcp_credential_config_file: a path, or the
// configuration itself as a JSON object or a string starting with "{".
func credentialConfig(kw *config.Kwargs) (path string, data []byte, err error) {
	const key = "gcp_credential_config_file"
	var raw json.RawMessage
	if ok, err := kw.Decode(key, &raw); err != nil || !ok {
		return "", nil, err
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return strings.TrimSpace(s), nil, nil
	}
	obj, err := jsonObject(kw, key)
	if err != nil {
		return "", nil, err
	}
	data, err = json.Marshal(obj)
	return "", data, err
}

// jsonObject reads key as a JSON object, given as one or as a string
// holding one; nil when the key is absent, null or "".
func jsonObject(kw *config.Kwargs, key string) (map[string]json.RawMessage, error) {
	var raw json.RawMessage
	if ok, err := kw.Decode(key, &raw); err != nil || !ok {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		raw = []byte(s)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		where := "not an object"
		if err != nil {
			where = jsonWhere(err)
		}
		return nil, kwargErr(key, "must be a JSON object ("+where+")")
	}
	return obj, nil
}

func kwargErr(key, msg string) error { return kit.KwargError(key, msg) }

// credentials loads the credentials the settings name, or returns nil for
// Application Default Credentials.
func (s *settings) credentials(ctx context.Context) (*google.Credentials, error) {
	scopes := s.opts.Scopes
	if len(scopes) == 0 {
		scopes = []string{DefaultScope}
	}
	ctx = authContext(ctx, s.opts.HTTPClient)
	switch {
	case s.keyPath != "":
		const what = `gcp_key_path`
		switch {
		case strings.HasSuffix(s.keyPath, ".p12"):
			return nil, credErr(what, "is a legacy P12 key, which is not supported: use a JSON key file")
		case !strings.HasSuffix(s.keyPath, ".json"):
			return nil, credErr(what, "does not end in .json (Airflow reads JSON key files only)")
		}
		data, err := os.ReadFile(s.keyPath)
		if err != nil {
			return nil, credErr(what, "cannot be read: "+err.Error())
		}
		return serviceAccountCredentials(ctx, data, fmt.Sprintf("%s %q", what, s.keyPath), scopes)
	case s.keyfile != nil:
		return serviceAccountCredentials(ctx, s.keyfile, "gcp_keyfile_dict", scopes)
	case s.configPath != "":
		data, err := os.ReadFile(s.configPath)
		if err != nil {
			return nil, credErr("gcp_credential_config_file", "cannot be read: "+err.Error())
		}
		return configCredentials(ctx, data, fmt.Sprintf("gcp_credential_config_file %q", s.configPath), scopes)
	case s.configJSON != nil:
		return configCredentials(ctx, s.configJSON, "gcp_credential_config_file", scopes)
	}
	return nil, nil
}

// open builds a Backend from env's backend_kwargs (see the package doc);
// it logs to env.Logger.
func open(ctx context.Context, env resolver.Env) (resolver.Backend, error) {
	s, err := parseKwargs(env.Kwargs)
	if err != nil {
		return nil, err
	}
	if s.opts.MultiTeam, err = env.Config.Bool("core", "multi_team", false); err != nil {
		return nil, err
	}
	if s.opts.Credentials, err = s.credentials(ctx); err != nil {
		return nil, err
	}
	s.opts.Logger = env.Logger
	return New(ctx, s.opts)
}
