package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// cfgFuzzMarker is part of every planted secret; the fuzzer's own input never
// holds it (such inputs are skipped), so it can only reach an error message
// through a value.
const cfgFuzzMarker = "PLANTED-9d2f"

var cfgFuzzSecrets = []string{
	cfgFuzzMarker,
	"pa%ss-" + cfgFuzzMarker,         // bad interpolation syntax
	`{"k": "` + cfgFuzzMarker + `"`,  // bad JSON
	`{"k": "` + cfgFuzzMarker + `"}`, // good JSON
	"x = " + cfgFuzzMarker + " : y",  // delimiters inside a value
	cfgFuzzMarker + "%(planted)s",    // a reference loop in [DEFAULT]
	cfgFuzzMarker + "\n  %(x)s",      // a continuation line
	"true # " + cfgFuzzMarker,        // a good boolean
}

// cfgFuzzPlacements put a secret where only a value can be: after the fuzzer's
// text (from a line of its own at column 0), or in the environment.
var cfgFuzzPlacements = []struct {
	file string // appended to the data
	env  string // a variable name
}{
	{file: "[DEFAULT]\nplanted = "},
	{file: "[secrets]\nbackend_kwargs = "},
	{file: "[core]\nfernet_key = "},
	{file: "[secrets]\nuse_cache = "},
	{file: "[secrets]\ncache_ttl_seconds = "},
	{file: "[database]\nsql_alchemy_conn = "},
	{file: "[secrets]\nbackend_kwargs_cmd = "},
	{env: "AIRFLOW__SECRETS__BACKEND_KWARGS"},
	{env: "AIRFLOW__SECRETS__USE_CACHE"},
	{env: "airflow__secrets__cache_ttl_seconds"},
	{env: "AIRFLOW__CORE__FERNET_KEY"},
	{env: "AIRFLOW__CORE__FERNET_KEY_CMD"},
	{env: "AIRFLOW__SECRETS__BACKEND_KWARG__SECRET_ID"},
}

func FuzzParseConfig(f *testing.F) {
	seeds := []string{
		cfgFullConfig,
		"",
		"[s]\na = 1\n  2\n\n  3\n# c\nb: %(a)s %%\n",
		"[DEFAULT]\nh = %(x)s\n[s]\nx = 1\n[t]\nx = %(h)s\n",
		"[secrets]\nbackend_kwargs = {\n  \"a\": 1,\n  \"b\" 2\n  }\n",
		"[secrets]\nuse_cache = maybe\ncache_ttl_seconds = -1\n",
		"\ufeff[core]\r\nfernet_key = k\r\n[database]\rsql_alchemy_conn = x\r",
		"[s]\n[s]\n", "[s]\na = 1\nA = 2\n", "a = 1\n", "[s]\nnovalue\n", "[s]\n= v\n",
		"[s]\na = %(b)s\nb = %(a)s\n", "[s]\na = 50%\n", "[a]]\n[ b ] x\nk=v\n",
		"[core]\nsql_alchemy_conn_cmd = x\n[secrets]\nbackend_kwargs_secret = y\n",
	}
	envs := []string{
		"",
		"AIRFLOW__SECRETS__BACKEND=vault\nAIRFLOW__SECRETS__BACKEND_KWARG__ROLE_ID=r",
		"AIRFLOW__SECRETS__BACKEND_KWARGS={\"a\":\nairflow__secrets__use_cache=on\nAIRFLOW__SECRETS__BACKEND_KWARG__=x",
		"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_SECRET=x\nAIRFLOW__CORE__SQL_ALCHEMY_CONN=y",
	}
	for i, s := range seeds {
		f.Add([]byte(s), envs[i%len(envs)], uint8(i*7))
	}
	f.Fuzz(func(t *testing.T, data []byte, env string, mode uint8) {
		if bytes.Contains(data, []byte(cfgFuzzMarker)) || strings.Contains(env, cfgFuzzMarker) {
			t.Skip("the input holds the marker itself")
		}
		secret := cfgFuzzSecrets[int(mode)%len(cfgFuzzSecrets)]
		place := cfgFuzzPlacements[int(mode/8)%len(cfgFuzzPlacements)]
		environ := strings.Split(env, "\n")
		if place.env != "" {
			environ = append(environ, place.env+"="+secret)
		} else {
			data = append(append(append(bytes.Clone(data), '\n'), place.file...), secret...)
		}

		c, err := Parse("f.cfg", data, environ)
		if err != nil {
			msg := err.Error()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not match ErrInvalid: %v", err)
			}
			if strings.Contains(msg, cfgFuzzMarker) {
				t.Fatalf("error contains the planted secret: %q", msg)
			}
			if !strings.HasPrefix(msg, "f.cfg:") && !strings.HasPrefix(msg, "env ") {
				t.Fatalf("error does not start with where: %q", msg)
			}
			return
		}
		if c.BackendKwargs == nil {
			t.Fatal("nil BackendKwargs")
		}
		if c.CacheTTL < 0 {
			t.Fatalf("negative CacheTTL %v", c.CacheTTL)
		}
		if !strings.Contains(c.Backend, cfgFuzzMarker) && strings.Contains(c.String(), cfgFuzzMarker) {
			t.Fatalf("String shows the planted secret: %q", c.String())
		}
		for _, s := range c.st.file.order {
			for _, o := range s.order {
				if _, ok := c.Get(s.name, o.key); !ok && strings.ToLower(s.name) == s.name {
					t.Fatalf("Get(%q, %q) found nothing", s.name, o.key)
				}
				_ = c.Origin(s.name, o.key)
			}
		}
	})
}
