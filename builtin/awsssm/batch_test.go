package awsssm_test

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awsssm"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
)

// secretMark is in every stored value: no error may contain it.
const secretMark = "SECRET-VALUE"

// batch asks b for ids of kind for team in one LookupBatch.
func batch(t *testing.T, b *awsssm.Backend, kind resolver.Kind, team string, ids []string) ([]resolver.Request, []resolver.Answer) {
	t.Helper()
	reqs := make([]resolver.Request, len(ids))
	for i, id := range ids {
		reqs[i] = resolver.Request{Kind: kind, ID: id, Team: team}
	}
	answers := make([]resolver.Answer, len(reqs))
	b.LookupBatch(t.Context(), reqs, answers)
	return reqs, answers
}

// assertLikeSingles checks that each answer is what Lookup answers alone:
// the same value, or an error of the same class, naming the id's
// parameter and no value.
func assertLikeSingles(t *testing.T, b *awsssm.Backend, reqs []resolver.Request, answers []resolver.Answer) {
	t.Helper()
	for i, req := range reqs {
		a := answers[i]
		want, err := b.Lookup(t.Context(), req)
		if err != nil {
			require.Error(t, a.Err, "id %q: the single lookup failed with %v", req.ID, err)
			assert.Equal(t, errors.Is(err, resolver.ErrNotFound), errors.Is(a.Err, resolver.ErrNotFound), "id %q: not found: %v", req.ID, a.Err)
			assert.Equal(t, errors.Is(err, resolver.ErrPermissionDenied), errors.Is(a.Err, resolver.ErrPermissionDenied), "id %q: denied: %v", req.ID, a.Err)
			assert.Equal(t, resolver.Code(err), resolver.Code(a.Err), "id %q: %v", req.ID, a.Err)
			assert.NotContains(t, a.Err.Error(), secretMark)
			continue
		}
		require.NoError(t, a.Err, "id %q", req.ID)
		assert.Equal(t, want, a.Value, "id %q", req.ID)
		assert.False(t, a.Fields)
	}
}

// TestBatchRequests: 100 ids take 10 GetParameters requests WithDecryption
// and no GetParameter; the missing ids are not found; every answer is the
// single lookup's.
func TestBatchRequests(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, awsssm.Options{})
	var ids []string
	for i := range 100 {
		id := fmt.Sprintf("id_%03d", i)
		ids = append(ids, id)
		if i%7 != 3 {
			f.PutParameter("/airflow/variables/"+id, "v-"+id+"-"+secretMark, awsfake.SecureString)
		}
	}
	reqs, answers := batch(t, b, resolver.KindVariable, "", ids)
	assert.Equal(t, 10, f.Count(awsfake.TargetGetParameters))
	assert.Zero(t, f.Count(awsfake.TargetGetParameter))
	asked := 0
	for _, r := range f.Requests() {
		assert.LessOrEqual(t, len(r.Names), awsssm.MaxBatch)
		assert.True(t, r.WithDecryption)
		asked += len(r.Names)
	}
	assert.Equal(t, 100, asked)
	for i, id := range ids {
		if i%7 == 3 {
			assert.ErrorIs(t, answers[i].Err, resolver.ErrNotFound, id)
			var ae smithy.APIError
			if assert.ErrorAs(t, answers[i].Err, &ae) {
				assert.Equal(t, "ParameterNotFound", ae.ErrorCode())
			}
			assert.Contains(t, answers[i].Err.Error(), `parameter "/airflow/variables/`+id+`"`)
			continue
		}
		assert.Equal(t, "v-"+id+"-"+secretMark, answers[i].Value)
	}
	assertLikeSingles(t, b, reqs, answers)
}

