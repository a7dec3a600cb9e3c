package kubernetessecrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.ChangeSource = (*Backend)(nil)

// The Accept headers of the change stream's requests: the secrets'
// metadata alone (PartialObjectMetadataList for a list,
// PartialObjectMetadata for a watch's events, as client-go's metadata
// client asks), plain JSON (whole Secrets, whose data is not decoded) from
// a server that cannot.
const (
	acceptMetadataList  = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
	acceptMetadataWatch = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
)

// Watch timing: each watch asks the server to end it after
// watchTimeout (plus up to as much again at random, as client-go's
// reflector does); the client gives up watchGrace later (a dead
// connection), and re-opens it from the last resourceVersion.
const (
	watchTimeout = 5 * time.Minute
	watchGrace   = 30 * time.Second
	// quickCloses: watches the server ends at once (within a second,
	// nothing received), in a row, before Changes gives up with an error
	// (the resolver then backs off) rather than spinning.
	quickCloses = 3
)

// maxListBytes bounds a change stream's list answer (metadata of every
// secret carrying the kind's label, or whole secrets from a server that
// ignores the metadata-only Accept).
const maxListBytes = 64 << 20

// maxEventBytes bounds one event of a watch stream (a secret's metadata):
// a server, or something in between, that sends an endless event ends the
// stream with an error instead of growing the decoder's buffer.
const maxEventBytes = 16 << 20

// eventBudget reads r and fails with errTooLarge once left bytes were read
// since it was last reset.
type eventBudget struct {
	r    io.Reader
	left int64
}

func (b *eventBudget) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// errGone is a watch's 410 Gone: its resourceVersion is too old.
var errGone = errors.New("410 Gone: the resourceVersion is too old")

// objectMeta is the part of an object's metadata the change stream reads.
type objectMeta struct {
	Name            string            `json:"name"`
	ResourceVersion string            `json:"resourceVersion"`
	Labels          map[string]string `json:"labels"`
}

// metaList is a SecretList or PartialObjectMetadataList, metadata only.
type metaList struct {
	Kind     string `json:"kind"`
	Metadata struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Items []struct {
		Metadata objectMeta `json:"metadata"`
	} `json:"items"`
}

// watchEvent is one event of a watch stream.
type watchEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// Changes reports changes of the secrets the backend reads (see Change
// events in the package doc): for each kind looked up, it lists the
// secrets carrying the kind's label, emits resolver.Event{All: true} once
// every kind is listed, then watches them from the list's resourceVersion
// and emits an event per secret added, modified or deleted. It returns
// ctx.Err() when ctx ends, or the error that broke a stream. watched is
// not used: the watch covers every secret of the kinds.
func (b *Backend) Changes(ctx context.Context, _ func() []resolver.Request, emit func(resolver.Event)) error {
	var streams []*kindStream
	for _, k := range []resolver.Kind{resolver.KindConnection, resolver.KindVariable, resolver.KindConfig} {
		if p, ok := b.places.For(k); ok && p.On {
			streams = append(streams, &kindStream{b: b, kind: k, selector: p.Prefix})
		}
	}
	if len(streams) == 0 {
		emit(resolver.Event{All: true})
		<-ctx.Done()
		return ctx.Err()
	}
	for _, st := range streams {
		if err := st.list(ctx); err != nil {
			return err
		}
	}
	emit(resolver.Event{All: true})

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(streams))
	var wg sync.WaitGroup
	for _, st := range streams {
		wg.Go(func() { errs <- st.run(wctx, emit) })
	}
	err := <-errs
	cancel()
	wg.Wait() // emit is not called after Changes returns
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// kindStream lists and watches the secrets carrying one kind's label.
type kindStream struct {
	b        *Backend
	kind     resolver.Kind
	selector string // the label key: every secret carrying it
	rv       string // the resourceVersion the next watch starts from
	// known is each secret's event as last seen, so that a secret whose
	// label value changes tells its old id too.
	known map[string]resolver.Event
}

// eventOf returns the event of a secret with labels: its kind, its id
// (the label's value) and its team (the team label's, with teams on, for
// connections and variables; "" for a global secret).
func (st *kindStream) eventOf(labels map[string]string) (resolver.Event, bool) {
	id, ok := labels[st.selector]
	if !ok {
		return resolver.Event{}, false
	}
	ev := resolver.Event{Kind: st.kind, ID: id}
	if st.b.teamLabel != "" && st.kind != resolver.KindConfig {
		ev.Team = labels[st.b.teamLabel]
	}
	return ev, true
}

// run watches until ctx ends or the stream breaks: a watch the server
// ends is re-opened from the last resourceVersion; a 410 Gone makes a
// new list (and an All event: changes made meanwhile were not seen one by
// one) and a watch from its resourceVersion.
func (st *kindStream) run(ctx context.Context, emit func(resolver.Event)) error {
	quick := 0
	for {
		began := time.Now()
		got, err := st.watch(ctx, emit)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, errGone):
			if err := st.list(ctx); err != nil {
				return err
			}
			emit(resolver.Event{All: true})
			quick = 0
		case err != nil:
			return err
		case got == 0 && time.Since(began) < time.Second:
			if quick++; quick >= quickCloses {
				return st.fail(fmt.Errorf("the API server ended %d watches in a row at once", quickCloses))
			}
		default:
			quick = 0
		}
	}
}

// fail wraps err with what the stream watches.
func (st *kindStream) fail(err error) error {
	return fmt.Errorf("%s: watching secrets in namespace %q with label selector %q: %w", Name, st.b.namespace, st.selector, err)
}

