package kit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/secretpath/secretpath/resolver/config"
)

func kwargs(t *testing.T, text string) *config.Kwargs {
	t.Helper()
	kw, err := config.ParseKwargs([]byte(text))
	require.NoError(t, err)
	return kw
}

// TestParse: how each location kwarg lands in a Location, for a scheme
// with and without lookup patterns, and which keys are read.
func TestParse(t *testing.T) {
	aws := Scheme{Suffix: "_prefix", Patterns: true}
	tests := []struct {
		name   string
		s      Scheme
		kw     string
		want   Locations
		unused string // the CheckUnused error's list, "" for none
	}{
		{name: "absent: the defaults", s: aws, kw: `{}`},
		{name: "null: off", s: aws, kw: `{"connections_prefix": null}`, want: Locations{Connections: location.Location{Off: true}}},
		{name: "empty: no prefix", s: aws, kw: `{"variables_prefix": ""}`, want: Locations{Variables: location.Location{NoPrefix: true}}},
		{name: "a prefix", s: aws, kw: `{"config_prefix": "a/b/"}`, want: Locations{Configs: location.Location{Prefix: "a/b/"}}},
		{name: "patterns", s: aws, kw: `{"connections_lookup_pattern": "^db", "variables_lookup_pattern": null, "config_lookup_pattern": ""}`,
			want: Locations{Connections: location.Location{LookupPattern: "^db"}}},
		{name: "a pattern with its kind off", s: aws, kw: `{"config_prefix": null, "config_lookup_pattern": "x"}`,
			want: Locations{Configs: location.Location{Off: true, LookupPattern: "x"}}},
		{name: "Vault's paths", s: Scheme{Suffix: "_path"}, kw: `{"connections_path": "conns", "variables_path": null, "config_path": ""}`,
			want: Locations{Connections: location.Location{Prefix: "conns"}, Variables: location.Location{Off: true}, Configs: location.Location{NoPrefix: true}}},
		{name: "patterns not read without Patterns", s: Scheme{Suffix: "_prefix"}, kw: `{"connections_lookup_pattern": "x", "connections_path": "p"}`,
			unused: "connections_lookup_pattern, connections_path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kw := kwargs(t, tt.kw)
			got, err := tt.s.Parse(kw)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			err = kw.CheckUnused("b")
			if tt.unused == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "unknown backend_kwargs key(s): "+tt.unused)
			}
		})
	}
}

// TestParseErrors: a location kwarg or pattern of the wrong type, and a
// prefix the scheme's Check refuses, are configuration errors naming the
// key; the first wrong kwarg, in reading order, is the one reported.
func TestParseErrors(t *testing.T) {
	dots := func(key, prefix string) error {
		if prefix == ".." {
			return fmt.Errorf("%w: %s has a dot segment", config.ErrInvalid, key)
		}
		return nil
	}
	s := Scheme{Suffix: "_path", Patterns: true, Check: dots}
	for kw, want := range map[string]string{
		`{"connections_path": 3}`:                                `backend_kwargs key "connections_path" must be a string`,
		`{"variables_path": ["a"]}`:                              `backend_kwargs key "variables_path" must be a string`,
		`{"config_lookup_pattern": 1}`:                           `backend_kwargs key "config_lookup_pattern" must be a string`,
		`{"variables_path": "..", "config_path": 5}`:             "variables_path has a dot segment",
		`{"connections_lookup_pattern": 5, "variables_path": 5}`: `"connections_lookup_pattern" must be a string`,
	} {
		_, err := s.Parse(kwargs(t, kw))
		require.ErrorIs(t, err, config.ErrInvalid, kw)
		assert.ErrorContains(t, err, want, kw)
	}
	_, err := s.Parse(kwargs(t, `{"connections_path": "", "variables_path": null}`))
	require.NoError(t, err, "Check sees given prefixes only")
}

