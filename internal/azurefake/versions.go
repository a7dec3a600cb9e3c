package azurefake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// DefaultPageSize is how many versions a page of Get Secret Versions holds
// without maxresults: Key Vault's documented default and maximum, 25.
const DefaultPageSize = 25

// SetPageSize makes Get Secret Versions pages hold at most n versions
// when the request has no maxresults (0 restores DefaultPageSize), so
// that tests can page through a few versions.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// versionsReply serves Get Secret Versions, as documented at
// https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret-versions/get-secret-versions
// and read by azsecrets' NewListSecretPropertiesVersionsPager
// (listSecretPropertiesVersionsHandleResponse: a SecretPropertiesListResult
// with value and nextLink, followed with runtime.NewRequestForNextLink):
//
//	GET {vault}/secrets/{name}/versions?api-version=..[&maxresults=1..25]
//	200 {"value": [{"id": "{vault}/secrets/{name}/{version}",
//	      "attributes": {"enabled", "created", "updated", ...},
//	      "contentType", "tags"}], "nextLink": "{vault}:443/...&$skiptoken=..." | null}
//
// Every version is listed, enabled or not; no value is ever returned.
// The order is the versions' ids, not their age (Key Vault documents no
// order; an emulator's notes say it sorts by id), so a client cannot take
// the last item for the newest. Authentication, api-version and faults
// are those of GetSecret (Fault.Kind KindListVersions targets this route
// only). A secret that does not exist gives an empty list: the
// documentation shows no 404 for this operation, which is an assumption
// of the fake (a client should take a 404 SecretNotFound the same way).
// s.mu is held.
func (s *Server) versionsReply(r *http.Request, req Request) func(http.ResponseWriter) {
	if reply := s.vaultCheck(r, &req); reply != nil {
		return reply
	}
	size := s.pageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	if m := req.Query.Get("maxresults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > 25 {
			return s.kvError(http.StatusBadRequest, "BadParameter", "", "The value of maxresults must be between 1 and 25.", false)
		}
		size = n
	}
	offset := 0
	if tok := req.Query.Get("$skiptoken"); tok != "" {
		var err error
		if offset, err = parseSkipToken(tok); err != nil {
			return s.kvError(http.StatusBadRequest, "BadParameter", "", "The continuation token is not valid.", false)
		}
	}
	sec := s.secrets[strings.ToLower(req.Name)]
	all := slices.Clone(sec.history)
	slices.SortFunc(all, func(a, b versionInfo) int { return strings.Compare(a.id, b.id) })
	items := []map[string]any{}
	for _, v := range all[min(offset, len(all)):min(offset+size, len(all))] {
		attrs := map[string]any{
			"enabled": v.enabled, "created": v.created, "updated": v.updated,
			"recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90,
		}
		if v.expires != 0 {
			attrs["exp"] = v.expires
		}
		item := map[string]any{
			"id":         s.URL + "/secrets/" + sec.name + "/" + v.id,
			"attributes": attrs,
			"tags":       map[string]string{},
		}
		if v.contentType != "" {
			item["contentType"] = v.contentType
		}
		items = append(items, item)
	}
	var next any // JSON null on the last page
	if offset+size < len(all) {
		// As the service writes it: the port spelled out, api-version,
		// the opaque token, and maxresults when the request had it.
		host := strings.TrimPrefix(s.URL, "https://")
		link := "https://" + host + "/secrets/" + sec.name + "/versions?api-version=" + req.APIVersion +
			"&$skiptoken=" + skipToken(offset+size)
		if m := req.Query.Get("maxresults"); m != "" {
			link += "&maxresults=" + m
		}
		next = link
	}
	body := map[string]any{"value": items, "nextLink": next}
	return func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, body) }
}

// skipToken is an opaque continuation token, shaped as Key Vault's
// (base64url JSON with a NextMarker).
func skipToken(offset int) string {
	b, _ := json.Marshal(map[string]any{"NextMarker": strconv.Itoa(offset), "TargetLocation": 0})
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseSkipToken(tok string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	var doc struct {
		NextMarker string `json:"NextMarker"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return 0, err
	}
	return strconv.Atoi(doc.NextMarker)
}
