package resolver

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned by a Backend that does not hold the requested id
// (match it with errors.Is). It is not a failure: the resolver moves on to the
// next tier. The resolver's own error when no tier answers also matches it.
var ErrNotFound = errors.New("not found")

// ErrPermissionDenied is returned (wrapped) by a Backend whose service refused
// access. By default the resolver logs it and moves on like any other error;
// with [WithFailClosed] it stops the search and returns it.
var ErrPermissionDenied = errors.New("permission denied")

// ErrAccessDenied is returned (wrapped) by a Backend whose refusal ends the
// whole lookup, as Airflow's AirflowSecretsBackendAccessDenied does (the
// Execution API's 401 and 403): the resolver asks no further tier
// whatever [WithFailClosed] says, never caches the refusal and never
// serves a stale answer in its place. It matches [ErrPermissionDenied]
// too. Other backends' permission errors wrap ErrPermissionDenied.
var ErrAccessDenied error = accessDenied{}

type accessDenied struct{}

func (accessDenied) Error() string { return "access denied" }

// Is makes ErrAccessDenied match ErrPermissionDenied.
func (accessDenied) Is(target error) bool { return target == ErrPermissionDenied }

// ErrInvalidID is wrapped by the error for an id that no tier is asked
// for: a connection id, variable key, config key or team name longer than
// 4,096 bytes. Airflow's own columns hold 250 characters; no service we
// know takes more than 2,048.
var ErrInvalidID = errors.New("invalid id")

// maxIDLength bounds the length in bytes of an id or team (ErrInvalidID).
const maxIDLength = 4096

// Kind is the kind of value looked up.
type Kind uint8

// The kinds of lookup.
const (
	KindConnection Kind = iota + 1
	KindVariable
	KindConfig
)

// String returns "connection", "variable" or "config".
func (k Kind) String() string {
	switch k {
	case KindConnection:
		return "connection"
	case KindVariable:
		return "variable"
	case KindConfig:
		return "config"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// TierError is the error one tier of the search path returned.
type TierError struct {
	Tier string // the backend's name
	Err  error
}

// Error is "tier: error", or the backend's error alone when it already
// starts with the tier's name ("localfs: ...").
func (e *TierError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, e.Tier+": ") {
		return msg
	}
	return e.Tier + ": " + msg
}

// Unwrap returns the backend's error.
func (e *TierError) Unwrap() error { return e.Err }

// NotFoundError is returned by the resolver when no tier answered. It matches
// ErrNotFound, and errors.Is/As also see each tier's error.
type NotFoundError struct {
	Kind     Kind
	ID       string
	Searched []string     // the tiers asked, in order
	Errs     []*TierError // the tiers that failed with something other than not found
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q not found (searched: %s)", e.Kind, e.ID, strings.Join(e.Searched, ", "))
	if len(e.Searched) == 0 {
		b.WriteString(" (no tiers configured)")
	}
	for _, te := range e.Errs {
		b.WriteString("; ")
		b.WriteString(te.Error())
	}
	return b.String()
}

// Unwrap returns ErrNotFound followed by every tier error.
func (e *NotFoundError) Unwrap() []error {
	errs := make([]error, 0, 1+len(e.Errs))
	errs = append(errs, ErrNotFound)
	for _, te := range e.Errs {
		errs = append(errs, te)
	}
	return errs
}
