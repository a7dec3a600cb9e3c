package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/connection"
)

func TestParseConfigDefaults(t *testing.T) {
	for _, tt := range []struct {
		name string
		file string
		data string
	}{
		{"no file", "", ""},
		{"empty file", "airflow.cfg", ""},
		{"unrelated sections", "airflow.cfg", "[core]\ndags_folder = /d\n[secrets]\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.file, []byte(tt.data), []string{"HOME=/root", "AIRFLOW_CONN_X=y"})
			require.NoError(t, err)
			assert.Equal(t, tt.file, c.Path)
			assert.Equal(t, "", c.Backend)
			require.NotNil(t, c.BackendKwargs)
			assert.Empty(t, c.BackendKwargs.Keys())
			assert.False(t, c.UseCache)
			assert.Equal(t, DefaultCacheTTL, c.CacheTTL)
			assert.Equal(t, 900*time.Second, c.CacheTTL)
			assert.True(t, fernetKey(t, c).IsZero())
			assert.True(t, sqlConn(t, c).IsZero())
		})
	}
}

const cfgFullConfig = `# airflow.cfg
[core]
fernet_key = fk-` + cfgPlanted + `

[database]
sql_alchemy_conn = postgresql://airflow:%%40pw@db/airflow

[secrets]
backend = airflow.providers.hashicorp.secrets.vault.VaultBackend
backend_kwargs = {
    "connections_path": "connections",
    "url": "http://%(vault_host)s:8200",
    "mount_point": null
  }
vault_host = vault.local
use_cache = True
cache_ttl_seconds = 60
`

func TestParseConfigFile(t *testing.T) {
	c, err := Parse("airflow.cfg", []byte(cfgFullConfig), nil)
	require.NoError(t, err)
	assert.Equal(t, "airflow.providers.hashicorp.secrets.vault.VaultBackend", c.Backend)
	assert.Equal(t, []string{"connections_path", "mount_point", "url"}, c.BackendKwargs.Keys())
	url, err := c.BackendKwargs.String("url", "")
	require.NoError(t, err)
	assert.Equal(t, "http://vault.local:8200", url)
	assert.True(t, c.BackendKwargs.IsNull("mount_point"))
	assert.True(t, c.UseCache)
	assert.Equal(t, 60*time.Second, c.CacheTTL)
	assert.Equal(t, "fk-"+cfgPlanted, fernetKey(t, c).Reveal())
	assert.Equal(t, "postgresql://airflow:%40pw@db/airflow", sqlConn(t, c).Reveal())

	v, ok := c.Get("secrets", "vault_host")
	assert.True(t, ok)
	assert.Equal(t, "vault.local", v)
	assert.Equal(t, "airflow.cfg:10", c.Origin("secrets", "backend_kwargs"))
}

func TestConfigDoesNotPrintSecrets(t *testing.T) {
	c, err := Parse("airflow.cfg", []byte(cfgFullConfig), []string{"AIRFLOW__CORE__OTHER=" + cfgPlanted})
	require.NoError(t, err)
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		assert.NotContains(t, fmt.Sprintf(format, c), cfgPlanted, format)
		assert.NotContains(t, fmt.Sprintf(format, *c), cfgPlanted, format)
		assert.NotContains(t, fmt.Sprintf(format, []any{c}), cfgPlanted, format)
	}
	assert.Equal(t, `File{Path: "airflow.cfg", Backend: "airflow.providers.hashicorp.secrets.vault.VaultBackend", `+
		`BackendKwargs: [connections_path mount_point url], UseCache: true, CacheTTL: 1m0s, TierTimeout: 0s, StaleGrace: 0s}`, c.String())

	b, err := json.Marshal(c)
	require.NoError(t, err)
	assert.NotContains(t, string(b), cfgPlanted)

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("loaded", "config", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("loaded", "config", c, "value", *c)
	assert.NotContains(t, buf.String(), cfgPlanted)
	assert.Contains(t, buf.String(), "VaultBackend")
}

