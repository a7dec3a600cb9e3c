package wasmhost_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/secretpath/secretpath/wasmhost"
)

// TestStatusCodeMapping: ABI statuses 0-7 are the codes of the same number
// and name, both ways; OK_IN_BUFFER is OK; what has no status or code of
// its own maps as StatusFor and Status.Code document.
func TestStatusCodeMapping(t *testing.T) {
	for s := wasmhost.StatusOK; s <= wasmhost.StatusResourceExhausted; s++ {
		c := s.Code()
		assert.Equal(t, uint32(s), uint32(c), "%v", s)
		assert.Equal(t, strings.ToLower(s.String()), c.String(), "status %d and code %d are named alike", uint32(s), uint32(c))
		assert.Equal(t, s, wasmhost.StatusFor(c), "round trip of %v", s)
	}
	assert.Equal(t, codes.OK, wasmhost.StatusOKInBuffer.Code())
	for _, s := range []wasmhost.Status{9, 99, 0xFFFFFFFF} {
		assert.Equal(t, codes.Internal, s.Code(), "unknown status %d", uint32(s))
	}
	for c, want := range map[codes.Code]wasmhost.Status{
		codes.DeadlineExceeded: wasmhost.StatusResourceExhausted,
		codes.Canceled:         wasmhost.StatusUnavailable,
		codes.Code(42):         wasmhost.StatusInternal,
	} {
		assert.Equal(t, want, wasmhost.StatusFor(c), "%v", c)
	}
}

// guestOutcome is one way a call into a reference guest ends, and the code
// resolver.Code must give its error.
type guestOutcome struct {
	name   string
	module string
	cfg    wasmhost.TenantConfig
	req    resolver.Request // zero: the outcome is NewTenant's
	// ctx, when set, bounds the lookup (the caller gives up).
	ctx    func(context.Context) (context.Context, context.CancelFunc)
	code   codes.Code
	is     error           // errors.Is(err, is) must hold, when set
	isNot  error           // errors.Is(err, isNot) must not hold, when set
	status wasmhost.Status // the *GuestError's status; 0 with guest false
	guest  bool            // the error is a *GuestError
	value  string          // the value, for codes.OK
}

