package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/signature"
)

func (s *Server) endpointRoutes() {
	const base = "/v1/tenants/{tenant}/endpoints"
	s.handle("POST "+base, s.idempotent(s.createEndpoint))
	s.handle("GET "+base, s.listEndpoints)
	s.handle("GET "+base+"/{id}", s.getEndpoint)
	s.handle("PATCH "+base+"/{id}", s.patchEndpoint)
	s.handle("DELETE "+base+"/{id}", s.deleteEndpoint)
	s.handle("POST "+base+"/{id}/rotate-secret", s.idempotent(s.rotateSecret))
	s.handle("POST "+base+"/{id}/test", s.idempotent(s.testEndpoint))
	s.handle("POST "+base+"/{id}/recover", s.idempotent(s.recoverEndpoint))
	s.handle("POST "+base+"/{id}/transform/test", s.testTransform)
	s.handle("GET "+base+"/{id}/attempts", s.listEndpointAttempts)
}

func endpointPath(tenant, id string) string {
	return tenantPath(tenant) + "/endpoints/" + url.PathEscape(id)
}

// endpointOut is the endpoint's JSON, without its secret. An endpoint
// without its own payload setting shows the server's default.
func (s *Server) endpointOut(e *hookd.Endpoint) Endpoint {
	out := Endpoint{
		ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: e.EventTypes, Headers: e.Headers,
		Signature: Signature{Scheme: e.Signature.Scheme, Header: e.Signature.Header, Prefix: e.Signature.Prefix},
		Payload:   hookd.PayloadOf(e), Transform: e.Transform, Filter: e.Filter, Method: e.Method,
		RateLimit: e.RateLimit, MaxConcurrency: e.MaxConcurrency,
		Enabled: e.Enabled, DisabledReason: e.DisabledReason, FailingSince: optTime(e.FailingSince),
		Metadata: e.Metadata, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
	if out.EventTypes == nil {
		out.EventTypes = []string{}
	}
	if out.Headers == nil {
		out.Headers = map[string]string{}
	}
	if out.Signature.Scheme == "" {
		out.Signature.Scheme = hookd.SchemeStandard
	}
	if out.Payload.Kind == "" {
		out.Payload = s.cfg.DefaultPayload
	}
	if out.Payload.Kind == "" {
		out.Payload.Kind = hookd.PayloadEnvelope
	}
	if e.Timeout > 0 {
		d := hookd.Duration(e.Timeout)
		out.Timeout = &d
	}
	for _, d := range e.RetrySchedule {
		out.RetrySchedule = append(out.RetrySchedule, hookd.Duration(d))
	}
	if n := len(e.Secrets); n > 0 {
		out.SecretPrefix = signature.SecretPrefix(e.Secrets[n-1].Value)
	}
	return out
}

// endpointDoc is the patchable JSON of an endpoint: its input form, in
// which an unset payload stays unset.
func (s *Server) endpointDoc(e *hookd.Endpoint) EndpointInput {
	o := s.endpointOut(e)
	return EndpointInput{URL: o.URL, Description: o.Description, EventTypes: o.EventTypes, Headers: o.Headers,
		Signature: &o.Signature, Payload: hookd.PayloadOf(e), Transform: o.Transform, Filter: o.Filter,
		Method: o.Method, Timeout: o.Timeout, RateLimit: o.RateLimit, MaxConcurrency: o.MaxConcurrency,
		RetrySchedule: o.RetrySchedule, Enabled: &o.Enabled, Metadata: o.Metadata}
}

// applyEndpointInput sets e's configurable fields from in.
func applyEndpointInput(e *hookd.Endpoint, in *EndpointInput) {
	e.URL, e.Description, e.EventTypes, e.Headers = in.URL, in.Description, in.EventTypes, in.Headers
	e.Signature = hookd.SignatureConfig{}
	if in.Signature != nil {
		e.Signature = hookd.SignatureConfig{Scheme: in.Signature.Scheme, Header: in.Signature.Header, Prefix: in.Signature.Prefix}
	}
	in.Payload.Set(e)
	e.Transform, e.Filter, e.Method = in.Transform, in.Filter, in.Method
	e.RateLimit, e.MaxConcurrency = in.RateLimit, in.MaxConcurrency
	e.Timeout = 0
	if in.Timeout != nil {
		e.Timeout = time.Duration(*in.Timeout)
	}
	e.RetrySchedule = nil
	for _, d := range in.RetrySchedule {
		e.RetrySchedule = append(e.RetrySchedule, time.Duration(d))
	}
	e.Enabled = in.Enabled == nil || *in.Enabled
	e.Metadata = nullToNil(in.Metadata)
}

// validateEndpoint runs the endpoint's own checks, the engine's (filter,
// transform), the catalog's (method), then URLCheckFunc on a URL that passed
// them, and reports all field errors together.
func (s *Server) validateEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	err := e.Validate()
	fields := hookd.ErrorFields(err)
	if err != nil && len(fields) == 0 {
		return err
	}
	if s.cfg.EndpointCheckFunc != nil {
		cerr := s.cfg.EndpointCheckFunc(e)
		if cerr != nil && len(hookd.ErrorFields(cerr)) == 0 {
			return cerr
		}
		fields = append(fields, hookd.ErrorFields(cerr)...)
	}
	fields = append(fields, s.checkMethod(ctx, e)...)
	fields = append(fields, checkSecretScheme(e)...)
	if s.cfg.URLCheckFunc != nil && !hasPointer(fields, "/url") {
		if uerr := s.cfg.URLCheckFunc(e.URL); uerr != nil {
			uf := hookd.ErrorFields(uerr)
			if len(uf) == 0 {
				uf = []hookd.FieldError{{Pointer: "/url", Message: hookd.ErrorMessage(uerr)}}
				if hookd.ErrorCode(uerr) == hookd.EINTERNAL {
					uf[0].Message = uerr.Error()
				}
			}
			fields = append(fields, uf...)
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return hookd.Invalid("invalid endpoint", fields...)
}

func hasPointer(fields []hookd.FieldError, pointer string) bool {
	for _, f := range fields {
		if f.Pointer == pointer || strings.HasPrefix(f.Pointer, pointer+"/") {
			return true
		}
	}
	return false
}

// checkSecret accepts a Standard Webhooks secret of 24 to 64 bytes, and
// for the hmac-sha256 scheme any 8 to 256 printable ASCII characters
// too, whose bytes are the key (as GitHub-style receivers use theirs).
func checkSecret(scheme, secret, pointer string) error {
	if scheme == hookd.SchemeHMACSHA256 && !strings.HasPrefix(secret, "whsec_") {
		if !ownSecret(secret) {
			return invalid(pointer, "must be 8 to 256 printable ASCII characters, or whsec_ followed by the base64 of 24 to 64 bytes")
		}
		return nil
	}
	key, err := signature.DecodeSecret(secret)
	if err != nil || !strings.HasPrefix(secret, "whsec_") || len(key) < 24 || len(key) > 64 {
		return invalid(pointer, "must be whsec_ followed by the base64 of 24 to 64 bytes")
	}
	return nil
}

// ownSecret reports whether s is 8 to 256 printable ASCII bytes.
func ownSecret(s string) bool {
	if len(s) < 8 || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// checkSecretScheme refuses the Standard Webhooks scheme for an endpoint
// whose newest secret is its own string: that scheme's key is base64.
func checkSecretScheme(e *hookd.Endpoint) []hookd.FieldError {
	n := len(e.Secrets)
	if e.Signature.Scheme == hookd.SchemeHMACSHA256 || n == 0 || strings.HasPrefix(e.Secrets[n-1].Value, "whsec_") {
		return nil
	}
	return []hookd.FieldError{{Pointer: "/signature/scheme",
		Message: "standard-webhooks needs a whsec_ secret: rotate the secret first"}}
}

// newSecret returns the requested secret after checking it, or a new one.
func newSecret(scheme, requested string) (string, error) {
	if requested != "" {
		return requested, checkSecret(scheme, requested, "/secret")
	}
	return signature.GenerateSecret()
}

func (s *Server) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	tenant := r.PathValue("tenant")
	if _, err := s.store.GetTenant(r.Context(), tenant); err != nil {
		return err
	}
	var in EndpointInput
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	e := &hookd.Endpoint{ID: hookd.NewID(hookd.PrefixEndpoint), TenantID: tenant}
	applyEndpointInput(e, &in)
	if err := s.validateEndpoint(r.Context(), e); err != nil {
		return err
	}
	secret, err := newSecret(e.Signature.Scheme, in.Secret)
	if err != nil {
		return err
	}
	e.Secrets = []hookd.Secret{{Value: secret, CreatedAt: s.now()}}
	if err := s.store.CreateEndpoint(r.Context(), e); err != nil {
		return err
	}
	s.engine.Invalidate()
	out := s.endpointOut(e)
	out.Secret = secret
	return created(w, endpointPath(tenant, e.ID), out)
}

func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	tenant := r.PathValue("tenant")
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	if _, err := s.store.GetTenant(r.Context(), tenant); err != nil {
		return err
	}
	es, next, err := s.store.ListEndpoints(r.Context(), tenant, p)
	if err != nil {
		return listError(err)
	}
	return writeJSON(w, http.StatusOK, mapList(es, next, s.endpointOut))
}

func (s *Server) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := s.store.GetEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.endpointOut(e))
}

