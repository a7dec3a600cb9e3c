package secretpath_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// TestNoSecretInLogsOrTelemetry looks known secrets up through every local
// tier (a configured localfs backend, the environment, the SQLite
// metastore), with debug logging, traces and metrics on, through hits,
// misses, failing tiers, the stale grace and Explain, then scans every log
// record, span, span attribute, status, event, metric attribute and the
// formatted results for the secrets in plain, URL-encoded and JSON-escaped
// forms.
func TestNoSecretInLogsOrTelemetry(t *testing.T) {
	ctx := t.Context()
	secrets := []string{
		"Pl4nted/p@ss:w0rd+&é?#", // localfs connection password
		"Pl4nted-env-pw",         // environment connection password
		"Pl4nted db pw=1",        // metastore connection password
		"Pl4nted-var-value",      // localfs variable
		"Pl4nted-env-var",        // environment variable
		"Pl4nted-ms-var",         // metastore variable
		"Pl4nted-broken",         // inside an environment value that fails to parse
		"Pl4nted-extra-token",    // inside a connection's extra
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	u := url.UserPassword("alice", secrets[0]).String()
	conns := write("conns.json", fmt.Sprintf(`{
		"files_conn": "postgres://%s@db.example:5432/app?token=%s"
	}`, u, url.QueryEscape(secrets[7])))
	vars := write("vars.json", fmt.Sprintf(`{"files_var": %q}`, secrets[3]))

	const key = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	dbPath := filepath.Join(dir, "airflow.db")
	ms, err := metastore.Open(metastore.Options{DSN: "sqlite:///" + dbPath, FernetKey: connection.NewSecret(key)})
	require.NoError(t, err)
	c, err := connection.FromFields("db_conn", map[string]any{"conn_type": "mysql", "host": "h", "login": "l", "password": secrets[2]})
	require.NoError(t, err)
	require.NoError(t, ms.SetConnection(ctx, c))
	require.NoError(t, ms.SetVariable(ctx, "db_var", secrets[5], ""))
	require.NoError(t, ms.Close())

	t.Setenv("AIRFLOW_CONN_ENV_CONN", "http://bob:"+url.QueryEscape(secrets[1])+"@env-host")
	t.Setenv("AIRFLOW_VAR_ENV_VAR", secrets[4])
	t.Setenv("AIRFLOW_CONN_BROKEN", "postgres://u:"+secrets[6]+"@host:99999/db") // fails to parse
	cfg, err := config.Parse("s.cfg", []byte(fmt.Sprintf(`[secrets]
backend = localfs
backend_kwargs = {"connections_file_path": %q, "variables_file_path": %q}
use_cache = true
cache_ttl_seconds = 1
stale_grace_seconds = 600
[database]
sql_alchemy_conn = sqlite:///%s
[core]
fernet_key = %s
`, conns, vars, dbPath, key)), os.Environ())
	require.NoError(t, err)

	var logs bytes.Buffer
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	r, err := resolver.Open(ctx, cfg,
		resolver.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		resolver.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))),
		resolver.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	require.NoError(t, err)
	defer r.Close()

	var out strings.Builder // everything a careless caller might print
	show := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(&out, "%v %+v %#v %s\n", v, v, v, b)
		slog.New(slog.NewJSONHandler(&out, nil)).Info("value", "v", v)
	}
	for range 2 { // a miss, then a hit
		for _, id := range []string{"files_conn", "env_conn", "db_conn"} {
			got, err := r.Connection(ctx, id)
			require.NoError(t, err, id)
			show(got)
			show(got.Password)
		}
		for _, id := range []string{"files_var", "env_var", "db_var"} {
			got, err := r.Variable(ctx, id)
			require.NoError(t, err, id)
			show(got)
		}
		_, err = r.Connection(ctx, "broken")
		require.Error(t, err)
		show(err)
		_, err = r.Variable(ctx, "absent")
		require.ErrorIs(t, err, resolver.ErrNotFound)
		show(err)
	}
	for _, id := range []string{"files_conn", "broken", "env_conn", "db_conn"} {
		x := r.Explain(ctx, resolver.Request{Kind: resolver.KindConnection, ID: id})
		show(x)
		for _, s := range x.Steps {
			show(s)
		}
	}
	show(cfg)

	// The stale path: the file breaks, the cached answer is served.
	time.Sleep(1100 * time.Millisecond) // past the 1 s TTL (Airflow's TTL is whole seconds)
	require.NoError(t, os.WriteFile(conns, []byte(`{"files_conn": `), 0o600))
	future := time.Now().Add(2 * time.Second)
	require.NoError(t, os.Chtimes(conns, future, future)) // localfs re-reads on a changed mtime
	got, err := r.Connection(ctx, "files_conn")
	require.NoError(t, err)
	show(got)

	var scanned strings.Builder
	scanned.WriteString(logs.String())
	scanned.WriteString(out.String())
	for _, s := range spans.Ended() {
		fmt.Fprintf(&scanned, "%s %v %v\n", s.Name(), s.Status(), s.Attributes())
		for _, e := range s.Events() {
			fmt.Fprintf(&scanned, "%s %v\n", e.Name, e.Attributes)
		}
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	fmt.Fprintf(&scanned, "%+v\n", rm)

	text := scanned.String()
	require.Contains(t, logs.String(), `"level":"DEBUG"`, "debug records were captured")
	require.Contains(t, logs.String(), "serving the cached answer past its TTL", "the stale path ran")
	require.NotEmpty(t, spans.Ended())
	for _, s := range secrets {
		js, _ := json.Marshal(s)
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s), string(js[1 : len(js)-1]), url.UserPassword("x", s).String()[2:]} {
			assert.NotContains(t, text, form, "secret %q leaked in form %q", s, form)
		}
	}
}
