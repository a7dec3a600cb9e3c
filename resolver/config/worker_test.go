package config

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func kwargsMap(t *testing.T, k *Kwargs) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, key := range k.Keys() {
		v, err := k.String(key, "")
		require.NoError(t, err)
		got[key] = v
	}
	return got
}

// TestWorkerPrecedence follows Airflow's
// _get_custom_secret_backend(worker_mode=True): [workers] secrets_backend
// with [workers] secrets_backend_kwargs, else [secrets] backend with
// [secrets] backend_kwargs; the per-key variables of the section used.
func TestWorkerPrecedence(t *testing.T) {
	const lfs = "airflow.secrets.local_filesystem.LocalFilesystemBackend"
	tests := []struct {
		name        string
		file        string
		env         []string
		wantBackend string
		wantKwargs  map[string]string
		wantWhere   string // BackendOrigin's section, key and where
	}{
		{"nothing set", "", nil, "", map[string]string{}, ""},
		{"[secrets] only", "[secrets]\nbackend = vault\nbackend_kwargs = {\"url\": \"s\"}\n", nil,
			"vault", map[string]string{"url": "s"}, "[secrets] backend airflow.cfg:2"},
		{"[workers] wins", "[secrets]\nbackend = vault\nbackend_kwargs = {\"url\": \"s\"}\n[workers]\nsecrets_backend = " + lfs + "\nsecrets_backend_kwargs = {\"variables_file_path\": \"w\"}\n", nil,
			lfs, map[string]string{"variables_file_path": "w"}, "[workers] secrets_backend airflow.cfg:5"},
		{"[workers] backend without kwargs takes none of [secrets]", "[secrets]\nbackend = vault\nbackend_kwargs = {\"url\": \"s\"}\n[workers]\nsecrets_backend = localfs\n", nil,
			"localfs", map[string]string{}, "[workers] secrets_backend airflow.cfg:5"},
		{"[workers] kwargs without a [workers] backend are not used", "[secrets]\nbackend = vault\nbackend_kwargs = {\"url\": \"s\"}\n[workers]\nsecrets_backend_kwargs = {\"url\": \"w\"}\n", nil,
			"vault", map[string]string{"url": "s"}, "[secrets] backend airflow.cfg:2"},
		{"blank [workers] backend falls back", "[secrets]\nbackend = vault\n[workers]\nsecrets_backend =\nsecrets_backend_kwargs = {\"url\": \"w\"}\n", nil,
			"vault", map[string]string{}, "[secrets] backend airflow.cfg:2"},
		{"env [workers] backend over the file's", "[workers]\nsecrets_backend = vault\n", []string{"AIRFLOW__WORKERS__SECRETS_BACKEND=localfs"},
			"localfs", map[string]string{}, "[workers] secrets_backend env AIRFLOW__WORKERS__SECRETS_BACKEND"},
		{"env blank [workers] backend falls back", "[secrets]\nbackend = vault\n[workers]\nsecrets_backend = localfs\n", []string{"AIRFLOW__WORKERS__SECRETS_BACKEND="},
			"vault", map[string]string{}, "[secrets] backend airflow.cfg:2"},
		{"per-key worker override", "[workers]\nsecrets_backend = vault\nsecrets_backend_kwargs = {\"role_id\": \"file\", \"url\": \"u\"}\n",
			[]string{"AIRFLOW__WORKERS__SECRETS_BACKEND_KWARG__ROLE_ID=env", "AIRFLOW__SECRETS__BACKEND_KWARG__URL=server"},
			"vault", map[string]string{"role_id": "env", "url": "u"}, "[workers] secrets_backend airflow.cfg:2"},
		{"per-key worker override without kwargs", "", []string{"AIRFLOW__WORKERS__SECRETS_BACKEND=vault", "airflow__workers__secrets_backend_kwarg__Secret_ID=" + cfgPlanted},
			"vault", map[string]string{"secret_id": cfgPlanted}, "[workers] secrets_backend env AIRFLOW__WORKERS__SECRETS_BACKEND"},
		{"on fallback the [secrets] per-key overrides apply, not the worker ones", "[secrets]\nbackend = vault\nbackend_kwargs = {\"url\": \"s\"}\n",
			[]string{"AIRFLOW__SECRETS__BACKEND_KWARG__URL=server", "AIRFLOW__WORKERS__SECRETS_BACKEND_KWARG__URL=worker"},
			"vault", map[string]string{"url": "server"}, "[secrets] backend airflow.cfg:2"},
		{"env worker kwargs over the file's", "[workers]\nsecrets_backend = vault\nsecrets_backend_kwargs = {\"url\": \"file\"}\n",
			[]string{`AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS={"url": "env"}`},
			"vault", map[string]string{"url": "env"}, "[workers] secrets_backend airflow.cfg:2"},
		{"[workers] options inherited from [DEFAULT]", "[DEFAULT]\nsecrets_backend = localfs\n[workers]\n", nil,
			"localfs", map[string]string{}, "[workers] secrets_backend airflow.cfg:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("airflow.cfg", []byte(tt.file), tt.env)
			require.NoError(t, err)
			w, err := c.Worker()
			require.NoError(t, err)
			assert.True(t, w.IsWorker())
			assert.False(t, c.IsWorker(), "Worker changed its receiver")
			assert.Equal(t, tt.wantBackend, w.Backend)
			assert.Equal(t, tt.wantKwargs, kwargsMap(t, w.BackendKwargs))
			s, k, where := w.BackendOrigin()
			got := ""
			if s != "" {
				got = "[" + s + "] " + k + " " + where
			}
			assert.Equal(t, tt.wantWhere, got)

			again, err := w.Worker()
			require.NoError(t, err)
			assert.Equal(t, w.Backend, again.Backend)
			assert.Equal(t, kwargsMap(t, w.BackendKwargs), kwargsMap(t, again.BackendKwargs))
		})
	}
}

