package gcpfake

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Secret Manager methods, as recorded in Request.Route and matched by
// Fault.Route.
const (
	// RouteAccess is AccessSecretVersion (…/versions/{v}:access): the
	// payload.
	RouteAccess = "AccessSecretVersion"
	// RouteGetVersion is GetSecretVersion (…/versions/{v}): the version's
	// metadata, never its payload.
	RouteGetVersion = "GetSecretVersion"
)

// serveGetVersion serves GetSecretVersion, GET
// /v1/{name=projects/*/secrets/*/versions/*}, as documented at
// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/get
// and the SecretVersion resource
// (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions):
// "latest" is an alias of the most recently created version whatever its
// state; the answer names the version by number (the project by number),
// carries createTime, state, destroyTime (DESTROYED only),
// replicationStatus and etag, and never a payload. A disabled or destroyed
// version is a 200 (only AccessSecretVersion refuses it). The permission
// is secretmanager.versions.get, which the PERMISSION_DENIED message names.
func (s *Server) serveGetVersion(w http.ResponseWriter, r *http.Request, req *Request) {
	parts := strings.Split(req.Path, "/")
	// "", "v1", "projects", P, "secrets", S, "versions", V
	ok := len(parts) == 8 && parts[1] == "v1" && parts[2] == "projects" && parts[4] == "secrets" &&
		parts[6] == "versions" && r.Method == http.MethodGet
	if ok {
		var err1, err2, err3 error
		req.Project, err1 = url.PathUnescape(parts[3])
		req.Secret, err2 = url.PathUnescape(parts[5])
		req.Version, err3 = url.PathUnescape(parts[7])
		ok = err1 == nil && err2 == nil && err3 == nil
	}
	if ok {
		req.Route = RouteGetVersion
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, *req)
	if !ok {
		writeGFE404(w, req.Path)
		return
	}
	if !s.authorized(w, r) {
		return
	}
	if f := s.faultOn(APISecretManager, RouteGetVersion, req.Secret); f != nil && writeFault(w, f) {
		return
	}
	resource := "projects/" + req.Project + "/secrets/" + req.Secret + "/versions/" + req.Version
	if !ValidSecretID(req.Secret) || (req.Version != "latest" && !positiveInt(req.Version)) {
		writeError(w, 0, "INVALID_ARGUMENT", "The provided Secret Version ID ["+resource+"] does not match the expected format [projects/*/secrets/*/versions/*]")
		return
	}
	p := s.projects[req.Project]
	if p == nil {
		p = s.byNumber[req.Project]
	}
	if p == nil {
		writeError(w, 0, "PERMISSION_DENIED", "Permission 'secretmanager.versions.get' denied for resource '"+resource+"' (or it may not exist).")
		return
	}
	p.expire(req.Secret)
	versions := p.secrets[req.Secret]
	n := len(versions)
	if req.Version != "latest" {
		n, _ = strconv.Atoi(req.Version)
	}
	if len(versions) == 0 {
		writeError(w, 0, "NOT_FOUND", "Secret [projects/"+p.number+"/secrets/"+req.Secret+"] not found or has no versions.")
		return
	}
	if n > len(versions) {
		writeError(w, 0, "NOT_FOUND", "Secret Version [projects/"+p.number+"/secrets/"+req.Secret+"/versions/"+req.Version+"] not found.")
		return
	}
	v := versions[n-1]
	body := map[string]any{
		"name":              fmt.Sprintf("projects/%s/secrets/%s/versions/%d", p.number, req.Secret, n),
		"createTime":        timestamp(v.created),
		"state":             v.state,
		"replicationStatus": map[string]any{"automatic": map[string]any{}},
		"etag":              fmt.Sprintf("%q", strconv.FormatInt(v.created.UnixMicro(), 16)+strconv.Itoa(v.etag)),
	}
	if v.state == Destroyed {
		body["destroyTime"] = timestamp(v.changed)
	}
	writeJSON(w, http.StatusOK, body)
}

// timestamp formats t as protojson does: UTC, "Z", 0, 3, 6 or 9
// fractional digits (6 here, as the service sends).
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
