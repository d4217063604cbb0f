package database

import (
	"bufio"
	"context"
	"net"
	"time"
)

// pgReadBuffer is how much of what PostgreSQL sent one read of the socket
// takes at most. lib/pq reads through a 4 KiB buffer of its own, so a
// result of a page of lesson bodies (20 KiB) took six read calls, each a
// system call; behind this buffer it takes one, and lib/pq's reads are
// copies from memory.
const pgReadBuffer = 64 << 10

// pgDialer dials PostgreSQL as lib/pq would and reads each connection
// through a pgReadBuffer. Writes, deadlines and closing go to the socket
// unchanged (lib/pq writes each message in one call already).
type pgDialer struct{ d net.Dialer }

func (p pgDialer) Dial(network, address string) (net.Conn, error) {
	return p.DialContext(context.Background(), network, address)
}

func (p pgDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.DialContext(ctx, network, address)
}

func (p pgDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := p.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, pgReadBuffer)}, nil
}

// bufferedConn is a connection whose reads come through r. Nothing is read
// ahead of what the server has sent: a read returns what one read of the
// socket brought, so a protocol exchange (the one-byte answer to an SSL
// request, then the TLS handshake on the same socket) sees every byte in
// order, as it would unbuffered.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
