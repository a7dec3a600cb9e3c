package executionapi

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver/config"
)

// tokenSource gives the token of each request: a fixed one, or a file's,
// read for every request; a refreshed token the server issued replaces it
// until the configured one changes. Its printed form never holds a token.
//
// The file is read every time rather than when its size, modification
// time or inode change: a token rewritten in place with one of the same
// length within the clock's granularity (or with its time restored)
// changes none of them, and reading a small file is nothing next to the
// request it authenticates (kubernetessecrets reads its token file the
// same way).
type tokenSource struct {
	file string // "" for a fixed token

	mu        sync.Mutex
	token     string // the configured token (the file's, as last read)
	refreshed string // the server's Refreshed-API-Token for token
	// The Authorization header's values for token and refreshed, made
	// when they change rather than per request (len == cap, read-only).
	auth, refreshedAuth []string
}

// bearer is the Authorization header's value for tok, to be shared by
// requests (len == cap: an append copies).
func bearer(tok string) []string { return []string{"Bearer " + tok}[:1:1] }

func newTokenSource(token, file string) (*tokenSource, error) {
	switch {
	case token != "" && file != "":
		return nil, fmt.Errorf("%w: %s: both a token and a token file are given (%s and %s); set one",
			config.ErrInvalid, Name, TokenEnv, TokenFileEnv)
	case token == "" && file == "":
		return nil, fmt.Errorf("%w: %s: no token (set %s or %s)", config.ErrInvalid, Name, TokenEnv, TokenFileEnv)
	}
	ts := &tokenSource{file: file}
	if file == "" {
		if err := checkToken(token); err != nil {
			return nil, fmt.Errorf("%w: %s: %s %s", config.ErrInvalid, Name, TokenEnv, err)
		}
		ts.token, ts.auth = token, bearer(token)
		return ts, nil
	}
	if _, _, err := ts.current(); err != nil {
		return nil, fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	return ts, nil
}

// checkToken refuses a token that cannot travel in a header.
func checkToken(tok string) error {
	if len(tok) > maxToken {
		return fmt.Errorf("is longer than %d bytes", maxToken)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c < 0x21 || c > 0x7e {
			return errors.New("holds a character a token cannot hold (spaces, control characters, non-ASCII)")
		}
	}
	return nil
}

// String names where the token comes from, never the token.
func (ts *tokenSource) String() string {
	if ts.file != "" {
		return "from file " + ts.file
	}
	return "***"
}

// current returns the token to send and the Authorization header's value
// for it: the refreshed one, else the configured one, the file read
// again. The file is read outside the lock, so that a slow file system
// delays only its own lookup.
func (ts *tokenSource) current() (string, []string, error) {
	var tok string
	if ts.file != "" {
		var err error
		if tok, err = ts.read(); err != nil {
			return "", nil, err
		}
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.file != "" && tok != ts.token {
		// A new configured token: the one the server refreshed was for
		// the old.
		ts.token, ts.auth = tok, bearer(tok)
		ts.refreshed, ts.refreshedAuth = "", nil
	}
	if ts.refreshed != "" {
		return ts.refreshed, ts.refreshedAuth, nil
	}
	return ts.token, ts.auth, nil
}

// read reads the token file.
func (ts *tokenSource) read() (string, error) {
	data, err := kit.ReadFile(ts.file, maxToken+64)
	if err != nil {
		return "", fmt.Errorf("token file (%s): %w", TokenFileEnv, err)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", fmt.Errorf("token file (%s) %s is empty", TokenFileEnv, ts.file)
	}
	if err := checkToken(tok); err != nil {
		return "", fmt.Errorf("the token in the file named by %s %s", TokenFileEnv, err)
	}
	return tok, nil
}

// refresh records a Refreshed-API-Token the server sent with an answer to
// a request made with sent: it replaces sent, unless the configured token
// changed since.
func (ts *tokenSource) refresh(sent, tok string) {
	if tok == "" || tok == sent || checkToken(tok) != nil {
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if (sent == ts.token || sent == ts.refreshed) && tok != ts.refreshed {
		ts.refreshed, ts.refreshedAuth = tok, bearer(tok)
	}
}
