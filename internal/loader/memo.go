package loader

import (
	"context"
	"sync"
)

// fetchFunc looks up many keys in one query; a key it does not return has
// the zero value.
type fetchFunc[K comparable, V any] func(ctx context.Context, keys []K) (map[K]V, error)

// memo answers lookups by key for one request, one query for many keys
// without a batching window. Keys are announced before anyone asks for
// them (expect: every course the request reads is announced), and the
// first lookup that misses fetches the key asked for together with every
// announced key not fetched yet. A list of courses asking for their
// owners, marshalled one course after the other, thus costs one query,
// and no goroutine waits for its siblings. Later lookups of fetched keys
// cost nothing. Lookups take turns, so two fields asking at the same
// moment (a course's owner and its instructors) cost one query.
type memo[K comparable, V any] struct {
	fetch    fetchFunc[K, V]
	mu       sync.Mutex
	found    map[K]V
	expected map[K]struct{}
}

func newMemo[K comparable, V any](fetch fetchFunc[K, V]) *memo[K, V] {
	return &memo[K, V]{fetch: fetch, found: map[K]V{}, expected: map[K]struct{}{}}
}

// expect announces keys that are likely to be asked for.
func (m *memo[K, V]) expect(keys []K) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if _, ok := m.found[k]; !ok {
			m.expected[k] = struct{}{}
		}
	}
}

// put records the value of key, fetched by the caller.
func (m *memo[K, V]) put(key K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.found[key] = v
	delete(m.expected, key)
}

// get returns the value of key.
func (m *memo[K, V]) get(ctx context.Context, key K) (V, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.found[key]; ok {
		return v, nil
	}
	keys := make([]K, 0, len(m.expected)+1)
	keys = append(keys, key)
	for k := range m.expected {
		if k != key {
			keys = append(keys, k)
		}
	}
	got, err := m.fetch(ctx, keys)
	if err != nil {
		var zero V
		return zero, err
	}
	for _, k := range keys {
		m.found[k] = got[k]
	}
	clear(m.expected)
	return m.found[key], nil
}
