package metastore

import (
	"crypto/aes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fernet/fernet-go"
)

// fernetKeys is Airflow's MultiFernet over [core] fernet_key: a comma list
// of keys; the first encrypts, any decrypts. nil means no key: values are
// stored in clear with is_encrypted false, as Airflow's _NullFernet does.
type fernetKeys struct {
	keys []*fernet.Key
}

// ErrDecrypt is wrapped by the error of a lookup whose stored value does not
// decrypt with any configured key (or is encrypted while no key is set).
var ErrDecrypt = errors.New("cannot decrypt")

// parseFernetKeys reads fernet_key as Airflow does: split at commas, each
// part (spaces around it ignored) the URL-safe base64 of 32 bytes. Errors
// never contain a key.
func parseFernetKeys(s string) (*fernetKeys, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	fk := &fernetKeys{}
	for i, p := range parts {
		k, err := decodeFernetKey(strings.TrimSpace(p))
		if err != nil {
			return nil, &settingError{setting: "fernet_key", reason: fmt.Sprintf("key %d of %d %v", i+1, len(parts), err)}
		}
		fk.keys = append(fk.keys, k)
	}
	return fk, nil
}

func decodeFernetKey(s string) (*fernet.Key, error) {
	b, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("is not URL-safe base64")
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("decodes to %d bytes, not 32", len(b))
	}
	var k fernet.Key
	copy(k[:], b)
	return &k, nil
}

// NewFernetKey returns a new random Fernet key, URL-safe base64 encoded, as
// Python's Fernet.generate_key does.
func NewFernetKey() (string, error) {
	var k fernet.Key
	if err := k.Generate(); err != nil {
		return "", err
	}
	return k.Encode(), nil
}

func (fk *fernetKeys) enabled() bool { return fk != nil && len(fk.keys) > 0 }

// encrypt returns plain as a Fernet token made with the first key.
func (fk *fernetKeys) encrypt(plain string) (string, error) {
	tok, err := fernet.EncryptAndSign([]byte(plain), fk.keys[0])
	if err != nil {
		return "", fmt.Errorf("metastore: encrypting: %w", err)
	}
	return string(tok), nil
}

// The layout of a decoded token: version, timestamp, IV, ciphertext (at
// least one block), HMAC.
const (
	tokenOverhead = 1 + 8 + aes.BlockSize + sha256.Size
	tokenMin      = tokenOverhead + aes.BlockSize
)

// decodeToken checks a token's shape before fernet-go sees it: Python's
// Fernet would refuse the same tokens, and fernet-go assumes a non-empty
// ciphertext. It returns the token's timestamp.
func decodeToken(tok string) (time.Time, bool) {
	b, err := base64.URLEncoding.DecodeString(tok)
	if err != nil || len(b) < tokenMin || b[0] != 0x80 || (len(b)-tokenOverhead)%aes.BlockSize != 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(binary.BigEndian.Uint64(b[1:9])), 0), true
}

// decrypt returns a token's plaintext, trying each key in order. Tokens do
// not expire (Airflow passes no ttl).
func (fk *fernetKeys) decrypt(tok string) (string, error) {
	if !fk.enabled() {
		return "", fmt.Errorf("%w: the value is encrypted and no fernet_key is configured", ErrDecrypt)
	}
	if _, ok := decodeToken(tok); !ok {
		return "", fmt.Errorf("%w: not a Fernet token", ErrDecrypt)
	}
	msg := fernet.VerifyAndDecrypt([]byte(tok), 0, fk.keys)
	if msg == nil {
		return "", fmt.Errorf("%w: no configured fernet_key opens the value (wrong key, or a damaged value)", ErrDecrypt)
	}
	return string(msg), nil
}

// rotate re-encrypts a token with the first key, keeping its timestamp, as
// MultiFernet.rotate does.
func (fk *fernetKeys) rotate(tok string) (string, error) {
	plain, err := fk.decrypt(tok)
	if err != nil {
		return "", err
	}
	ts, _ := decodeToken(tok)
	out, err := fernet.EncryptAndSignAtTime([]byte(plain), fk.keys[0], ts)
	if err != nil {
		return "", fmt.Errorf("metastore: encrypting: %w", err)
	}
	return string(out), nil
}
