package hookd

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// MaxURLLength is the longest URL an endpoint or a forward may have.
const MaxURLLength = 2048

// CheckURL returns what is wrong with raw as the URL of an outbound request
// (an endpoint's or a forward's), or "" when nothing is: it must be an
// absolute http or https URL with a host, at most MaxURLLength bytes, with
// no spaces or control characters anywhere, a port (when given) from 1 to
// 65535, no credentials and no fragment. The message completes a sentence
// about the URL ("must be …"). CheckURL does not judge the address the host
// names: that is the SSRF guard's (package egress).
func CheckURL(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > MaxURLLength {
		return fmt.Sprintf("must be at most %d characters", MaxURLLength)
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f {
			return fmt.Sprintf("must not contain spaces or control characters (byte %d is %q)", i, c)
		}
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" || u.Opaque != "":
		return "must be an absolute http or https URL"
	case u.User != nil:
		return "must not carry credentials; use headers"
	case strings.Contains(raw, "#"):
		return "must not have a fragment"
	}
	if p := u.Port(); p != "" || hasEmptyPort(u.Host) {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "must have a port from 1 to 65535"
		}
	}
	return ""
}

// hasEmptyPort reports whether host ends in a colon with no port after it
// ("example.com:"), which url.Parse accepts.
func hasEmptyPort(host string) bool {
	return len(host) > 0 && host[len(host)-1] == ':'
}
