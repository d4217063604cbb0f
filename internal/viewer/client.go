package viewer

import "context"

// Client describes where a request comes from, for audit records, throttling
// and the session list. Addr is the client's IP address as the server sees it
// (after trusted proxies); UserAgent is shortened.
type Client struct {
	Addr      string
	UserAgent string
}

type clientKey struct{}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the request's client, or the zero Client outside a
// request (commands, jobs).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}
