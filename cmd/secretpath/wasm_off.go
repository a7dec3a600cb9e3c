//go:build secretpath_no_wasm

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/secretpath/secretpath/resolver/config"
)

// wasmCmd, in a build without WebAssembly support, says so.
func (a *app) wasmCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "wasm", Short: "Inspect WebAssembly backends (not in this build)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check MODULE.wasm",
		Short: "Not available: this build was made with -tags secretpath_no_wasm",
		Args:  cobra.ExactArgs(1),
		RunE: func(*cobra.Command, []string) error {
			return fmt.Errorf("%w: this secretpath was built without WebAssembly support (-tags secretpath_no_wasm)", config.ErrInvalid)
		},
	})
	return cmd
}