// TestCompile: defaults, stripping (a set of characters, the default
// included), off and no prefix.
func TestCompile(t *testing.T) {
	tests := []struct {
		name       string
		l          location.Location
		def, trim  string
		wantOn     bool
		wantPrefix string
	}{
		{name: "default", def: "airflow/connections", trim: "/", wantOn: true, wantPrefix: "airflow/connections"},
		{name: "off", l: location.Location{Off: true, Prefix: "x"}, def: "d", trim: "/"},
		{name: "no prefix", l: location.Location{NoPrefix: true}, def: "d", trim: "/", wantOn: true},
		{name: "no prefix wins over a prefix", l: location.Location{NoPrefix: true, Prefix: "p"}, def: "d", trim: "/", wantOn: true},
		{name: "trailing sep", l: location.Location{Prefix: "a/b//"}, def: "d", trim: "/", wantOn: true, wantPrefix: "a/b"},
		{name: "only seps", l: location.Location{Prefix: "///"}, def: "d", trim: "/", wantOn: true},
		{name: "character set", l: location.Location{Prefix: "a-_-_"}, def: "d", trim: "_-", wantOn: true, wantPrefix: "a"},
		{name: "default stripped too", def: "airflow/connections", trim: "s", wantOn: true, wantPrefix: "airflow/connection"},
		{name: "nothing stripped", l: location.Location{Prefix: "conns-"}, def: "d", wantOn: true, wantPrefix: "conns-"},
		{name: "leading and inner seps kept", l: location.Location{Prefix: "//a//b/"}, def: "d", trim: "/", wantOn: true, wantPrefix: "//a//b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Scheme{Suffix: "_prefix", Defaults: [3]string{"c", tt.def, "f"}, Trim: tt.trim}
			ps, err := s.Compile(Locations{Variables: tt.l})
			require.NoError(t, err)
			assert.Equal(t, Place{On: tt.wantOn, Prefix: tt.wantPrefix, Kwarg: "variables_prefix"}, ps.Variables)
			assert.Equal(t, Place{On: true, Prefix: "c", Kwarg: "connections_prefix"}, ps.Connections, "the other kinds keep their defaults")
			assert.Equal(t, Place{On: true, Prefix: "f", Kwarg: "config_prefix"}, ps.Configs)
		})
	}
}

// TestPattern: a lookup pattern is anchored at the start of the id only
// and ignores case; one that RE2 does not compile, or one given to a
// backend without patterns, is a configuration error naming its kwarg.
func TestPattern(t *testing.T) {
	re, err := CompilePattern("prod_|dev_")
	require.NoError(t, err)
	for id, want := range map[string]bool{"prod_db": true, "PROD_db": true, "Dev_x": true, "my_prod_db": false, "prod": false} {
		assert.Equal(t, want, re.MatchString(id), id)
	}
	aws := Scheme{Backend: "aws-ssm", Suffix: "_prefix", Patterns: true}
	ps, err := aws.Compile(Locations{Connections: location.Location{LookupPattern: "a|db"}})
	require.NoError(t, err)
	assert.False(t, ps.Connections.Match("prod_db"), "an alternation stays anchored")
	assert.True(t, ps.Connections.Match("DB_x"))

	for _, p := range []string{"(?<=x)", "(?!x)", "(unclosed", `(a)\1`} {
		_, err = aws.Compile(Locations{Configs: location.Location{LookupPattern: p}})
		require.ErrorIs(t, err, config.ErrInvalid, p)
		assert.ErrorContains(t, err, "config_lookup_pattern is not a valid regular expression", p)
	}
	_, err = Scheme{Backend: "vault", Suffix: "_path"}.Compile(Locations{Variables: location.Location{LookupPattern: "x"}})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.EqualError(t, err, "configuration error: vault takes no lookup pattern (variables_lookup_pattern)")
	_, err = Scheme{Backend: "vault", Suffix: "_path"}.Compile(Locations{Variables: location.Location{Off: true, LookupPattern: "x"}})
	assert.NoError(t, err, "a kind switched off is not looked at")
}

// TestPlaces: each kind of request finds its Place; a kind remote
// backends do not serve is not found, without a request, and says so.
func TestPlaces(t *testing.T) {
	var ps Places
	for _, tt := range []struct {
		kind resolver.Kind
		want *Place
	}{
		{resolver.KindConnection, &ps.Connections},
		{resolver.KindVariable, &ps.Variables},
		{resolver.KindConfig, &ps.Configs},
		{0, nil},
		{resolver.Kind(9), nil},
	} {
		p, ok := ps.For(tt.kind)
		assert.Same(t, tt.want, p, tt.kind.String())
		assert.Equal(t, tt.want != nil, ok, tt.kind.String())
	}
	err := NotServed(resolver.Kind(9))
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Equal(t, "Kind(9) lookups are not served: not found", err.Error())
	assert.Equal(t, "no request (Kind(9) lookups are not served)", DescribeNotServed(resolver.Kind(9)))
}

