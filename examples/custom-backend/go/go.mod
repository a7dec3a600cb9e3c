module github.com/secretpath/secretpath/examples/custom-backend/go

go 1.26

require github.com/secretpath/secretpath/guest-sdk/go v0.0.0

replace github.com/secretpath/secretpath/guest-sdk/go => ../../../guest-sdk/go
