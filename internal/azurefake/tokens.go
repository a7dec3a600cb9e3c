package azurefake

// TokenInfo returns the tenant and the resource (the audience) an access
// token the fake issued is for, and whether the fake issued it: what a
// relying party (Vault's azure auth method) learns by verifying the token.
func (s *Server) TokenInfo(tok string) (tenant, resource string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	return t.tenant, t.resource, ok
}