// TestDescribe: what a lookup asks for, or why it asks for nothing; the
// team is ignored.
func TestDescribe(t *testing.T) {
	s := Scheme{Suffix: "_prefix", Defaults: [3]string{"", "airflow/variables", ""}, Trim: "/", Patterns: true}
	ps, err := s.Compile(Locations{
		Connections: location.Location{Prefix: "airflow/connections/", LookupPattern: "^db"},
		Configs:     location.Location{Off: true},
	})
	require.NoError(t, err)
	name := func(p *Place, id string) string { return "/" + p.Prefix + "/" + id }
	for _, tt := range []struct {
		req  resolver.Request
		want string
	}{
		{resolver.Request{Kind: resolver.KindConnection, ID: "db_main"}, `parameter "/airflow/connections/db_main"`},
		{resolver.Request{Kind: resolver.KindConnection, ID: "web"}, "no request (the id does not match the lookup pattern)"},
		{resolver.Request{Kind: resolver.KindConnection, ID: ""}, "no request (empty id)"},
		{resolver.Request{Kind: resolver.KindConfig, ID: "x"}, "no request (config_prefix is null)"},
		{resolver.Request{Kind: resolver.KindVariable, ID: "v"}, `parameter "/airflow/variables/v"`},
		{resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team_a"}, `parameter "/airflow/variables/v"`},
		{resolver.Request{Kind: 9, ID: "c"}, "no request (Kind(9) lookups are not served)"},
	} {
		assert.Equal(t, tt.want, ps.Describe(tt.req, "parameter", name), "%+v", tt.req)
		if p, ok := ps.For(tt.req.Kind); ok {
			assert.Equal(t, tt.want[0] != 'n', p.Match(tt.req.ID), "Match agrees with Describe: %+v", tt.req)
		}
	}
}

// TestSeconds: the timeout kwargs, as numbers and as strings.
func TestSeconds(t *testing.T) {
	const timeoutWant = `backend_kwargs key "timeout_seconds" must be between 0 (no timeout) and 86400`
	tests := []struct {
		kw      string
		want    time.Duration
		wantErr string
	}{
		{kw: `{}`},
		{kw: `{"timeout_seconds": null}`},
		{kw: `{"timeout_seconds": 0}`, want: -1},
		{kw: `{"timeout_seconds": "0"}`, want: -1},
		{kw: `{"timeout_seconds": 2.5}`, want: 2500 * time.Millisecond},
		{kw: `{"timeout_seconds": " 2.5 "}`, want: 2500 * time.Millisecond},
		{kw: `{"timeout_seconds": 86400}`, want: 24 * time.Hour},
		{kw: `{"timeout_seconds": -1}`, wantErr: timeoutWant},
		{kw: `{"timeout_seconds": 86400.5}`, wantErr: timeoutWant},
		{kw: `{"timeout_seconds": 1e9}`, wantErr: timeoutWant},
		{kw: `{"timeout_seconds": "NaN"}`, wantErr: timeoutWant},
		{kw: `{"timeout_seconds": "-Inf"}`, wantErr: timeoutWant},
		{kw: `{"timeout_seconds": "soon"}`, wantErr: `backend_kwargs key "timeout_seconds" must be a number`},
		{kw: `{"timeout_seconds": true}`, wantErr: `backend_kwargs key "timeout_seconds" must be a number`},
	}
	for _, tt := range tests {
		kw := kwargs(t, tt.kw)
		got, err := Timeout(kw)
		if tt.wantErr != "" {
			require.ErrorIs(t, err, config.ErrInvalid, tt.kw)
			assert.Equal(t, "configuration error: "+tt.wantErr, err.Error(), tt.kw)
			continue
		}
		require.NoError(t, err, tt.kw)
		assert.Equal(t, tt.want, got, tt.kw)
		assert.NoError(t, kw.CheckUnused("b"), "the key is read")
	}

	// Vault's: another key, bound and wording.
	d, err := Seconds(kwargs(t, `{"timeout": 1e9}`), "timeout", 1e9, "must be a number of seconds >= 0")
	require.NoError(t, err)
	assert.Equal(t, time.Duration(1e9)*time.Second, d)
	_, err = Seconds(kwargs(t, `{"timeout": -0.5}`), "timeout", 1e9, "must be a number of seconds >= 0")
	assert.EqualError(t, err, `configuration error: backend_kwargs key "timeout" must be a number of seconds >= 0`)
}

// TestVerify: the verify kwargs of the three vendors: a boolean, a string
// reading as one, or a CA bundle's path; "" as the vendor wants it.
func TestVerify(t *testing.T) {
	aws := VerifyKwarg{Key: "verify"}
	azure := VerifyKwarg{Key: "connection_verify", RefuseEmpty: true}
	vault := VerifyKwarg{Key: "verify", Want: "must be a boolean or a CA bundle path"}
	const (
		awsWant   = `backend_kwargs key "verify" must be a boolean or the path of a CA bundle`
		azureWant = `backend_kwargs key "connection_verify" must be a boolean or the path of a CA bundle`
		vaultWant = `backend_kwargs key "verify" must be a boolean or a CA bundle path`
	)
	tests := []struct {
		v       VerifyKwarg
		kw      string
		want    Verify
		wantErr string
	}{
		{v: aws, kw: `{}`},
		{v: aws, kw: `{"verify": null}`},
		{v: aws, kw: `{"verify": true}`, want: Verify{Given: true}},
		{v: aws, kw: `{"verify": false}`, want: Verify{Given: true, Insecure: true}},
		{v: aws, kw: `{"verify": "false"}`, want: Verify{Given: true, Insecure: true}},
		{v: aws, kw: `{"verify": " Yes "}`, want: Verify{Given: true}},
		{v: aws, kw: `{"verify": "f"}`, want: Verify{Given: true, Insecure: true}},
		{v: aws, kw: `{"verify": "/etc/ca.pem"}`, want: Verify{Given: true, CABundle: "/etc/ca.pem"}},
		{v: aws, kw: `{"verify": ""}`},
		{v: aws, kw: `{"verify": 3}`, wantErr: awsWant},
		{v: aws, kw: `{"verify": ["/ca.pem"]}`, wantErr: awsWant},
		{v: azure, kw: `{"connection_verify": ""}`, wantErr: azureWant},
		{v: azure, kw: `{"connection_verify": {}}`, wantErr: azureWant},
		{v: azure, kw: `{"connection_verify": "ca.pem"}`, want: Verify{Given: true, CABundle: "ca.pem"}},
		{v: azure, kw: `{"connection_verify": null}`},
		{v: vault, kw: `{"verify": 5}`, wantErr: vaultWant},
		{v: vault, kw: `{"verify": ""}`},
		{v: vault, kw: `{"verify": "0"}`, want: Verify{Given: true, Insecure: true}},
	}
	for _, tt := range tests {
		kw := kwargs(t, tt.kw)
		got, err := tt.v.Parse(kw)
		if tt.wantErr != "" {
			require.ErrorIs(t, err, config.ErrInvalid, tt.kw)
			assert.Equal(t, "configuration error: "+tt.wantErr, err.Error(), tt.kw)
			continue
		}
		require.NoError(t, err, tt.kw)
		assert.Equal(t, tt.want, got, tt.kw)
		assert.NoError(t, kw.CheckUnused("b"), "the key is read: %s", tt.kw)
	}
}

// TestUnavailable: the mark keeps the text and the chain, and leaves the
// context's errors to the resolver.
func TestUnavailable(t *testing.T) {
	base := errors.New("HTTP 503")
	err := Unavailable(base)
	assert.Equal(t, codes.Unavailable, resolver.Code(err))
	assert.Equal(t, "HTTP 503", err.Error())
	assert.ErrorIs(t, err, base)
	assert.Equal(t, codes.Unavailable, resolver.Code(fmt.Errorf("secret %q: %w", "x", err)), "through wrapping")

	for _, ctxErr := range []error{context.DeadlineExceeded, context.Canceled} {
		e := fmt.Errorf("HTTP 503 (gave up before retrying: %w)", ctxErr)
		assert.Same(t, e, Unavailable(e))
	}
	assert.Equal(t, codes.DeadlineExceeded, resolver.Code(Unavailable(fmt.Errorf("x: %w", context.DeadlineExceeded))))
	assert.NoError(t, Unavailable(nil))
}

// TestUnanswered: a refused dial is one, wrapped as net/http wraps it; a
// timeout and an ordinary error are not.
func TestUnanswered(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	_, err = net.Dial("tcp", addr)
	require.Error(t, err)
	assert.True(t, Unanswered(err), "%v", err)
	assert.True(t, Unanswered(fmt.Errorf("request: %w", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)})))
	assert.False(t, Unanswered(context.DeadlineExceeded))
	assert.False(t, Unanswered(errors.New("connection refused")), "text is not looked at")
	assert.False(t, Unanswered(nil))
}
