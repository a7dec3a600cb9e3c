package awsssm_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestConfigKwargsRetries: config_kwargs.retries sets how many attempts a
// failing request gets (botocore's max_attempts counts retries,
// total_max_attempts every attempt; total wins).
func TestConfigKwargsRetries(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	tests := []struct {
		name    string
		retries map[string]any
		want    int
	}{
		{name: "max_attempts counts retries", retries: map[string]any{"max_attempts": 1}, want: 2},
		{name: "total_max_attempts", retries: map[string]any{"total_max_attempts": 1, "mode": "standard"}, want: 1},
		{name: "total wins", retries: map[string]any{"total_max_attempts": 2, "max_attempts": 5, "mode": "legacy"}, want: 2},
		{name: "adaptive", retries: map[string]any{"total_max_attempts": 2, "mode": "adaptive"}, want: 2},
		{name: "no retries", retries: map[string]any{"max_attempts": 0}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ClearFaults()
			f.ResetRequests()
			f.AddFault(awsfake.Fault{Target: awsfake.TargetGetParameter, Code: "InternalServerError", Status: 500})
			b := mustOpen(t, fakeKwargs(f, map[string]any{"config_kwargs": map[string]any{"retries": tt.retries}}))
			_, err := lookup(t.Context(), b, resolver.KindVariable, "v")
			require.Error(t, err)
			assert.Equal(t, tt.want, f.Count(awsfake.TargetGetParameter), "attempts")
		})
	}
}

// TestConfigKwargsReadTimeout: read_timeout bounds the wait for an answer
// (a hanging service fails fast although timeout_seconds is long).
func TestConfigKwargsReadTimeout(t *testing.T) {
	f := newFake(t)
	f.AddFault(awsfake.Fault{Target: awsfake.TargetGetParameter, Hang: true})
	b := mustOpen(t, fakeKwargs(f, map[string]any{
		"timeout_seconds": 60,
		"config_kwargs":   map[string]any{"read_timeout": 0.2, "connect_timeout": 1, "retries": map[string]any{"total_max_attempts": 1}},
	}))
	start := time.Now()
	_, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestConfigKwargsProxies: proxies sends the requests through the proxy of
// the endpoint's scheme.
func TestConfigKwargsProxies(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		out := r.Clone(r.Context())
		out.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		_, _ = w.Write(buf.Bytes())
	}))
	t.Cleanup(proxy.Close)

	b := mustOpen(t, fakeKwargs(f, map[string]any{"config_kwargs": map[string]any{"proxies": map[string]any{"http": proxy.URL}}}))
	got, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.NoError(t, err)
	assert.Equal(t, "value", got)
	assert.Equal(t, int32(1), proxied.Load())
}

// TestConfigKwargsRegion: config_kwargs.region_name is the region when
// region_name is not given.
func TestConfigKwargsRegion(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	kw := fakeKwargs(f, map[string]any{"config_kwargs": map[string]any{"region_name": awsfake.Region, "signature_version": "v4"}})
	delete(kw, "region_name")
	got, err := lookup(t.Context(), mustOpen(t, kw), resolver.KindVariable, "v")
	require.NoError(t, err)
	assert.Equal(t, "value", got)
}

