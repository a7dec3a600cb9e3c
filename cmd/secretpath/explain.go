package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/secretpath/secretpath/resolver"
)

// explain prints, per tier, what a lookup asked, its outcome and the time
// it took; never a value. It returns a lookupError when no tier answered.
// The tiers' errors it prints are not printed again as warnings.
func (a *app) explain(ctx context.Context, r *resolver.Resolver, req resolver.Request) error {
	w := a.stdout
	x := r.Explain(ctx, req)
	head := fmt.Sprintf("%s %q: ", req.Kind, req.ID)
	if req.Team != "" {
		head = fmt.Sprintf("%s %q for team %q: ", req.Kind, req.ID, req.Team)
	}
	switch {
	case x.AnsweredBy != "":
		head += "found in " + x.AnsweredBy
	case errors.Is(x.Err, resolver.ErrAccessDenied):
		head += "access denied (the search stopped there)"
	case x.Err != nil && !errors.Is(x.Err, resolver.ErrNotFound):
		head += "failed (" + resolver.Code(x.Err).String() + "; the search stopped there)"
	default:
		head += "not found"
	}
	if x.Cached {
		head += " (the cache holds an answer; this lookup bypassed it)"
	}
	if _, err := fmt.Fprintln(w, head); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tTIER\tOUTCOME\tTIME\tASKED")
	for i, s := range x.Steps {
		took := ""
		if s.Outcome != resolver.OutcomeNotAsked {
			took = formatTook(s.Took)
		}
		asked := s.Asked
		if asked == "" {
			asked = "-"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", i+1, s.Tier, strings.ReplaceAll(s.Outcome.String(), "_", " "), took, asked)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, s := range x.Steps {
		if s.Err != nil {
			a.logs.show(s.Err.Error())
			if _, err := fmt.Fprintf(w, "  %d %s: %v\n", i+1, s.Tier, s.Err); err != nil {
				return err
			}
		}
	}
	if x.Err != nil {
		return &lookupError{summarized(x.Err)}
	}
	return nil
}

// summarized is a not-found error that names its failed tiers without
// their errors, which the explanation printed.
func summarized(err error) error {
	var nf *resolver.NotFoundError
	if !errors.As(err, &nf) || len(nf.Errs) == 0 {
		return err
	}
	short := *nf
	short.Errs = nil
	failed := make([]string, len(nf.Errs))
	for i, te := range nf.Errs {
		failed[i] = te.Tier
	}
	return &summary{text: short.Error() + "; failed: " + strings.Join(failed, ", ") + " (see above)", err: err}
}

type summary struct {
	text string
	err  error
}

func (s *summary) Error() string { return s.text }
func (s *summary) Unwrap() error { return s.err }

func formatTook(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}
