// Package awscommon holds what the AWS backends (builtin/awsssm and
// builtin/awssecretsmanager) share beyond builtin/internal/kit: the AWS
// session kwargs and how they become an aws.Config, and the mapping of
// service errors onto the resolver's sentinels and codes.
//
// Where the clients' options come from, against Airflow's backends (which
// build the service client as session.client(service, region_name,
// verify, endpoint_url, api_version, use_ssl), with no botocore Config):
//
//   - endpoint_url is the service client's endpoint; service_config's ssm
//     and secretsmanager sections are ignored with a warning, as Airflow
//     ignores them; service_config.sts.endpoint_url is the assume-role STS
//     client's, as in Airflow (base_aws.py's _refresh_credentials).
//   - config_kwargs (botocore Config) applies to every client, the
//     service's included, where Airflow gives it to the assume-role STS
//     client only. This is deliberate: retries, timeouts, proxies and
//     keep-alive are what a user setting them means for the lookups, and a
//     Config that reached only STS would leave the service's traffic
//     unbounded by them.
//   - verify applies to every client too (Airflow: the service client).
package awscommon

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/secretpath/secretpath/builtin/internal/kit"
)

// Scheme is where the AWS backends' values live: <kind>_prefix and
// <kind>_lookup_pattern kwargs, as Airflow's; the characters of sep are
// stripped from the end of a prefix (Python's str.rstrip(sep)).
func Scheme(backend, sep string, defaults [3]string) kit.Scheme {
	return kit.Scheme{Backend: backend, Suffix: "_prefix", Defaults: defaults, Trim: sep, Patterns: true}
}

// DescribeOptions describes an AWS backend's options without credentials
// (aws.Config can hold static keys by value, which fmt and encoding/json
// would print): the region, whether credentials are set, the timeout.
func DescribeOptions(typeName string, cfg aws.Config, timeout time.Duration) string {
	return fmt.Sprintf("%s{Region: %q, Credentials: %t, Timeout: %s}", typeName, cfg.Region, cfg.Credentials != nil, timeout)
}
