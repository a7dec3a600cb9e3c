package awssecretsmanager

import (
	"github.com/secretpath/secretpath/builtin/internal/awscommon"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the secret a lookup of id reads, for resolver.Explain.
func (b *Backend) Describe(kind resolver.Kind, id string) string {
	k, kwarg := &b.cfgs, "config_prefix"
	switch kind {
	case resolver.KindConnection:
		k, kwarg = &b.conns, "connections_prefix"
	case resolver.KindVariable:
		k, kwarg = &b.vars, "variables_prefix"
	}
	return k.Describe("secret", b.secretName(k, id), id, kwarg)
}

func (b *Backend) secretName(k *awscommon.Kind, id string) string {
	if k.Prefix == "" {
		return id
	}
	return k.Prefix + b.sep + id
}
