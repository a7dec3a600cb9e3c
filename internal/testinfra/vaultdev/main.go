// Command vaultdev runs a real HashiCorp Vault 1.14.1 server, in memory and
// unsealed, on a loopback address, for secretpath's real-server tests
// (builtin/vault). It is a nested module so that Vault's ~570-module graph
// never enters secretpath's own go.mod (see shared/notes/test-doubles.md
// §1b); .ci/vault.sh builds and starts it.
//
// The server holds:
//   - secret/: KV version 2 (upgraded from the test core's version 1, as in
//     `vault server -dev`), and kv1/: KV version 1;
//   - policy "secretpath": read and list on both mounts;
//   - auth approle/ with role "secretpath" and auth userpass/ with user
//     "secretpath", both given that policy and renewable 1-hour tokens.
//
// Once ready it writes one JSON object (Info) to -info (atomically: a
// temporary file renamed into place) and to stdout, then serves until
// SIGINT or SIGTERM. The root token is in that file: this is a test server
// with known CVEs, never to be used for anything else.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	kv "github.com/hashicorp/vault-plugin-secrets-kv"
	"github.com/hashicorp/vault/api"
	credAppRole "github.com/hashicorp/vault/builtin/credential/approle"
	credUserpass "github.com/hashicorp/vault/builtin/credential/userpass"
	vaulthttp "github.com/hashicorp/vault/http"
	"github.com/hashicorp/vault/sdk/logical"
	"github.com/hashicorp/vault/vault"
	"github.com/mitchellh/go-testing-interface"
)

// Info is what the server prints once it is ready.
type Info struct {
	Addr      string `json:"addr"`       // http://127.0.0.1:port
	RootToken string `json:"root_token"` // never expires
	PID       int    `json:"pid"`
	KV1Mount  string `json:"kv1_mount"` // KV version 1
	KV2Mount  string `json:"kv2_mount"` // KV version 2
	Policy    string `json:"policy"`    // read+list on both mounts

	AppRoleMount string `json:"approle_mount"`
	AppRoleRole  string `json:"approle_role"`
	RoleID       string `json:"role_id"`
	SecretID     string `json:"secret_id"`

	UserpassMount string `json:"userpass_mount"`
	Username      string `json:"username"`
	Password      string `json:"password"`
}

const (
	kv1Mount = "kv1"
	kv2Mount = "secret"
	policy   = "secretpath"
	name     = "secretpath"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	infoPath := flag.String("info", "", "write the server's Info as JSON to this file once ready")
	flag.Parse()
	if err := run(*addr, *infoPath); err != nil {
		fmt.Fprintln(os.Stderr, "vaultdev:", err)
		os.Exit(1)
	}
}

