package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/dashboard"
	"github.com/hookd/hookd/httpapi"
)

// newDashboard builds the web UI over the API, with the consumer portal
// redeeming its links from portals (the store). Its sessions are sealed
// under the store's master key, which every node of a cluster shares, so
// a session started on one node works on all.
func newDashboard(cfg *config.Config, api *httpapi.Server, portals hookd.PortalTokenStore, logger *slog.Logger) (http.Handler, error) {
	c, err := storeCipher(cfg, nil)
	if err != nil {
		return nil, err
	}
	ui, err := dashboard.New(dashboard.Config{
		API:            api.Handler(),
		VerifyFunc:     api.Verify,
		Cipher:         c,
		Portals:        portals,
		FrameAncestors: cfg.UI.FrameAncestors,
		SessionTTL:     time.Duration(cfg.UI.SessionTTL),
		Logger:         logger,
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return ui.Handler(), nil
}
