package sqlite

import (
	"context"
	"time"

	"github.com/hookd/hookd"
)

var _ hookd.NodeRegistry = (*Store)(nil)

// Heartbeat implements hookd.NodeRegistry. One process owns the file, so
// the node is always alone: it takes the whole of every endpoint's limits.
func (s *Store) Heartbeat(context.Context, string, time.Time, time.Duration) (int, error) {
	return 1, nil
}

// Leave implements hookd.NodeRegistry; there is nothing to leave.
func (s *Store) Leave(context.Context, string) error { return nil }
