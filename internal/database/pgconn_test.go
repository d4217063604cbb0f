package database

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestBufferedConnKeepsTheExchange reads through pgDialer's connection
// what a server sends: the one-byte answer to an SSL request, then a
// result far larger than lib/pq's own buffer, read through a 4 KiB
// reader as lib/pq does. Every byte must arrive once, in order, and the
// first answer must not wait for more bytes than the server sent.
func TestBufferedConnKeepsTheExchange(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	big := bytes.Repeat([]byte("lesson body "), 20_000) // 240 KB
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		if _, err := c.Write([]byte{'S'}); err != nil {
			served <- err
			return
		}
		ack := make([]byte, 1) // the client speaks before the rest comes
		if _, err := io.ReadFull(c, ack); err != nil {
			served <- err
			return
		}
		_, err = c.Write(big)
		served <- err
	}()

	conn, err := pgDialer{}.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1)
	if _, err := io.ReadFull(conn, first); err != nil || first[0] != 'S' {
		t.Fatalf("first byte = %q, %v; want S", first, err)
	}
	if _, err := conn.Write([]byte{'!'}); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(big))
	if _, err := io.ReadFull(bufio.NewReaderSize(conn, 4096), got); err != nil {
		t.Fatalf("read the result: %v", err)
	}
	if !bytes.Equal(got, big) {
		t.Fatal("the result arrived changed")
	}
	if err := <-served; err != nil {
		t.Fatalf("server: %v", err)
	}
}
