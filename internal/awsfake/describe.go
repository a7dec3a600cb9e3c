package awsfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Where the metadata shapes come from:
//
//   - SSM DescribeParameters: the API reference
//     (docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeParameters.html,
//     API_ParameterStringFilter.html, API_ParameterMetadata.html) and
//     aws-sdk-go-v2 service/ssm v1.79.3 (serializers.go
//     awsAwsjson11_serializeOpDocumentDescribeParametersInput:
//     {"MaxResults", "NextToken", "ParameterFilters": [{"Key", "Option",
//     "Values"}]}; deserializers.go
//     awsAwsjson11_deserializeOpDocumentDescribeParametersOutput:
//     {"NextToken", "Parameters": [ParameterMetadata...]}, and
//     awsAwsjson11_deserializeOpErrorDescribeParameters: InternalServerError,
//     InvalidFilterKey, InvalidFilterOption, InvalidFilterValue,
//     InvalidNextToken). MaxResults is 1 to 50; a filter's Values hold 1 to
//     50 items; the Name key takes the options Equals, BeginsWith and
//     Contains. Results are "returned on a best-effort basis": a page may
//     hold fewer than MaxResults items, even none, with a NextToken
//     (SetDescribePageSize makes the fake do so). ParameterMetadata
//     carries no Value.
//   - Secrets Manager DescribeSecret: the API reference
//     (docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html)
//     and aws-sdk-go-v2 service/secretsmanager v1.49.0
//     (awsAwsjson11_deserializeOpDocumentDescribeSecretOutput: ARN, Name,
//     CreatedDate, LastChangedDate, DeletedDate, VersionIdsToStages {version
//     id: [stages]}, ...; errors InternalServiceError,
//     InvalidParameterException, ResourceNotFoundException). It returns no
//     value. A secret scheduled for deletion is described, with its
//     DeletedDate (GetSecretValue refuses it); a name never stored is a 400
//     ResourceNotFoundException.

// Limits of DescribeParameters.
const (
	MaxDescribeParametersResults = 50 // MaxResults
	MaxParameterFilterValues     = 50 // a ParameterStringFilter's Values
)

