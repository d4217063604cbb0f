package database

import (
	"container/list"
	"context"
	"database/sql/driver"
)

// stmtCache is one connection's prepared statements, keyed by their text,
// at most size of them, least recently used first out. Its connection is
// used by one goroutine at a time, so it needs no lock.
type stmtCache struct {
	conn  driver.ConnPrepareContext
	size  int
	lru   *list.List               // of *cached, most recently used first
	byKey map[string]*list.Element // query → its element in lru
}

type cached struct {
	query   string
	stmt    driver.Stmt
	busy    bool // its rows are open (SQLite; see sqliteRows)
	evicted bool // no longer in the cache: closed once not busy
}

func newStmtCache(conn driver.ConnPrepareContext, size int) stmtCache {
	return stmtCache{conn: conn, size: size, lru: list.New(), byKey: map[string]*list.Element{}}
}

// get returns query's prepared statement, preparing it on first use and
// closing the least recently used one beyond the cache's bound.
func (c *stmtCache) get(ctx context.Context, query string) (driver.Stmt, error) {
	e, err := c.entry(ctx, query)
	if err != nil {
		return nil, err
	}
	return e.stmt, nil
}

func (c *stmtCache) entry(ctx context.Context, query string) (*cached, error) {
	if e, ok := c.byKey[query]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cached), nil
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	entry := &cached{query: query, stmt: st}
	c.byKey[query] = c.lru.PushFront(entry)
	if c.lru.Len() > c.size {
		c.drop(c.lru.Back())
	}
	return entry, nil
}

// forget drops query's statement, when the cache holds it.
func (c *stmtCache) forget(query string) {
	if e, ok := c.byKey[query]; ok {
		c.drop(e)
	}
}

// closeAll closes every statement the cache holds.
func (c *stmtCache) closeAll() {
	for c.lru.Len() > 0 {
		c.drop(c.lru.Back())
	}
}

// drop removes e and closes its statement, unless its rows are open: then
// the rows close it when they are done (sqliteRows). A failed close has
// marked a broken connection as such already; the work at hand still
// runs, or fails, on its own.
func (c *stmtCache) drop(e *list.Element) {
	c.lru.Remove(e)
	old := e.Value.(*cached)
	delete(c.byKey, old.query)
	old.evicted = true
	if !old.busy {
		_ = old.stmt.Close()
	}
}