func run(addr, infoPath string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: want ip:port: %w", addr, err)
	}
	if !ap.Addr().IsLoopback() {
		return fmt.Errorf("-addr %q is not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()

	core, _, root := vault.TestCoreUnsealedWithConfig(&testing.RuntimeT{}, &vault.CoreConfig{
		Logger:             hclog.New(&hclog.LoggerOptions{Name: "vaultdev", Level: hclog.Warn, Output: os.Stderr}),
		LogicalBackends:    map[string]logical.Factory{"kv": kv.Factory},
		CredentialBackends: map[string]logical.Factory{"approle": credAppRole.Factory, "userpass": credUserpass.Factory},
	})
	defer core.Shutdown()
	vaulthttp.TestServerWithListener(nil, ln, url, core)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := setUp(ctx, url, root)
	if err != nil {
		return err
	}
	if err := writeInfo(infoPath, info); err != nil {
		return err
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	return nil
}

// setUp makes the mounts, policy, role and user through the HTTP API, as a
// Vault operator would.
func setUp(ctx context.Context, url, root string) (*Info, error) {
	cfg := api.DefaultConfig()
	cfg.Address = url
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.SetToken(root)
	sys := c.Sys()

	// secret/ is the test core's KV v1: upgrade it to v2, as -dev has it.
	if err := sys.TuneMountWithContext(ctx, kv2Mount, api.MountConfigInput{Options: map[string]string{"version": "2"}}); err != nil {
		return nil, fmt.Errorf("upgrade %s/ to KV v2: %w", kv2Mount, err)
	}
	if err := sys.MountWithContext(ctx, kv1Mount, &api.MountInput{Type: "kv", Options: map[string]string{"version": "1"}}); err != nil {
		return nil, fmt.Errorf("mount %s/: %w", kv1Mount, err)
	}
	// The upgrade of a KV v2 mount is asynchronous: wait until it accepts
	// a write.
	if err := waitKV2(ctx, c); err != nil {
		return nil, err
	}

	rules := fmt.Sprintf(`
path "%[1]s/*" { capabilities = ["read", "list"] }
path "%[2]s/*" { capabilities = ["read", "list"] }
`, kv1Mount, kv2Mount)
	if err := sys.PutPolicyWithContext(ctx, policy, rules); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}

	info := &Info{
		Addr: url, RootToken: root, PID: os.Getpid(),
		KV1Mount: kv1Mount, KV2Mount: kv2Mount, Policy: policy,
		AppRoleMount: "approle", AppRoleRole: name,
		UserpassMount: "userpass", Username: name, Password: randomHex(16),
	}
	for _, m := range []struct{ path, typ string }{{info.AppRoleMount, "approle"}, {info.UserpassMount, "userpass"}} {
		if err := sys.EnableAuthWithOptionsWithContext(ctx, m.path, &api.EnableAuthOptions{Type: m.typ}); err != nil {
			return nil, fmt.Errorf("enable auth %s: %w", m.typ, err)
		}
	}
	tokenParams := map[string]any{"token_policies": []string{policy}, "token_ttl": "1h", "token_max_ttl": "4h"}
	lg := c.Logical()
	if _, err := lg.WriteWithContext(ctx, "auth/"+info.AppRoleMount+"/role/"+name, tokenParams); err != nil {
		return nil, fmt.Errorf("approle role: %w", err)
	}
	s, err := lg.ReadWithContext(ctx, "auth/"+info.AppRoleMount+"/role/"+name+"/role-id")
	if err != nil || s == nil {
		return nil, fmt.Errorf("approle role_id: %v", err)
	}
	info.RoleID, _ = s.Data["role_id"].(string)
	s, err = lg.WriteWithContext(ctx, "auth/"+info.AppRoleMount+"/role/"+name+"/secret-id", nil)
	if err != nil || s == nil {
		return nil, fmt.Errorf("approle secret_id: %v", err)
	}
	info.SecretID, _ = s.Data["secret_id"].(string)
	userParams := map[string]any{"password": info.Password}
	for k, v := range tokenParams {
		userParams[k] = v
	}
	if _, err := lg.WriteWithContext(ctx, "auth/"+info.UserpassMount+"/users/"+info.Username, userParams); err != nil {
		return nil, fmt.Errorf("userpass user: %w", err)
	}
	if info.RoleID == "" || info.SecretID == "" {
		return nil, errors.New("approle: empty role_id or secret_id")
	}
	return info, nil
}

func waitKV2(ctx context.Context, c *api.Client) error {
	for {
		_, err := c.KVv2(kv2Mount).Put(ctx, "vaultdev-ready", map[string]any{"ready": "yes"})
		if err == nil {
			return c.KVv2(kv2Mount).DeleteMetadata(ctx, "vaultdev-ready")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s/ did not become KV v2: %w", kv2Mount, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func writeInfo(path string, info *Info) error {
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if path != "" {
		tmp, err := os.CreateTemp(filepath.Dir(path), ".vaultdev-info-*")
		if err != nil {
			return err
		}
		if _, err := tmp.Write(b); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return err
		}
	}
	_, err = fmt.Printf("%s\n", b)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
