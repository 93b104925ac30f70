package receive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookd/hookd"
)

// rejection is why a request was refused, and how to answer it.
type rejection struct {
	status int
	code   string // hookd error code
	detail string // safe to show
	fields []hookd.FieldError
	header http.Header // Allow, Accept-Encoding, WWW-Authenticate, Retry-After
	// cause is kept in the request log and the server log, never shown:
	// the error of a failed authenticator, say.
	cause string
	// console is what a failed script printed, kept in the request log
	// only.
	console string
	// answer, when set, is written as it is instead of a problem: an
	// authenticator's HTTPError.
	answer *HTTPError
}

func reject(status int, code, detail string) *rejection {
	return &rejection{status: status, code: code, detail: detail}
}

// Message is a request that passed the pipeline. Body and Header are the
// request's own (Body decoded); the handler may read them but must not
// keep them past its return unless it copies them.
type Message struct {
	// ID is the request's id, "req_…".
	ID       string
	SourceID string
	Method   string
	Path     string
	Header   http.Header
	Query    url.Values
	// Body is the body as decoded (Content-Encoding undone): the bytes
	// verification ran over.
	Body []byte
	// ContentType is the body's media type, without parameters.
	ContentType string
	RemoteIP    string
	// Verified lists what verification established, in order, such as
	// ["github"] or ["ip_allow", "hmac"]; empty when the source verifies
	// nothing.
	Verified []string
	// DeliveryID is the provider's delivery id (the de-duplication key),
	// "" when there is none.
	DeliveryID string
	ReceivedAt time.Time
	// User is what the source's authenticator (a script, or an
	// AuthenticateFunc) said of the caller, as JSON; nil when none did.
	User json.RawMessage

	parsed any // the body as parsed: JSON values, or a form as a map
}

// reqCtx carries one request through the pipeline.
type reqCtx struct {
	r         *http.Request
	src       *Source
	body      []byte
	mediaType string
	now       time.Time
	remoteIP  string
	res       reservation     // the body's share of the decompression budget
	user      json.RawMessage // what an authenticator said of the caller

	parsed   any
	form     url.Values
	parseRej *rejection
	parsedOK bool
}

// run takes a request through the pipeline. It returns the message, or
// the handshake answer, or why it was rejected. The caller releases
// rc.res once it is done with the body.
func (s *Source) run(r *http.Request, rc *reqCtx, budget *Budget) (*Message, *handshake, *rejection) {
	*rc = reqCtx{r: r, src: s, now: s.nowFunc(), remoteIP: clientIP(r, s.trusted), res: reservation{b: budget}}
	if !slices.Contains(s.methods, r.Method) {
		rej := reject(http.StatusMethodNotAllowed, hookd.EMETHOD, fmt.Sprintf("method %s is not allowed", r.Method))
		rej.header = http.Header{"Allow": {strings.Join(s.methods, ", ")}}
		return nil, nil, rej
	}
	raw, rej := readBody(r, s.maxBody)
	if rej != nil {
		return nil, nil, rej
	}
	rc.body = raw
	if rej = checkCodings(r.Header); rej != nil {
		return nil, nil, rej
	}
	if rej = rc.checkContentType(); rej != nil {
		return nil, nil, rej
	}
	verified, hs, rej := s.traceVerify(rc, raw)
	if rej != nil || hs != nil {
		return nil, hs, rej
	}
	if _, rej = rc.parse(); rej != nil {
		return nil, nil, rej
	}
	if rej = s.validate(rc); rej != nil {
		return nil, nil, rej
	}
	return s.message(rc, verified), nil, nil
}

// verify runs the verifiers that need no decoded body over raw, the body
// as sent, then decodes the body, then runs the rest over it.
func (s *Source) verify(rc *reqCtx, raw []byte) ([]string, *handshake, *rejection) {
	passed, rej := s.preVerify(rc, encoded(rc.r.Header))
	if rej != nil {
		return nil, nil, rej
	}
	if rc.body, rej = decodeBody(rc.r.Header, raw, s.maxDecompressed, &rc.res); rej != nil {
		return nil, nil, rej
	}
	return s.verifyAll(rc, passed)
}

func (rc *reqCtx) checkContentType() *rejection {
	ct := rc.r.Header.Get("Content-Type")
	if ct == "" && len(rc.body) == 0 {
		return nil // a bodiless request (GET, say) has nothing to type
	}
	mt, ok := rc.src.types.accepts(ct)
	if !ok {
		return reject(http.StatusUnsupportedMediaType, hookd.EUNSUPPORTED,
			fmt.Sprintf("Content-Type %q is not accepted; accepted: %s", ct, strings.Join(rc.src.types, ", ")))
	}
	rc.mediaType = mt
	return nil
}

