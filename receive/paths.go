package receive

import (
	"strings"
)

// MaxPathLen bounds a source's path.
const MaxPathLen = 512

// ReservedPaths returns hookd's own routes: a source's path may be none of
// them, nor under one that ends in "/". Each call returns a new slice.
func ReservedPaths() []string {
	return []string{"/v1/", "/ui/", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics"}
}

// DefaultPath is where a source is served when its spec sets no path.
func DefaultPath(id string) string { return "/in/" + id }

// compilePath checks the spec's path and sets s.path.
func (s *Source) compilePath(fe *fieldErrors) {
	s.path = DefaultPath(s.id)
	p := s.spec.Path
	if p == "" {
		return
	}
	if msg := checkPath(p, s.id); msg != "" {
		fe.add("/path", "%s", msg)
		return
	}
	s.path = p
}

// checkPath returns what is wrong with a source path, "" when nothing.
func checkPath(p, id string) string {
	switch {
	case !strings.HasPrefix(p, "/"):
		return "must be an absolute path such as /github or /acme/prod/orders"
	case len(p) > MaxPathLen:
		return "must be at most 512 characters"
	case p != "/" && strings.HasSuffix(p, "/"):
		return "must not end in /"
	}
	for _, c := range p {
		if !pathChar(c) {
			return "may hold only letters, digits, / and -._~!$&'()*+,;=:@ (no query, fragment, space or %-escape)"
		}
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if p != "/" && (seg == "" || seg == "." || seg == "..") {
			return "must not have empty, . or .. segments"
		}
	}
	reserved := ReservedPaths()
	for _, r := range reserved {
		if p == strings.TrimSuffix(r, "/") || (strings.HasSuffix(r, "/") && strings.HasPrefix(p, r)) {
			return p + " is one of hookd's own routes (" + strings.Join(reserved, ", ") + "); choose another path"
		}
	}
	if strings.HasPrefix(p, "/in/") && p != DefaultPath(id) {
		return "/in/ holds the default paths of sources (/in/{id}); choose a path outside it"
	}
	return ""
}

// pathChar reports whether c may appear in a source path as it is: the
// unreserved and sub-delim characters of RFC 3986, ':', '@' and '/'.
func pathChar(c rune) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.ContainsRune("/-._~!$&'()*+,;=:@", c)
}
