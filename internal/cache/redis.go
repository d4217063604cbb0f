package cache

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// shared is the cache every instance reads through Redis, with the same
// versioned invalidation as local: a global generation (gen), and per
// dropped tag the generation that dropped it (inv:TAG, kept for the TTL,
// after which every entry it could drop has expired). The scripts check
// and change them atomically.
type shared struct {
	rdb    *redis.Client
	prefix string
	ttl    time.Duration
}

// getScript returns the entry's tags and body if none of its tags (nor
// "*", on which every entry depends) was dropped after the generation it
// was read at, and deletes it otherwise.
// KEYS[1] entry; ARGV[1] prefix of the inv: keys.
var getScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'g', 't', 'b')
if not v[3] then return false end
local g = tonumber(v[1])
for t in string.gmatch(v[2] .. ' *', '%S+') do
  local d = redis.call('GET', ARGV[1] .. t)
  if d and tonumber(d) > g then
    redis.call('DEL', KEYS[1])
    return false
  end
end
return {v[2], v[3]}`)

// setScript stores an entry read at generation ARGV[1] unless one of its
// tags (ARGV[2], space-separated) was dropped since.
// KEYS[1] entry; ARGV: gen, tags, body, ttl in ms, inv: prefix.
var setScript = redis.NewScript(`
local g = tonumber(ARGV[1])
for t in string.gmatch(ARGV[2] .. ' *', '%S+') do
  local d = redis.call('GET', ARGV[5] .. t)
  if d and tonumber(d) > g then return 0 end
end
redis.call('HSET', KEYS[1], 'g', ARGV[1], 't', ARGV[2], 'b', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`)

// invalidateScript moves the global generation on, marks every tag with it
// and tells the other instances, in one step.
// KEYS[1] gen; ARGV: inv: prefix, ttl in ms, channel, message, tags….
var invalidateScript = redis.NewScript(`
local g = redis.call('INCR', KEYS[1])
for i = 5, #ARGV do
  redis.call('SET', ARGV[1] .. ARGV[i], g, 'PX', ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return g`)

func (s *shared) genKey() string    { return s.prefix + "gen" }
func (s *shared) invPrefix() string { return s.prefix + "inv:" }
func (s *shared) channel() string   { return s.prefix + "invalidations" }
func (s *shared) entryKey(key string) string {
	return s.prefix + "e:" + key
}

// snapshot returns the global generation; a fill notes it before reading.
func (s *shared) snapshot(ctx context.Context) (uint64, error) {
	g, err := s.rdb.Get(ctx, s.genKey()).Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return g, err
}

// get returns the entry's body and tags when it is stored and current.
func (s *shared) get(ctx context.Context, key string) ([]byte, []string, bool, error) {
	v, err := getScript.Run(ctx, s.rdb, []string{s.entryKey(key)}, s.invPrefix()).StringSlice()
	if errors.Is(err, redis.Nil) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	if len(v) != 2 {
		return nil, nil, false, errors.New("shared cache: malformed entry")
	}
	return []byte(v[1]), strings.Fields(v[0]), true, nil
}

func (s *shared) put(ctx context.Context, key string, body []byte, gen uint64, tags []string) error {
	return setScript.Run(ctx, s.rdb, []string{s.entryKey(key)},
		gen, strings.Join(tags, " "), body, s.ttl.Milliseconds(), s.invPrefix()).Err()
}

// invalidate marks tags dropped in Redis and publishes message to every
// instance.
func (s *shared) invalidate(ctx context.Context, message string, tags []string) error {
	args := make([]any, 0, 4+len(tags))
	// inv: keys outlive the TTL by a margin, so an entry can never outlive
	// the mark that drops it.
	args = append(args, s.invPrefix(), (s.ttl + time.Minute).Milliseconds(), s.channel(), message)
	for _, t := range tags {
		args = append(args, t)
	}
	return invalidateScript.Run(ctx, s.rdb, []string{s.genKey()}, args...).Err()
}

// redisBus carries invalidations through the shared cache's channel.
type redisBus struct {
	s *shared
}

func (b redisBus) publish(ctx context.Context, message string, tags []string) error {
	return b.s.invalidate(ctx, message, tags)
}

// listen keeps a subscription to the channel until ctx ends, calling
// deliver for each message and up(true) each time the subscription is
// (re)established, up(false) when it is lost.
func (b redisBus) listen(ctx context.Context, deliver func(string), up func(bool)) {
	const ping = time.Second
	for ctx.Err() == nil {
		ps := b.s.rdb.Subscribe(ctx, b.s.channel())
		// Closing the subscription is what interrupts a read in progress,
		// so a shutdown does not wait for the next ping.
		stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
		b.receive(ctx, ps, ping, deliver, up)
		up(false)
		if stop() {
			_ = ps.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (b redisBus) receive(ctx context.Context, ps *redis.PubSub, ping time.Duration, deliver func(string), up func(bool)) {
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, ping)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !pinged && ctx.Err() == nil {
				// Quiet for a while: make sure the connection is alive.
				pinged = true
				if ps.Ping(ctx) == nil {
					continue
				}
			}
			return
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				up(true)
			}
		case *redis.Message:
			deliver(m.Payload)
		}
	}
}

func (redisBus) name() string { return "redis" }