func TestParseConfigEnvOverrides(t *testing.T) {
	file := "[secrets]\nbackend = localfs\nbackend_kwargs = {\"variables_file_path\": \"/v.json\"}\nuse_cache = false\ncache_ttl_seconds = 10\n" +
		"[core]\nfernet_key = file-key\n[database]\nsql_alchemy_conn = sqlite:///file.db\n"
	tests := []struct {
		name  string
		env   []string
		check func(t *testing.T, c *File)
	}{
		{"backend", []string{"AIRFLOW__SECRETS__BACKEND= vault "}, func(t *testing.T, c *File) {
			assert.Equal(t, "vault", c.Backend)
		}},
		{"empty variable still overrides", []string{"AIRFLOW__SECRETS__BACKEND="}, func(t *testing.T, c *File) {
			assert.Equal(t, "", c.Backend)
		}},
		{"backend_kwargs", []string{`AIRFLOW__SECRETS__BACKEND_KWARGS={"connections_file_path": "/c.json"}`}, func(t *testing.T, c *File) {
			assert.Equal(t, []string{"connections_file_path"}, c.BackendKwargs.Keys())
		}},
		{"backend_kwargs set empty", []string{"AIRFLOW__SECRETS__BACKEND_KWARGS="}, func(t *testing.T, c *File) {
			assert.Empty(t, c.BackendKwargs.Keys())
		}},
		{"env values are not interpolated", []string{`AIRFLOW__SECRETS__BACKEND_KWARGS={"p": "100%"}`}, func(t *testing.T, c *File) {
			v, err := c.BackendKwargs.String("p", "")
			require.NoError(t, err)
			assert.Equal(t, "100%", v)
		}},
		{"use_cache", []string{"AIRFLOW__SECRETS__USE_CACHE=on"}, func(t *testing.T, c *File) {
			assert.True(t, c.UseCache)
		}},
		{"cache_ttl_seconds", []string{"AIRFLOW__SECRETS__CACHE_TTL_SECONDS=0"}, func(t *testing.T, c *File) {
			assert.Equal(t, time.Duration(0), c.CacheTTL)
		}},
		{"fernet_key", []string{"AIRFLOW__CORE__FERNET_KEY=env-key"}, func(t *testing.T, c *File) {
			assert.Equal(t, "env-key", fernetKey(t, c).Reveal())
		}},
		{"sql_alchemy_conn", []string{"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql://h/db"}, func(t *testing.T, c *File) {
			assert.Equal(t, "postgresql://h/db", sqlConn(t, c).Reveal())
		}},
		{"names match without regard to case", []string{"airflow__Secrets__backend=vault"}, func(t *testing.T, c *File) {
			assert.Equal(t, "vault", c.Backend)
		}},
		{"the upper-case spelling wins", []string{"AIRFLOW__SECRETS__BACKEND=upper", "airflow__secrets__backend=lower"}, func(t *testing.T, c *File) {
			assert.Equal(t, "upper", c.Backend)
			assert.Equal(t, "env AIRFLOW__SECRETS__BACKEND", c.Origin("secrets", "backend"))
		}},
		{"the last of equal spellings wins", []string{"AIRFLOW__SECRETS__BACKEND=first", "AIRFLOW__SECRETS__BACKEND=last"}, func(t *testing.T, c *File) {
			assert.Equal(t, "last", c.Backend)
		}},
		{"unrelated and malformed entries are ignored", []string{"AIRFLOW_SECRETS_BACKEND=x", "NOEQUALS", "=x", "AIRFLOW__SECRETS__BACKENDS=x"}, func(t *testing.T, c *File) {
			assert.Equal(t, "localfs", c.Backend)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("airflow.cfg", []byte(file), tt.env)
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestParseConfigKwargOverrides(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  []string
		want map[string]string
	}{
		{"without backend_kwargs", "", []string{"AIRFLOW__SECRETS__BACKEND_KWARG__ROLE_ID=r", "AIRFLOW__SECRETS__BACKEND_KWARG__SECRET_ID=" + cfgPlanted},
			map[string]string{"role_id": "r", "secret_id": cfgPlanted}},
		{"override a key of backend_kwargs", "[secrets]\nbackend_kwargs = {\"role_id\": \"file\", \"url\": \"u\"}",
			[]string{"AIRFLOW__SECRETS__BACKEND_KWARG__ROLE_ID=env"}, map[string]string{"role_id": "env", "url": "u"}},
		{"after an env backend_kwargs", "", []string{"AIRFLOW__SECRETS__BACKEND_KWARG__URL=b", `AIRFLOW__SECRETS__BACKEND_KWARGS={"url": "a", "x": "y"}`},
			map[string]string{"url": "b", "x": "y"}},
		{"raw strings, not JSON", "", []string{"AIRFLOW__SECRETS__BACKEND_KWARG__TIMEOUT=30", `AIRFLOW__SECRETS__BACKEND_KWARG__OBJ={"a":1}`},
			map[string]string{"timeout": "30", "obj": `{"a":1}`}},
		{"name lower-cased", "", []string{"airflow__secrets__backend_kwarg__Client_Secret=s"}, map[string]string{"client_secret": "s"}},
		{"a _cmd-looking kwarg is just a kwarg", "", []string{"AIRFLOW__SECRETS__BACKEND_KWARG__TOKEN_CMD=x"}, map[string]string{"token_cmd": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("airflow.cfg", []byte(tt.file), tt.env)
			require.NoError(t, err)
			got := map[string]string{}
			for _, k := range c.BackendKwargs.Keys() {
				v, err := c.BackendKwargs.String(k, "")
				require.NoError(t, err)
				got[k] = v
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseConfigSQLAlchemyConnPrecedence(t *testing.T) {
	const (
		fileDB   = "[database]\nsql_alchemy_conn = file-database\n"
		fileCore = "[core]\nsql_alchemy_conn = file-core\n"
		envDB    = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=env-database"
		envCore  = "AIRFLOW__CORE__SQL_ALCHEMY_CONN=env-core"
	)
	tests := []struct {
		name string
		file string
		env  []string
		want string
	}{
		{"database option", fileDB, nil, "file-database"},
		{"legacy core option", fileCore, nil, "file-core"},
		{"database beats core in the file", fileCore + fileDB, nil, "file-database"},
		{"core variable beats the file", fileCore + fileDB, []string{envCore}, "env-core"},
		{"database variable beats all", fileCore + fileDB, []string{envCore, envDB}, "env-database"},
		{"legacy core from [DEFAULT]", "[DEFAULT]\nsql_alchemy_conn = dflt\n[core]\n", nil, "dflt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("airflow.cfg", []byte(tt.file), tt.env)
			require.NoError(t, err)
			assert.Equal(t, tt.want, sqlConn(t, c).Reveal())
		})
	}
}

func TestParseConfigUseCache(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"true", true}, {"True", true}, {"TRUE", true}, {"t", true}, {"1", true}, {"yes", true}, {"y", true}, {"on", true},
		{"false", false}, {"False", false}, {"f", false}, {"0", false}, {"no", false}, {"n", false}, {"off", false},
		{"True # cache variables", true}, {"off#", false},
	} {
		c, err := Parse("airflow.cfg", []byte("[secrets]\nuse_cache = "+tt.in), nil)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, c.UseCache, tt.in)
		c, err = Parse("", nil, []string{"AIRFLOW__SECRETS__USE_CACHE= " + tt.in + " "})
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, c.UseCache, tt.in)
	}
}

func TestParseConfigCacheTTL(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"0", 0}, {"60", time.Minute}, {" 900 ", 900 * time.Second}, {"+5", 5 * time.Second}, {"-0", 0},
		{"1_000", 1000 * time.Second}, {"0900", 900 * time.Second}, {"9223372036", 9223372036 * time.Second},
	} {
		c, err := Parse("airflow.cfg", []byte("[secrets]\ncache_ttl_seconds = "+tt.in), nil)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, c.CacheTTL, tt.in)
	}
}

