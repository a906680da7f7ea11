package notify

import (
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Range is a range of alert event ids announced by a committed transaction.
type Range struct{ First, Last int64 }

// Broker listens for alert events announced through PostgreSQL NOTIFY (by
// any replica) and fans them out to this process's subscribers, who read the
// events themselves in their own scope.
type Broker struct {
	listener *pq.Listener
	log      *slog.Logger
	mu       sync.Mutex
	subs     map[int]chan Range
	next     int
	done     chan struct{}
}

// StartBroker listens on the alert events channel of the database at url.
func StartBroker(url string, log *slog.Logger) (*Broker, error) {
	l, err := postgres.Listen(url, metrics.AlertEventsChannel)
	if err != nil {
		return nil, err
	}
	b := &Broker{listener: l, log: log, subs: map[int]chan Range{}, done: make(chan struct{})}
	go b.loop()
	return b, nil
}

func (b *Broker) loop() {
	defer close(b.done)
	for n := range b.listener.Notify {
		if n == nil { // reconnected: events may have been missed; nothing to replay in this version
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
		for _, ch := range b.subs {
			select {
			case ch <- Range{First: f, Last: l}:
			default: // a slow subscriber misses a range rather than blocking the others
			}
		}
		b.mu.Unlock()
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
