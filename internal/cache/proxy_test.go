package cache_test

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// redisProxy forwards TCP connections to the test Redis and can fail them
// the ways a network or a sick Redis fails: cut (every connection closed,
// new ones closed as soon as accepted), stalled (connections accepted and
// kept, no byte goes through either way) or dropping the invalidation
// publications (a connection that sends one is closed before it reaches
// Redis, everything else passes). Restore puts it back; whatever was held
// during a stall is dropped with its connection.
type redisProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cond  *sync.Cond
	mode  proxyMode
	block []byte // see BlockPublications
	held  int    // publications held so far
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

type proxyMode int

const (
	proxyOpen proxyMode = iota
	proxyCut
	proxyStalled
)

// startProxy listens on 127.0.0.1 and forwards to target (host:port) until
// the test ends.
func startProxy(t testing.TB, target string) *redisProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &redisProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		p.closeAll()
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// URL is the proxy's address as a REDIS_URL, with the database of the
// Redis URL it stands in for.
func (p *redisProxy) URL(redisURL string) string {
	db := "/0"
	if i := strings.LastIndex(redisURL, "/"); i > len("redis://") {
		db = redisURL[i:]
	}
	return "redis://" + p.ln.Addr().String() + db
}

// Cut closes every connection and refuses new ones until Restore.
func (p *redisProxy) Cut() { p.set(proxyCut, true) }

// Stall holds every connection, old and new, silent until Restore.
func (p *redisProxy) Stall() { p.set(proxyStalled, false) }

// Restore lets traffic through again; connections cut or stalled are
// closed, so clients reconnect.
func (p *redisProxy) Restore() { p.set(proxyOpen, true) }

// BlockPublications holds, without passing it on, any command naming the
// invalidation channel of namespace other than SUBSCRIBE (the invalidation
// script takes the channel as an argument), and its connection with it:
// publishing times out, as on a Redis too slow for it, while reading and
// filling the shared cache, and the subscription, work. "" stops it; the
// held connections are closed then, their publications dropped.
func (p *redisProxy) BlockPublications(namespace string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if namespace == "" {
		p.block = nil
		p.cond.Broadcast()
		return
	}
	p.block = []byte(namespace + ":cache:invalidations")
}

// Held returns how many publications BlockPublications has held.
func (p *redisProxy) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

func (p *redisProxy) set(m proxyMode, closeAll bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	if closeAll {
		p.closeAll()
	}
	p.cond.Broadcast()
}

// closeAll closes every connection; p.mu is held.
func (p *redisProxy) closeAll() {
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
	p.cond.Broadcast()
}

func (p *redisProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.mode == proxyCut {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { p.serve(c) })
	}
}

func (p *redisProxy) serve(client net.Conn) {
	defer p.forget(client)
	if !p.pass(client) { // a new connection waits out a stall
		return
	}
	server, err := net.DialTimeout("tcp", p.target, time.Second)
	if err != nil {
		return
	}
	p.mu.Lock()
	if _, open := p.conns[client]; !open {
		p.mu.Unlock()
		_ = server.Close()
		return
	}
	p.conns[server] = struct{}{}
	p.mu.Unlock()
	defer p.forget(server)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.pipe(server, client, true)
	}()
	p.pipe(client, server, false)
	<-done
}

// pipe copies src to dst chunk by chunk, holding each chunk while stalled;
// it closes both ends when either fails or the proxy closes them.
func (p *redisProxy) pipe(dst, src net.Conn, upstream bool) {
	defer func() {
		_ = src.Close()
		_ = dst.Close()
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.pass(src) {
				return
			}
			if upstream && p.hold(src, buf[:n]) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// pass waits while the proxy is stalled and reports whether c is still
// open.
func (p *redisProxy) pass(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if _, open := p.conns[c]; !open {
			return false
		}
		if p.mode != proxyStalled {
			return true
		}
		p.cond.Wait()
	}
}

// hold reports whether chunk is a publication to block; if so it first
// waits until the block is lifted or src is closed.
func (p *redisProxy) hold(src net.Conn, chunk []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	block := p.block
	if block == nil || !bytes.Contains(chunk, block) || bytes.Contains(bytes.ToLower(chunk), []byte("subscribe")) {
		return false
	}
	p.held++
	p.cond.Broadcast()
	for {
		if _, open := p.conns[src]; !open || !bytes.Equal(p.block, block) {
			return true
		}
		p.cond.Wait()
	}
}

func (p *redisProxy) forget(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}
