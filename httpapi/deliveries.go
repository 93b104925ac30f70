package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// maxFilterValues bounds the states and event types one filter names.
const maxFilterValues = 50

func (s *Server) deliveryRoutes() {
	const base = "/v1/tenants/{tenant}/deliveries"
	s.handle("GET "+base, s.listDeliveries)
	s.handle("POST "+base+"/retry", s.idempotent(s.retryDeliveries))
	s.handle("GET "+base+"/retry/{id}", s.getRetryJob)
}

// DeliveryFilter selects a tenant's deliveries: the query of GET
// …/deliveries and the body of POST …/deliveries/retry. Status and
// EventType list alternatives; the other fields narrow.
type DeliveryFilter struct {
	Status     []DeliveryStatus `json:"status,omitempty"`
	EndpointID string           `json:"endpoint_id,omitempty"`
	EventType  []string         `json:"event_type,omitempty"`
	Since      *time.Time       `json:"since,omitempty"`
	Until      *time.Time       `json:"until,omitempty"`
}

// Values returns the filter as query parameters.
func (f DeliveryFilter) Values() url.Values {
	q := url.Values{}
	for _, st := range f.Status {
		q.Add("status", string(st))
	}
	if f.EndpointID != "" {
		q.Set("endpoint_id", f.EndpointID)
	}
	for _, t := range f.EventType {
		q.Add("event_type", t)
	}
	if f.Since != nil {
		q.Set("since", f.Since.Format(time.RFC3339Nano))
	}
	if f.Until != nil {
		q.Set("until", f.Until.Format(time.RFC3339Nano))
	}
	return q
}

