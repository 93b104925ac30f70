package hookd

// Log messages and attribute keys of hookd's structured logs. With
// log.format json they are the "msg" values and the field names of each
// line; operators build alerts and queries on them, so they are stable:
// a key or message here changes only with a note in the changelog.
// docs/observability.md lists which fields each message carries.
//
// No line carries a secret, an API key, a signature or a body.
const (
	// Delivery.
	LogMsgAttemptFailed    = "delivery attempt failed" // warn
	LogMsgAttemptSucceeded = "delivery succeeded"      // debug
	LogMsgDeliveryDead     = "delivery dead"           // warn
	LogMsgEventPublished   = "event published"         // debug

	// Endpoints.
	LogMsgEndpointDisabled = "endpoint disabled" // warn
	LogMsgEndpointEnabled  = "endpoint enabled"  // info

	// Inbound.
	LogMsgInboundRejected  = "inbound request rejected"  // info
	LogMsgInboundAccepted  = "inbound request accepted"  // debug
	LogMsgInboundDuplicate = "inbound request duplicate" // debug
	LogMsgInboundHandshake = "inbound request handshake" // debug

	// Credentials.
	LogMsgAPIKeyChanged = "api key changed"         // info
	LogMsgSecretChanged = "endpoint secret changed" // info
	// LogMsgSourceSecretChanged: a source created with secrets (created),
	// updated with other secrets (rotated), or deleted (revoked).
	LogMsgSourceSecretChanged = "source secret changed" // info
)

// Attribute keys.
const (
	LogKeyTenant     = "tenant"
	LogKeyEndpoint   = "endpoint"
	LogKeyEvent      = "event"
	LogKeyEventType  = "event_type"
	LogKeyDelivery   = "delivery"
	LogKeyAttempt    = "attempt"     // attempt number, from 1
	LogKeyStatus     = "status"      // an HTTP status code
	LogKeyError      = "error"       // why an attempt got no response
	LogKeyNextRetry  = "next_retry"  // RFC 3339 time of the next attempt
	LogKeyDurationMS = "duration_ms" // an attempt's duration
	LogKeyDeliveries = "deliveries"  // deliveries an event made
	LogKeyReason     = "reason"
	LogKeySource     = "source"
	LogKeyRequest    = "request"
	LogKeyCode       = "code" // a hookd error code
	LogKeyRemoteIP   = "remote_ip"
	LogKeyPath       = "path" // the path of an inbound request that reached no source
	LogKeyOutcome    = "outcome"
	LogKeyActor      = "actor"  // who made a change: an API key id, "bootstrap" (the configured key), "cli", "startup" or "engine"
	LogKeyAction     = "action" // created, revoked, rotated, revealed
	LogKeyKeyID      = "key_id" // the id of the API key changed, never the key
	LogKeyScope      = "scope"
)

// Actors that are not API keys.
const (
	LogActorCLI     = "cli"     // a hookd subcommand run by the operator
	LogActorEngine  = "engine"  // the delivery engine itself
	LogActorStartup = "startup" // hookd creating the first API key when none is configured
)

// Actions of LogMsgAPIKeyChanged and LogMsgSecretChanged.
const (
	LogActionCreated  = "created"
	LogActionRevoked  = "revoked"
	LogActionRotated  = "rotated"
	LogActionRevealed = "revealed"
)
