package awssecretsmanager_test

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
)

// secretMark is in every stored value: no error may contain it.
const secretMark = "SECRET-VALUE"

// batch asks b for ids of kind for team in one LookupBatch.
func batch(t *testing.T, b *awssecretsmanager.Backend, kind resolver.Kind, team string, ids []string) ([]resolver.Request, []resolver.Answer) {
	t.Helper()
	reqs := make([]resolver.Request, len(ids))
	for i, id := range ids {
		reqs[i] = resolver.Request{Kind: kind, ID: id, Team: team}
	}
	answers := make([]resolver.Answer, len(reqs))
	b.LookupBatch(t.Context(), reqs, answers)
	return reqs, answers
}

// assertLikeSingles checks that each answer is what Lookup (Connection
// for connections) answers alone: the same value or connection, or an
// error of the same class and code, with no value in it.
func assertLikeSingles(t *testing.T, b *awssecretsmanager.Backend, reqs []resolver.Request, answers []resolver.Answer) {
	t.Helper()
	for i, req := range reqs {
		a := answers[i]
		var want string
		var err error
		if req.Kind == resolver.KindConnection {
			var c any
			c, err = b.Connection(t.Context(), req)
			if err == nil {
				require.NoError(t, a.Err, "id %q", req.ID)
				require.True(t, a.Fields, "id %q: a connection by fields", req.ID)
				assert.Equal(t, c, a.Conn, "id %q", req.ID)
				continue
			}
		} else {
			want, err = b.Lookup(t.Context(), req)
		}
		if err != nil {
			require.Error(t, a.Err, "id %q: the single lookup failed with %v", req.ID, err)
			assert.Equal(t, errors.Is(err, resolver.ErrNotFound), errors.Is(a.Err, resolver.ErrNotFound), "id %q: not found: %v", req.ID, a.Err)
			assert.Equal(t, errors.Is(err, resolver.ErrPermissionDenied), errors.Is(a.Err, resolver.ErrPermissionDenied), "id %q: denied: %v", req.ID, a.Err)
			assert.Equal(t, resolver.Code(err), resolver.Code(a.Err), "id %q: %v", req.ID, a.Err)
			var single, batched smithy.APIError
			if errors.As(err, &single) && assert.ErrorAs(t, a.Err, &batched, "id %q", req.ID) {
				assert.Equal(t, single.ErrorCode(), batched.ErrorCode(), "id %q", req.ID)
			}
			assert.NotContains(t, a.Err.Error(), secretMark)
			continue
		}
		require.NoError(t, a.Err, "id %q", req.ID)
		assert.Equal(t, want, a.Value, "id %q", req.ID)
	}
}

// TestBatchRequests: 100 ids take 5 BatchGetSecretValue requests and no
// GetSecretValue; the missing ids are not found; every answer, JSON
// connections included, is the single lookup's.
func TestBatchRequests(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, awssecretsmanager.Options{})
	var ids []string
	for i := range 100 {
		id := fmt.Sprintf("c%03d", i)
		ids = append(ids, id)
		switch i % 7 {
		case 3: // missing
		case 5:
			f.PutSecret("airflow/connections/"+id, `{"user": "u", "password": "`+secretMark+`", "host": "h", "engine": "postgres", "description": "x"}`)
		default:
			f.PutSecret("airflow/connections/"+id, "postgres://u:"+secretMark+"@h:5432/"+id)
		}
	}
	for _, kind := range []resolver.Kind{resolver.KindConnection, resolver.KindVariable} {
		t.Run(kind.String(), func(t *testing.T) {
			f.ResetRequests()
			b := b
			if kind == resolver.KindVariable {
				b = newGo(t, f, awssecretsmanager.Options{Variables: awssecretsmanager.Kind{Prefix: "airflow/connections"}})
			}
			reqs, answers := batch(t, b, kind, "", ids)
			assert.Equal(t, 5, f.Count(awsfake.TargetBatchGetSecretValue))
			assert.Zero(t, f.Count(awsfake.TargetGetSecretValue))
			for _, r := range f.Requests() {
				assert.Len(t, r.Names, awssecretsmanager.MaxBatch)
			}
			for i, id := range ids {
				if i%7 == 3 {
					assert.ErrorIs(t, answers[i].Err, resolver.ErrNotFound, id)
					assert.Contains(t, answers[i].Err.Error(), `secret "airflow/connections/`+id+`"`)
					continue
				}
				assert.NoError(t, answers[i].Err, id)
			}
			assertLikeSingles(t, b, reqs, answers)
		})
	}
}

