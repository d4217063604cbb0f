package cache

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/lib/pq"
)

// pgChannel is the PostgreSQL channel invalidations travel on when there
// is no Redis.
const pgChannel = "lectern_cache"

// maxNotifyPayload keeps a NOTIFY under PostgreSQL's 8,000-byte limit.
const maxNotifyPayload = 7000

// pgBus carries invalidations through PostgreSQL's LISTEN/NOTIFY.
type pgBus struct {
	db  *sql.DB
	url string
}

func (b pgBus) name() string { return "postgres" }

// publish sends message, in as many notifications as it takes; each one
// names the sender and a part of the tags (see splitMessage).
func (b pgBus) publish(ctx context.Context, message string, _ []string) error {
	for _, part := range splitMessage(message, maxNotifyPayload) {
		if _, err := b.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", pgChannel, part); err != nil {
			return err
		}
	}
	return nil
}

func (b pgBus) listen(ctx context.Context, deliver func(string), up func(bool)) {
	l := pq.NewListener(b.url, 100*time.Millisecond, 2*time.Second, func(ev pq.ListenerEventType, _ error) {
		switch ev {
		case pq.ListenerEventReconnected: // LISTEN is renewed before this
			up(true)
		case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
			up(false)
		}
	})
	defer l.Close()
	if err := l.Listen(pgChannel); err == nil {
		up(true)
	}
	ping := time.NewTicker(time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-l.Notify:
			if n == nil { // reconnected: notifications may have been missed
				up(true)
				continue
			}
			deliver(n.Extra)
		case <-ping.C:
			if err := l.Ping(); err != nil {
				up(false)
			}
		}
	}
}

// splitMessage cuts "sender tag tag …" into messages of at most max bytes,
// each starting with the sender. A single tag is never cut.
func splitMessage(message string, max int) []string {
	if len(message) <= max {
		return []string{message}
	}
	from, rest, _ := strings.Cut(message, " ")
	var out []string
	cur := from
	for _, t := range strings.Fields(rest) {
		if len(cur)+1+len(t) > max && cur != from {
			out = append(out, cur)
			cur = from
		}
		cur += " " + t
	}
	return append(out, cur)
}