// TestServiceConfig: as in Airflow's SystemsManagerParameterStoreBackend,
// the SSM client's endpoint is endpoint_url: service_config.ssm.endpoint_url
// (which would read another service's data than Airflow does) is ignored,
// with a warning naming it; service_config.sts.endpoint_url is where the
// role is assumed (endpoint_url never is).
func TestServiceConfig(t *testing.T) {
	f := newFake(t)
	f.SetAssumeRoleCredentials(assumedCreds)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	// A second fake, holding nothing, where the ignored entry points.
	other := awsfake.New(t)
	raw, err := json.Marshal(fakeKwargs(f, map[string]any{
		"role_arn": "arn:aws:iam::123456789012:role/airflow-secrets",
		"service_config": map[string]any{
			"ssm":            map[string]any{"endpoint_url": other.URL},
			"secretsmanager": map[string]any{"endpoint_url": other.URL},
			"sts":            map[string]any{"endpoint_url": f.URL},
		},
	}))
	require.NoError(t, err)
	kw, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	var logs bytes.Buffer
	b, err := resolver.OpenBackend(t.Context(), awsssm.Name, resolver.Env{Kwargs: kw, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	got, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.NoError(t, err)
	assert.Equal(t, "value", got)
	assert.Equal(t, 1, f.Count(awsfake.TargetAssumeRole))
	assert.Equal(t, 1, f.Count(awsfake.TargetGetParameter))
	assert.Zero(t, other.Count(""), "service_config.ssm.endpoint_url is not used")
	for _, key := range []string{"service_config.ssm.endpoint_url", "service_config.secretsmanager.endpoint_url"} {
		assert.Contains(t, logs.String(), key+" ignored, as Airflow's secrets backends ignore them; use endpoint_url")
	}
	assert.NotContains(t, logs.String(), "service_config.sts")
}

// TestKwargsIgnoredWarn: keys Airflow forwards that mean nothing here are
// accepted, and a warning names each.
func TestKwargsIgnoredWarn(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/variables/v", "value", awsfake.String)
	raw, err := json.Marshal(fakeKwargs(f, map[string]any{
		"api_version":    "2014-11-06",
		"config_kwargs":  map[string]any{"client_context_params": map[string]any{"x": 1}, "parameter_validation": false, "user_agent_extra": "x", "s3": map[string]any{"addressing_style": "path"}, "tcp_keepalive": true, "max_pool_connections": 5, "user_agent_appid": "airflow", "connect_timeout": nil},
		"service_config": map[string]any{"s3": map[string]any{"bucket_name": "b"}, "ssm": map[string]any{"verify": false}},
	}))
	require.NoError(t, err)
	kw, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	var logs bytes.Buffer
	b, err := resolver.OpenBackend(t.Context(), awsssm.Name, resolver.Env{Kwargs: kw, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	got, err := lookup(t.Context(), b, resolver.KindVariable, "v")
	require.NoError(t, err)
	assert.Equal(t, "value", got)
	for _, want := range []string{"backend_kwargs key api_version ignored", "config_kwargs.client_context_params ignored", "config_kwargs.parameter_validation", "config_kwargs.user_agent_extra", "config_kwargs.s3", "service_config.s3", "service_config.ssm.verify"} {
		assert.Contains(t, logs.String(), want)
	}
	for _, not := range []string{"tcp_keepalive", "max_pool_connections", "config_kwargs.user_agent_appid", "connect_timeout"} {
		assert.NotContains(t, logs.String(), not, "mapped keys are not warned about")
	}
}

// TestConfigKwargsIgnoreConfiguredEndpointURLs: botocore's
// ignore_configured_endpoint_urls. true: endpoints from the environment
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM) are not used, and the client
// goes to AWS's own endpoint (caught here by a loopback proxy that answers
// CONNECT with 403, so nothing leaves the machine); false: they are, even
// when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS says otherwise (botocore's
// Config wins); endpoint_url, given in the kwargs, always applies.
func TestConfigKwargsIgnoreConfiguredEndpointURLs(t *testing.T) {
	awsHost := "ssm." + awsfake.Region + ".amazonaws.com:443"
	tests := []struct {
		name     string
		ignore   any // config_kwargs.ignore_configured_endpoint_urls; nil: unset
		env      map[string]string
		kwargURL bool // endpoint_url in the kwargs
		wantAWS  bool // the request went to AWS's endpoint, not the fake
	}{
		{name: "unset: AWS_ENDPOINT_URL_SSM used", env: map[string]string{"AWS_ENDPOINT_URL_SSM": "fake"}},
		{name: "true: AWS_ENDPOINT_URL_SSM ignored", ignore: true, env: map[string]string{"AWS_ENDPOINT_URL_SSM": "fake"}, wantAWS: true},
		{name: "true: AWS_ENDPOINT_URL ignored", ignore: true, env: map[string]string{"AWS_ENDPOINT_URL": "fake"}, wantAWS: true},
		{name: "false wins over the environment's true (service)", ignore: false, env: map[string]string{"AWS_ENDPOINT_URL_SSM": "fake", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}},
		{name: "false wins over the environment's true (global)", ignore: false, env: map[string]string{"AWS_ENDPOINT_URL": "fake", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}},
		{name: "the environment's true alone", env: map[string]string{"AWS_ENDPOINT_URL_SSM": "fake", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, wantAWS: true},
		{name: "true: endpoint_url still applies", ignore: true, env: map[string]string{"AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:1"}, kwargURL: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.PutParameter("/airflow/variables/v", "value", awsfake.String)
			var mu sync.Mutex
			var connects []string
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				connects = append(connects, r.Method+" "+r.Host)
				mu.Unlock()
				http.Error(w, "the test's proxy forwards nothing", http.StatusForbidden)
			}))
			t.Cleanup(proxy.Close)
			for k, v := range tt.env {
				if v == "fake" {
					v = f.URL
				}
				t.Setenv(k, v)
			}
			ck := map[string]any{"proxies": map[string]any{"https": proxy.URL}, "retries": map[string]any{"total_max_attempts": 1}}
			if tt.ignore != nil {
				ck["ignore_configured_endpoint_urls"] = tt.ignore
			}
			kw := fakeKwargs(f, map[string]any{"config_kwargs": ck})
			if !tt.kwargURL {
				delete(kw, "endpoint_url")
			}
			got, err := lookup(t.Context(), mustOpen(t, kw), resolver.KindVariable, "v")
			mu.Lock()
			defer mu.Unlock()
			if tt.wantAWS {
				require.Error(t, err)
				assert.Equal(t, []string{"CONNECT " + awsHost}, connects)
				assert.Zero(t, f.Count(""))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "value", got)
			assert.Empty(t, connects)
			assert.Equal(t, 1, f.Count(awsfake.TargetGetParameter))
		})
	}
}
