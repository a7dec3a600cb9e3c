package config_test

import (
	"fmt"

	"github.com/secretpath/secretpath/resolver/config"
)

func ExampleParse() {
	const airflowCfg = `
[core]
fernet_key = 81HqDtbqAywKSOumSha3BhWNOdQ26slT6K0YaZeZyPs=

[secrets]
backend = airflow.providers.hashicorp.secrets.vault.VaultBackend
# JSON may span lines: indent the continuation lines.
backend_kwargs = {
    "url": "http://vault:8200",
    "connections_path": "connections",
    "variables_path": null
  }
use_cache = True
`
	// Environment variables win over the file; the per-key form sets one
	// kwarg, here a credential kept out of the file.
	environ := []string{
		"AIRFLOW__SECRETS__CACHE_TTL_SECONDS=60",
		"AIRFLOW__SECRETS__BACKEND_KWARG__ROLE_ID=my-role",
	}
	cfg, err := config.Parse("airflow.cfg", []byte(airflowCfg), environ)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Backend)
	fmt.Println(cfg.BackendKwargs.Keys())
	fmt.Println(cfg.UseCache, cfg.CacheTTL)
	key, _, _, _ := cfg.Sensitive("core", "fernet_key")
	fmt.Println(key) // secrets print as ***
	fmt.Println(cfg.Origin("secrets", "backend_kwargs"))

	// Errors name the file, the line and the option, never the value.
	_, err = config.Parse("airflow.cfg", []byte("[secrets]\nuse_cache = maybe\n"), nil)
	fmt.Println(err)
	// Output:
	// airflow.providers.hashicorp.secrets.vault.VaultBackend
	// [connections_path role_id url variables_path]
	// true 1m0s
	// ***
	// airflow.cfg:8
	// airflow.cfg:2: [secrets] use_cache: must be a boolean (true/false, t/f, 1/0, yes/no, y/n, on/off)
}
