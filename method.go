package hookd

import (
	"strconv"
	"strings"
)

// Methods returns the HTTP methods deliveries may use, in a new slice.
// (They are spelled out: the domain package does not import net/http, so
// that the stores do not depend on it.)
func Methods() []string {
	return []string{
		"GET", "POST", "PUT", "PATCH",
		"DELETE", "HEAD", "OPTIONS", "TRACE",
	}
}

// ValidMethod reports whether m is one of Methods.
func ValidMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "PATCH",
		"DELETE", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return false
}

// MethodHasBody reports whether requests of method m carry the body:
// HEAD and TRACE carry none (their signature covers the empty body).
func MethodHasBody(m string) bool {
	return m != "HEAD" && m != "TRACE"
}

// SplitMethods reads a comma-separated list of methods ("GET,POST"), as
// stores keep an event type's methods; "" is none.
func SplitMethods(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// JoinMethods makes an event type's method list from the API's two
// fields: methods, with method (the default) moved or added first. A list
// of POST alone is nil, the default.
func JoinMethods(method string, methods []string) []string {
	out := make([]string, 0, len(methods)+1)
	if method != "" {
		out = append(out, method)
	}
	for _, m := range methods {
		if m != method || method == "" {
			out = append(out, m)
		}
	}
	if len(out) == 0 || len(out) == 1 && out[0] == "POST" {
		return nil
	}
	return out
}

// MethodFields checks an event type's two method fields as the API and
// the configuration take them (method, the default; methods, the list)
// and returns the list JoinMethods makes, or the field errors.
func MethodFields(method string, methods []string) ([]string, []FieldError) {
	var fe fieldErrors
	msg := "must be one of " + strings.Join(Methods(), ", ")
	if method != "" && !ValidMethod(method) {
		fe.add("/method", "%s", msg)
	}
	for i, m := range methods {
		if !ValidMethod(m) {
			fe.add("/methods/"+strconv.Itoa(i), "%s", msg)
		}
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return JoinMethods(method, methods), nil
}
