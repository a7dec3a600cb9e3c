package connection_test

import (
	"fmt"

	"github.com/secretpath/secretpath/resolver/connection"
)

func ExampleParseURI() {
	c, err := connection.ParseURI("my_db", "postgresql://app%40corp:s3cr%2Ft@DB.example.com:5432/orders?sslmode=require&connect_timeout=10")
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
	c, err := connection.ParseJSON("spark_k8s", `{"conn_type": "spark", "host": "k8s://10.0.0.1", "port": 443, "extra": {"deploy-mode": "cluster", "retries": 3}}`)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.URI())
	c, err = connection.ParseJSON("http_api", `{"conn_type": "http", "host": "api.example.com", "login": "bot", "password": "p@ss word", "extra": {"verify": "false-ish"}}`)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.URI())
	// Output:
	// spark://k8s://10.0.0.1:443/?__extra__=%7B%22deploy-mode%22%3A+%22cluster%22%2C+%22retries%22%3A+3%7D
	// http://bot:p%40ss%20word@api.example.com/?verify=false-ish
}

func ExampleParse() {
	for _, value := range []string{
		"  mysql://root@localhost/test  ",
		`{"conn_type": "aws", "extra": {"region_name": "eu-west-1"}}`,
		"mysql://root@localhost:99999/test",
	} {
		c, err := connection.Parse("conn", value)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("type=%s host=%q region=%q\n", c.ConnType, c.Host, extra(c, "region_name"))
	}
	// Output:
	// type=mysql host="localhost" region=""
	// type=aws host="" region="eu-west-1"
	// error: invalid connection: connection "conn": port: out of range 0-65535
}

func extra(c connection.Connection, path string) string {
	v, _ := c.ExtraString(path)
	return v
}

func ExampleSecret() {
	s := connection.NewSecret("hunter2")
	fmt.Println(s, s.Reveal())
	fmt.Printf("%v %+v %#v %q\n", s, s, s, s)
	// Output:
	// *** hunter2
	// *** *** *** ***
}
