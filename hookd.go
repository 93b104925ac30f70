// Package hookd is a webhook platform for both directions of webhooks.
//
// The root package holds the domain: tenants, event types, endpoints,
// events, deliveries and attempts for the send side; sources and requests
// for the receive side; the Store contract every storage backend
// implements; and the error codes every layer speaks. Implementations live
// in sub-packages (store/sqlite, store/postgres, delivery, receive, httpapi)
// and are wired together only by cmd/hookd.
package hookd

import (
	"encoding/base32"
	"strings"

	"github.com/google/uuid"
)

// ID prefixes.
const (
	PrefixEndpoint = "ep_"
	PrefixEvent    = "evt_"
	PrefixDelivery = "dlv_"
	PrefixAttempt  = "att_"
	PrefixRequest  = "req_"
	PrefixAPIKey   = "key_"
)

// DefaultTenant always exists.
const DefaultTenant = "default"

// crockford is the Crockford base32 alphabet: its order matches ASCII order,
// so encoded ids sort as their bytes do.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// NewID returns prefix followed by a time-ordered id: a UUIDv7 encoded in 26
// Crockford base32 characters. IDs made later sort after earlier ones (within
// one process strictly; across processes to the millisecond), so listing by
// id is listing by creation time.
func NewID(prefix string) string {
	u := uuid.Must(uuid.NewV7())
	var b [26]byte
	crockford.Encode(b[:], u[:])
	return prefix + string(b[:])
}

// HasPrefix reports whether id is a well-formed id with the given prefix.
func HasPrefix(id, prefix string) bool {
	if !strings.HasPrefix(id, prefix) || len(id) != len(prefix)+26 {
		return false
	}
	for _, c := range id[len(prefix):] {
		if !strings.ContainsRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", c) {
			return false
		}
	}
	return true
}
