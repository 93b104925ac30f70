package receive

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/script"
)

// scriptEntry is the function a script authenticator defines.
const scriptEntry = "authenticate"

// maxConsoleReason bounds the console output a failed script leaves in
// the request log.
const maxConsoleReason = 1 << 10

// scriptAuth is the script: authenticator, a JavaScript function
// authenticate(request) run in the shared script runtime.
type scriptAuth struct{ prg *script.Program }

// scriptRequest is what authenticate(request) sees.
type scriptRequest struct {
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Headers  map[string]any  `json:"headers"`
	Query    map[string]any  `json:"query"`
	Body     string          `json:"body"`
	JSON     json.RawMessage `json:"json"`
	RemoteIP string          `json:"remote_ip"`
}

func (s *Source) compileScript(e *Verify, ptr string, fe *fieldErrors) verifier {
	t := time.Duration(e.Timeout)
	if t < 0 || t > script.MaxTimeout {
		fe.add(ptr+"/timeout", "must be at most %v", script.MaxTimeout)
		return nil
	}
	prg, err := script.Compile(e.Script, scriptEntry, script.Limits{Timeout: t})
	if err != nil {
		fe.add(ptr+"/script", "%s", hookd.ErrorMessage(err))
		return nil
	}
	return &scriptAuth{prg: prg}
}

func (*scriptAuth) name() string { return "script" }

// verify maps the script's answer: true or an object accepts (the
// object's user member is kept); false, null or undefined is 403; a
// thrown HTTPError is answered as it is; any other throw, the time limit
// or another value is 500, with the cause (and the script's console) in
// the request log, never in the answer.
func (a *scriptAuth) verify(rc *reqCtx) *rejection {
	res, err := a.prg.Call(rc.r.Context(), a.request(rc))
	if err != nil {
		var he *script.HTTPError
		if errors.As(err, &he) {
			return answerAs(&HTTPError{Status: he.Status, Body: he.Body, Header: he.Header})
		}
		return scriptFailed(err.Error(), res.Logs)
	}
	var v any
	if len(res.Value) > 0 {
		if err := json.Unmarshal(res.Value, &v); err != nil {
			return scriptFailed("decode the returned value: "+err.Error(), res.Logs)
		}
	}
	switch x := v.(type) {
	case bool:
		if x {
			return nil
		}
	case nil:
	case map[string]any:
		if u, ok := x["user"]; ok && u != nil {
			b, _ := json.Marshal(u)
			rc.user = b
		}
		return nil
	default:
		return scriptFailed(fmt.Sprintf("authenticate returned %s: want true, false, null or an object {user}", res.Value), res.Logs)
	}
	return reject(http.StatusForbidden, hookd.EFORBIDDEN, "denied by the source's authenticator")
}

func scriptFailed(cause, logs string) *rejection {
	rej := reject(http.StatusInternalServerError, hookd.EINTERNAL, "the source's authenticator failed")
	rej.cause = cause
	if logs = strings.TrimSpace(logs); logs != "" {
		if len(logs) > maxConsoleReason {
			logs = logs[:maxConsoleReason] + "…"
		}
		rej.console = logs
	}
	return rej
}

// request builds the script's view of the request: headers and query as
// a value, or a list when repeated; the decoded body as a string; json
// the parsed JSON or form body, or null.
func (a *scriptAuth) request(rc *reqCtx) *scriptRequest {
	headers := make(map[string]any, len(rc.r.Header))
	for k, vs := range rc.r.Header {
		name := strings.ToLower(k)
		if len(vs) == 1 {
			headers[name] = vs[0]
		} else {
			headers[name] = vs
		}
	}
	sr := &scriptRequest{Method: rc.r.Method, Path: rc.r.URL.Path, Headers: headers,
		Query: valuesMap(rc.r.URL.Query()), Body: string(rc.body), JSON: json.RawMessage("null"), RemoteIP: rc.remoteIP}
	switch {
	case isJSON(rc.mediaType) && utf8.Valid(rc.body) && json.Valid(rc.body):
		sr.JSON = rc.body
	case isForm(rc.mediaType):
		if f, rej := rc.parse(); rej == nil && f != nil {
			sr.JSON, _ = json.Marshal(f)
		}
	}
	return sr
}
