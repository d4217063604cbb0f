package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// startPeer starts the peer (cmdline, see main.go) on a free loopback port
// and waits until its GraphQL endpoint, POST /graphql on that port,
// answers. A command line that uses peerDir gets PostGraphile installed
// there first when it is not.
func startPeer(ctx context.Context, cmdline, peerDir, dbURL, dir string) (*server, error) {
	if strings.Contains(cmdline, "{dir}") {
		if err := installPeer(ctx, peerDir); err != nil {
			return nil, err
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	fill := strings.NewReplacer("{dir}", peerDir, "{db}", dbURL, "{port}", port)
	args := strings.Fields(cmdline)
	if len(args) == 0 {
		return nil, errors.New("-peer-cmd is empty")
	}
	for i, a := range args {
		args[i] = fill.Replace(a)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	s := &server{name: "peer", endpoint: "http://" + addr + "/graphql", logPath: filepath.Join(dir, "peer.log")}
	log.Printf("starting the peer on port %s: %s", port, cmdline)
	probe := []byte(`{"query":"{ __typename }"}`)
	if err := s.start(ctx, cmd, func() bool { return answers(ctx, http.MethodPost, s.endpoint, probe) }); err != nil {
		return nil, fmt.Errorf("peer: %w", err)
	}
	return s, nil
}

// installPeer installs PostGraphile v4 under dir unless it is there.
func installPeer(ctx context.Context, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "postgraphile", "package.json")); err == nil {
		return nil
	}
	log.Printf("installing postgraphile@4 into %s", dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "postgraphile@4")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install postgraphile@4: %w", err)
	}
	return nil
}