// TestBatchTeamRounds: with multi_team on, a team's batch reads the
// team's names in one round, then the global names of the ids the team
// did not have; ids a team rule refuses make no request; every answer is
// the single lookup's.
func TestBatchTeamRounds(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, awsssm.Options{MultiTeam: true, Logger: slog.New(slog.DiscardHandler)})
	const p = "/airflow/connections/"
	f.PutParameter(p+"team_a--both", "postgres://team@h/both-"+secretMark, awsfake.SecureString)
	f.PutParameter(p+"both", "postgres://global@h/both-"+secretMark, awsfake.SecureString)
	f.PutParameter(p+"team_a--team_only", "postgres://team@h/t-"+secretMark, awsfake.SecureString)
	f.PutParameter(p+"global_only", "postgres://global@h/g-"+secretMark, awsfake.SecureString)
	f.PutParameter(p+"x--y", "postgres://other-team@h/"+secretMark, awsfake.SecureString)
	ids := []string{"both", "team_only", "global_only", "neither", "x--y", "-dash"}

	tests := []struct {
		name   string
		team   string
		rounds [][]string // the names of each GetParameters request, in order
	}{
		{name: "team", team: "team_a", rounds: [][]string{
			{p + "team_a--both", p + "team_a--team_only", p + "team_a--global_only", p + "team_a--neither"},
			{p + "global_only", p + "neither"},
		}},
		{name: "no team", rounds: [][]string{{p + "both", p + "team_only", p + "global_only", p + "neither", p + "-dash"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			reqs, answers := batch(t, b, resolver.KindConnection, tt.team, ids)
			var rounds [][]string
			for _, r := range f.Requests() {
				require.Equal(t, awsfake.TargetGetParameters, r.Target)
				rounds = append(rounds, r.Names)
			}
			assert.Equal(t, tt.rounds, rounds)
			assert.ErrorIs(t, answers[4].Err, resolver.ErrNotFound, `"x--y" is refused`)
			assertLikeSingles(t, b, reqs, answers)
		})
	}
}

// TestBatchFailures: a request's failure is the answer of every id in it,
// classified as the single lookup's and naming each id's parameter;
// access denied to one name (IAM refuses the whole GetParameters) is asked
// name by name, so the other ids still answer.
func TestBatchFailures(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, awsssm.Options{})
	var ids []string
	for i := range 15 {
		id := fmt.Sprintf("v%02d", i)
		ids = append(ids, id)
		f.PutParameter("/airflow/variables/"+id, "value-"+secretMark, awsfake.String)
	}
	tests := []struct {
		name      string
		fault     awsfake.Fault
		batches   int // GetParameters requests
		singles   int // GetParameter requests
		class     func(i int) codes.Code
		wantValue func(i int) bool
	}{
		{name: "throttled after the retries", fault: awsfake.Fault{Code: "ThrottlingException", Message: "Rate exceeded"},
			batches: 2 * 3, class: func(int) codes.Code { return codes.Unavailable }},
		{name: "5xx", fault: awsfake.Fault{Code: "InternalServerError", Status: 500},
			batches: 2 * 3, class: func(int) codes.Code { return codes.Unavailable }},
		{name: "access denied to every name", fault: awsfake.Fault{Code: "AccessDeniedException", Message: "not authorized"},
			batches: 2, singles: 15, class: func(int) codes.Code { return codes.PermissionDenied }},
		{name: "access denied to one name", fault: awsfake.Fault{Name: "/airflow/variables/v03", Code: "AccessDeniedException"},
			batches: 2, singles: 10,
			class:     func(i int) codes.Code { return map[bool]codes.Code{true: codes.PermissionDenied}[i == 3] },
			wantValue: func(i int) bool { return i != 3 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			f.ClearFaults()
			f.AddFault(tt.fault)
			reqs, answers := batch(t, b, resolver.KindVariable, "", ids)
			assert.Equal(t, tt.batches, f.Count(awsfake.TargetGetParameters))
			assert.Equal(t, tt.singles, f.Count(awsfake.TargetGetParameter))
			for i, a := range answers {
				if tt.wantValue != nil && tt.wantValue(i) {
					assert.NoError(t, a.Err, ids[i])
					continue
				}
				require.Error(t, a.Err, ids[i])
				assert.Equal(t, tt.class(i), resolver.Code(a.Err), "%s: %v", ids[i], a.Err)
				assert.Contains(t, a.Err.Error(), fmt.Sprintf("parameter %q", "/airflow/variables/"+ids[i]))
				assert.NotContains(t, a.Err.Error(), secretMark)
			}
			assertLikeSingles(t, b, reqs, answers)
		})
	}
}

// TestBatchNoRequest: a kind whose prefix is null and ids a lookup
// pattern excludes are not found without a request, as alone.
func TestBatchNoRequest(t *testing.T) {
	f := newFake(t)
	b := mustOpen(t, fakeKwargs(f, map[string]any{"variables_prefix": nil, "connections_lookup_pattern": "^db"})).(*awsssm.Backend)
	f.PutParameter("/airflow/connections/db1", "postgres://h/db", awsfake.String)
	_, answers := batch(t, b, resolver.KindVariable, "", []string{"a", "b"})
	for _, a := range answers {
		assert.ErrorIs(t, a.Err, resolver.ErrNotFound)
	}
	reqs, answers := batch(t, b, resolver.KindConnection, "", []string{"db1", "other", ""})
	assert.Equal(t, [][]string{{"/airflow/connections/db1"}}, func() (out [][]string) {
		for _, r := range f.Requests() {
			out = append(out, r.Names)
		}
		return out
	}())
	assertLikeSingles(t, b, reqs, answers)
}
