package receive

import (
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/egress"
)

// Defaults of a Spec.
const (
	DefaultMaxBody         = 1 << 20
	DefaultMaxDecompressed = 10 << 20
	DefaultKeepRejected    = 10000
	DefaultDedupeWindow    = 24 * time.Hour
	// MaxDedupeWindow is how long hookd keeps de-duplication keys.
	MaxDedupeWindow = 24 * time.Hour
)

// Options says how New compiles a spec. The zero value is right for a
// spec that comes through the API.
type Options struct {
	// SchemaFiles lets a schema be the path of a file, read relative to
	// Dir. Only configuration written by the operator should set it: a
	// spec from the API must not read the server's files. Default false.
	SchemaFiles bool
	Dir         string
	// NowFunc is the clock timestamps are checked against. Default
	// time.Now.
	NowFunc func() time.Time
	// AuthenticateFunc, when set, runs after the spec's verifications and
	// before the body is parsed (see AuthenticateFunc). Default none.
	AuthenticateFunc AuthenticateFunc
	// Budget bounds decompression across every source compiled with it,
	// for Handler; a Server brings its own. Default none: each request is
	// bounded only by max_decompressed.
	Budget *Budget
	// AllowPrivate lets a forward set allow_private. Only configuration
	// written by the operator should set it: through the API, a forward
	// that could reach internal addresses would switch off the SSRF guard.
	// Default false: allow_private is refused (EINVALID).
	AllowPrivate bool
	// Guard, when set, refuses forward URLs (other than allow_private
	// ones) whose host is a literal blocked address. Default nil: no such
	// check when compiling, as for sources already stored; the dialer still
	// checks every connection. Registry.Check always sets it.
	Guard *egress.Guard
}

// Source is a compiled source, ready to serve. It is immutable and safe
// for concurrent use.
type Source struct {
	id              string
	spec            Spec
	methods         []string
	types           mediaTypes
	maxBody         int64
	maxDecompressed int64
	publicURL       string
	trusted         []netip.Prefix
	verifiers       []verifier
	secretHeaders   map[string]bool // lower-cased names redacted in the log
	schemas         schemaSet
	dedupe          dedupeRule
	window          time.Duration
	response        response
	forwards        []*forwardDest
	publishes       []*publishDest
	keepRejected    int
	nowFunc         func() time.Time
	path            string   // where a Server serves it
	auth            verifier // the AuthenticateFunc, or nil
	budget          *Budget  // Handler's decompression budget, or nil
}

// Compile parses and compiles a hookd source. Errors are EINVALID
// *hookd.Errors whose fields point into the spec.
func Compile(src *hookd.Source, o Options) (*Source, error) {
	spec, fe := parseSpec(src.Spec)
	if spec == nil {
		return nil, fe.err()
	}
	s, err := New(src.ID, spec, o)
	if len(fe) > 0 {
		// Report unknown members with what else is wrong, all at once.
		return nil, append(fe, fieldErrors(hookd.ErrorFields(err))...).err()
	}
	return s, err
}

