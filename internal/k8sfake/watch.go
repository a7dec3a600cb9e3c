package k8sfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Watches, as the API server documents them ("Efficient detection of
// changes" in the API concepts, kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
//
//	GET /api/v1/namespaces/{namespace}/secrets?watch=1&labelSelector=...&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=N
//
// answers 200 with a chunked stream of JSON objects, one per line,
// {"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR", "object": ...}:
// every change of a secret the selector selects after RV (a secret whose
// labels stop matching is DELETED, one that starts matching ADDED, as the
// watch cache filters), BOOKMARK events (an object holding only
// metadata.resourceVersion) when asked for, and, when RV is older than
// the history kept, 410 Gone: an HTTP 410 Status, or (GoneAsEvent) an
// ERROR event whose object is that Status, both of which the API server
// sends. RV "" or "0" starts with a synthetic ADDED of every secret
// selected. The stream ends at timeoutSeconds, when the client goes, or
// when a test closes it.

// event is one change in the fake's history.
type event struct {
	rv       int64
	ns       string
	old, cur *Secret // old nil: created; cur nil: deleted
}

// watch is an open watch stream.
type watch struct {
	ns        string
	sel       Selector
	bookmarks bool
	ch        chan watchItem
	ended     bool // the stream was told to end (ch full, closed, gone)
}

// watchItem is what a watch stream is told: an event, a bookmark at a
// resourceVersion, 410 Gone, or to end.
type watchItem struct {
	ev       *event
	bookmark int64
	gone     bool
	end      bool
}

// watchBuffer is how many events a stream holds for a slow client before
// the fake ends it (the API server also drops a client that cannot keep
// up).
const watchBuffer = 1024

// changedLocked records a change of a secret (old nil: created; cur nil:
// deleted) at a new resourceVersion and tells the open watches.
func (s *Server) changedLocked(old, cur *Secret) {
	s.rv++
	sec := cur
	if sec == nil {
		sec = old
	}
	key := sec.Namespace + "/" + sec.Name
	if cur != nil {
		s.secretRV[key] = s.rv
	} else {
		delete(s.secretRV, key)
	}
	e := &event{rv: s.rv, ns: sec.Namespace, old: old, cur: cur}
	s.history = append(s.history, *e)
	for w := range s.watches {
		if w.ns == e.ns {
			w.sendLocked(watchItem{ev: e})
		}
	}
}

func (w *watch) sendLocked(it watchItem) {
	if w.ended {
		return
	}
	select {
	case w.ch <- it:
	default:
		w.ended = true
		close(w.ch)
		return
	}
	if it.gone || it.end {
		w.ended = true
		close(w.ch)
	}
}

// filter returns the event type and object the watch sends for e ("" for
// none).
func (w *watch) filter(e *event) (string, *Secret) {
	oldOK := e.old != nil && w.sel.Matches(e.old.Labels)
	curOK := e.cur != nil && w.sel.Matches(e.cur.Labels)
	switch {
	case oldOK && curOK:
		return "MODIFIED", e.cur
	case curOK:
		return "ADDED", e.cur
	case oldOK:
		return "DELETED", e.old
	}
	return "", nil
}

// goneStatus is the Status of a watch from a resourceVersion older than
// the history kept, as the watch cache words it.
func goneStatus(from, oldest int64) map[string]any {
	return map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": fmt.Sprintf("too old resource version: %d (%d)", from, oldest),
		"reason": "Expired", "code": http.StatusGone}
}

