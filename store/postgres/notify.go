package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// dueChannel is the LISTEN/NOTIFY channel on which stores announce
// deliveries that became claimable: released leases, and deliveries
// stored without one, and changes to tenants, event types, endpoints and
// sources (from a trigger, with the payload "changed"). Otherwise the
// payload is the sending store's token.
const dueChannel = "hookd_due"

// DueNotify implements hookd.DueNotifier. The first call starts a LISTEN
// on a connection of its own (outside the pool); the channel receives when
// another store on this database released leases or stored unleased
// deliveries, and also after the LISTEN connection was lost and
// re-established, since notifications may have been missed meanwhile.
// Notifications are coalesced: a receive may stand for several. The
// channel is closed by Close.
func (s *Store) DueNotify() <-chan struct{} {
	s.notify.start()
	return s.notify.ch
}

// notifier runs the LISTEN connection.
type notifier struct {
	cfg   *pgx.ConnConfig
	token string
	log   *slog.Logger
	ch    chan struct{}

	ctx        context.Context
	cancelFunc context.CancelFunc
	done       chan struct{} // closed when run returns

	mu      sync.Mutex
	started bool
	closed  bool
}

func newNotifier(cfg *pgx.ConnConfig, token string, log *slog.Logger) *notifier {
	ctx, cancel := context.WithCancel(context.Background())
	return &notifier{cfg: cfg, token: token, log: log, ch: make(chan struct{}, 1),
		ctx: ctx, cancelFunc: cancel, done: make(chan struct{})}
}

func (n *notifier) start() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started || n.closed {
		return
	}
	n.started = true
	go n.run()
}

// close stops the listener and closes the channel. It is called once.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	started := n.started
	n.mu.Unlock()
	n.cancelFunc()
	if started {
		<-n.done
	}
	close(n.ch)
}

// wake signals the channel without blocking: a signal already pending
// stands for this one too.
func (n *notifier) wake() {
	select {
	case n.ch <- struct{}{}:
	default:
	}
}

// run listens until closed, reconnecting with a growing pause (up to 30
// seconds) when the connection fails. Nodes poll meanwhile, so a lost
// connection delays claims but loses nothing.
func (n *notifier) run() {
	defer close(n.done)
	pause := 100 * time.Millisecond
	for {
		connected, err := n.listen()
		if n.ctx.Err() != nil {
			return
		}
		if connected {
			pause = 100 * time.Millisecond
		}
		n.log.Warn("postgres store: LISTEN connection lost; polling until it is back", "err", err, "retry_in", pause)
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

// listen connects, listens and forwards notifications until the
// connection fails or the notifier closes.
func (n *notifier) listen() (connected bool, err error) {
	conn, err := pgx.ConnectConfig(n.ctx, n.cfg)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(n.ctx, "LISTEN "+dueChannel); err != nil {
		return false, err
	}
	n.wake() // whatever was announced while not listening
	for {
		note, err := conn.WaitForNotification(n.ctx)
		if err != nil {
			return true, err
		}
		if note.Payload != n.token {
			n.wake()
		}
	}
}
