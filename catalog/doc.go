// Package catalog is hookd's event catalog: the event types a producer
// promises, each with a JSON Schema (2020-12) for its data, and what is
// made of them — validation at publish, the OpenAPI 3.1 webhooks section,
// and a documentation page.
//
// It is a leaf library: it imports only the root package hookd (and
// signature, for example deliveries), so any package may use it, and so
// may an application that sends webhooks without running hookd.
//
// In hookd, a Catalog built by Open reads the event types from the store;
// its Check method is the delivery engine's hookd.CheckFunc, and the REST
// API calls CheckEventType on every type it is given and Invalidate after
// every change.
//
// In a Go application, event types are declared from Go types, their
// schemas derived by reflection (see Reflector):
//
//	type Payment struct {
//		ID     string    `json:"id"`
//		Amount int64     `json:"amount" description:"In cents."`
//		Status string    `json:"status" enum:"pending,paid"`
//		PaidAt time.Time `json:"paid_at,omitempty"`
//	}
//
//	var PaymentCreated = catalog.Type[Payment]("payment.created",
//		catalog.Description("A payment was created."))
//
//	cat, err := catalog.New(catalog.Group("payments", PaymentCreated))
//
// Such a catalog validates data before it is sent (TypeOf.Encode),
// renders its own OpenAPI document (Catalog.OpenAPI) and documentation
// page (Catalog.DocsHandler), and can be registered with a hookd server
// (httpapi.Client.RegisterCatalog), whose clients then publish typed data
// (httpapi.Publish).
//
// Schemas supplied by users never load a $ref from a file or the
// network: a reference may only point inside its schema.
package catalog