// list lists the secrets carrying the label (a consistent read: no
// resourceVersion, so the answer is as new as the watch it starts) and
// remembers each one's event and the list's resourceVersion.
func (st *kindStream) list(ctx context.Context) error {
	ctx, release := kit.Bound(ctx, st.b.timeout)
	defer release()
	resp, err := st.b.get(ctx, st.b.listURL+url.QueryEscape(st.selector), acceptMetadataList)
	if err != nil {
		return st.fail(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxListBytes+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return st.fail(fmt.Errorf("%w (reading the list)", ctx.Err()))
	case err != nil:
		return st.fail(kit.Unavailable(fmt.Errorf("reading the list: %s", transportText(err))))
	case len(body) > maxListBytes:
		return st.fail(fmt.Errorf("%w (%d bytes)", errTooLarge, maxListBytes))
	}
	var list metaList
	if err := json.Unmarshal(body, &list); err != nil {
		return st.fail(errBadJSONDoc)
	}
	if list.Kind != "SecretList" && list.Kind != "PartialObjectMetadataList" || list.Metadata.ResourceVersion == "" {
		return st.fail(errNotAList)
	}
	st.rv = list.Metadata.ResourceVersion
	st.known = make(map[string]resolver.Event, len(list.Items))
	for _, it := range list.Items {
		if ev, ok := st.eventOf(it.Metadata.Labels); ok {
			st.known[it.Metadata.Name] = ev
		}
	}
	return nil
}

// watch opens one watch from st.rv and emits its events until the server
// ends it (nil), it reports 410 Gone (errGone), or it fails. It returns
// how many events (bookmarks included) came.
func (st *kindStream) watch(ctx context.Context, emit func(resolver.Event)) (int, error) {
	timeout := watchTimeout + rand.N(watchTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout+watchGrace)
	defer cancel()
	u := st.b.listURL + url.QueryEscape(st.selector) + "&watch=1&resourceVersion=" + url.QueryEscape(st.rv) +
		"&allowWatchBookmarks=true&timeoutSeconds=" + strconv.Itoa(int(timeout/time.Second))
	resp, err := st.b.get(ctx, u, acceptMetadataWatch)
	if errors.Is(err, errGone) {
		return 0, err
	}
	if err != nil {
		return 0, st.fail(err)
	}
	defer resp.Body.Close()
	body := &eventBudget{r: resp.Body, left: maxEventBytes}
	dec := json.NewDecoder(body)
	n := 0
	for {
		var ev watchEvent
		body.left = maxEventBytes // each event gets the budget (the decoder may hold the next one's start)
		if err := dec.Decode(&ev); err != nil {
			if errors.Is(err, errTooLarge) {
				return n, st.fail(fmt.Errorf("a watch event: %w (%d bytes)", errTooLarge, maxEventBytes))
			}
			// The server ended the stream (its timeout), the connection
			// broke, or our grace passed: the caller re-opens it from
			// the last resourceVersion; a server that cannot be reached
			// fails the next request.
			return n, nil
		}
		n++
		if ev.Type == "ERROR" {
			var s status
			if json.Unmarshal(ev.Object, &s) == nil && s.Code == http.StatusGone {
				return n, errGone
			}
			return n, st.fail(&APIError{StatusCode: s.Code, Reason: oneLine(s.Reason), Message: oneLine(s.Message)})
		}
		var obj struct {
			Metadata objectMeta `json:"metadata"`
		}
		if err := json.Unmarshal(ev.Object, &obj); err != nil {
			return n, st.fail(fmt.Errorf("a %s event: %w", oneLine(ev.Type), errBadJSONDoc))
		}
		switch ev.Type {
		case "ADDED", "MODIFIED":
			old, had := st.known[obj.Metadata.Name]
			cur, ok := st.eventOf(obj.Metadata.Labels)
			if had && (!ok || old != cur) {
				emit(old) // its label value or team changed: the old id lost it
			}
			if ok {
				st.known[obj.Metadata.Name] = cur
				emit(cur)
			} else {
				delete(st.known, obj.Metadata.Name)
			}
		case "DELETED":
			old, had := st.known[obj.Metadata.Name]
			delete(st.known, obj.Metadata.Name)
			if had {
				emit(old)
			}
			if cur, ok := st.eventOf(obj.Metadata.Labels); ok && (!had || cur != old) {
				emit(cur)
			}
		case "BOOKMARK":
		default:
			continue // an event type this version does not know: skipped
		}
		if obj.Metadata.ResourceVersion != "" {
			st.rv = obj.Metadata.ResourceVersion
		}
	}
}

// get sends a GET of u with the credential and accept, and returns the
// response of a 200; a 410 is errGone, any other status an error as the
// lookups report it.
func (b *Backend) get(ctx context.Context, u, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "secretpath")
	req.Header.Set("Accept", accept)
	var tok string
	if b.token != nil {
		if tok, err = b.token.token(); err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%w (%s)", ctxErr, transportText(err))
		}
		if kit.Unanswered(err) {
			return nil, kit.Unavailable(errors.New(transportText(err)))
		}
		return nil, errors.New(transportText(err))
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	ae := &APIError{StatusCode: resp.StatusCode}
	var st status
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
		ae.Reason, ae.Message = oneLine(mask(st.Reason, tok)), oneLine(mask(st.Message, tok))
	}
	switch {
	case resp.StatusCode == http.StatusGone:
		return nil, errGone
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%w: %w", resolver.ErrPermissionDenied, ae)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, kit.Unavailable(ae)
	}
	return nil, ae
}