// patchEndpoint applies a merge patch. Re-enabling a disabled endpoint
// clears its disabled reason and failure run. Secrets change through
// rotate-secret only.
func (s *Server) patchEndpoint(w http.ResponseWriter, r *http.Request) error {
	patch, err := readPatch(r)
	if err != nil {
		return err
	}
	var switched bool // enabled changed
	e, err := s.updateEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"), func(e *hookd.Endpoint) error {
		var in EndpointInput
		if err := mergeInto(patch, s.endpointDoc(e), &in); err != nil {
			return err
		}
		if in.Secret != "" {
			return invalid("/secret", "cannot be patched: use rotate-secret")
		}
		wasEnabled := e.Enabled
		applyEndpointInput(e, &in)
		if e.Enabled && !wasEnabled {
			e.DisabledReason, e.FailingSince = "", time.Time{}
		}
		switched = e.Enabled != wasEnabled
		return s.validateEndpoint(r.Context(), e)
	})
	if err != nil {
		return err
	}
	if switched {
		s.logEndpointSwitch(r, e)
	}
	return writeJSON(w, http.StatusOK, s.endpointOut(e))
}

// maxUpdateTries bounds how often a read-modify-write of an endpoint
// starts over because another change came in between.
const maxUpdateTries = 5

// updateEndpoint reads the endpoint, lets change modify it and stores it,
// starting over from a fresh read when another change (an API call, or
// the engine disabling the endpoint) overtook the read.
func (s *Server) updateEndpoint(ctx context.Context, tenant, id string, change func(*hookd.Endpoint) error) (*hookd.Endpoint, error) {
	for try := 1; ; try++ {
		e, err := s.store.GetEndpoint(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		if err := change(e); err != nil {
			return nil, err
		}
		err = s.store.UpdateEndpoint(ctx, e)
		if errors.Is(err, hookd.ErrStale) && try < maxUpdateTries {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.engine.Invalidate()
		return e, nil
	}
}

func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id")); err != nil {
		return err
	}
	s.engine.Invalidate()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
