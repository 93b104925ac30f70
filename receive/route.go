package receive

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/signature"
)

// response is a compiled Response.
type response struct {
	status      int
	body        string // "" means {"id":"…"}
	contentType string
	header      http.Header
}

// forwardDest is a compiled forward destination.
type forwardDest struct {
	ep      *hookd.Endpoint
	headers []string // canonical names of the original headers passed on
}

// publishDest is a compiled publish destination.
type publishDest struct {
	tenant  string
	typ     string
	typeCEL *celProgram
	message bool // data: message
}

// ForwardTargetID names a forward destination of a source for the engine:
// "{source}/{name}" (see Forward.Name).
func ForwardTargetID(sourceID, name string) string { return sourceID + "/" + name }

// forwardName returns the destination's name: its own, or one derived
// from its URL.
func forwardName(f *Forward) string {
	if f.Name != "" {
		return f.Name
	}
	sum := sha256.Sum256([]byte(f.URL))
	return "url-" + hex.EncodeToString(sum[:6])
}

// forwardNamePattern is what a forward's own name must match: 1–64
// letters, digits, '.', '_' and '-', starting with a letter (so that no
// name looks like another kind of id).
var forwardNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]{0,63}$`)

func (s *Source) compileDedupe(fe *fieldErrors) {
	s.window = DefaultDedupeWindow
	d := s.spec.Dedupe
	if d == nil {
		for _, v := range s.verifiers {
			if pv, ok := v.(*presetVerifier); ok && (len(pv.p.dedupe.headers) > 0 || pv.p.dedupe.pointer != "") {
				s.dedupe = pv.p.dedupe
				break
			}
		}
		return
	}
	switch {
	case (d.Header == "") == (d.JSONPointer == ""):
		fe.add("/dedupe", "must have exactly one of header and json_pointer")
	case d.Header != "" && !validToken(d.Header):
		fe.add("/dedupe/header", "is not a header name")
	case d.JSONPointer != "" && !strings.HasPrefix(d.JSONPointer, "/"):
		fe.add("/dedupe/json_pointer", "must be a JSON Pointer such as /id")
	}
	if d.Header != "" {
		s.dedupe.headers = []string{d.Header}
	}
	s.dedupe.pointer = d.JSONPointer
	if w := time.Duration(d.Window); w != 0 {
		if w < time.Second || w > MaxDedupeWindow {
			fe.add("/dedupe/window", "must be between 1s and %v", MaxDedupeWindow)
		}
		s.window = w
	}
}

// deliveryID returns the provider's delivery id of the request, "" when
// there is none.
func (s *Source) deliveryID(rc *reqCtx) string {
	for _, h := range s.dedupe.headers {
		if v := strings.TrimSpace(rc.r.Header.Get(h)); v != "" {
			return v
		}
	}
	if s.dedupe.pointer == "" {
		return ""
	}
	v, _ := scalarString(lookupPointer(rc.parsed, s.dedupe.pointer))
	return v
}

func (s *Source) compileResponse(fe *fieldErrors) {
	s.response = response{status: http.StatusOK, contentType: "application/json", header: http.Header{}}
	r := s.spec.Response
	if r == nil {
		return
	}
	if r.Status != 0 {
		if r.Status < 200 || r.Status > 299 {
			fe.add("/response/status", "must be from 200 to 299")
		}
		s.response.status = r.Status
	}
	s.response.body = r.Body
	if r.ContentType != "" {
		s.response.contentType = r.ContentType
	}
	for k, v := range r.Headers {
		if !validToken(k) || hookd.ReservedHeader(k) {
			fe.add("/response/headers/"+hookd.EscapePointer(k), "is not a header the response may set")
		}
		s.response.header.Set(k, v)
	}
}

func (s *Source) compileDestinations(o Options, fe *fieldErrors) {
	names := map[string]int{} // forward name → index of its destination
	for i, d := range s.spec.Destinations {
		ptr := "/destinations/" + strconv.Itoa(i)
		switch {
		case (d.Forward == nil) == (d.Publish == nil):
			fe.add(ptr, "must have exactly one of forward and publish")
		case d.Forward != nil:
			name := forwardName(d.Forward)
			if j, dup := names[name]; dup {
				fe.add(ptr+"/forward/name", "%q also names destination %d (a default name comes from the URL): give each forward its own name", name, j)
			}
			names[name] = i
			s.forwards = append(s.forwards, s.compileForward(name, d.Forward, o, ptr+"/forward", fe))
		default:
			s.publishes = append(s.publishes, compilePublish(d.Publish, ptr+"/publish", fe))
		}
	}
}

func (s *Source) compileForward(name string, f *Forward, o Options, ptr string, fe *fieldErrors) *forwardDest {
	if f.Name != "" && !forwardNamePattern.MatchString(f.Name) {
		fe.add(ptr+"/name", "must be 1 to 64 letters, digits, '.', '_' and '-', starting with a letter")
	}
	checkForwardURL(f, o, ptr, fe)
	if _, err := signature.DecodeSecret(f.Secret); err != nil || f.Secret == "" {
		fe.add(ptr+"/secret", "is required: a Standard Webhooks secret (whsec_ and base64) that signs what is forwarded")
	}
	if t := time.Duration(f.Timeout); t < 0 || t > hookd.MaxEndpointTimeout {
		fe.add(ptr+"/timeout", "must be at most %v", hookd.MaxEndpointTimeout)
	}
	if len(f.RetrySchedule) > hookd.MaxRetrySchedule {
		fe.add(ptr+"/retry_schedule", "has more than %d delays", hookd.MaxRetrySchedule)
	}
	ep := &hookd.Endpoint{
		ID: ForwardTargetID(s.id, name), URL: f.URL, Description: "forward of source " + s.id,
		Secrets: []hookd.Secret{{Value: f.Secret}}, AllowPrivate: f.AllowPrivate,
		Timeout: time.Duration(f.Timeout), Enabled: true,
	}
	for j, d := range f.RetrySchedule {
		if time.Duration(d) <= 0 || time.Duration(d) > hookd.MaxRetryDelay {
			fe.add(ptr+"/retry_schedule/"+strconv.Itoa(j), "must be positive and at most %v", hookd.MaxRetryDelay)
		}
		ep.RetrySchedule = append(ep.RetrySchedule, time.Duration(d))
	}
	fd := &forwardDest{ep: ep}
	for j, h := range f.Headers {
		if !validToken(h) {
			fe.add(ptr+"/headers/"+strconv.Itoa(j), "%q is not a header name", h)
		}
		fd.headers = append(fd.headers, http.CanonicalHeaderKey(h))
	}
	return fd
}

// checkForwardURL applies the checks every outbound URL gets, and refuses
// allow_private unless the options permit it.
func checkForwardURL(f *Forward, o Options, ptr string, fe *fieldErrors) {
	if f.AllowPrivate && !o.AllowPrivate {
		fe.add(ptr+"/allow_private", "can be set only in the configuration file, by the operator")
	}
	if msg := hookd.CheckURL(f.URL); msg != "" {
		fe.add(ptr+"/url", "%s", msg)
	} else if o.Guard != nil && !f.AllowPrivate {
		for _, e := range hookd.ErrorFields(o.Guard.CheckURL(f.URL)) {
			fe.add(ptr+e.Pointer, "%s", e.Message)
		}
	}
}

func compilePublish(p *Publish, ptr string, fe *fieldErrors) *publishDest {
	d := &publishDest{tenant: p.Tenant, typ: p.Type.Name, message: p.Data == "message"}
	setDefault(&d.tenant, hookd.DefaultTenant)
	if p.Data != "" && p.Data != "body" && p.Data != "message" {
		fe.add(ptr+"/data", "must be body or message")
	}
	switch {
	case p.Type.CEL != "":
		d.typeCEL = compileCEL(p.Type.CEL, cel.StringType, ptr+"/type/cel", fe)
	case strings.TrimSpace(p.Type.Name) == "":
		fe.add(ptr+"/type", "is required: an event type name, or {cel: <expression>}")
	}
	return d
}

// route makes the forwards and publishes of an accepted message.
func (s *Source) route(m *Message, rc *reqCtx) ([]hookd.Forward, []*hookd.Publish, *rejection) {
	var fwds []hookd.Forward
	for _, f := range s.forwards {
		h := map[string]string{}
		for _, name := range f.headers {
			if v := m.Header.Values(name); len(v) > 0 {
				h[name] = strings.Join(v, ", ")
			}
		}
		fwds = append(fwds, hookd.Forward{TargetID: f.ep.ID, Body: m.Body, ContentType: m.Header.Get("Content-Type"),
			Headers: h, Query: rc.r.URL.RawQuery})
	}
	var pubs []*hookd.Publish
	for i, p := range s.publishes {
		data, rej := s.publishData(m, p)
		if rej != nil {
			return nil, nil, rej
		}
		typ := p.typ
		if p.typeCEL != nil {
			out, err := p.typeCEL.eval(rc)
			name, ok := out.(string)
			if err != nil || !ok || name == "" {
				rej := reject(http.StatusBadRequest, hookd.EINVALID,
					fmt.Sprintf("publish destination %d: the type expression gave no event type", i))
				rej.cause = fmt.Sprintf("gave %v: %v", out, err)
				return nil, nil, rej
			}
			typ = name
		}
		pubs = append(pubs, &hookd.Publish{TenantID: p.tenant, Type: typ, Data: data})
	}
	return fwds, pubs, nil
}

// publishData is the data of a published event: the whole message for
// data: message, else the JSON body as sent, or a form as a JSON object.
func (s *Source) publishData(m *Message, p *publishDest) (json.RawMessage, *rejection) {
	switch {
	case p.message:
		b, err := json.Marshal(m.doc(s.secretHeaders))
		if err == nil {
			return b, nil
		}
	case isJSON(m.ContentType) && len(m.Body) > 0:
		return m.Body, nil
	case isForm(m.ContentType):
		b, err := json.Marshal(m.parsed)
		if err == nil {
			return b, nil
		}
	}
	return nil, reject(http.StatusUnsupportedMediaType, hookd.EUNSUPPORTED, "a publish destination needs a JSON or form body")
}
