package database

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// A Change is what one committed write did to the tables someone watches
// (see DB.Watch): the tables its statements wrote, and the tags its writer
// declared for it (Tx.Touch, Touching). The public-read cache turns it into
// invalidations; a write that touched watched tables without declaring
// anything (Declared false) is one the cache cannot attribute, so it drops
// everything.
type Change struct {
	Tables   []string
	Tags     []string
	Declared bool
}

// Watch calls notify after each committed write that ran INSERT, UPDATE or
// DELETE on one of tables through the ent driver: after the commit of a
// transaction (Transact, InTx, a transaction ent opens itself), after the
// statement otherwise. A rolled-back write notifies nothing. Several
// subscribers may watch at once, each told only of its own tables; stop
// ends this one's subscription.
//
// Statements sent straight to the *sql.Tx (Tx.SQL) are not seen: a writer
// using it on a watched table must declare its tags (Tx.Touch), and a
// transaction that declared tags reports them even when no write was
// seen. Lectern's writers send their writes through the Tx (ExecContext)
// all the same, so that a forgotten declaration is caught.
func (d *DB) Watch(tables []string, notify func(context.Context, Change)) (stop func()) {
	sub := &subscriber{tables: map[string]bool{}, notify: notify}
	for _, t := range tables {
		sub.tables[t] = true
	}
	d.resubscribe(func(subs []*subscriber) []*subscriber { return append(subs, sub) })
	return func() {
		d.resubscribe(func(subs []*subscriber) []*subscriber {
			return slices.DeleteFunc(subs, func(s *subscriber) bool { return s == sub })
		})
	}
}

// resubscribe replaces the watcher with one whose subscribers are edit's;
// edit may run more than once when two callers race.
func (d *DB) resubscribe(edit func([]*subscriber) []*subscriber) {
	for {
		prev := d.driver.watch.Load()
		var subs []*subscriber
		if prev != nil {
			subs = slices.Clone(prev.subs)
		}
		next := &watcher{tables: map[string]bool{}, subs: edit(subs)}
		for _, s := range next.subs {
			for t := range s.tables {
				next.tables[t] = true
			}
		}
		if d.driver.watch.CompareAndSwap(prev, next) {
			return
		}
	}
}

// Touch declares that the transaction changes what readers of tags see
// (see Change). Calling it with no tags declares that it changes nothing a
// public reader sees, though it writes a watched table (a learner's
// counters, a login's bookkeeping).
func (tx *Tx) Touch(tags ...string) { tx.drv.changes.declare(tags) }

type touchKey struct{}

// Touching returns ctx declaring tags for the writes made with it outside
// Transact (a single statement, or a transaction ent opens itself); see
// Tx.Touch.
func Touching(ctx context.Context, tags ...string) context.Context {
	prev, _ := ctx.Value(touchKey{}).([]string)
	return context.WithValue(ctx, touchKey{}, append(slices.Clip(prev), tags...))
}

// watcher is DB.Watch's configuration, shared by every driver of the DB:
// its subscribers and the union of the tables they watch.
type watcher struct {
	tables map[string]bool
	subs   []*subscriber
}

type subscriber struct {
	tables map[string]bool
	notify func(context.Context, Change)
}

// changeSet collects one transaction's change until it commits.
type changeSet struct {
	mu       sync.Mutex
	tables   []string
	tags     []string
	declared bool
}

func (c *changeSet) declare(tags []string) {
	c.mu.Lock()
	c.declared = true
	c.tags = append(c.tags, tags...)
	c.mu.Unlock()
}

func (c *changeSet) wrote(table string) {
	c.mu.Lock()
	if !slices.Contains(c.tables, table) {
		c.tables = append(c.tables, table)
	}
	c.mu.Unlock()
}

// change returns what was collected, or false when no watched table was
// written and no tag declared (a tag declared for statements sent through
// Tx.SQL, which are not seen, still counts).
func (c *changeSet) change() (Change, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tables) == 0 && len(c.tags) == 0 {
		return Change{}, false
	}
	return Change{Tables: c.tables, Tags: c.tags, Declared: c.declared}, true
}

// fromContext returns a change set holding ctx's Touching declarations.
func fromContext(ctx context.Context) *changeSet {
	c := &changeSet{}
	if tags, ok := ctx.Value(touchKey{}).([]string); ok {
		c.declare(tags)
	}
	return c
}

// watched returns the watched table query writes, if any.
func (w *watcher) watched(query string) (string, bool) {
	if w == nil {
		return "", false
	}
	t := writtenTable(query)
	return t, t != "" && w.tables[t]
}

// publish tells the watcher about c once its write has committed.
func (w *watcher) publish(ctx context.Context, c *changeSet) {
	if w == nil || c == nil {
		return
	}
	ch, ok := c.change()
	if !ok {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, s := range w.subs {
		mine := Change{Tags: ch.Tags, Declared: ch.Declared}
		for _, t := range ch.Tables {
			if s.tables[t] {
				mine.Tables = append(mine.Tables, t)
			}
		}
		if len(mine.Tables) > 0 || len(mine.Tags) > 0 {
			s.notify(ctx, mine)
		}
	}
}

// writtenTable returns the table an INSERT, UPDATE or DELETE statement
// writes (unquoted, lower case), or "" for any other statement. ent writes
// `INSERT INTO "t"`, `UPDATE "t" SET`, `DELETE FROM "t"` (backquotes on
// SQLite); hand-written statements leave the name bare.
func writtenTable(q string) string {
	q = strings.TrimLeft(q, " \t\r\n")
	var rest string
	switch {
	case hasPrefixFold(q, "INSERT INTO "):
		rest = q[len("INSERT INTO "):]
	case hasPrefixFold(q, "UPDATE "):
		rest = q[len("UPDATE "):]
	case hasPrefixFold(q, "DELETE FROM "):
		rest = q[len("DELETE FROM "):]
	default:
		return ""
	}
	rest = strings.TrimLeft(rest, " ")
	end := strings.IndexAny(rest, " (\t\r\n")
	if end < 0 {
		end = len(rest)
	}
	return strings.ToLower(strings.Trim(rest[:end], "\"`"))
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