// New compiles a spec. id names the source in logs, messages and forward
// destinations. Errors are EINVALID *hookd.Errors whose fields point into
// the spec.
func New(id string, spec *Spec, o Options) (*Source, error) {
	if spec == nil {
		spec = &Spec{}
	}
	s := &Source{id: id, spec: *spec, nowFunc: o.NowFunc, secretHeaders: map[string]bool{}, budget: o.Budget}
	if s.nowFunc == nil {
		s.nowFunc = time.Now
	}
	if o.AuthenticateFunc != nil {
		s.auth = &goAuth{authenticateFunc: o.AuthenticateFunc}
	}
	var fe fieldErrors
	s.compilePath(&fe)
	s.compileLimits(&fe)
	s.compileVerify(&fe)
	s.schemas = compileSchemas(spec.Schema, o, &fe)
	s.compileDedupe(&fe)
	s.compileResponse(&fe)
	s.compileDestinations(o, &fe)
	if err := fe.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// ID returns the source's id.
func (s *Source) ID() string { return s.id }

// Path returns the path a Server serves the source at: its spec's path,
// or /in/{id}.
func (s *Source) Path() string { return s.path }

// Spec returns the spec the source was compiled from.
func (s *Source) Spec() Spec { return s.spec }

func (s *Source) compileLimits(fe *fieldErrors) {
	spec := &s.spec
	s.methods = []string{http.MethodPost}
	if len(spec.Methods) > 0 {
		s.methods = nil
		for i, m := range spec.Methods {
			m = strings.ToUpper(strings.TrimSpace(m))
			if !validToken(m) {
				fe.add("/methods/"+strconv.Itoa(i), "%q is not an HTTP method", spec.Methods[i])
			}
			s.methods = append(s.methods, m)
		}
	}
	s.types = defaultMediaTypes
	if len(spec.ContentTypes) > 0 {
		s.types = nil
		for i, ct := range spec.ContentTypes {
			ct = strings.ToLower(strings.TrimSpace(ct))
			if t, st, ok := strings.Cut(ct, "/"); !ok || t == "" || st == "" || strings.ContainsAny(ct, " ;,") {
				fe.add("/content_types/"+strconv.Itoa(i), "%q is not a media type such as application/json", ct)
			}
			s.types = append(s.types, ct)
		}
	}
	s.maxBody = positive(int64(spec.MaxBody), DefaultMaxBody, "/max_body", fe)
	s.maxDecompressed = positive(int64(spec.MaxDecompressed), DefaultMaxDecompressed, "/max_decompressed", fe)
	s.keepRejected = int(positive(int64(spec.KeepRejected), DefaultKeepRejected, "/keep_rejected", fe))
	if spec.PublicURL != "" {
		u, err := url.Parse(spec.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			fe.add("/public_url", "must be an absolute http(s) URL without a query string")
		}
		s.publicURL = spec.PublicURL
	}
}

func positive(v, def int64, ptr string, fe *fieldErrors) int64 {
	switch {
	case v < 0:
		fe.add(ptr, "must not be negative")
	case v == 0:
		return def
	}
	return v
}

// validToken reports whether s is an HTTP token (a method or header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

// compileVerify builds the verifiers, one per entry.
func (s *Source) compileVerify(fe *fieldErrors) {
	for i := range s.spec.Verify {
		e := &s.spec.Verify[i]
		ptr := "/verify/" + strconv.Itoa(i)
		if v := s.compileVerifier(e, ptr, fe); v != nil {
			s.verifiers = append(s.verifiers, v)
		}
	}
}

func (s *Source) compileVerifier(e *Verify, ptr string, fe *fieldErrors) verifier {
	kinds := 0
	for _, set := range []bool{e.Provider != "", e.HMAC != nil, e.Basic != nil, e.Token != nil, e.IPAllow != nil, e.CEL != "", e.Script != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		fe.add(ptr, "must have exactly one of provider, hmac, basic, token, ip_allow, cel and script")
		return nil
	}
	if e.Timeout != 0 && e.Script == "" {
		fe.add(ptr+"/timeout", "goes with script")
	}
	if e.TrustedProxies != nil && e.IPAllow == nil {
		fe.add(ptr+"/trusted_proxies", "goes with ip_allow")
	}
	switch {
	case e.Provider != "":
		return s.compilePreset(e, ptr, fe)
	case e.HMAC != nil:
		return s.compileHMAC(e.HMAC, ptr+"/hmac", fe)
	case e.Basic != nil:
		if e.Basic.Username == "" || e.Basic.Password == "" {
			fe.add(ptr+"/basic", "needs username and password")
		}
		s.secretHeaders["authorization"] = true
		return &basicVerifier{user: []byte(e.Basic.Username), pass: []byte(e.Basic.Password)}
	case e.Token != nil:
		return s.compileToken(e.Token, ptr+"/token", fe)
	case e.IPAllow != nil:
		s.trusted = append(s.trusted, parsePrefixes(e.TrustedProxies, ptr+"/trusted_proxies", fe)...)
		return &ipVerifier{allow: parsePrefixes(e.IPAllow, ptr+"/ip_allow", fe)}
	case e.Script != "":
		return s.compileScript(e, ptr, fe)
	}
	return compileCELAuth(e.CEL, ptr+"/cel", fe)
}

func (s *Source) compilePreset(e *Verify, ptr string, fe *fieldErrors) verifier {
	p := presets()[strings.ToLower(e.Provider)]
	if p == nil {
		fe.add(ptr+"/provider", "unknown provider %q; known: %s", e.Provider, strings.Join(Providers(), ", "))
		return nil
	}
	if p.needsURL && s.spec.PublicURL == "" {
		fe.add("/public_url", "is required by provider %s, which signs the URL", p.name)
	}
	if p.name == "gitlab" {
		s.secretHeaders["x-gitlab-token"] = true
	}
	return newPresetVerifier(p, e, ptr, fe, s.nowFunc)
}

func (s *Source) compileHMAC(h *HMAC, ptr string, fe *fieldErrors) verifier {
	v := &hmacVerifier{header: h.Header, alg: h.Algorithm, encoding: h.Encoding, prefix: h.Prefix,
		tsHeader: h.TimestampHeader, idHeader: h.IDHeader, tol: time.Duration(h.Tolerance),
		keys: secretKeys(h.Secret, h.Secrets)}
	setDefault(&v.alg, "sha256")
	setDefault(&v.encoding, "hex")
	if v.tol <= 0 {
		v.tol = 5 * time.Minute
	}
	if !validToken(v.header) {
		fe.add(ptr+"/header", "is required: the header that carries the signature")
	}
	s.secretHeaders[strings.ToLower(v.header)] = true
	if !validAlgorithm(v.alg) {
		fe.add(ptr+"/algorithm", "must be sha1, sha256 or sha512")
	}
	if v.encoding != "hex" && v.encoding != "base64" {
		fe.add(ptr+"/encoding", "must be hex or base64")
	}
	if len(v.keys) == 0 {
		fe.add(ptr+"/secret", "is required")
	}
	signed := h.Signed
	setDefault(&signed, "{body}")
	var err error
	if v.signed, err = parseTemplate(signed); err != nil {
		fe.add(ptr+"/signed", "%v", err)
	}
	for _, p := range v.signed {
		if p.placeholder == "timestamp" && v.tsHeader == "" {
			fe.add(ptr+"/timestamp_header", "is required when signed uses {timestamp}")
		}
		if p.placeholder == "id" && v.idHeader == "" {
			fe.add(ptr+"/id_header", "is required when signed uses {id}")
		}
	}
	return v
}

func (s *Source) compileToken(t *Token, ptr string, fe *fieldErrors) verifier {
	v := &tokenVerifier{header: t.Header, value: []byte(t.Value)}
	setDefault(&v.header, "Authorization")
	if !validToken(v.header) {
		fe.add(ptr+"/header", "is not a header name")
	}
	if t.Value == "" {
		fe.add(ptr+"/value", "is required")
	}
	s.secretHeaders[strings.ToLower(v.header)] = true
	return v
}

func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}
