package receive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/hookd/hookd"
)

// HTTPError is an answer an authenticator (or a handler) chooses: Status
// (400–599), Body and Header are written to the caller exactly as they
// are. A zero Body writes no body; Header may set Content-Type.
type HTTPError struct {
	Status int
	Body   string
	Header http.Header
}

// Error implements error.
func (e *HTTPError) Error() string { return fmt.Sprintf("answered %d", e.Status) }

// AuthenticateFunc decides whether a request is accepted. It sees the
// request once its size, decompression and content type are checked and
// the source's header checks passed, and before its body is parsed,
// validated against schemas or de-duplicated: m has Method, Path, Header,
// Query, Body (decoded), ContentType and RemoteIP, and nothing that
// depends on the body's contents.
//
// A nil error accepts the request; user, when not nil, is encoded as JSON
// and kept as the request's User (stored, shown in the request log and to
// destinations). An *HTTPError answers the caller with exactly its
// status, body and headers. Any other error is answered 500; its text
// goes to the logs, never to the caller.
type AuthenticateFunc func(ctx context.Context, m *Message) (user any, err error)

// goAuth runs an AuthenticateFunc.
type goAuth struct{ authenticateFunc AuthenticateFunc }

func (*goAuth) name() string { return "authenticator" }

func (a *goAuth) verify(rc *reqCtx) *rejection {
	m := rc.src.message(rc, nil)
	user, err := a.authenticateFunc(rc.r.Context(), m)
	if err != nil {
		return authFailure(err)
	}
	if user == nil {
		return nil
	}
	b, err := json.Marshal(user)
	if err != nil {
		return authFailure(fmt.Errorf("encode the user the authenticator returned: %w", err))
	}
	rc.user = b
	return nil
}

// authFailure is the answer to an authenticator's error: its HTTPError
// as it is, else 500 with the cause kept for the logs.
func authFailure(err error) *rejection {
	var he *HTTPError
	if errors.As(err, &he) {
		return answerAs(he)
	}
	rej := reject(http.StatusInternalServerError, hookd.EINTERNAL, "the source's authenticator failed")
	rej.cause = err.Error()
	return rej
}

// answerAs is the rejection that writes he as it is. A status outside
// 400–599 is the authenticator's mistake: 500.
func answerAs(he *HTTPError) *rejection {
	if he.Status < 400 || he.Status > 599 {
		rej := reject(http.StatusInternalServerError, hookd.EINTERNAL, "the source's authenticator failed")
		rej.cause = fmt.Sprintf("the authenticator answered status %d, not 400–599", he.Status)
		return rej
	}
	rej := reject(he.Status, statusCode(he.Status), fmt.Sprintf("the authenticator answered %d", he.Status))
	rej.answer = he
	return rej
}

// writeAnswer writes an HTTPError as it is.
func writeAnswer(w http.ResponseWriter, he *HTTPError) {
	h := w.Header()
	for k, v := range he.Header {
		switch k = http.CanonicalHeaderKey(k); k {
		case "Content-Length", "Transfer-Encoding", "Connection", "Trailer":
			// net/http writes these itself; a wrong one would break the answer.
		default:
			h[k] = v
		}
	}
	w.WriteHeader(he.Status)
	if he.Body != "" {
		_, _ = w.Write([]byte(he.Body))
	}
}
