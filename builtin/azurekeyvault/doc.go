// Package azurekeyvault is the Azure Key Vault backend: Airflow's
// AzureKeyVaultBackend (airflow.providers.microsoft.azure.secrets.key_vault),
// on the Azure SDK for Go (azsecrets, azidentity).
//
// Importing the package registers it as "azure-key-vault", with Airflow's
// class paths airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend
// and airflow.contrib.secrets.azure_key_vault.AzureKeyVaultBackend as
// aliases.
//
// # Names
//
// A connection conn_id is the secret prefix + sep + conn_id (just conn_id
// when the prefix is ""), and then every '_' in the whole name becomes sep,
// as in Airflow: with the defaults, smtp_default is read from secret
// airflow-connections-smtp-default. Trailing characters of sep are stripped
// from a prefix. Variables and configs work the same way under
// airflow-variables and airflow-config. The latest version of the secret
// is read; only HTTP 404 means "not found". Key Vault compares names
// ignoring case, so ids differing only in case, or only by '_' versus '-',
// are one secret. [Backend.SecretName] tells which secret an id is read
// from.
//
// Key Vault names hold 1 to 127 characters of 0-9, a-z, A-Z and '-'.
// Airflow sends whatever the replacement leaves and gets an error back;
// secretpath instead
//
//   - replaces '.' with sep too (conn ids may hold dots: my.db is read from
//     airflow-connections-my-db);
//   - answers "not found" without a request for any other name Key Vault
//     cannot hold (a character such as ':', '/', ' ' or a non-ASCII letter,
//     or more than 127 characters): no such secret can exist, and the
//     search goes on to the next tier;
//   - answers "not found" without a request for an empty id.
//
// # Teams
//
// With [core] multi_team on in the config file (Options.MultiTeam in Go;
// off by default), as newest Airflow does:
//
//   - a connection or variable lookup for a team reads the team's secret
//     first, prefix + sep + team + "--" + id with '_' mapped over the whole
//     name (team_a's my_db is airflow-connections-team-a--my-db), and the
//     global secret only when the vault answers 404 for the team's; any
//     other failure (a 403, say) is the lookup's answer. A config has no
//     team. Key Vault names ignore case and the mapping turns '_' and '.'
//     into sep, so teams whose names differ only in case, '_', '-' or '.'
//     (team_a, team-a, Team_A) read the same secrets, as in Airflow: give
//     such teams one vault each, or names that differ otherwise;
//   - an id that holds "--" once mapped (teama__db, prod--db) is not found
//     without a request, for every lookup, with a team or without, and a
//     warning is logged: team a's id b--c and team a--b's id c are one
//     name, so no reading of such an id is safe;
//   - secretpath's addition: a team's lookup of an id that starts with '-'
//     once mapped (-y, _y) is refused the same way (team x's -y and team
//     x-'s y are both x---y; Airflow reads it). With both rules a team's
//     secret name splits one way only, at its last "--".
//
// With multi_team off, a lookup's team is not read and such an id is an
// ordinary id: aws__prod is read from airflow-connections-aws--prod (PR
// #71078). [Backend.SecretNames] lists the secrets a lookup reads.
//
// # backend_kwargs
//
//	connections_prefix, variables_prefix, config_prefix
//	    absent: Airflow's default; null: that kind is never looked up (no
//	    request); "": no prefix.
//	vault_url
//	    required: https://<vault-name>.vault.azure.net/.
//	sep
//	    default "-"; one or more of 0-9, a-z, A-Z and '-'.
//	tenant_id, client_id, client_secret
//	    all three: a client-secret credential (Microsoft Entra
//	    client_credentials). Some but not all is a configuration error.
//	managed_identity_client_id, workload_identity_tenant_id
//	    both (Airflow ignores one without the other; here it is an error):
//	    the environment's service principal when AZURE_CLIENT_SECRET etc.
//	    are set, then workload identity with that client id and tenant when
//	    AZURE_FEDERATED_TOKEN_FILE is set, then the user-assigned managed
//	    identity with that client id.
//	verify_challenge_resource
//	    default true; false lets the vault's authentication challenge name
//	    a resource whose domain does not match the vault's host: a vault
//	    reached through a private endpoint under another name, or a local
//	    test server (the Python SDK's SecretClient keyword of that name).
//	disable_instance_discovery
//	    default false; true skips Microsoft Entra's instance discovery
//	    (login.microsoftonline.com), for disconnected or private clouds and
//	    local test authorities set with AZURE_AUTHORITY_HOST.
//	connection_verify
//	    azure-core's transport keyword: a CA bundle file trusted in addition
//	    to the system roots (for the vault and the authority), or false to
//	    skip TLS verification (never in production).
//	api_version
//	    the Key Vault REST API version to request (default: the SDK's).
//	timeout_seconds
//	    bounds one lookup, token acquisition and retries included (default
//	    10; 0: no bound but the caller's context).
//
// Airflow passes every other keyword to SecretClient(vault_url, credential,
// **kwargs): azure-core's pipeline and transport options. Each is mapped
// onto azcore's options of the vault's client (the credential gets none of
// them, as in Airflow), ignored with a warning, or refused with the reason:
//
//	retry_total
//	    0 to 100 retries (RetryOptions.MaxRetries; 0: none). Default 10,
//	    azure-core's.
//	retry_connect, retry_read, retry_status
//	    0 to 100 each, default 3: azure-core's per-class caps, kept per
//	    vault operation. A try that got no connection (dial, proxy or TLS
//	    handshake failed) takes one from retry_connect; one that got a
//	    connection and no answer (reset, read_timeout) from retry_read; a
//	    retried answer from retry_status. Retrying stops when any count,
//	    retry_total included, is spent: with the defaults a vault answering
//	    500 is asked 4 times, whatever retry_total.
//	retry_on_status_codes
//	    a list of statuses retried besides azure-core's own (408, 429, 500,
//	    502, 503, 504, and 506 to 998); as in azure-core, any answer of 400
//	    or more that carries Retry-After is retried too, and one below 400
//	    never.
//	retry_backoff_factor, retry_backoff_max
//	    seconds (RetryOptions.RetryDelay, MaxRetryDelay; 0: no delay).
//	    azcore waits about factor*(2^n-1), jittered, where azure-core waits
//	    factor*2^(n-1): close, not equal.
//	retry_mode
//	    "exponential" (default) or "fixed" (any case): fixed caps every
//	    delay at the first.
//	timeout
//	    seconds above 0: azure-core's total time for one vault operation,
//	    its retries included (default 7 days). Here it is a deadline on the
//	    operation, so it also cuts a try in flight (azure-core checks it
//	    between tries, bounding connection_timeout by what is left). The
//	    lookup's own bound, timeout_seconds, still applies; a timeout
//	    longer than it is accepted with a warning.
//	connection_timeout
//	    seconds bounding the connect and the TLS handshake.
//	read_timeout
//	    seconds bounding the wait for the answer's headers.
//	proxies
//	    {"http": URL, "https": URL, "all": URL} as requests takes it (a URL
//	    without a scheme is http://; http, https, socks5, socks5h); a scheme
//	    not given falls back to HTTP_PROXY / HTTPS_PROXY / NO_PROXY.
//	use_env_settings
//	    default true; false: no proxy from the environment (requests'
//	    trust_env). The environment is read when the backend is built.
//	connection_cert
//	    the TLS client certificate of the vault's connections, as requests'
//	    cert=: the path of one PEM file holding the certificate and its key,
//	    or a pair [certificate path, key path]. Loaded when the backend is
//	    built.
//	permit_redirects, redirect_max, redirect_remove_headers,
//	redirect_on_status_codes
//	    azure-core's RedirectPolicy on the vault's http.Client: redirects
//	    followed (default true), at most redirect_max of them (default 30),
//	    the listed headers dropped from each redirected request, and the
//	    listed statuses followed besides 300, 301, 302, 303, 307 and 308.
//	block_headers_list
//	    the headers dropped when a redirect leads to another host (default
//	    Authorization and x-ms-authorization-auxiliary; Go's client drops
//	    Authorization there in any case).
//	headers
//	    an object of header names to strings, set on every vault request
//	    (not Authorization).
//	user_agent, user_agent_overwrite, user_agent_use_env
//	    as azure-core's UserAgentPolicy after its HeadersPolicy: a
//	    User-Agent given in headers is kept unless user_agent_overwrite is
//	    true; otherwise the User-Agent is user_agent, the SDK's own, and,
//	    unless user_agent_use_env is false, the environment's
//	    AZURE_HTTP_USER_AGENT, joined by spaces.
//	request_id, auto_request_id
//	    azure-core's RequestIdPolicy: x-ms-client-request-id is a new UUID
//	    for each vault operation (auto_request_id, default true), request_id
//	    on every request when given, none when request_id is null or
//	    auto_request_id false; a value headers gives wins.
//	logging_enable
//	    accepted and ignored with a warning: it would log response bodies,
//	    i.e. secret values.
//	connection_data_block_size, response_encoding, network_span_namer,
//	tracing_attributes, session_owner, disable_cleanup
//	    accepted (any value) and ignored with a warning saying why: they
//	    mean nothing for a Go lookup (no chunked reads, no text decoding
//	    but JSON's, no tracing spans, no requests session), and the vault's
//	    token is never sent to another host.
//	transport, policies, per_call_policies, per_retry_policies, session,
//	raw_request_hook, raw_response_hook, logger, and every *_policy
//	    refused: each is a Python object in Airflow, which no JSON value can
//	    give.
//
// Bad types or values are configuration errors naming the key, never its
// value. Lists may also be given as a string holding a JSON list (as
// AIRFLOW__SECRETS__BACKEND_KWARG__<KEY> gives them).
//
// Without client_secret or managed_identity_client_id, the credential is
// azidentity's DefaultAzureCredential: environment (AZURE_TENANT_ID,
// AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or a certificate), workload
// identity, managed identity, then the Azure CLI, Azure Developer CLI and
// Azure PowerShell; AZURE_TOKEN_CREDENTIALS selects one of them or "prod"
// / "dev". AZURE_AUTHORITY_HOST selects a sovereign cloud's authority. Any
// other key is a configuration error that names it, with a "did you mean"
// hint when it is two edits or fewer from a known key.
//
// # Change events
//
// The backend is a resolver.ChangeSource (see Backend.Changes): while a
// resolver has a cache or a Watcher, the backend polls, for each secret a
// watched or cached request reads, Get Secret Versions
// (GET {vault}/secrets/{name}/versions, azsecrets'
// NewListSecretPropertiesVersionsPager): every version's id and
// attributes, never a value. The poll keeps a digest of them (ids,
// enabled, created, updated, expiry, not-before). Setting a secret adds a
// version and changes the digest; so does disabling or updating one, and
// deleting the secret (an empty list, or 404) is a change to "absent".
// Each is reported for the requests that read the secret, and the
// resolver reads them again.
//
// Why this call: Key Vault has no way to read a secret's current version
// without its value (GetSecret returns the value), and the vault-wide
// list of secrets gives each secret's attributes but not its version id:
// its "updated" time has a resolution of one second, so two versions set
// within a second can be missed. A secret's version list names every
// version, so no change is missed. The list is in no documented order, so
// every page is read.
//
// Cost: per watched secret per interval, one request per 25 of its
// versions (a secret rotated monthly for two years: one request; 1,000
// versions: 40). A team's request reads two secrets, the team's and the
// global one, as its lookup does; a secret watched by several requests is
// listed once per poll; 8 secrets are listed at a time, each within a
// lookup's timeout (timeout_seconds), with the SDK's retries.
//
//	changes_poll_interval_seconds
//	    seconds between polls (default 60: at most one request per watched
//	    secret, per 25 versions, a minute; at most 86400). A negative value
//	    switches polls off: the backend then reports nothing and a cached
//	    answer lives for the cache's TTL.
//	changes_poll_jitter_seconds
//	    the most a poll is moved earlier or later at random (default a
//	    tenth of the interval; 0 for none; at most the interval).
//
// (Options.ChangesPollInterval and ChangesPollJitter in Go.)
//
// Permissions: listing versions needs the secrets List permission (an
// access policy's "List"; with Azure RBAC, the
// Microsoft.KeyVault/vaults/secrets/readMetadata/action data action, which
// Key Vault Secrets User and Key Vault Reader grant). Without it, the
// poll's 403 for a secret is not a failure: the secret's version is taken
// as "denied", a warning naming it is logged once, and its changes are not
// seen. Any other failure of a poll (429 or 5xx after the SDK's retries,
// the network, a credential that gets no token) ends the change stream
// with an error naming the secret: the resolver drops the answers the
// backend gave and polls again after a back-off.
//
// # Expiry
//
// The backend is a resolver.AnswerBackend (see Backend.Answer): each
// answer carries, as Answer.Expires, the exp attribute ("expires", whole
// Unix seconds) of the version it read, zero when that version has none.
// A resolver with a cache drops the answer at that time whatever its TTL,
// never serves it past it, and a Watcher looks again then: a secret whose
// rotation sets a new version before the old one's exp is read again
// without waiting for the TTL or a change poll. It is always on and free:
// Get Secret's response carries the attribute, so no request is added.
// Key Vault still returns an expired secret's value (its documentation:
// reading one "can be used for recovery operations"): a lookup finds it as
// before, but its answer is not cached, so each lookup of a secret whose
// exp has passed asks the vault.
//
// # Errors
//
// HTTP 403 (Forbidden: no get permission, a firewall or policy refusal, a
// disabled secret) matches resolver.ErrPermissionDenied. Every error
// unwraps to the SDK's (errors.As finds *azcore.ResponseError or
// *azidentity.AuthenticationFailedError); its text is one line naming the
// secret, the HTTP status, Key Vault's error code and message, with the
// client secret masked. No error contains a secret's value: a 200 answer
// that cannot be decoded is reported without details. HTTP 429 and 5xx
// answers and a refused connection (after the SDK's retries) are marked
// codes.Unavailable, which resolver.Code reports.
//
// # Deliberate differences from Airflow
//
//   - '.' becomes sep; other names Key Vault cannot hold, and empty ids,
//     are "not found" without a request (Airflow: an error from the
//     service).
//   - Incomplete credential kwargs are configuration errors (Airflow falls
//     back to DefaultAzureCredential silently).
//   - An empty sep is a configuration error (newest Airflow fails every
//     lookup with one).
//   - Every lookup is bounded by timeout_seconds.
//   - A connection_verify bundle is added to the system roots (requests,
//     under azure-core, trusts the bundle alone).
//   - logging_enable is ignored (with a warning); retry delays follow
//     azcore's curve; read_timeout bounds the wait for headers, not each
//     read of the body; timeout is a deadline that also cuts a try in
//     flight.
package azurekeyvault