// RetryJob is a bulk retry as the API shows it. Total is how many
// deliveries the filter selected when it started; Queued how many it has
// sent again so far (it may end below Total when some succeeded or were
// being retried meanwhile). Status is running, succeeded or failed (with
// Error).
type RetryJob struct {
	ID         string         `json:"id"`
	Status     string         `json:"status"`
	Filter     DeliveryFilter `json:"filter"`
	Total      int64          `json:"total"`
	Queued     int64          `json:"queued"`
	Error      string         `json:"error,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	FinishedAt *time.Time     `json:"finished_at"`
}

func retryJobOut(j *hookd.RetryJob) RetryJob {
	f := j.Filter
	out := RetryJob{ID: j.ID, Status: j.Status, Total: j.Total, Queued: j.Queued, Error: j.Error,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, FinishedAt: optTime(j.FinishedAt),
		Filter: DeliveryFilter{EndpointID: f.EndpointID, EventType: f.EventTypes, Since: optTime(f.Since), Until: optTime(f.Until)}}
	for _, st := range f.Statuses {
		out.Filter.Status = append(out.Filter.Status, DeliveryStatus(st))
	}
	return out
}

// listValues reads a repeatable query parameter whose values may also be
// comma-separated.
func listValues(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// filterOfQuery reads a DeliveryFilter from the query string.
func filterOfQuery(q url.Values) (DeliveryFilter, error) {
	f := DeliveryFilter{EndpointID: q.Get("endpoint_id"), EventType: listValues(q, "event_type")}
	for _, st := range listValues(q, "status") {
		f.Status = append(f.Status, DeliveryStatus(st))
	}
	since, err := timeParam(q, "since")
	if err != nil {
		return f, err
	}
	until, err := timeParam(q, "until")
	if err != nil {
		return f, err
	}
	if !since.IsZero() {
		f.Since = &since
	}
	if !until.IsZero() {
		f.Until = &until
	}
	return f, nil
}

// check validates f; prefix is where its members are ("/query/" or "/").
func (f DeliveryFilter) check(prefix string, allowed []string) ([]hookd.FieldError, bool) {
	var fe []hookd.FieldError
	if len(f.Status) > maxFilterValues || len(f.EventType) > maxFilterValues {
		fe = append(fe, hookd.FieldError{Pointer: strings.TrimSuffix(prefix, "/"), Message: "names at most 50 states and 50 event types"})
	}
	for _, st := range f.Status {
		if !slices.Contains(allowed, string(st)) {
			fe = append(fe, hookd.FieldError{Pointer: prefix + "status", Message: "must be one of " + strings.Join(allowed, ", ")})
			break
		}
	}
	for _, t := range f.EventType {
		if !hookd.ValidEventTypeName(t) {
			fe = append(fe, hookd.FieldError{Pointer: prefix + "event_type", Message: "must be an event type name such as invoice.paid"})
			break
		}
	}
	if len(f.EndpointID) > 128 {
		fe = append(fe, hookd.FieldError{Pointer: prefix + "endpoint_id", Message: "must be an endpoint id"})
	}
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		fe = append(fe, hookd.FieldError{Pointer: prefix + "until", Message: "must be after since"})
	}
	return fe, len(fe) == 0
}

func stateNames() []string {
	var out []string
	for _, st := range hookd.DeliveryStates() {
		out = append(out, st.Name)
	}
	return out
}

func statusStrings(in []DeliveryStatus) []string {
	out := make([]string, len(in))
	for i, st := range in {
		out[i] = string(st)
	}
	return out
}

func timeOr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// listDeliveries lists a tenant's deliveries, newest first, filtered by
// ?status=, ?endpoint_id=, ?event_type=, ?since= and ?until=.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	tenant := r.PathValue("tenant")
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	in, err := filterOfQuery(r.URL.Query())
	if err != nil {
		return err
	}
	if fe, ok := in.check("/query/", stateNames()); !ok {
		return hookd.Invalid("invalid filter", fe...)
	}
	if _, err := s.store.GetTenant(r.Context(), tenant); err != nil {
		return err
	}
	f := hookd.DeliveryFilter{TenantID: tenant, EndpointID: in.EndpointID, Statuses: statusStrings(in.Status),
		EventTypes: in.EventType, Since: timeOr(in.Since), Until: timeOr(in.Until), Page: p}
	ds, next, err := s.store.ListDeliveries(r.Context(), f)
	if err != nil {
		return listError(err)
	}
	return writeJSON(w, http.StatusOK, mapList(ds, next, deliveryOut))
}

// retryableStates are the states a bulk retry takes.
var retryableStates = []string{hookd.StatusFailed, hookd.StatusDead}

// retryDeliveries starts a bulk retry of the failed and dead deliveries
// the filter (the query string, or a JSON body) selects, and answers 202
// with the job: its id and how many deliveries it selected. Nodes run the
// job in the background (RetryJobsChangedFunc wakes this one's runner).
func (s *Server) retryDeliveries(w http.ResponseWriter, r *http.Request) error {
	tenant := r.PathValue("tenant")
	in, prefix, err := retryFilterOf(r)
	if err != nil {
		return err
	}
	if fe, ok := in.check(prefix, retryableStates); !ok {
		return hookd.Invalid("invalid filter", fe...)
	}
	now := s.now()
	if in.Until == nil || in.Until.After(now) {
		in.Until = &now // deliveries created from now on are not the job's
	}
	statuses := statusStrings(in.Status)
	if len(statuses) == 0 {
		statuses = retryableStates
	}
	job, err := s.startRetryJob(r.Context(), hookd.RequeueFilter{TenantID: tenant, EndpointID: in.EndpointID,
		Statuses: statuses, EventTypes: in.EventType, Since: timeOr(in.Since), Until: *in.Until})
	if err != nil {
		return err
	}
	w.Header().Set("Location", tenantPath(tenant)+"/deliveries/retry/"+job.ID)
	return writeJSON(w, http.StatusAccepted, retryJobOut(job))
}

// retryFilterOf reads the filter of a bulk retry from the query string or
// the body (not both), and says where its members are.
func retryFilterOf(r *http.Request) (DeliveryFilter, string, error) {
	q, err := filterOfQuery(r.URL.Query())
	if err != nil {
		return q, "", err
	}
	var body DeliveryFilter
	b, err := readBody(r)
	if err != nil || b == nil {
		return q, "/query/", err
	}
	if len(r.URL.Query()) > 0 {
		return q, "", errorf(hookd.EMALFORMED, "give the filter in the query string or in the body, not both")
	}
	return body, "/", decodeJSON(b, &body)
}

func (s *Server) startRetryJob(ctx context.Context, f hookd.RequeueFilter) (*hookd.RetryJob, error) {
	if _, err := s.store.GetTenant(ctx, f.TenantID); err != nil {
		return nil, err
	}
	total, err := s.store.CountDeliveries(ctx, hookd.DeliveryFilter{TenantID: f.TenantID, EndpointID: f.EndpointID,
		Statuses: f.Statuses, EventTypes: f.EventTypes, Since: f.Since, Until: f.Until})
	if err != nil {
		return nil, err
	}
	job := &hookd.RetryJob{TenantID: f.TenantID, Filter: f, Status: hookd.RetryJobRunning, Total: total}
	if total == 0 {
		job.Status, job.FinishedAt = hookd.RetryJobSucceeded, s.now()
	}
	if err := s.store.CreateRetryJob(ctx, job); err != nil {
		return nil, err
	}
	if total > 0 && s.cfg.RetryJobsChangedFunc != nil {
		s.cfg.RetryJobsChangedFunc()
	}
	return job, nil
}

// getRetryJob answers a bulk retry's progress.
func (s *Server) getRetryJob(w http.ResponseWriter, r *http.Request) error {
	j, err := s.store.GetRetryJob(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, retryJobOut(j))
}
