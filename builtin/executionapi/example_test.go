package executionapi_test

import (
	"fmt"

	"github.com/secretpath/secretpath/builtin/executionapi"
	"github.com/secretpath/secretpath/resolver"
)

// A worker's Execution API tier built in Go: the API server's base URL and
// the task's token. Describe says what a lookup asks, without a request.
func ExampleNew() {
	b, err := executionapi.New(executionapi.Options{
		URL:   "http://airflow-api-server:8080/execution/",
		Token: "eyJhbGciOi...", // the task's JWT
	})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	fmt.Println(b.Describe(resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"}))
	fmt.Println(b.Describe(resolver.Request{Kind: resolver.KindVariable, ID: "team/key"}))
	fmt.Println(b.Describe(resolver.Request{Kind: resolver.KindConfig, ID: "core.parallelism"}))
	fmt.Println(b)
	// Output:
	// GET http://airflow-api-server:8080/execution/connections/smtp_default
	// GET http://airflow-api-server:8080/execution/variables/team%2Fkey
	// no request (the Execution API serves no config)
	// execution-api(http://airflow-api-server:8080/execution/, Airflow-API-Version 2026-11-13, token ***)
}
