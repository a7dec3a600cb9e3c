package gcpfake

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RouteGetSecret is GetSecret (GET …/secrets/{s}): the Secret resource,
// as recorded in Request.Route and matched by Fault.Route.
const RouteGetSecret = "GetSecret"

// secretMeta is what the fake keeps of a Secret resource besides its
// versions.
type secretMeta struct {
	// expireTime: the service deletes the secret then (zero: never).
	expireTime time.Time
	// nextRotationTime: rotation.nextRotationTime (zero: no rotation).
	nextRotationTime time.Time
}

// SetExpireTime sets secret's expireTime in project, as UpdateSecret with
// update_mask expire_time does; the zero time removes it. As the service
// does, the fake deletes the secret and its versions once that time has
// passed (when a request next names it). It reports whether the secret
// exists.
func (s *Server) SetExpireTime(projectID, secret string, t time.Time) bool {
	return s.setMeta(projectID, secret, func(m *secretMeta) { m.expireTime = t })
}

// SetNextRotation sets secret's rotation.nextRotationTime in project, as
// UpdateSecret with update_mask rotation.next_rotation_time does (the
// service then publishes a SECRET_ROTATE message to the secret's topics;
// the fake sends nothing); the zero time removes the rotation. It reports
// whether the secret exists.
func (s *Server) SetNextRotation(projectID, secret string, t time.Time) bool {
	return s.setMeta(projectID, secret, func(m *secretMeta) { m.nextRotationTime = t })
}

func (s *Server) setMeta(projectID, secret string, set func(*secretMeta)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[projectID]
	if p == nil {
		return false
	}
	p.expire(secret)
	if _, ok := p.secrets[secret]; !ok {
		return false
	}
	m := p.meta[secret]
	set(&m)
	p.meta[secret] = m
	return true
}

// expire deletes secret when its expireTime has passed, as the service
// does; s.mu is held.
func (p *project) expire(secret string) {
	if m, ok := p.meta[secret]; ok && !m.expireTime.IsZero() && !time.Now().Before(m.expireTime) {
		delete(p.secrets, secret)
		delete(p.meta, secret)
	}
}

// serveGetSecret serves GetSecret, GET /v1/{name=projects/*/secrets/*}, as
// documented at
// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/get
// and the Secret resource
// (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets):
// name (the project by number), replication, createTime, etag, and, when
// set, expireTime and rotation {nextRotationTime, rotationPeriod} with the
// topics rotation requires; never a payload. The permission is
// secretmanager.secrets.get, which the PERMISSION_DENIED message names.
func (s *Server) serveGetSecret(w http.ResponseWriter, r *http.Request, req *Request) {
	parts := strings.Split(req.Path, "/")
	// "", "v1", "projects", P, "secrets", S
	ok := len(parts) == 6 && parts[1] == "v1" && parts[2] == "projects" && parts[4] == "secrets" && r.Method == http.MethodGet
	if ok {
		var err1, err2 error
		req.Project, err1 = url.PathUnescape(parts[3])
		req.Secret, err2 = url.PathUnescape(parts[5])
		ok = err1 == nil && err2 == nil
	}
	if ok {
		req.Route = RouteGetSecret
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
	if f := s.faultOn(APISecretManager, RouteGetSecret, req.Secret); f != nil && writeFault(w, f) {
		return
	}
	resource := "projects/" + req.Project + "/secrets/" + req.Secret
	if !ValidSecretID(req.Secret) {
		writeError(w, 0, "INVALID_ARGUMENT", "The provided Secret ID ["+resource+"] does not match the expected format [projects/*/secrets/*]")
		return
	}
	p := s.projects[req.Project]
	if p == nil {
		p = s.byNumber[req.Project]
	}
	if p == nil {
		writeError(w, 0, "PERMISSION_DENIED", "Permission 'secretmanager.secrets.get' denied for resource '"+resource+"' (or it may not exist).")
		return
	}
	p.expire(req.Secret)
	versions, exists := p.secrets[req.Secret]
	if !exists {
		writeError(w, 0, "NOT_FOUND", "Secret [projects/"+p.number+"/secrets/"+req.Secret+"] not found.")
		return
	}
	created := time.Unix(1764417600, 0)
	if len(versions) > 0 {
		created = versions[0].created
	}
	body := map[string]any{
		"name":        "projects/" + p.number + "/secrets/" + req.Secret,
		"replication": map[string]any{"automatic": map[string]any{}},
		"createTime":  timestamp(created),
		"etag":        strconv.Quote(strconv.FormatInt(created.UnixMicro(), 16)),
	}
	m := p.meta[req.Secret]
	if !m.expireTime.IsZero() {
		body["expireTime"] = timestamp(m.expireTime)
	}
	if !m.nextRotationTime.IsZero() {
		body["topics"] = []map[string]string{{"name": "projects/" + p.id + "/topics/rotations"}}
		body["rotation"] = map[string]any{"nextRotationTime": timestamp(m.nextRotationTime), "rotationPeriod": "2592000s"}
	}
	writeJSON(w, http.StatusOK, body)
}