// fuzzGuestConfig grants what fuzz_guest.wasm imports and gives it an init
// program (nil: init is OK).
func fuzzGuestConfig(initProg []byte) wasmhost.TenantConfig {
	return wasmhost.TenantConfig{
		Kwargs: guestKwargsFor(guestDefBuf, guestDefBufN, "", initProg),
		Capabilities: wasmhost.Capabilities{Env: []string{"UNUSED"}, Clock: true,
			HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1:9"}}},
	}
}

// TestGuestOutcomeCodes: every way a guest call ends is classified by
// resolver.Code (the tenant marks its errors, codes.Wrap): the statuses a
// guest returns by their ABI numbers, NOT_FOUND and UNIMPLEMENTED as a
// plain not found, PERMISSION_DENIED still matching
// resolver.ErrPermissionDenied, the host's limits as ResourceExhausted, a
// trap or an ABI violation as Internal, the caller's own cancellation and
// deadline as theirs, and a closed host as Unavailable.
func TestGuestOutcomeCodes(t *testing.T) {
	minute := wasmhost.Limits{CallTimeout: time.Minute}
	cancelSoon := func(ctx context.Context) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(50*time.Millisecond, cancel)
		return ctx, cancel
	}
	deadlineSoon := func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, 50*time.Millisecond)
	}
	longID := strings.Repeat("x", 1025) // statuses' buffer is 1024 bytes
	tests := []guestOutcome{
		// A guest's statuses (statuses.wat returns the one its id names).
		{name: "OK", module: "statuses", req: connReq("0"), code: codes.OK, value: "postgres://u:p@db.example.com:5432/x"},
		{name: "NOT_FOUND", module: "statuses", req: connReq("1"), code: codes.NotFound, is: resolver.ErrNotFound},
		{name: "INVALID_ARGUMENT", module: "statuses", req: connReq("2"), code: codes.InvalidArgument, guest: true, status: wasmhost.StatusInvalidArgument},
		{name: "UNAVAILABLE", module: "statuses", req: varReq("3"), code: codes.Unavailable, guest: true, status: wasmhost.StatusUnavailable},
		{name: "PERMISSION_DENIED", module: "statuses", req: connReq("4"), code: codes.PermissionDenied,
			is: resolver.ErrPermissionDenied, guest: true, status: wasmhost.StatusPermissionDenied},
		{name: "INTERNAL", module: "statuses", req: cfgReq("5"), code: codes.Internal, guest: true, status: wasmhost.StatusInternal},
		{name: "UNIMPLEMENTED is not found", module: "statuses", req: connReq("6"), code: codes.NotFound, is: resolver.ErrNotFound},
		{name: "RESOURCE_EXHAUSTED", module: "statuses", req: connReq("7"), code: codes.ResourceExhausted, guest: true, status: wasmhost.StatusResourceExhausted},
		{name: "OK_IN_BUFFER over the buffer", module: "fuzz_guest", cfg: fuzzGuestConfig(nil),
			req: connReq(prog().op(opStore, reg(rBuf), 0x7FFFFFFF).ret(8).String()), code: codes.Internal, guest: true, status: wasmhost.StatusInternal},
		{name: "unknown status", module: "statuses", req: connReq("99"), code: codes.Internal, guest: true, status: wasmhost.StatusInternal},
		{name: "negative status", module: "statuses", req: varReq("-1"), code: codes.Internal, guest: true, status: wasmhost.StatusInternal},
		{name: "guest refuses the id", module: "statuses", req: connReq("x"), code: codes.InvalidArgument, guest: true, status: wasmhost.StatusInvalidArgument},

		// What the host answers without asking the guest.
		{name: "id over the buffer", module: "statuses", req: connReq(longID), code: codes.InvalidArgument, guest: true, status: wasmhost.StatusInvalidArgument},
		{name: "kind ABI v1 does not know", module: "statuses", req: resolver.Request{Kind: resolver.Kind(99), ID: "0"}, code: codes.NotFound, is: resolver.ErrNotFound},
		{name: "config without the export", module: "bench_guest", req: cfgReq("x"), code: codes.NotFound, is: resolver.ErrNotFound},

		// The host's limits.
		{name: "fuel", module: "loop_lookup", cfg: wasmhost.TenantConfig{Limits: wasmhost.Limits{CallTimeout: time.Minute, FuelPerCall: 1_000_000}},
			req: connReq("x"), code: codes.ResourceExhausted, guest: true, status: wasmhost.StatusResourceExhausted},
		{name: "time limit, metered", module: "loop_lookup", cfg: wasmhost.TenantConfig{Limits: wasmhost.Limits{CallTimeout: 100 * time.Millisecond}},
			req: connReq("x"), code: codes.ResourceExhausted, guest: true, status: wasmhost.StatusResourceExhausted, isNot: context.DeadlineExceeded},
		{name: "time limit, deadline-only", module: "loop_lookup", cfg: wasmhost.TenantConfig{DeadlineOnly: true, Limits: wasmhost.Limits{CallTimeout: 100 * time.Millisecond}},
			req: connReq("x"), code: codes.ResourceExhausted, guest: true, status: wasmhost.StatusResourceExhausted, isNot: context.DeadlineExceeded},
		{name: "call depth", module: "stack_overflow", cfg: wasmhost.TenantConfig{Limits: minute},
			req: connReq("x"), code: codes.ResourceExhausted, guest: true, status: wasmhost.StatusResourceExhausted},
		{name: "output limit", module: "big_output", cfg: wasmhost.TenantConfig{Limits: minute},
			req: connReq("x"), code: codes.ResourceExhausted, guest: true, status: wasmhost.StatusResourceExhausted},

		// Traps and ABI violations.
		{name: "trap", module: "trap_lookup", req: connReq("x"), code: codes.Internal, guest: true, status: wasmhost.StatusInternal},
		{name: "trap at the memory limit", module: "grow_bomb", cfg: wasmhost.TenantConfig{Limits: minute},
			req: connReq("x"), code: codes.Internal, guest: true, status: wasmhost.StatusInternal},
		{name: "OK without a result", module: "no_result", req: connReq("other"), code: codes.Internal, guest: true, status: wasmhost.StatusInternal},
		{name: "region out of bounds", module: "oob", req: connReq("result_set:end"), code: codes.Internal, guest: true, status: wasmhost.StatusInternal},
		{name: "proc_exit", module: "wasi", req: connReq("exit0"), code: codes.Internal, guest: true, status: wasmhost.StatusInternal},

		// The caller's own context.
		{name: "caller canceled", module: "loop_lookup", cfg: wasmhost.TenantConfig{Limits: minute},
			req: connReq("x"), ctx: cancelSoon, code: codes.Canceled, is: context.Canceled},
		{name: "caller deadline", module: "loop_lookup", cfg: wasmhost.TenantConfig{Limits: minute},
			req: connReq("x"), ctx: deadlineSoon, code: codes.DeadlineExceeded, is: context.DeadlineExceeded},

		// Tenant creation: init's statuses and the host's refusals.
		{name: "init INVALID_ARGUMENT", module: "init_fails", code: codes.InvalidArgument, guest: true, status: wasmhost.StatusInvalidArgument},
		{name: "init traps", module: "trap_init", code: codes.Internal, guest: true, status: wasmhost.StatusInternal},
		{name: "init out of fuel", module: "loop_init", cfg: wasmhost.TenantConfig{Limits: wasmhost.Limits{CallTimeout: time.Minute, FuelPerCall: 1_000_000}},
			code: codes.ResourceExhausted, guest: true, status: wasmhost.StatusResourceExhausted},
		{name: "init PERMISSION_DENIED", module: "fuzz_guest", cfg: fuzzGuestConfig(prog().ret(4).bytes()),
			code: codes.PermissionDenied, is: resolver.ErrPermissionDenied, guest: true, status: wasmhost.StatusPermissionDenied},
		{name: "init UNAVAILABLE", module: "fuzz_guest", cfg: fuzzGuestConfig(prog().ret(3).bytes()),
			code: codes.Unavailable, guest: true, status: wasmhost.StatusUnavailable},
		// NOT_FOUND and UNIMPLEMENTED mean "the next tier" only as a
		// lookup's answer: a failed init is not a miss.
		{name: "init NOT_FOUND", module: "fuzz_guest", cfg: fuzzGuestConfig(prog().ret(1).bytes()),
			code: codes.Internal, isNot: resolver.ErrNotFound, guest: true, status: wasmhost.StatusNotFound},
		{name: "init UNIMPLEMENTED", module: "fuzz_guest", cfg: fuzzGuestConfig(prog().ret(6).bytes()),
			code: codes.Internal, isNot: resolver.ErrNotFound, guest: true, status: wasmhost.StatusUnimplemented},
		{name: "init OK_IN_BUFFER", module: "fuzz_guest", cfg: fuzzGuestConfig(prog().ret(8).bytes()),
			code: codes.Internal, guest: true, status: wasmhost.StatusOKInBuffer},
		{name: "capability not granted", module: "cap_env", code: codes.InvalidArgument},
	}
	h := newHost(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Name = "codes"
			tn, err := h.NewTenant(t.Context(), loadFixture(t, h, tt.module+".wasm"), cfg)
			var v string
			if tt.req != (resolver.Request{}) {
				require.NoError(t, err)
				defer tn.Close()
				ctx, cancel := context.WithCancel(t.Context())
				if tt.ctx != nil {
					ctx, cancel = tt.ctx(t.Context())
				}
				v, err = tn.Lookup(ctx, tt.req)
				cancel()
			} else if err == nil {
				_ = tn.Close()
			}
			checkOutcome(t, tt, v, err)
		})
	}

	t.Run("host closed", func(t *testing.T) {
		h := newHost(t)
		tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "statuses.wasm"), wasmhost.TenantConfig{Name: "codes"})
		require.NoError(t, err)
		require.NoError(t, h.Close(t.Context()))
		_, err = tn.Lookup(t.Context(), connReq("0"))
		checkOutcome(t, guestOutcome{code: codes.Unavailable, is: wasmhost.ErrHostClosed}, "", err)
	})
	t.Run("tenant closed", func(t *testing.T) {
		tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "statuses.wasm"), wasmhost.TenantConfig{Name: "codes"})
		require.NoError(t, err)
		require.NoError(t, tn.Close())
		_, err = tn.Lookup(t.Context(), connReq("0"))
		checkOutcome(t, guestOutcome{code: codes.Unavailable}, "", err)
	})
}

func checkOutcome(t *testing.T, tt guestOutcome, v string, err error) {
	t.Helper()
	assert.Equal(t, tt.code, resolver.Code(err), "resolver.Code(%v)", err)
	if tt.code == codes.OK {
		assert.NoError(t, err)
		assert.Equal(t, tt.value, v)
		return
	}
	require.Error(t, err)
	if tt.is != nil {
		assert.ErrorIs(t, err, tt.is)
	}
	if tt.isNot != nil {
		assert.NotErrorIs(t, err, tt.isNot)
	}
	var ge *wasmhost.GuestError
	if assert.Equal(t, tt.guest, errors.As(err, &ge), "a *GuestError: %v", err) && tt.guest {
		assert.Equal(t, tt.status, ge.Status, "%v", err)
		assert.Equal(t, ge.Error(), err.Error(), "the mark leaves the message as it is")
	}
}
