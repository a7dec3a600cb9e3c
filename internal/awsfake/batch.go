package awsfake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Where the batch shapes come from:
//
//   - SSM GetParameters: the API reference
//     (docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html)
//     and aws-sdk-go-v2 service/ssm v1.79.3
//     (serializers.go awsAwsjson11_serializeOpDocumentGetParametersInput:
//     {"Names": [...], "WithDecryption": bool}; deserializers.go
//     awsAwsjson11_deserializeOpDocumentGetParametersOutput:
//     {"InvalidParameters": [...], "Parameters": [Parameter...]}). Names
//     holds 1 to 10 items (ParameterNameList); the results are "listed in
//     alphabetical order"; a name that does not exist is listed in
//     InvalidParameters, not an error.
//   - Secrets Manager BatchGetSecretValue: the API reference
//     (docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html)
//     and aws-sdk-go-v2 service/secretsmanager v1.49.0 (types.APIErrorType
//     {ErrorCode, Message, SecretId}; types.SecretValueEntry {ARN,
//     CreatedDate, Name, SecretBinary (base64), SecretString, VersionId,
//     VersionStages}). SecretIdList holds 1 to 20 items; "You must include
//     Filters or SecretIdList, but not both", MaxResults only with Filters;
//     errors for one secret (ResourceNotFoundException,
//     InvalidRequestException for a secret marked for deletion,
//     DecryptionFailure, AccessDeniedException) are entries of Errors.
//
// What the service answers to the limits is not in the reference: as the
// other awsJson services, a list longer than the model allows is a 400
// ValidationException in Coral's "1 validation error detected" form (as
// Secrets Manager's ListSecrets answers for filter values, per
// jenkinsci/aws-secrets-manager-credentials-provider-plugin#235); both or
// neither of SecretIdList and Filters is a 400 InvalidParameterException
// (what moto, floci and cloudemu answer, after the reference's list of
// that operation's errors).

// Limits of the batch operations.
const (
	MaxGetParameters       = 10
	MaxBatchGetSecretValue = 20
)

// batchInput is the fields of a batch request the fake reads.
type batchInput struct {
	Names        []string
	SecretIDList []string `json:"SecretIdList"`
	Filters      []struct {
		Key    string
		Values []string
	}
	MaxResults *int
	NextToken  *string
	// ParameterFilters is DescribeParameters' (describe.go).
	ParameterFilters []struct {
		Key    string
		Option string
		Values []string
	}
}

// faultFor returns the first fault for a batch request of target naming
// names: with named false, a fault without a Name (the whole request's);
// with named true, one whose Name is among names. It counts it.
func (s *Server) faultFor(target string, names []string, named bool) *Fault {
	for _, f := range s.faults {
		if f.Times < 0 || (f.Target != "" && f.Target != target) {
			continue
		}
		if (f.Name == "") == named || (named && !slices.Contains(names, f.Name)) {
			continue
		}
		out := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				f.Times = -1 // used up
			}
		}
		return &out
	}
	return nil
}

// serveBatch answers GetParameters and BatchGetSecretValue; s.mu is held.
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request, target string, in *batchInput, decrypt bool) {
	if target == TargetGetParameters {
		if msg := validateList("names", in.Names, MaxGetParameters); msg != "" {
			writeJSONError(w, http.StatusBadRequest, "ValidationException", msg)
			return
		}
	} else {
		switch {
		case len(in.SecretIDList) > 0 && len(in.Filters) > 0:
			writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", "You can't specify both SecretIdList and Filters.")
			return
		case len(in.SecretIDList) == 0 && len(in.Filters) == 0:
			writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", "You must specify either SecretIdList or Filters.")
			return
		case in.MaxResults != nil && len(in.Filters) == 0:
			writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", "MaxResults can be used only with Filters.")
			return
		case len(in.Filters) > 0:
			writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", "awsfake serves BatchGetSecretValue with SecretIdList only, not Filters")
			return
		}
		if msg := validateList("secretIdList", in.SecretIDList, MaxBatchGetSecretValue); msg != "" {
			writeJSONError(w, http.StatusBadRequest, "ValidationException", msg)
			return
		}
	}
	names := in.Names
	if target == TargetBatchGetSecretValue {
		names = in.SecretIDList
	}
	f := s.faultFor(target, names, false)
	if f == nil && target == TargetGetParameters {
		f = s.faultFor(target, names, true)
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
	if target == TargetGetParameters {
		s.getParameters(w, in.Names, decrypt)
	} else {
		s.batchGetSecretValue(w, in.SecretIDList)
	}
}

// validateList is Coral's message for a list outside 1..limit items.
func validateList(field string, list []string, limit int) string {
	switch {
	case list == nil:
		return fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	case len(list) == 0:
		return fmt.Sprintf("1 validation error detected: Value '[]' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", field)
	case len(list) > limit:
		return fmt.Sprintf("1 validation error detected: Value '[%s]' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d",
			strings.Join(list, ", "), field, limit)
	}
	return ""
}

// getParameters answers GetParameters: the parameters found, in
// alphabetical order, and the names not found in InvalidParameters, in
// the order asked; a name asked twice is answered once.
func (s *Server) getParameters(w http.ResponseWriter, names []string, decrypt bool) {
	params := []map[string]any{}
	invalid := []string{}
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		p, ok := s.params[name]
		if !ok {
			invalid = append(invalid, name)
			continue
		}
		params = append(params, s.parameterShape(name, p, decrypt))
	}
	slices.SortFunc(params, func(a, b map[string]any) int { return strings.Compare(a["Name"].(string), b["Name"].(string)) })
	writeJSON(w, map[string]any{"Parameters": params, "InvalidParameters": invalid})
}

// batchGetSecretValue answers BatchGetSecretValue for a SecretIdList: a
// SecretValues entry per secret read (SecretBinary, base64, for a secret
// holding only binary), in the order asked, and an Errors entry per
// secret that could not be: not found, marked for deletion, or a fault
// naming it.
func (s *Server) batchGetSecretValue(w http.ResponseWriter, ids []string) {
	values := []map[string]any{}
	errs := []map[string]any{}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if f := s.faultFor(TargetBatchGetSecretValue, []string{id}, true); f != nil {
			errs = append(errs, map[string]any{"ErrorCode": f.Code, "Message": f.Message, "SecretId": id})
			continue
		}
		sec, ok := s.secrets[id]
		switch {
		case !ok:
			errs = append(errs, map[string]any{"ErrorCode": "ResourceNotFoundException", "Message": "Secrets Manager can't find the specified secret.", "SecretId": id})
		case sec.deleted:
			errs = append(errs, map[string]any{"ErrorCode": "InvalidRequestException",
				"Message": "You can't perform this operation on the secret because it was marked for deletion.", "SecretId": id})
		default:
			values = append(values, secretShape(id, sec))
		}
	}
	writeJSON(w, map[string]any{"SecretValues": values, "Errors": errs})
}