// SetDescribePageSize makes DescribeParameters answer at most n
// parameters a page, fewer than MaxResults asks for, as the service may
// ("best-effort basis"); 0 restores MaxResults.
func (s *Server) SetDescribePageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// serveDescribeParameters answers DescribeParameters with ParameterFilters
// on the Name key; s.mu is held. A Fault with a Name applies when a filter
// value is that name, as the whole request's answer (SSM's IAM action
// ssm:DescribeParameters has no resource-level permission: a refusal is
// the whole call's).
func (s *Server) serveDescribeParameters(w http.ResponseWriter, r *http.Request, in *batchInput) {
	if msg := s.validateDescribeParameters(in); msg[0] != "" {
		writeJSONError(w, http.StatusBadRequest, msg[0], msg[1])
		return
	}
	var values []string
	for _, f := range in.ParameterFilters {
		values = append(values, f.Values...)
	}
	f := s.faultFor(TargetDescribeParameters, values, false)
	if f == nil {
		f = s.faultFor(TargetDescribeParameters, values, true)
	}
	if f != nil {
		if f.Hang {
			s.mu.Unlock()
			<-r.Context().Done()
			s.mu.Lock() // for the caller's deferred Unlock
			return
		}
		writeFault(w, f, "application/x-amz-json-1.1", writeJSONError)
		return
	}
	var names []string
	for name := range s.params {
		if matchesFilters(name, in) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	start := 0
	if in.NextToken != nil {
		n, ok := strings.CutPrefix(*in.NextToken, nextTokenPrefix)
		var err error
		if start, err = strconv.Atoi(n); !ok || err != nil || start < 0 || start > len(names) {
			writeJSONError(w, http.StatusBadRequest, "InvalidNextToken", "The specified token isn't valid.")
			return
		}
	}
	page := MaxDescribeParametersResults
	if in.MaxResults != nil {
		page = *in.MaxResults
	}
	if s.pageSize > 0 {
		page = min(page, s.pageSize)
	}
	end := min(start+page, len(names))
	params := []map[string]any{}
	for _, name := range names[start:end] {
		params = append(params, parameterMetadata(name, s.params[name]))
	}
	out := map[string]any{"Parameters": params}
	if end < len(names) {
		out["NextToken"] = nextTokenPrefix + strconv.Itoa(end)
	}
	writeJSON(w, out)
}

// nextTokenPrefix starts the fake's DescribeParameters NextToken (opaque
// to clients).
const nextTokenPrefix = "AAEAAfake"

// validateDescribeParameters returns the error code and message the
// service answers to in, or "".
func (s *Server) validateDescribeParameters(in *batchInput) [2]string {
	if n := in.MaxResults; n != nil && (*n < 1 || *n > MaxDescribeParametersResults) {
		bound := fmt.Sprintf("less than or equal to %d", MaxDescribeParametersResults)
		if *n < 1 {
			bound = "greater than or equal to 1"
		}
		return [2]string{"ValidationException", fmt.Sprintf("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value %s", *n, bound)}
	}
	if len(in.Filters) > 0 {
		return [2]string{"ValidationException", "awsfake serves DescribeParameters with ParameterFilters only, not the deprecated Filters"}
	}
	for i, f := range in.ParameterFilters {
		switch {
		case f.Key != "Name":
			return [2]string{"InvalidFilterKey", "awsfake serves the ParameterFilters key Name only, not " + strconv.Quote(f.Key)}
		case f.Option != "" && f.Option != "Equals" && f.Option != "BeginsWith" && f.Option != "Contains":
			return [2]string{"InvalidFilterOption", "The specified filter option isn't valid. Valid options are Equals, BeginsWith, Contains."}
		case len(f.Values) > MaxParameterFilterValues:
			return [2]string{"ValidationException", fmt.Sprintf("1 validation error detected: Value '[%s]' at 'parameterFilters.%d.member.values' failed to satisfy constraint: Member must have length less than or equal to %d",
				strings.Join(f.Values, ", "), i+1, MaxParameterFilterValues)}
		case f.Values != nil && len(f.Values) == 0:
			return [2]string{"ValidationException", fmt.Sprintf("1 validation error detected: Value '[]' at 'parameterFilters.%d.member.values' failed to satisfy constraint: Member must have length greater than or equal to 1", i+1)}
		}
	}
	return [2]string{}
}

// matchesFilters reports whether parameter name passes every filter (a
// filter matches when one of its values does).
func matchesFilters(name string, in *batchInput) bool {
	for _, f := range in.ParameterFilters {
		if !slices.ContainsFunc(f.Values, func(v string) bool {
			switch f.Option {
			case "BeginsWith":
				return strings.HasPrefix(name, v)
			case "Contains":
				return strings.Contains(name, v)
			}
			return name == v // Equals, the default
		}) {
			return false
		}
	}
	return true
}

// parameterMetadata is a parameter as DescribeParameters lists it: no
// value.
func parameterMetadata(name string, p Parameter) map[string]any {
	m := map[string]any{
		"ARN":              fmt.Sprintf("arn:aws:ssm:%s:123456789012:parameter/%s", Region, strings.TrimPrefix(name, "/")),
		"DataType":         "text",
		"LastModifiedDate": epoch(p.Modified),
		"LastModifiedUser": "arn:aws:iam::123456789012:user/admin",
		"Name":             name,
		"Policies":         []any{},
		"Tier":             "Standard",
		"Type":             p.Type,
		"Version":          p.Version,
	}
	if p.Type == SecureString {
		m["KeyId"] = "alias/aws/ssm"
	}
	return m
}

// describeSecret answers DescribeSecret; s.mu is held.
func (s *Server) describeSecret(w http.ResponseWriter, id string) {
	if id == "" {
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null")
		return
	}
	sec, ok := s.secrets[id]
	if !ok {
		writeJSONError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	stages := map[string][]string{sec.version: {"AWSCURRENT"}}
	if sec.previous != "" {
		stages[sec.previous] = []string{"AWSPREVIOUS"}
	}
	out := map[string]any{
		"ARN":                fmt.Sprintf("arn:aws:secretsmanager:%s:123456789012:secret:%s-AbCdEf", Region, id),
		"Name":               id,
		"CreatedDate":        epoch(sec.changed),
		"LastChangedDate":    epoch(sec.changed),
		"VersionIdsToStages": stages,
	}
	if sec.deleted {
		out["DeletedDate"] = epoch(sec.changed)
	}
	if rot, ok := s.rotations[id]; ok {
		out["RotationEnabled"] = rot.Enabled
		out["RotationLambdaARN"] = fmt.Sprintf("arn:aws:lambda:%s:123456789012:function:rotate", Region)
		out["RotationRules"] = map[string]any{"AutomaticallyAfterDays": 30}
		if rot.Enabled && !rot.Next.IsZero() {
			out["NextRotationDate"] = epoch(rot.Next)
		}
	}
	writeJSON(w, out)
}

// Rotation is a secret's rotation configuration, as DescribeSecret
// reports it.
type Rotation struct {
	// Enabled is RotationEnabled.
	Enabled bool
	// Next is NextRotationDate, sent only when Enabled (zero: not sent).
	Next time.Time
}

// SetRotation configures secret name's rotation (as RotateSecret with
// RotationRules, or CancelRotateSecret when rot.Enabled is false): it
// outlives new versions. It reports whether the secret is stored.
func (s *Server) SetRotation(name string, rot Rotation) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.secrets[name]; !ok {
		return false
	}
	s.rotations[name] = rot
	return true
}

// epoch is t as awsJson timestamps are sent: seconds since the epoch.
func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
