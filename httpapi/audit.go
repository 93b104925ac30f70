package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/hookd/hookd"
)

// Audit lines: one info line per change to a credential (an API key
// created or revoked, an endpoint secret rotated or revealed, a source's
// secrets set, changed or deleted) and per
// endpoint turned on or off through the API, naming who did it by key id
// ("bootstrap" for the configured key). Never the key or the secret.

// LogKeyChange logs a change to an API key k by actor (an API key id,
// hookd.LogActorCLI, …): its id and scope, never the key.
func LogKeyChange(ctx context.Context, logger *slog.Logger, actor, action string, k *hookd.APIKey) {
	logger.LogAttrs(ctx, slog.LevelInfo, hookd.LogMsgAPIKeyChanged,
		slog.String(hookd.LogKeyActor, actor), slog.String(hookd.LogKeyAction, action),
		slog.String(hookd.LogKeyKeyID, k.ID), slog.String(hookd.LogKeyScope, k.Scope))
}

// actor names who the request acts as, for an audit line.
func actor(r *http.Request) string {
	if id := infoOf(r).caller.keyID; id != "" {
		return id
	}
	if p, ok, _ := callerOf(r.Context()); ok {
		return p.keyID
	}
	return "unknown"
}

func (s *Server) logKeyChange(r *http.Request, action string, k *hookd.APIKey) {
	LogKeyChange(r.Context(), s.logger, actor(r), action, k)
}

// logSecretChange logs an endpoint secret rotated or revealed.
func (s *Server) logSecretChange(r *http.Request, action, tenant, endpoint string) {
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, hookd.LogMsgSecretChanged,
		slog.String(hookd.LogKeyActor, actor(r)), slog.String(hookd.LogKeyAction, action),
		slog.String(hookd.LogKeyTenant, tenant), slog.String(hookd.LogKeyEndpoint, endpoint))
}

// logSourceSecrets logs a source created with secrets, or updated with
// other secrets than it had, or deleted with its secrets.
func (s *Server) logSourceSecrets(r *http.Request, action, source string) {
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, hookd.LogMsgSourceSecretChanged,
		slog.String(hookd.LogKeyActor, actor(r)), slog.String(hookd.LogKeyAction, action),
		slog.String(hookd.LogKeySource, source))
}

// logEndpointSwitch logs an endpoint turned on or off by a PATCH of its
// "enabled".
func (s *Server) logEndpointSwitch(r *http.Request, e *hookd.Endpoint) {
	msg, level, reason := hookd.LogMsgEndpointEnabled, slog.LevelInfo, "enabled through the API"
	if !e.Enabled {
		msg, level, reason = hookd.LogMsgEndpointDisabled, slog.LevelWarn, "disabled through the API"
	}
	s.logger.LogAttrs(r.Context(), level, msg,
		slog.String(hookd.LogKeyTenant, e.TenantID), slog.String(hookd.LogKeyEndpoint, e.ID),
		slog.String(hookd.LogKeyActor, actor(r)), slog.String(hookd.LogKeyReason, reason))
}