func (s *Server) serveWatch(w http.ResponseWriter, r *http.Request, ns string, sel Selector, metaOnly bool) {
	q := r.URL.Query()
	rvText := q.Get("resourceVersion")
	wt := &watch{ns: ns, sel: sel, ch: make(chan watchItem, watchBuffer),
		bookmarks: q.Get("allowWatchBookmarks") == "true" || q.Get("allowWatchBookmarks") == "1"}
	var timeout <-chan time.Time
	if secs, err := strconv.Atoi(q.Get("timeoutSeconds")); err == nil && secs > 0 {
		t := time.NewTimer(time.Duration(secs) * time.Second)
		defer t.Stop()
		timeout = t.C
	}
	var initial []watchItem
	s.mu.Lock()
	switch rvText {
	case "", "0":
		for i := range s.secrets {
			sec := s.secrets[i]
			if sec.Namespace == ns {
				initial = append(initial, watchItem{ev: &event{rv: s.secretRV[ns+"/"+sec.Name], ns: ns, cur: &sec}})
			}
		}
	default:
		from, err := strconv.ParseInt(rvText, 10, 64)
		if err != nil || from < 0 {
			s.mu.Unlock()
			writeStatus(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("invalid resource version: %q", rvText), nil)
			return
		}
		if from < s.compacted {
			st, asEvent := goneStatus(from, s.compacted+1), s.goneEvent
			s.mu.Unlock()
			if !asEvent {
				writeJSON(w, http.StatusGone, st)
				return
			}
			startStream(w)
			writeEvent(w, "ERROR", st)
			return
		}
		for i := range s.history {
			if e := &s.history[i]; e.rv > from && e.ns == ns {
				initial = append(initial, watchItem{ev: e})
			}
		}
	}
	s.watches[wt] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.watches, wt)
		s.mu.Unlock()
	}()

	startStream(w)
	send := func(it watchItem) bool {
		switch {
		case it.gone:
			s.mu.Lock()
			st := goneStatus(it.bookmark, s.compacted+1)
			s.mu.Unlock()
			writeEvent(w, "ERROR", st)
			return false
		case it.end:
			return false
		case it.ev == nil:
			if wt.bookmarks {
				kind, apiVersion := "Secret", "v1"
				if metaOnly {
					kind, apiVersion = "PartialObjectMetadata", "meta.k8s.io/v1"
				}
				writeEvent(w, "BOOKMARK", map[string]any{"kind": kind, "apiVersion": apiVersion,
					"metadata": map[string]any{"resourceVersion": strconv.FormatInt(it.bookmark, 10), "creationTimestamp": nil}})
			}
			return true
		}
		if typ, obj := wt.filter(it.ev); typ != "" {
			s.mu.Lock()
			o := s.objectLocked(obj, it.ev.rv, metaOnly)
			s.mu.Unlock()
			writeEvent(w, typ, o)
		}
		return true
	}
	for _, it := range initial {
		send(it)
	}
	for {
		select {
		case it, ok := <-wt.ch:
			if !ok || !send(it) {
				return
			}
		case <-r.Context().Done():
			return
		case <-timeout:
			return
		}
	}
}

// startStream answers 200 with a chunked JSON stream.
func startStream(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// writeEvent sends one watch event, on its own line, at once.
func writeEvent(w http.ResponseWriter, typ string, obj any) {
	_ = json.NewEncoder(w).Encode(map[string]any{"type": typ, "object": obj})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// Compact forgets the change history, as etcd's compaction does after
// writes elsewhere in the cluster moved its revision on: a watch from any
// resourceVersion given out so far is then 410 Gone (an open stream goes
// on).
func (s *Server) Compact() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compactLocked()
}

func (s *Server) compactLocked() {
	s.rv++ // another object's write: the revision moves on
	s.compacted = s.rv
	s.history = nil
}

// GoneAsEvent, on, makes a watch from a resourceVersion too old answer
// 200 with an ERROR event holding the 410 Status (as the watch cache
// does) rather than an HTTP 410 (as a watch served from etcd does).
func (s *Server) GoneAsEvent(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.goneEvent = on
}

// ExpireWatches compacts the history (see Compact) and ends every open
// watch stream with an ERROR event holding a 410 Status: what a client
// sees when the server can no longer serve its watch. It returns how many
// streams it ended.
func (s *Server) ExpireWatches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compactLocked()
	n := 0
	for w := range s.watches {
		if !w.ended {
			w.sendLocked(watchItem{gone: true, bookmark: s.rv - 1})
			n++
		}
	}
	return n
}

// CloseWatches ends every open watch stream cleanly, as the API server
// does when a watch's timeout passes. It returns how many it ended.
func (s *Server) CloseWatches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for w := range s.watches {
		if !w.ended {
			w.sendLocked(watchItem{end: true})
			n++
		}
	}
	return n
}

// Bookmark sends every open watch that allows bookmarks a BOOKMARK event
// at the current resourceVersion.
func (s *Server) Bookmark() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for w := range s.watches {
		w.sendLocked(watchItem{bookmark: s.rv})
	}
}

// OpenWatches is how many watch streams are open.
func (s *Server) OpenWatches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for w := range s.watches {
		if !w.ended {
			n++
		}
	}
	return n
}

// ResourceVersion is the last resourceVersion the fake gave out.
func (s *Server) ResourceVersion() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rv
}

// HoldLists makes secret lists (not watches) wait, after they are
// recorded, until release is called: a test can change secrets between a
// client's request and the answer.
func (s *Server) HoldLists() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.listHold = ch
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.listHold == ch {
			s.listHold = nil
			close(ch)
		}
	}
}