func TestParseConfigErrors(t *testing.T) {
	const boolMsg = "must be a boolean (true/false, t/f, 1/0, yes/no, y/n, on/off)"
	const intMsg = "must be a whole number of seconds >= 0"
	unsupported := func(s, k string) string {
		return "not supported: secretpath does not run commands or ask a secrets backend for its own configuration; set [" + s + "] " + k + " directly"
	}
	tests := []struct {
		name string
		file string
		env  []string
		want string
	}{
		{"parse error", "[secrets]\nbackend\n", nil, `airflow.cfg:2: line is neither a [section] header nor a "key = value" option`},
		{"backend_kwargs not an object", "[secrets]\nbackend = vault\nbackend_kwargs = [\"" + cfgPlanted + "\"]", nil,
			"airflow.cfg:3: [secrets] backend_kwargs: must be a JSON object"},
		{"backend_kwargs null", "[secrets]\nbackend_kwargs = null", nil, "airflow.cfg:2: [secrets] backend_kwargs: must be a JSON object"},
		{"backend_kwargs bad JSON names the line", "[secrets]\nbackend_kwargs = {\n  \"role_id\": \"" + cfgPlanted + "\",\n  \"secret_id\": " + cfgPlanted + "\n  }", nil,
			"airflow.cfg:4: [secrets] backend_kwargs: not a valid JSON object (syntax error)"},
		{"backend_kwargs bad JSON after an empty first line", "[secrets]\nbackend_kwargs =\n\n  {\"a\": 1,\n\n  \"b\" 2}", nil,
			"airflow.cfg:6: [secrets] backend_kwargs: not a valid JSON object (syntax error)"},
		{"backend_kwargs truncated", "[secrets]\nbackend_kwargs = {\"a\": \"%%" + cfgPlanted + "\",\n  \"b\": 1", nil,
			"airflow.cfg:3: [secrets] backend_kwargs: not a valid JSON object (syntax error)"},
		{"backend_kwargs JSON error through a reference", "[secrets]\nh = " + cfgPlanted + "\nbackend_kwargs = {\"url\": %(h)s}", nil,
			"airflow.cfg:3: [secrets] backend_kwargs: not a valid JSON object (syntax error at line 1, column 10 of the value)"},
		{"backend_kwargs from [DEFAULT]", "[DEFAULT]\nbackend_kwargs = x" + cfgPlanted + "\n[secrets]\n", nil,
			"airflow.cfg:2: [secrets] backend_kwargs (from [DEFAULT]): must be a JSON object"},
		{"backend_kwargs from env", "", []string{"AIRFLOW__SECRETS__BACKEND_KWARGS={" + cfgPlanted + "}"},
			"env AIRFLOW__SECRETS__BACKEND_KWARGS: [secrets] backend_kwargs: not a valid JSON object (syntax error at line 1, column 3 of the value)"},
		{"backend_kwargs env not an object", "", []string{"airflow__secrets__backend_kwargs=" + cfgPlanted},
			"env airflow__secrets__backend_kwargs: [secrets] backend_kwargs: must be a JSON object"},
		{"empty per-key kwarg name", "", []string{"AIRFLOW__SECRETS__BACKEND_KWARG__=" + cfgPlanted},
			"env AIRFLOW__SECRETS__BACKEND_KWARG__: [secrets] backend_kwargs: empty kwarg name after BACKEND_KWARG__"},
		{"use_cache", "[secrets]\n\nuse_cache = " + cfgPlanted, nil, "airflow.cfg:3: [secrets] use_cache: " + boolMsg},
		{"use_cache empty", "[secrets]\nuse_cache =", nil, "airflow.cfg:2: [secrets] use_cache: " + boolMsg},
		{"use_cache env", "", []string{"AIRFLOW__SECRETS__USE_CACHE=" + cfgPlanted}, "env AIRFLOW__SECRETS__USE_CACHE: [secrets] use_cache: " + boolMsg},
		{"use_cache from [DEFAULT]", "[DEFAULT]\nuse_cache = maybe\n[secrets]", nil, "airflow.cfg:2: [secrets] use_cache (from [DEFAULT]): " + boolMsg},
		{"cache_ttl_seconds negative", "[secrets]\ncache_ttl_seconds = -1", nil, "airflow.cfg:2: [secrets] cache_ttl_seconds: " + intMsg},
		{"cache_ttl_seconds fraction", "[secrets]\ncache_ttl_seconds = 1.5", nil, "airflow.cfg:2: [secrets] cache_ttl_seconds: " + intMsg},
		{"cache_ttl_seconds empty", "[secrets]\ncache_ttl_seconds =", nil, "airflow.cfg:2: [secrets] cache_ttl_seconds: " + intMsg},
		{"cache_ttl_seconds bad underscores", "[secrets]\ncache_ttl_seconds = 1__0", nil, "airflow.cfg:2: [secrets] cache_ttl_seconds: " + intMsg},
		{"cache_ttl_seconds comment", "[secrets]\ncache_ttl_seconds = 60 # a minute", nil, "airflow.cfg:2: [secrets] cache_ttl_seconds: " + intMsg},
		{"cache_ttl_seconds too large", "[secrets]\ncache_ttl_seconds = 9223372037", nil,
			"airflow.cfg:2: [secrets] cache_ttl_seconds: is too large (at most 9223372036 seconds)"},
		{"cache_ttl_seconds env", "", []string{"AIRFLOW__SECRETS__CACHE_TTL_SECONDS=" + cfgPlanted},
			"env AIRFLOW__SECRETS__CACHE_TTL_SECONDS: [secrets] cache_ttl_seconds: " + intMsg},
		{"backend_kwargs_cmd in the file", "[secrets]\nbackend_kwargs_cmd = cat /" + cfgPlanted, nil,
			"airflow.cfg:2: [secrets] backend_kwargs_cmd: " + unsupported("secrets", "backend_kwargs")},
		{"backend_kwargs_secret in the file", "[secrets]\nbackend_kwargs_secret = " + cfgPlanted, nil,
			"airflow.cfg:2: [secrets] backend_kwargs_secret: " + unsupported("secrets", "backend_kwargs")},
		{"fernet_key _CMD variable", "", []string{"AIRFLOW__CORE__FERNET_KEY_CMD=cat " + cfgPlanted},
			"env AIRFLOW__CORE__FERNET_KEY_CMD: [core] fernet_key_cmd: " + unsupported("core", "fernet_key")},
		{"fernet_key _SECRET variable", "", []string{"AIRFLOW__CORE__FERNET_KEY_SECRET=" + cfgPlanted},
			"env AIRFLOW__CORE__FERNET_KEY_SECRET: [core] fernet_key_secret: " + unsupported("core", "fernet_key")},
		{"env _CMD beats a file value", "[core]\nfernet_key = k", []string{"AIRFLOW__CORE__FERNET_KEY_CMD=x"},
			"env AIRFLOW__CORE__FERNET_KEY_CMD: [core] fernet_key_cmd: " + unsupported("core", "fernet_key")},
		{"sql_alchemy_conn_cmd in the file", "[database]\nsql_alchemy_conn_cmd = x", nil,
			"airflow.cfg:2: [database] sql_alchemy_conn_cmd: " + unsupported("database", "sql_alchemy_conn")},
		{"legacy core sql_alchemy_conn_cmd", "[core]\nsql_alchemy_conn_cmd = x", nil,
			"airflow.cfg:2: [core] sql_alchemy_conn_cmd: " + unsupported("core", "sql_alchemy_conn")},
		{"legacy core _CMD variable", "", []string{"AIRFLOW__CORE__SQL_ALCHEMY_CONN_CMD=x"},
			"env AIRFLOW__CORE__SQL_ALCHEMY_CONN_CMD: [core] sql_alchemy_conn_cmd: " + unsupported("core", "sql_alchemy_conn")},
		{"_cmd inherited from [DEFAULT]", "[DEFAULT]\nfernet_key_cmd = x\n[core]", nil,
			"airflow.cfg:2: [core] fernet_key_cmd (from [DEFAULT]): " + unsupported("core", "fernet_key")},
		{"interpolation error in an option Config reads", "[core]\nfernet_key = " + cfgPlanted + "%", nil,
			`airflow.cfg:2: [core] fernet_key: bad interpolation syntax: "%" must be followed by "%" or "(name)s"`},
		{"interpolation error in any option", "[webserver]\nx = %(" + cfgPlanted + ")s", nil,
			"airflow.cfg:2: [webserver] x: bad interpolation: reference to a missing option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("airflow.cfg", []byte(tt.file), tt.env)
			if err == nil { // the metastore's options are read when it opens
				if _, _, _, err = c.Sensitive("core", "fernet_key"); err == nil {
					_, _, _, err = c.Sensitive("database", "sql_alchemy_conn", "core", "sql_alchemy_conn")
				}
			}
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			assert.True(t, errors.Is(err, ErrInvalid))
			assert.NotContains(t, err.Error(), cfgPlanted)
		})
	}
}

