package metastore

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/config"
)

// vector is one case of the Fernet spec's test vectors.
type vector struct {
	Token  string    `json:"token"`
	Now    time.Time `json:"now"`
	Src    string    `json:"src"`
	Secret string    `json:"secret"`
	Desc   string    `json:"desc"`
	TTLSec int       `json:"ttl_sec"`
}

func loadVectors(t *testing.T, name string) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/fernet/" + name)
	require.NoError(t, err)
	var vs []vector
	require.NoError(t, json.Unmarshal(b, &vs))
	require.NotEmpty(t, vs)
	return vs
}

func TestFernetSpecVectors(t *testing.T) {
	for _, file := range []string{"generate.json", "verify.json"} {
		for _, v := range loadVectors(t, file) {
			t.Run(file, func(t *testing.T) {
				k, err := parseFernetKeys(v.Secret)
				require.NoError(t, err)
				got, err := k.decrypt(v.Token)
				require.NoError(t, err)
				assert.Equal(t, v.Src, got)
				ts, ok := decodeToken(v.Token)
				require.True(t, ok)
				assert.True(t, ts.Equal(v.Now.Truncate(time.Second)) || v.TTLSec != 0, "the token's timestamp is the vector's now")
			})
		}
	}
	for _, v := range loadVectors(t, "invalid.json") {
		t.Run("invalid/"+v.Desc, func(t *testing.T) {
			k, err := parseFernetKeys(v.Secret)
			require.NoError(t, err)
			_, err = k.decrypt(v.Token)
			// Airflow decrypts without a ttl, so a token's age or a
			// future timestamp is no reason to refuse it.
			if strings.Contains(v.Desc, "TTL") || strings.Contains(v.Desc, "far-future") {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrDecrypt)
		})
	}
}

func TestFernetRoundTrip(t *testing.T) {
	k, err := parseFernetKeys(testKey)
	require.NoError(t, err)
	for _, msg := range []string{"", "a", strings.Repeat("x", 16), "grüße ✓", strings.Repeat("long ", 1000)} {
		tok, err := k.encrypt(msg)
		require.NoError(t, err)
		got, err := k.decrypt(tok)
		require.NoError(t, err)
		assert.Equal(t, msg, got)
		ts, ok := decodeToken(tok)
		require.True(t, ok)
		assert.WithinDuration(t, time.Now(), ts, 2*time.Minute)
	}
}

func TestFernetKeys(t *testing.T) {
	other, err := NewFernetKey()
	require.NoError(t, err)
	tests := []struct {
		name    string
		keys    string
		n       int
		wantErr string
	}{
		{name: "empty: no encryption", keys: "", n: 0},
		{name: "blank", keys: "  ", n: 0},
		{name: "one", keys: testKey, n: 1},
		{name: "rotation list with spaces", keys: other + " , " + testKey, n: 2},
		{name: "not base64", keys: "not a key!", wantErr: "key 1 of 1 is not URL-safe base64"},
		{name: "short", keys: testKey + ",AAAA", wantErr: "key 2 of 2 decodes to 3 bytes, not 32"},
		{name: "empty part", keys: testKey + ",", wantErr: "key 2 of 2 decodes to 0 bytes"},
		{name: "standard base64 alphabet", keys: "cw/0x689RpI+jtRR7oE8h/eQsKImvJapLeSbXpwF4e4=", wantErr: "key 1 of 1 is not URL-safe base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := parseFernetKeys(tt.keys)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), testKey)
				return
			}
			require.NoError(t, err)
			if tt.n == 0 {
				assert.False(t, k.enabled())
				return
			}
			assert.Len(t, k.keys, tt.n)
		})
	}

	// The first key encrypts; any decrypts.
	both, err := parseFernetKeys(other + "," + testKey)
	require.NoError(t, err)
	first, _ := parseFernetKeys(other)
	second, _ := parseFernetKeys(testKey)
	tok, err := both.encrypt("v")
	require.NoError(t, err)
	_, err = first.decrypt(tok)
	assert.NoError(t, err)
	_, err = second.decrypt(tok)
	assert.ErrorIs(t, err, ErrDecrypt)
	tok2, _ := second.encrypt("w")
	got, err := both.decrypt(tok2)
	require.NoError(t, err)
	assert.Equal(t, "w", got)

	var none *fernetKeys
	_, err = none.decrypt(tok)
	assert.ErrorIs(t, err, ErrDecrypt)
	assert.Contains(t, err.Error(), "no fernet_key is configured")
}

// FuzzFernetDecrypt: no token, however malformed, panics the decrypter
// (fernet-go assumes a well-formed ciphertext; decodeToken checks first).
func FuzzFernetDecrypt(f *testing.F) {
	for _, name := range []string{"generate.json", "verify.json", "invalid.json"} {
		b, _ := os.ReadFile("testdata/fernet/" + name)
		var vs []vector
		_ = json.Unmarshal(b, &vs)
		for _, v := range vs {
			f.Add(v.Token)
		}
	}
	k, err := parseFernetKeys("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if msg, err := k.decrypt(tok); err == nil {
			// Only a token made with the key opens: re-encrypting must
			// round-trip.
			again, err := k.encrypt(msg)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := k.decrypt(again); err != nil || back != msg {
				t.Fatalf("round trip failed: %v", err)
			}
		}
	})
}
