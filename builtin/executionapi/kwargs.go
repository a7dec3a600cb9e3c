package executionapi

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TimeoutKey is the kwarg bounding a lookup, retries included.
const TimeoutKey = "timeout"

// factory builds the backend from [core] execution_api_server_url, the
// token variables and backend_kwargs. No token is a configuration error
// that also matches resolver.ErrNotFound: as a worker's third tier,
// resolver.Open then uses the metastore; as the configured backend, Open
// fails.
func factory(_ context.Context, env resolver.Env) (resolver.Backend, error) {
	timeout, err := kit.Seconds(env.Kwargs, TimeoutKey, 24*3600, "must be a number of seconds between 0 (no timeout) and 86400")
	if err != nil {
		return nil, err
	}
	if err := env.Kwargs.CheckUnused(Name); err != nil {
		return nil, err
	}
	o := Options{Timeout: timeout, Logger: env.Logger}
	o.Token, o.TokenFile = os.Getenv(TokenEnv), os.Getenv(TokenFileEnv)
	if o.Token == "" && o.TokenFile == "" {
		return nil, fmt.Errorf("%w: no token: neither %s nor %s is set (%w)", config.ErrInvalid, TokenEnv, TokenFileEnv, resolver.ErrNotFound)
	}
	if raw, ok := env.Config.Get("core", "execution_api_server_url"); ok && strings.TrimSpace(raw) != "" {
		if _, err := parseBase(raw); err != nil {
			return nil, env.Config.Section("core").Errorf("execution_api_server_url", "%s", err)
		}
		o.URL = raw
	}
	if o.TLS, err = tlsFromConfig(env.Config); err != nil {
		return nil, err
	}
	return New(o)
}
