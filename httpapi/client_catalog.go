package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
)

// PutEventType creates or replaces the event type in.Name, and reports
// whether it was created. Being idempotent, it is retried on failure.
func (c *Client) PutEventType(ctx context.Context, in EventTypeInput) (*EventType, bool, error) {
	var t EventType
	status, err := c.do(ctx, call{method: http.MethodPut, path: eventTypePath(in.Name), body: in}, &t)
	if err != nil {
		return nil, false, err
	}
	return &t, status == http.StatusCreated, nil
}

// RegisterCatalog creates or replaces on the server every event type of
// cat, with its schema, examples, group, method and deprecation, so that
// the server validates what is published against them. It is safe to
// repeat (at every start of an application, say); event types the server
// has and cat lacks are left alone. It stops at the first failure.
func (c *Client) RegisterCatalog(ctx context.Context, cat *catalog.Catalog) error {
	types, err := cat.EventTypes(ctx)
	if err != nil {
		return fmt.Errorf("hookd: register catalog: %w", err)
	}
	for _, t := range types {
		in := EventTypeInput{Name: t.Name, Description: t.Description, Group: t.Group, Schema: t.Schema,
			Examples: t.Examples, Deprecated: t.Deprecated, Methods: t.Methods}
		if _, _, err := c.PutEventType(ctx, in); err != nil {
			return fmt.Errorf("hookd: register event type %s: %w", t.Name, err)
		}
	}
	return nil
}

// Publish publishes v as an event of the catalog type t for tenant. v is
// encoded and checked against t's schema first: data that breaks it is
// refused without a request, with an EINVALID *hookd.Error whose pointers
// (/data/…) are those the server's 422 would carry. Options are those of
// Client.Publish.
//
//	ev, err := httpapi.Publish(ctx, client, "acme", InvoicePaid, Invoice{ID: "in_1"})
func Publish[T any](ctx context.Context, c *Client, tenant string, t *catalog.TypeOf[T], v T, opts ...PublishOption) (*Event, error) {
	data, err := t.Encode(v)
	if err != nil {
		if hookd.ErrorCode(err) == hookd.EINVALID {
			return nil, err
		}
		return nil, fmt.Errorf("hookd: %w", err)
	}
	return c.Publish(ctx, tenant, t.Name(), data, opts...)
}