// TestBatchTeamRounds: with multi_team on, a team's batch reads the
// team's names in one request, then the global names of the ids the team
// did not have; refused ids make no request; answers are the singles'.
func TestBatchTeamRounds(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, awssecretsmanager.Options{MultiTeam: true, Logger: slog.New(slog.DiscardHandler)})
	const p = "airflow/variables/"
	f.PutSecret(p+"team_a--both", "team-"+secretMark)
	f.PutSecret(p+"both", "global-"+secretMark)
	f.PutSecret(p+"team_a--team_only", "team-"+secretMark)
	f.PutSecret(p+"global_only", "global-"+secretMark)
	f.PutSecretBinary(p+"team_a--binary", []byte("bin"))
	f.PutSecret(p+"binary", "global-"+secretMark)
	reqs, answers := batch(t, b, resolver.KindVariable, "team_a", []string{"both", "team_only", "global_only", "neither", "binary", "x--y"})
	assert.Equal(t, [][]string{
		{p + "team_a--both", p + "team_a--team_only", p + "team_a--global_only", p + "team_a--neither", p + "team_a--binary"},
		{p + "global_only", p + "neither", p + "binary"},
	}, [][]string{f.Requests()[0].Names, f.Requests()[1].Names})
	assert.Len(t, f.Requests(), 2)
	assert.Equal(t, "team-"+secretMark, answers[0].Value)
	assert.Equal(t, "global-"+secretMark, answers[4].Value, "a team secret holding only binary is not found: the global one is read")
	assertLikeSingles(t, b, reqs, answers)
}

// TestBatchErrors: each Errors entry is classified as the same code
// answered to GetSecretValue; a whole request's failure is every id's;
// a whole request refused with AccessDeniedException (no
// BatchGetSecretValue permission) is read with GetSecretValue, id by id.
func TestBatchErrors(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, awssecretsmanager.Options{})
	const p = "airflow/variables/"
	var ids []string
	for i := range 25 {
		id := fmt.Sprintf("v%02d", i)
		ids = append(ids, id)
		f.PutSecret(p+id, "value-"+secretMark)
	}
	f.PutSecretBinary(p+"v20", []byte("binary"))
	f.DeleteSecret(p + "v21")
	tests := []struct {
		name    string
		faults  []awsfake.Fault
		batches int // BatchGetSecretValue requests
		singles int // GetSecretValue requests
		class   map[string]codes.Code
	}{
		{name: "per-id errors", faults: []awsfake.Fault{
			{Name: p + "v01", Code: "AccessDeniedException", Message: "key " + awsfake.Creds.AccessKeyID + " is not authorized"},
			{Name: p + "v02", Code: "DecryptionFailure", Message: "KMS refused"},
			{Name: p + "v03", Code: "InternalServiceError"},
			{Name: p + "v04", Code: "ThrottlingException"},
		}, batches: 2, class: map[string]codes.Code{"v01": codes.PermissionDenied, "v02": codes.NotFound, "v03": codes.NotFound,
			"v04": codes.Unavailable, "v20": codes.NotFound, "v21": codes.NotFound}},
		{name: "BatchGetSecretValue denied", faults: []awsfake.Fault{{Target: awsfake.TargetBatchGetSecretValue, Code: "AccessDeniedException",
			Message: "not authorized to perform: secretsmanager:BatchGetSecretValue"}},
			batches: 2, singles: 25, class: map[string]codes.Code{"v20": codes.NotFound, "v21": codes.NotFound}},
		{name: "throttled after the retries", faults: []awsfake.Fault{{Code: "ThrottlingException", Message: "Rate exceeded"}},
			batches: 2 * 3, class: func() map[string]codes.Code {
				m := map[string]codes.Code{}
				for _, id := range ids {
					m[id] = codes.Unavailable
				}
				return m
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			f.ClearFaults()
			for _, fault := range tt.faults {
				f.AddFault(fault)
			}
			_, answers := batch(t, b, resolver.KindVariable, "", ids)
			assert.Equal(t, tt.batches, f.Count(awsfake.TargetBatchGetSecretValue))
			assert.Equal(t, tt.singles, f.Count(awsfake.TargetGetSecretValue))
			for i, a := range answers {
				class, failed := tt.class[ids[i]]
				if !failed {
					assert.NoError(t, a.Err, ids[i])
					assert.Equal(t, "value-"+secretMark, a.Value)
					continue
				}
				require.Error(t, a.Err, ids[i])
				assert.Equal(t, class, resolver.Code(a.Err), "%s: %v", ids[i], a.Err)
				assert.Contains(t, a.Err.Error(), fmt.Sprintf("secret %q", p+ids[i]))
				assert.NotContains(t, a.Err.Error(), secretMark)
				assert.NotContains(t, a.Err.Error(), awsfake.Creds.AccessKeyID, "credentials masked")
			}
		})
	}
	// The per-id faults stand for the secrets' own state: a single lookup
	// meets the same codes.
	f.ClearFaults()
	for _, fault := range tests[0].faults {
		fault.Target = ""
		f.AddFault(fault)
	}
	reqs, answers := batch(t, b, resolver.KindVariable, "", ids)
	assertLikeSingles(t, b, reqs, answers)
}

// TestBatchJSONError: a JSON connection secret that does not decode fails
// its id as alone, by offset, with no value in the error.
func TestBatchJSONError(t *testing.T) {
	f := newFake(t)
	b := newGo(t, f, awssecretsmanager.Options{})
	f.PutSecret("airflow/connections/bad", `{"password": "`+secretMark+`", "host": }`)
	f.PutSecret("airflow/connections/good", "postgres://u:"+secretMark+"@h/db")
	reqs, answers := batch(t, b, resolver.KindConnection, "", []string{"bad", "good"})
	require.Error(t, answers[0].Err)
	assert.Contains(t, answers[0].Err.Error(), `secret "airflow/connections/bad"`)
	assert.NotContains(t, answers[0].Err.Error(), secretMark)
	assertLikeSingles(t, b, reqs, answers)
}