// verifyAll runs the verifiers preVerify left (all must pass), then the
// Go authenticator. A preset's handshake is answered once every verifier
// passed.
func (s *Source) verifyAll(rc *reqCtx, passed []bool) ([]string, *handshake, *rejection) {
	var names []string
	for i, v := range s.verifiers {
		if !passed[i] {
			if rej := v.verify(rc); rej != nil {
				return nil, nil, rej
			}
		}
		names = append(names, v.name())
	}
	if s.auth != nil {
		if rej := s.auth.verify(rc); rej != nil {
			return nil, nil, rej
		}
		names = append(names, s.auth.name())
	}
	for _, v := range s.verifiers {
		if h, ok := v.(handshaker); ok {
			hs, rej := h.handshake(rc)
			if rej != nil || hs != nil {
				return names, hs, rej
			}
		}
	}
	return names, nil, nil
}

func (s *Source) message(rc *reqCtx, verified []string) *Message {
	return &Message{
		SourceID:    s.id,
		Method:      rc.r.Method,
		Path:        rc.r.URL.Path,
		Header:      rc.r.Header,
		Query:       rc.r.URL.Query(),
		Body:        rc.body,
		ContentType: rc.mediaType,
		RemoteIP:    rc.remoteIP,
		Verified:    verified,
		DeliveryID:  s.deliveryID(rc),
		ReceivedAt:  rc.now,
		User:        rc.user,
		parsed:      rc.parsed,
	}
}

// parse parses the body once: JSON for a JSON media type, a form for a
// form. Other bodies stay opaque (nil). An empty body parses as nil.
func (rc *reqCtx) parse() (any, *rejection) {
	if rc.parsedOK || rc.parseRej != nil {
		return rc.parsed, rc.parseRej
	}
	switch {
	case len(rc.body) == 0:
	case isJSON(rc.mediaType):
		rc.parsed, rc.parseRej = parseJSON(rc.body)
	case isForm(rc.mediaType):
		f, err := url.ParseQuery(string(rc.body))
		if err != nil {
			rc.parseRej = reject(http.StatusBadRequest, hookd.EMALFORMED, "the body is not a valid form")
			break
		}
		rc.form, rc.parsed = f, valuesMap(f)
	}
	rc.parsedOK = rc.parseRej == nil
	return rc.parsed, rc.parseRej
}

// parseJSON parses one JSON value, numbers as json.Number.
func parseJSON(b []byte) (any, *rejection) {
	if !utf8.Valid(b) {
		return nil, reject(http.StatusBadRequest, hookd.EMALFORMED, "the body is not valid JSON: it is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = fmt.Errorf("data after the JSON value")
		}
	}
	if err != nil {
		return nil, reject(http.StatusBadRequest, hookd.EMALFORMED, "the body is not valid JSON: "+err.Error())
	}
	return v, nil
}

// valuesMap maps query or form values as schemas see them: a string, or
// a list of strings when the name repeats.
func valuesMap(v url.Values) map[string]any {
	m := make(map[string]any, len(v))
	for k, vs := range v {
		if len(vs) == 1 {
			m[k] = vs[0]
			continue
		}
		list := make([]any, len(vs))
		for i, s := range vs {
			list[i] = s
		}
		m[k] = list
	}
	return m
}

// formValues returns the form body, or the 400 of a body that is not one.
func (rc *reqCtx) formValues() (url.Values, error) {
	if _, rej := rc.parse(); rej != nil {
		return nil, &errBody{rej}
	}
	return rc.form, nil
}

// bodyString returns the value at a JSON Pointer into the parsed body as
// a string ("" when absent), or an *errBody when the body does not parse.
func (rc *reqCtx) bodyString(ptr string) (string, error) {
	v, rej := rc.parse()
	if rej != nil {
		return "", &errBody{rej}
	}
	s, _ := scalarString(lookupPointer(v, ptr))
	return s, nil
}

// lookupPointer resolves a JSON Pointer; nil when it resolves to nothing.
func lookupPointer(v any, ptr string) any {
	if ptr == "" {
		return v
	}
	for tok := range strings.SplitSeq(strings.TrimPrefix(ptr, "/"), "/") {
		tok = hookd.UnescapePointer(tok)
		switch c := v.(type) {
		case map[string]any:
			v = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// scalarString renders a string, number or boolean; ok is false for
// anything else.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// signedURL is the URL as the provider called it: public_url with the
// request's query string, or, without public_url, the URL rebuilt from the
// request.
func (rc *reqCtx) signedURL() string {
	base := rc.src.publicURL
	if base == "" {
		scheme := "http"
		if rc.r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + rc.r.Host + rc.r.URL.EscapedPath()
	}
	if rc.r.URL.RawQuery != "" {
		return base + "?" + rc.r.URL.RawQuery
	}
	return base
}
