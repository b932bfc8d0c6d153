package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/visitrack/visitrack/tracker/credit"
)

// ProductCount is how often visitors clicked a product and how many units
// of it they bought.
type ProductCount struct {
	Product string
	Clicks  int
	Units   int
}

// Popular returns up to limit products of store that visitors clicked or
// bought since since, most popular first: by clicks plus units bought (of
// the copies of sales that count), then by product ID. It feeds "Trending"
// lists; limit ≤ 0 means no limit.
func (s *Store) Popular(ctx context.Context, store string, since time.Time, limit int) ([]ProductCount, error) {
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
	counts := make(map[string]*ProductCount)
	get := func(p string) *ProductCount {
		c := counts[p]
		if c == nil {
			c = &ProductCount{Product: p}
			counts[p] = c
		}
		return c
	}
	for rows.Next() {
		var r eventRow
		if err := rows.Scan(&r.kind, &r.item, &r.detail); err != nil {
			return nil, fmt.Errorf("sqlite: popular: %w", err)
		}
		if r.kind == kindClick {
			get(r.item.String).Clicks++
			continue
		}
		lines, err := decodeLines(r.detail.String)
		if err != nil {
			return nil, fmt.Errorf("sqlite: popular: %w", err)
		}
		for _, l := range lines {
			get(l.Product).Units += int(l.Quantity)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: popular: %w", err)
	}
	out := make([]ProductCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ProductCount) int {
		if c := cmp.Compare(b.Clicks+b.Units, a.Clicks+a.Units); c != 0 {
			return c
		}
		return cmp.Compare(a.Product, b.Product)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
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
