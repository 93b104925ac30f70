package catalog

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/problem"
	"github.com/hookd/hookd/signature"
)

// ExampleSecret signs the example deliveries of the documentation page,
// so that a reader can check a verifier against them. It is public: never
// use it for an endpoint.
const ExampleSecret = "whsec_aG9va2QtZG9jcy1leGFtcGxlLWtleSEh"

//go:embed docs.html.tmpl
var docsFS embed.FS

var docsTemplate = template.Must(template.ParseFS(docsFS, "docs.html.tmpl"))

// DocsPage is what the documentation page shows.
type DocsPage struct {
	// Title heads the page. Default "Webhooks".
	Title string
	// UserAgent is the User-Agent of the example deliveries. Default
	// "hookd".
	UserAgent string
	// Types are the event types, in any order: the page sorts them by
	// group, then name.
	Types []*hookd.EventType
	// Payload is what deliveries send (delivery.payload): the example
	// deliveries are rendered through it. Default: the envelope.
	Payload hookd.PayloadSpec
}

// docsGroup is one group of the page.
type docsGroup struct {
	Name  string // "" for ungrouped types
	Types []docsType
}

// docsType is one event type as the page shows it.
type docsType struct {
	*hookd.EventType
	Method  string
	Schema  string // indented JSON, "" for none
	Request string // an example delivery: request line, headers, body
	Body    string // its body, indented
}

// WriteDocs renders the documentation page of p to w: for each event
// type its description, its schema, and an example delivery with its
// headers, signed with ExampleSecret. The page is plain HTML with inline
// CSS and no script.
func WriteDocs(w io.Writer, p DocsPage) error {
	p.Title = cmp.Or(p.Title, "Webhooks")
	p.UserAgent = cmp.Or(p.UserAgent, "hookd")
	types := slices.Clone(p.Types)
	slices.SortFunc(types, func(a, b *hookd.EventType) int { // ungrouped types last
		return cmp.Or(cmp.Compare(ungrouped(a), ungrouped(b)), cmp.Compare(a.Group, b.Group), cmp.Compare(a.Name, b.Name))
	})
	var groups []docsGroup
	for _, t := range types {
		dt, err := docsTypeOf(t, p.UserAgent, p.Payload)
		if err != nil {
			return err
		}
		if len(groups) == 0 || groups[len(groups)-1].Name != t.Group {
			groups = append(groups, docsGroup{Name: t.Group})
		}
		g := &groups[len(groups)-1]
		g.Types = append(g.Types, dt)
	}
	var b bytes.Buffer
	err := docsTemplate.Execute(&b, map[string]any{
		"Title": p.Title, "Groups": groups, "Count": len(types), "Secret": ExampleSecret,
	})
	if err != nil {
		return fmt.Errorf("render docs: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// ungrouped is 1 for a type without a group, which the page shows last.
func ungrouped(t *hookd.EventType) int {
	if t.Group == "" {
		return 1
	}
	return 0
}

func docsTypeOf(t *hookd.EventType, userAgent string, payload hookd.PayloadSpec) (docsType, error) {
	dt := docsType{EventType: t, Method: t.Method()}
	if len(t.Schema) > 0 {
		var b bytes.Buffer
		if err := json.Indent(&b, t.Schema, "", "  "); err != nil {
			return dt, fmt.Errorf("event type %s: schema: %w", t.Name, err)
		}
		dt.Schema = b.String()
	}
	data := SampleData(t.Schema)
	if len(t.Examples) > 0 {
		data = t.Examples[0]
	}
	body, err := ExampleBody(t.Name, data, payload)
	if err != nil {
		return dt, fmt.Errorf("event type %s: %w", t.Name, err)
	}
	if !hookd.MethodHasBody(dt.Method) {
		body = nil
	}
	sig, err := signature.Sign(ExampleSecret, ExampleEventID, ExampleTime(), body)
	if err != nil {
		return dt, fmt.Errorf("sign example: %w", err)
	}
	dt.Request = dt.Method + " /webhooks HTTP/1.1\n" +
		"Content-Type: application/json\n" +
		"User-Agent: " + userAgent + "\n" +
		"webhook-id: " + ExampleEventID + "\n" +
		"webhook-timestamp: " + strconv.FormatInt(ExampleTime().Unix(), 10) + "\n" +
		"webhook-signature: " + sig + "\n\n" + string(body)
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, body, "", "  ") // body is compact JSON
	dt.Body = pretty.String()
	return dt, nil
}

// DocsHandler serves the catalog's documentation page (see WriteDocs),
// reloading a stale store-backed catalog first. title heads the page
// ("" for "Webhooks").
func (c *Catalog) DocsHandler(title, userAgent string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		types, err := c.EventTypes(r.Context())
		if err != nil {
			w.Header().Set("Retry-After", "1")
			writeProblem(w, http.StatusServiceUnavailable, hookd.EUNAVAILABLE, "the event catalog is unavailable")
			return
		}
		var b bytes.Buffer
		if err := WriteDocs(&b, DocsPage{Title: title, UserAgent: userAgent, Types: types}); err != nil {
			writeProblem(w, http.StatusInternalServerError, hookd.EINTERNAL, "cannot render the event catalog")
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		// No script, no outside resource: descriptions come from users.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		_, _ = w.Write(b.Bytes())
	})
}

// writeProblem answers an error of the docs page as problem+json, as
// every error hookd answers.
func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	problem.Write(w, problem.New(status, code, detail))
}
