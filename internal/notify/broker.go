package notify

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Range is a range of alert event ids announced by a committed transaction.
type Range struct{ First, Last int64 }

// Broker listens for alert events announced through PostgreSQL NOTIFY (by
// any replica) and fans them out to this process's subscribers, who read the
// events themselves in their own scope.
//
// Notifications sent while the listening connection is down are lost; when
// it comes back, the broker announces the events committed meanwhile: those
// with ids above the highest it has announced. Two cases are imperfect: an
// event of a transaction that took its id before the outage and committed
// during it is missed, and one that commits in the instant between the
// reconnection and the replay's read is announced twice.
type Broker struct {
	listener *pq.Listener
	db       *postgres.DB
	log      *slog.Logger
	mu       sync.Mutex
	subs     map[int]chan Range
	next     int
	seen     int64 // the highest event id announced
	done     chan struct{}
}

// StartBroker listens on the alert events channel of the database at url;
// db reads the last event id (at start and after a reconnection).
func StartBroker(db *postgres.DB, url string, log *slog.Logger) (*Broker, error) {
	l, err := postgres.Listen(url, metrics.AlertEventsChannel)
	if err != nil {
		return nil, err
	}
	b := &Broker{listener: l, db: db, log: log, subs: map[int]chan Range{}, done: make(chan struct{})}
	if b.seen, err = b.lastEvent(); err != nil {
		l.Close()
		return nil, err
	}
	go b.loop()
	return b, nil
}

// lastEvent reads the highest committed alert event id.
func (b *Broker) lastEvent() (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return b.db.LastAlertEventID(ctx)
}

func (b *Broker) loop() {
	defer close(b.done)
	for n := range b.listener.Notify {
		if n == nil { // reconnected: announce what was committed while the connection was down
			last, err := b.lastEvent()
			if err != nil {
				b.log.Warn("broker: cannot read the last alert event after reconnecting", "err", err)
				continue
			}
			b.mu.Lock()
			if last > b.seen {
				b.log.Info("broker: replaying alert events missed while reconnecting", "first", b.seen+1, "last", last)
				b.announce(Range{First: b.seen + 1, Last: last})
			}
			b.mu.Unlock()
			continue
		}
		first, last, ok := strings.Cut(n.Extra, "-")
		f, err1 := strconv.ParseInt(first, 10, 64)
		l, err2 := strconv.ParseInt(last, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			b.log.Warn("broker: bad notification", "payload", n.Extra)
			continue
		}
		b.mu.Lock()
		// Announced as it comes, even below the highest id seen: transactions
		// commit out of order (a job's range after an acknowledgement's).
		b.announce(Range{First: f, Last: l})
		b.mu.Unlock()
	}
}

// announce sends a range to every subscriber; b.mu is held.
func (b *Broker) announce(r Range) {
	b.seen = max(b.seen, r.Last)
	for _, ch := range b.subs {
		select {
		case ch <- r:
		default: // a slow subscriber misses a range rather than blocking the others
		}
	}
}

// Subscribe returns a channel of announced ranges and a function to stop.
func (b *Broker) Subscribe() (<-chan Range, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	ch := make(chan Range, 64)
	b.subs[id] = ch
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[id]; ok {
			delete(b.subs, id)
			close(ch)
		}
	}
}

// Close stops listening.
func (b *Broker) Close() error {
	err := b.listener.Close()
	<-b.done
	return err
}
