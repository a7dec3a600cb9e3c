//go:build !secretpath_no_wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secretpath/secretpath/wasmhost"
)

// wasmCmd is `secretpath wasm check MODULE.wasm`: validate a module against
// ABI v1 and say what it exports and needs.
func (a *app) wasmCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "wasm", Short: "Inspect WebAssembly backends"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check MODULE.wasm",
		Short: "Validate a module against ABI v1 and list its exports and the capabilities it needs",
		Long: `Validate a module against secretpath ABI v1 (wasmhost/ABI.md) the way the host
does when it loads one: exports and their signatures, imports, structural limits.
Exit status 0 when the module is valid, 1 when it is not, 2 on a usage error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.wasmCheck(cmd.Context(), args[0])
		},
	})
	return cmd
}

func (a *app) wasmCheck(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err // a usage error: exit 2
	}
	h, err := wasmhost.New(ctx, wasmhost.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer h.Close(ctx)
	m, err := h.LoadFile(ctx, path, "")
	if err != nil {
		var ve *wasmhost.ValidationError
		if errors.As(err, &ve) {
			fmt.Fprintf(a.stdout, "%s: INVALID\n", path)
			for _, p := range ve.Problems {
				fmt.Fprintf(a.stdout, "  - %s\n", p)
			}
			return &lookupError{fmt.Errorf("%s is not a valid secretpath ABI v1 module", path)}
		}
		return &lookupError{err}
	}
	info := m.Info()
	none := func(s []string) string {
		if len(s) == 0 {
			return "none"
		}
		return strings.Join(s, ", ")
	}
	maxMem := "none declared"
	if info.MaxMemory != nil {
		maxMem = fmt.Sprint(*info.MaxMemory)
	}
	fmt.Fprintf(a.stdout, "%s: OK, secretpath ABI v1\n", path)
	fmt.Fprintf(a.stdout, "  sha256:        %s\n", info.SHA256)
	fmt.Fprintf(a.stdout, "  size:          %d bytes\n", info.Size)
	fmt.Fprintf(a.stdout, "  exports:       %s\n", none(info.Exports))
	fmt.Fprintf(a.stdout, "  imports:       %s\n", none(info.Imports))
	fmt.Fprintf(a.stdout, "  capabilities:  %s\n", none(info.Capabilities))
	fmt.Fprintf(a.stdout, "  WASI:          %v\n", info.WASI)
	fmt.Fprintf(a.stdout, "  configs:       %v\n", info.Configs)
	fmt.Fprintf(a.stdout, "  memory pages:  %d initial, maximum %s\n", info.MinMemory, maxMem)
	return nil
}
