package hookd

// problemTypeBase prefixes an error code in a problem's type URI.
const problemTypeBase = "https://hookd.dev/problems/"

// ProblemType returns the RFC 9457 "type" URI of the problem documents
// (application/problem+json) hookd answers with code, an error code such
// as EINVALID: "https://hookd.dev/problems/invalid". Every HTTP surface
// of hookd (the REST API, the inbound /in/ routes, the operational routes
// and the answers to unknown routes) uses it, so that clients can match
// one scheme.
func ProblemType(code string) string { return problemTypeBase + code }
