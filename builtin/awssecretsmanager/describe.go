package awssecretsmanager

import (
	"github.com/secretpath/secretpath/builtin/internal/awscommon"
	"github.com/secretpath/secretpath/resolver"
)

var (
	_ resolver.Backend   = (*Backend)(nil)
	_ resolver.Named     = (*Backend)(nil)
	_ resolver.Describer = (*Backend)(nil)
)

// Describe names the secret a lookup of req reads, for resolver.Explain.
func (b *Backend) Describe(req resolver.Request) string {
	return b.kinds.Describe(req, "secret", b.secretName)
}

func (b *Backend) secretName(k *awscommon.Kind, id string) string {
	if k.Prefix == "" {
		return id
	}
	return k.Prefix + b.sep + id
}