func TestParseConfigVariantsAirflowWouldNotUse(t *testing.T) {
	// Airflow takes the first of: variable, its _CMD/_SECRET, file option,
	// file _cmd, file _secret. A variant shadowed by a plain value is never
	// run by Airflow, so it is no error here either; variants of options
	// Config does not read are left alone.
	for _, tt := range []struct {
		name string
		file string
		env  []string
	}{
		{"file value beats file _cmd", "[core]\nfernet_key = k\nfernet_key_cmd = x", nil},
		{"variable beats file _cmd", "[core]\nfernet_key_cmd = x", []string{"AIRFLOW__CORE__FERNET_KEY=k"}},
		{"variable beats variable _CMD", "", []string{"AIRFLOW__CORE__FERNET_KEY_CMD=x", "AIRFLOW__CORE__FERNET_KEY=k"}},
		{"database value beats legacy core _cmd", "[database]\nsql_alchemy_conn = k\n[core]\nsql_alchemy_conn_cmd = x", nil},
		{"unread options", "[celery]\nbroker_url_cmd = x\n[secrets]\nbackend_cmd = x", []string{"AIRFLOW__CELERY__RESULT_BACKEND_SECRET=x"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("airflow.cfg", []byte(tt.file), tt.env)
			require.NoError(t, err)
			if fernetKey(t, c).Len() > 0 {
				assert.Equal(t, "k", fernetKey(t, c).Reveal())
			}
		})
	}
}

