package hookd

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// Capabilities of a consumer portal session. CapView is always granted.
const (
	CapView            = "view"             // read the tenant's endpoints, deliveries and event catalog
	CapManageEndpoints = "manage_endpoints" // create, change, disable, delete endpoints, rotate secrets
	CapViewSecrets     = "view_secrets"     // reveal endpoint secrets
	CapSendTests       = "send_tests"       // send test events
	CapRetry           = "retry"            // retry and recover deliveries
)

// PortalCapabilities lists every capability, in a stable order.
func PortalCapabilities() []string {
	return []string{CapView, CapManageEndpoints, CapViewSecrets, CapSendTests, CapRetry}
}

// MaxPortalTTL bounds how long a portal link stays valid.
const MaxPortalTTL = 24 * time.Hour

// PrefixPortalToken starts the id of a portal token.
const PrefixPortalToken = "ptl_"

// PortalToken is a single-use link into one tenant's consumer portal. The
// token itself is shown once, in the link; only its keyed hash is kept.
type PortalToken struct {
	ID       string
	TenantID string
	// Capabilities always include CapView, and name each capability once.
	Capabilities []string
	ExpiresAt    time.Time
	CreatedAt    time.Time
}

// Can reports whether the token grants capability c.
func (p *PortalToken) Can(c string) bool { return slices.Contains(p.Capabilities, c) }

// NormalizeCapabilities returns caps with CapView added, duplicates
// removed, in the order of PortalCapabilities, or an EINVALID error
// pointing at /capabilities/<i> for an unknown one.
func NormalizeCapabilities(caps []string) ([]string, error) {
	var fe fieldErrors
	known := PortalCapabilities()
	for i, c := range caps {
		if !slices.Contains(known, c) {
			fe.add("/capabilities/"+strconv.Itoa(i), "must be one of view, manage_endpoints, view_secrets, send_tests, retry")
		}
	}
	if err := fe.err("portal capabilities"); err != nil {
		return nil, err
	}
	out := []string{CapView}
	for _, c := range known[1:] {
		if slices.Contains(caps, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// PortalTokenStore keeps portal tokens, by the keyed hash of the token,
// so that a link made through one node opens on every node.
type PortalTokenStore interface {
	// CreatePortalToken stores t with the keyed hash of secret. An empty
	// ID gets a new one and a zero CreatedAt becomes now. An unknown
	// tenant is ENOTFOUND. Tokens expired by now may be deleted then.
	CreatePortalToken(ctx context.Context, t *PortalToken, secret string) error
	// RedeemPortalToken deletes the token whose secret this is and
	// returns it: it works once, across all nodes. An unknown, used, or
	// (at now) expired token is ENOTFOUND.
	RedeemPortalToken(ctx context.Context, secret string, now time.Time) (*PortalToken, error)
}
