// Package kubernetessecrets is the Kubernetes Secrets backend: Airflow's
// KubernetesSecretsBackend
// (airflow.providers.cncf.kubernetes.secrets.kubernetes_secrets_backend),
// which finds secrets by label, so that External Secrets Operator, Sealed
// Secrets or any other tool may name them as it likes. It talks to the API
// server's REST routes over net/http (no client-go).
//
// Importing the package registers it as "kubernetes-secrets", with
// Airflow's class path
// airflow.providers.cncf.kubernetes.secrets.kubernetes_secrets_backend.KubernetesSecretsBackend
// as an alias.
//
// # Lookups
//
// Connection conn_id is the secret in the namespace carrying the label
// connections_label=conn_id (default airflow.apache.org/connection-id);
// its value is the base64-decoded data key connections_data_key (default
// "value"), UTF-8 text. Variables and configs work the same way with
// variables_label (airflow.apache.org/variable-key) and config_label
// (airflow.apache.org/config-key). One request is made:
//
//	GET /api/v1/namespaces/{namespace}/secrets?labelSelector=...&resourceVersion=0
//
// (resourceVersion=0 lets the API server answer from its watch cache, as
// Airflow asks). As in Airflow: no secret selected, or a secret without
// the data key, is not found; when several are selected, the first of the
// list is used and a warning names the selector and the secrets.
//
// An id that cannot be a label value (1-63 letters, digits, '-', '_' and
// '.', starting and ending with a letter or digit) is not found without a
// request: no secret can carry it, and the server would refuse the
// selector. This also keeps an id such as "a,b" from adding requirements
// to the selector.
//
// # Teams
//
// When [core] multi_team is on, and team_label (default
// airflow.apache.org/team) is not null, connections and variables are
// looked up as Airflow does (PR #65694): a lookup for a team first selects
// label=id,team_label=team, then the global secret label=id,!team_label;
// a lookup without a team selects only the global one, so a team's secret
// is never read without its team. Configs have no team. With multi_team
// off, teams and team_label are not used: the selector is label=id.
//
// # backend_kwargs
//
//	namespace            the namespace listed (default: the service
//	                     account's, from its namespace file, in a pod; the
//	                     context's, else "default", with a kubeconfig).
//	connections_label, variables_label, config_label
//	                     the label keys; null: that kind is never looked
//	                     up (no request). "" is an error.
//	team_label           the label naming a secret's team; null: no teams.
//	connections_data_key, variables_data_key, config_data_key
//	                     the data key holding the value (default "value").
//	in_cluster           true: the pod's service account; false: a
//	                     kubeconfig. Default: a kubeconfig when
//	                     kube_config_path or cluster_context is given, else
//	                     the service account when any
//	                     service_account_*_path is given or
//	                     KUBERNETES_SERVICE_HOST is set (in a pod: Airflow's
//	                     only way), else $KUBECONFIG or ~/.kube/config.
//	kube_config_path     a kubeconfig file.
//	cluster_context      the kubeconfig context (default current-context).
//	service_account_token_path, service_account_ca_path,
//	service_account_namespace_path
//	                     the service account's files (default under
//	                     /var/run/secrets/kubernetes.io/serviceaccount/).
//	                     Setting any of them chooses in-cluster
//	                     configuration when in_cluster is not given (with
//	                     in_cluster false they are an error).
//	timeout_seconds      bounds a lookup (default 10; 0: no bound).
//
// Any other key is a configuration error that names it, with a "did you
// mean" when one is close (Airflow raises TypeError).
//
// # Credentials
//
// In a pod (as Python's load_incluster_config): the API server is
// https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, verified with
// the service account's ca.crt, and requests carry its token, read for
// every request (the kubelet rotates projected tokens). The
// token and CA files must exist.
//
// With a kubeconfig (files merged as kubectl merges $KUBECONFIG): the
// context's cluster (server, certificate-authority(-data),
// insecure-skip-tls-verify, tls-server-name) and user: token, tokenFile
// (read for every request), client-certificate(-data) and
// client-key(-data). exec and auth-provider plugins, basic authentication,
// impersonation and proxy-url are refused with an error saying so.
//
// # Errors
//
// Errors start with the namespace, the label selector and the data key
// (as Describe says them), name the secret when one was read, and never
// hold a value, token or key. 401 and 403 answers match
// resolver.ErrPermissionDenied; 404 is an error saying the namespace or
// the server URL is wrong (listing a namespace that does not exist answers
// an empty list on a real API server: a miss); 429 and 5xx answers and an
// unreachable server are marked codes.Unavailable. The status of a
// failure answer decides whatever its size (the first 64 KiB of its body
// are read for a Status object, the rest is ignored), so a proxy's large
// 403 page is still permission denied. A list answer larger than
// Options.MaxResponseBytes (8 MiB), malformed JSON, a value that is not
// base64 or not UTF-8 are errors. Requests are not retried and redirects
// are not followed.
//
// # Change events
//
// The Backend is a resolver.ChangeSource that pushes: for each kind
// looked up it lists the secrets carrying the kind's label (GET
// .../secrets?labelSelector=<label>, a consistent read), then watches them
// from the list's resourceVersion (GET
// .../secrets?labelSelector=<label>&watch=1&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=N),
// up to three long-lived requests. Both ask for the secrets' metadata
// only (Accept: application/json;as=PartialObjectMetadataList or
// as=PartialObjectMetadata;g=meta.k8s.io;v=v1, with plain JSON as the
// fallback: a server without it sends whole secrets, whose data is not
// decoded). An ADDED, MODIFIED or DELETED secret makes an event of its
// kind, its id (the label's value) and its team (the team label's value,
// with teams on, for connections and variables; none for a global
// secret, which every team's lookup falls back on); a secret whose label
// value or team changes makes an event of the old id too. BOOKMARK events
// move the resourceVersion on. The server ends a watch after
// timeoutSeconds (5 to 10 minutes, at random; the client gives up 30 s
// later on a dead connection): it is re-opened from the last
// resourceVersion seen, and three watches in a row ended at once are an
// error. A 410 Gone, as an HTTP status or as an ERROR event holding a
// Status with code 410, means the resourceVersion is too old: the kind is
// listed again, an All event says that anything may have changed (the
// changes in the gap are not known one by one), and the watch starts from
// the new list's resourceVersion; Changes goes on without an error. Any
// other failure (401/403, 5xx, an unreachable server) ends Changes with
// an error naming the namespace and the selector, with the lookups'
// codes: the resolver drops the tier's cached answers and calls Changes
// again after its back-off. The service account needs "list" and
// "watch" on secrets in the namespace (the lookups need "list"). A list
// answer is bounded at 64 MiB, one watch event at 16 MiB. There is nothing to configure: the watch
// costs no request per watched id. A lookup after an event reads the API
// server's watch cache (resourceVersion=0, as Airflow asks), which served
// the event on that server; with several API servers behind one address,
// another server's cache may lag behind it for a moment, and the lookup
// then reads the value from before the change (seen at the next change or
// resync).
//
// # Deliberate differences from Airflow
//
//   - Credentials and the namespace are read when the backend is built (a
//     configuration error), not at the first lookup.
//   - An id that cannot be a label value is not found without a request
//     (Airflow sends it and raises the server's 400).
//   - A miss is logged at debug level (Airflow: warning), as the other
//     backends log theirs: a miss is the search path's ordinary case.
//   - Outside a pod a kubeconfig is used (Airflow's backend works in a pod
//     only); its namespace defaults to the context's, else "default".
//   - [core] multi_team gates teams, as newest Airflow gates the other
//     backends' team rules (PRs #71078, #71079).
package kubernetessecrets