// TestWorkerLeavesServerConfig: the server-side File never reads [workers].
func TestWorkerLeavesServerConfig(t *testing.T) {
	c, err := Parse("airflow.cfg", []byte("[secrets]\nbackend = vault\nbackend_kwargs = {\"url\": \"s\"}\n[workers]\nsecrets_backend = localfs\n"),
		[]string{"AIRFLOW__WORKERS__SECRETS_BACKEND_KWARG__URL=w"})
	require.NoError(t, err)
	_, err = c.Worker()
	require.NoError(t, err)
	assert.Equal(t, "vault", c.Backend)
	assert.Equal(t, map[string]string{"url": "s"}, kwargsMap(t, c.BackendKwargs))
	s, k, where := c.BackendOrigin()
	assert.Equal(t, []string{"secrets", "backend", "airflow.cfg:2"}, []string{s, k, where})
}

func TestWorkerErrors(t *testing.T) {
	unsupported := "not supported: secretpath does not run commands or ask a secrets backend for its own configuration; set [workers] secrets_backend_kwargs directly"
	tests := []struct {
		name string
		file string
		env  []string
		want string
	}{
		{"kwargs not an object", "[workers]\nsecrets_backend = vault\nsecrets_backend_kwargs = [\"" + cfgPlanted + "\"]", nil,
			"airflow.cfg:3: [workers] secrets_backend_kwargs: must be a JSON object"},
		{"bad JSON names the line", "[workers]\nsecrets_backend = vault\nsecrets_backend_kwargs = {\n  \"role_id\": \"" + cfgPlanted + "\",\n  \"secret_id\": " + cfgPlanted + "\n  }", nil,
			"airflow.cfg:5: [workers] secrets_backend_kwargs: not a valid JSON object (syntax error)"},
		{"bad JSON from env", "", []string{"AIRFLOW__WORKERS__SECRETS_BACKEND=vault", "AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS={" + cfgPlanted + "}"},
			"env AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS: [workers] secrets_backend_kwargs: not a valid JSON object (syntax error at line 1, column 3 of the value)"},
		{"empty per-key name", "", []string{"AIRFLOW__WORKERS__SECRETS_BACKEND=vault", "AIRFLOW__WORKERS__SECRETS_BACKEND_KWARG__=" + cfgPlanted},
			"env AIRFLOW__WORKERS__SECRETS_BACKEND_KWARG__: [workers] secrets_backend_kwargs: empty kwarg name after SECRETS_BACKEND_KWARG__"},
		{"_cmd variant", "[workers]\nsecrets_backend = vault\nsecrets_backend_kwargs_cmd = cat " + cfgPlanted + "\n", nil,
			"airflow.cfg:3: [workers] secrets_backend_kwargs_cmd: " + unsupported},
		{"_secret variant from env", "", []string{"AIRFLOW__WORKERS__SECRETS_BACKEND=vault", "AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS_SECRET=" + cfgPlanted},
			"env AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS_SECRET: [workers] secrets_backend_kwargs_secret: " + unsupported},
		{"bad [secrets] kwargs on fallback", "", []string{"AIRFLOW__SECRETS__BACKEND_KWARG__=" + cfgPlanted},
			"env AIRFLOW__SECRETS__BACKEND_KWARG__: [secrets] backend_kwargs: empty kwarg name after BACKEND_KWARG__"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w *File
			c, err := Parse("airflow.cfg", []byte(tt.file), tt.env)
			if err == nil {
				w, err = c.Worker()
			}
			require.Error(t, err)
			assert.Nil(t, w)
			assert.True(t, errors.Is(err, ErrInvalid))
			assert.Equal(t, tt.want, err.Error())
			assert.NotContains(t, err.Error(), cfgPlanted)
		})
	}
}

// TestWorkerBadWorkerOptionsDoNotBreakServer: the server-side load never
// reads [workers], so a broken [workers] secrets_backend_kwargs is only an
// error for Worker (Airflow's API server ignores it too).
func TestWorkerBadWorkerOptionsDoNotBreakServer(t *testing.T) {
	c, err := Parse("airflow.cfg", []byte("[workers]\nsecrets_backend = vault\nsecrets_backend_kwargs = nope\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, "", c.Backend)
	_, err = c.Worker()
	require.EqualError(t, err, "airflow.cfg:3: [workers] secrets_backend_kwargs: must be a JSON object")
}

func TestWorkerNil(t *testing.T) {
	var c *File
	w, err := c.Worker()
	require.NoError(t, err)
	assert.True(t, w.IsWorker())
	assert.Equal(t, "", w.Backend)
	assert.NotNil(t, w.BackendKwargs)
}
