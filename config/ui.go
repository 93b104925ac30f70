package config

import (
	"errors"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// UI configures the dashboard and the consumer portal at /ui/.
type UI struct {
	// FrameAncestors is the Content-Security-Policy frame-ancestors source
	// list of the pages: the sites that may frame them, such as
	// "'self' https://app.example.com". Default "'self'".
	FrameAncestors string `yaml:"frame_ancestors"`
	// SessionTTL bounds a dashboard session. Default 12h.
	SessionTTL hookd.Duration `yaml:"session_ttl"`
}

func (u *UI) setDefaults() {
	setDefault(&u.FrameAncestors, "'self'")
	setDefault(&u.SessionTTL, hookd.Duration(12*time.Hour))
}

func (u UI) validate(add func(string, error)) {
	if strings.ContainsAny(u.FrameAncestors, ";,\r\n") || strings.TrimSpace(u.FrameAncestors) == "" {
		add("ui.frame_ancestors", errors.New(`must be a CSP source list such as "'self' https://app.example.com", without ";" or ","`))
	}
	add("ui.session_ttl", positive(u.SessionTTL))
}
