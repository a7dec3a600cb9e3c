module github.com/secretpath/secretpath/guest-sdk/go

go 1.26
