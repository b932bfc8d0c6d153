package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

// Popular returns up to limit products of store that visitors clicked or
// bought since since, most popular first: by clicks plus units bought (of
// the copies of sales that count), then by product ID. It feeds "Trending"
// lists; limit ≤ 0 means no limit.
func (s *Store) Popular(ctx context.Context, store string, since time.Time, limit int) ([]tracker.ProductCount, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	rows, err := s.r.QueryContext(ctx, `SELECT e.kind, e.item, e.detail FROM events e JOIN stores s USING (sid)
		WHERE s.name = ? AND e.t >= ? AND (e.kind = 2 OR (e.kind = 3 AND e.counted = 1)) AND `+liveSQL,
		store, credit.CeilMicros(since))
	if err != nil {
		return nil, fmt.Errorf("sqlite: popular: %w", err)
	}
	defer rows.Close()
	var p credit.Popular
	for rows.Next() {
		var r eventRow
		if err := rows.Scan(&r.kind, &r.item, &r.detail); err != nil {
			return nil, fmt.Errorf("sqlite: popular: %w", err)
		}
		if r.kind == kindClick {
			p.Click(r.item.String)
			continue
		}
		lines, err := decodeLines(r.detail.String)
		if err != nil {
			return nil, fmt.Errorf("sqlite: popular: %w", err)
		}
		for _, l := range lines {
			p.Units(l.Product, int(l.Quantity))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: popular: %w", err)
	}
	return p.Top(limit), nil
}

// PurgeEvery runs Purge every interval, deleting events older than keep,
// until ctx ends; failures go to the logger. Run it in a goroutine:
//
//	go db.PurgeEvery(ctx, time.Hour, 395*24*time.Hour) // keep 13 months
func (s *Store) PurgeEvery(ctx context.Context, interval, keep time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Purge(ctx, s.cfg.Now().Add(-keep)); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("visitrack: purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stats describes the writer's memory.
type Stats struct {
	// MemoryBudget is the budget the store was opened with, and Memory
	// about what the writer keeps now.
	MemoryBudget, Memory int64
	// Groups is how many groups of linked visitors the writer keeps.
	Groups int
	// DirtyHeads is how many visitors' chain heads wait to be written.
	DirtyHeads int
	// RowsRead counts the event rows read back since Open to fill groups:
	// it grows fast when the budget is too small for the traffic.
	RowsRead int64
}

// Stats returns figures about the writer's memory.
func (s *Store) Stats() Stats {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	st := Stats{MemoryBudget: s.cfg.MemoryBudget}
	if s.mem == nil {
		return st
	}
	st.Memory, st.Groups, st.RowsRead = s.mem.size(), len(s.mem.groups), s.mem.loads
	s.hmu.RLock()
	st.DirtyHeads = len(s.heads)
	s.hmu.RUnlock()
	return st
}
