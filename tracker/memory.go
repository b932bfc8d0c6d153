package tracker

import (
	"context"
	"sync"
)

// Memory keeps events in memory. It is a Recorder and an idempotent Sink, for
// tests and examples. The zero value is not usable; call NewMemory.
type Memory struct {
	mu     sync.Mutex
	events []Event
	seen   map[string]struct{}
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{seen: make(map[string]struct{})} }

// Record stores e. It never fails.
func (m *Memory) Record(_ context.Context, e Event) error {
	m.mu.Lock()
	m.add(e)
	m.mu.Unlock()
	return nil
}

// Write stores events, skipping any whose ID it already holds.
func (m *Memory) Write(_ context.Context, events []Event) error {
	m.mu.Lock()
	for _, e := range events {
		m.add(e)
	}
	m.mu.Unlock()
	return nil
}

func (m *Memory) add(e Event) {
	if e.ID != "" {
		if _, dup := m.seen[e.ID]; dup {
			return
		}
		m.seen[e.ID] = struct{}{}
	}
	m.events = append(m.events, e)
}

// Events returns a copy of the events held, in the order they arrived.
func (m *Memory) Events() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Event(nil), m.events...)
}

// Len returns how many events m holds.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events)
}

// Reset forgets every event.
func (m *Memory) Reset() {
	m.mu.Lock()
	m.events, m.seen = nil, make(map[string]struct{})
	m.mu.Unlock()
}