func TestConfigGet(t *testing.T) {
	const file = "[DEFAULT]\nhome = /opt\nshared = d\n[core]\ndags_folder = %(home)s/dags\nshared = c\n[Mixed]\nk = v\n[kubernetes.executor]\nns = file\n"
	env := []string{"AIRFLOW__CORE__PARALLELISM=32", "AIRFLOW__WEBSERVER__SECRET_KEY=" + cfgPlanted,
		"AIRFLOW__KUBERNETES_EXECUTOR__NS=env", "AIRFLOW__SECRETS__BACKEND_KWARG__ROLE_ID=r"}
	c, err := Parse("airflow.cfg", []byte(file), env)
	require.NoError(t, err)
	tests := []struct {
		section, key string
		want         string
		ok           bool
		origin       string
	}{
		{"core", "dags_folder", "/opt/dags", true, "airflow.cfg:5"},
		{"CORE", "DAGS_FOLDER", "/opt/dags", true, "airflow.cfg:5"},
		{"core", "shared", "c", true, "airflow.cfg:6"},
		{"core", "home", "/opt", true, "airflow.cfg:2"},
		{"core", "parallelism", "32", true, "env AIRFLOW__CORE__PARALLELISM"},
		{"webserver", "secret_key", cfgPlanted, true, "env AIRFLOW__WEBSERVER__SECRET_KEY"},
		{"webserver", "home", "", false, ""}, // no [webserver] in the file: nothing inherited
		{"kubernetes.executor", "ns", "env", true, "env AIRFLOW__KUBERNETES_EXECUTOR__NS"},
		{"secrets", "backend_kwarg__role_id", "r", true, "env AIRFLOW__SECRETS__BACKEND_KWARG__ROLE_ID"},
		{"mixed", "k", "", false, ""}, // sections are case-sensitive; Get lower-cases, as Airflow's conf.get
		{"DEFAULT", "home", "", false, ""},
		{"core", "missing", "", false, ""},
	}
	for _, tt := range tests {
		v, ok := c.Get(tt.section, tt.key)
		assert.Equal(t, tt.ok, ok, "%s/%s", tt.section, tt.key)
		assert.Equal(t, tt.want, v, "%s/%s", tt.section, tt.key)
		assert.Equal(t, tt.origin, c.Origin(tt.section, tt.key), "%s/%s", tt.section, tt.key)
	}

	var nilConfig *File
	_, ok := nilConfig.Get("core", "x")
	assert.False(t, ok)
	assert.Equal(t, "", nilConfig.Origin("core", "x"))
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "airflow.cfg")
	require.NoError(t, os.WriteFile(path, []byte("[secrets]\nbackend = localfs\nuse_cache = yes\n"), 0o600))

	c, err := Load(path, []string{"AIRFLOW__SECRETS__CACHE_TTL_SECONDS=5"})
	require.NoError(t, err)
	assert.Equal(t, path, c.Path)
	assert.Equal(t, "localfs", c.Backend)
	assert.True(t, c.UseCache)
	assert.Equal(t, 5*time.Second, c.CacheTTL)

	c, err = Load("", []string{"AIRFLOW__SECRETS__BACKEND=vault"})
	require.NoError(t, err)
	assert.Equal(t, "", c.Path)
	assert.Equal(t, "vault", c.Backend)

	bad := filepath.Join(dir, "bad.cfg")
	require.NoError(t, os.WriteFile(bad, []byte("[secrets]\nuse_cache = "+cfgPlanted+"\n"), 0o600))
	_, err = Load(bad, nil)
	require.Error(t, err)
	assert.Equal(t, bad+":2: [secrets] use_cache: must be a boolean (true/false, t/f, 1/0, yes/no, y/n, on/off)", err.Error())

	missing := filepath.Join(dir, "missing.cfg")
	_, err = Load(missing, nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrInvalid))
	assert.True(t, errors.Is(err, fs.ErrNotExist))
	assert.True(t, strings.HasPrefix(err.Error(), missing+": cannot read config file"), err.Error())

	big := filepath.Join(dir, "big.cfg")
	require.NoError(t, os.WriteFile(big, make([]byte, maxConfigFile+1), 0o600))
	_, err = Load(big, nil)
	require.Error(t, err)
	assert.Equal(t, big+": config file is larger than 16777216 bytes", err.Error())
}

func TestParseConfigUnnamedData(t *testing.T) {
	_, err := Parse("", []byte("[s]\nx"), nil)
	require.Error(t, err)
	assert.Equal(t, `<config>:2: line is neither a [section] header nor a "key = value" option`, err.Error())
}

// fernetKey and sqlConn read the metastore's two options as package
// metastore does.
func fernetKey(t *testing.T, c *File) connection.Secret {
	t.Helper()
	v, _, _, err := c.Sensitive("core", "fernet_key")
	require.NoError(t, err)
	return v
}

func sqlConn(t *testing.T, c *File) connection.Secret {
	t.Helper()
	v, _, _, err := c.Sensitive("database", "sql_alchemy_conn", "core", "sql_alchemy_conn")
	require.NoError(t, err)
	return v
}
