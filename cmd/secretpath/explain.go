package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/secretpath/secretpath/resolver"
)

// explain prints, per tier, what a lookup asked, its outcome and the time
// it took; never a value. It returns a lookupError when no tier answered.
func explain(ctx context.Context, w io.Writer, r *resolver.Resolver, kind resolver.Kind, id string) error {
	x := r.Explain(ctx, resolver.Request{Kind: kind, ID: id})
	head := fmt.Sprintf("%s %q: ", kind, id)
	switch {
	case x.AnsweredBy != "":
		head += "found in " + x.AnsweredBy
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
			if _, err := fmt.Fprintf(w, "  %d %s: %v\n", i+1, s.Tier, s.Err); err != nil {
				return err
			}
		}
	}
	if x.Err != nil {
		return &lookupError{x.Err}
	}
	return nil
}

func formatTook(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}
