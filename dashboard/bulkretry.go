package dashboard

import (
	"bytes"
	"encoding/json"
	"github.com/hookd/hookd"
	"net/http"

	"github.com/hookd/hookd/httpapi"
)

// maxCount bounds how many deliveries the bulk retry confirmation counts
// page by page, so that it answers quickly; beyond it the page says "more
// than", and the job, once started, reports the exact number.
const maxCount = 1000

// retryFilter is the bulk retry's filter: the list's, limited to the
// states a retry touches (failed and dead).
func retryFilter(f filterForm) filterForm {
	var st []string
	for _, s := range f.Status {
		if s == "failed" || s == "dead" {
			st = append(st, s)
		}
	}
	if len(st) == 0 {
		st = []string{"failed", "dead"}
	}
	f.Status, f.Live = st, false
	return f
}

func (u *UI) confirmBulkRetry(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := v.need(hookd.CapRetry); err != nil {
		return err
	}
	vw, err := u.tenantView(r, v, "Retry deliveries", "deliveries")
	if err != nil {
		return err
	}
	ff := retryFilter(readFilter(r.URL.Query()))
	f, err := ff.api()
	if err != nil {
		return err
	}
	n, more := 0, false
	opts := httpapi.DeliveryListOptions{ListOptions: httpapi.ListOptions{Limit: 250}, DeliveryFilter: f}
	for {
		ds, next, err := v.api.ListDeliveries(r.Context(), vw.Tenant, opts)
		if err != nil {
			return err
		}
		n += len(ds)
		if next == "" {
			break
		}
		if n >= maxCount {
			more = true
			break
		}
		opts.Cursor = next
	}
	vw.Data = struct {
		Filter filterForm
		Count  int
		More   bool
	}{ff, n, more}
	u.render(w, http.StatusOK, "bulk_retry", vw)
	return nil
}

func (u *UI) startBulkRetry(w http.ResponseWriter, r *http.Request, v *viewer) error {
	t := r.PathValue("tenant")
	f, err := retryFilter(readFilter(r.PostForm)).api()
	if err != nil {
		return err
	}
	job, err := v.api.RetryDeliveries(r.Context(), t, f)
	if err != nil {
		return err
	}
	http.Redirect(w, r, tenantURL(t, "retries", job.ID), http.StatusSeeOther)
	return nil
}

func (u *UI) showRetryJob(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Bulk retry", "deliveries")
	if err != nil {
		return err
	}
	job, err := v.api.GetRetryJob(r.Context(), vw.Tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	vw.Data = job
	u.render(w, http.StatusOK, "retry_job", vw)
	return nil
}

// prettyJSON indents JSON for reading; what is not JSON is shown as is.
func prettyJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}
