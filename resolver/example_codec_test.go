package resolver_test

import (
	"fmt"

	"github.com/secretpath/secretpath/resolver"
)

func ExampleParseURI() {
	c, err := resolver.ParseURI("my_db", "postgresql://app%40corp:s3cr%2Ft@DB.example.com:5432/orders?sslmode=require&connect_timeout=10")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.ConnType, c.Host, c.Port, c.Schema, c.Login)
	fmt.Println(c.Password.Reveal())
	fmt.Println(c.Extra)
	fmt.Println(c) // the password and extras never print
	// Output:
	// postgres db.example.com 5432 orders app@corp
	// s3cr/t
	// {"sslmode": "require", "connect_timeout": 10}
	// Connection(conn_id="my_db", conn_type="postgres", host="db.example.com", port=5432, schema="orders", login="app@corp", password=***, extra=***)
}

func ExampleConnection_URI() {
	c, err := resolver.ParseJSON("spark_k8s", `{"conn_type": "spark", "host": "k8s://10.0.0.1", "port": 443, "extra": {"deploy-mode": "cluster", "retries": 3}}`)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.URI())
	c, err = resolver.ParseJSON("http_api", `{"conn_type": "http", "host": "api.example.com", "login": "bot", "password": "p@ss word", "extra": {"verify": "false-ish"}}`)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.URI())
	// Output:
	// spark://k8s://10.0.0.1:443/?__extra__=%7B%22deploy-mode%22%3A+%22cluster%22%2C+%22retries%22%3A+3%7D
	// http://bot:p%40ss%20word@api.example.com/?verify=false-ish
}

func ExampleParseConnection() {
	for _, value := range []string{
		"  mysql://root@localhost/test  ",
		`{"conn_type": "aws", "extra": {"region_name": "eu-west-1"}}`,
		"mysql://root@localhost:99999/test",
	} {
		c, err := resolver.ParseConnection("conn", value)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("type=%s host=%q region=%q\n", c.ConnType, c.Host, c.ExtraValue("region_name").String())
	}
	// Output:
	// type=mysql host="localhost" region=""
	// type=aws host="" region="eu-west-1"
	// error: invalid connection: connection "conn": port: out of range 0-65535
}
