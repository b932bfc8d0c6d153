package sqlite

import (
	"context"
	"fmt"
)

// flushHeads writes the chain heads the writer moved since it last did to
// the visitors table, so that Store.heads empties. The caller holds wmu.
func (s *Store) flushHeads(ctx context.Context) error {
	s.hmu.RLock()
	rows := make([][6]any, 0, len(s.heads))
	for vid, h := range s.heads {
		var day any // null: none
		if h.hasDay {
			day = h.day
		}
		rows = append(rows, [6]any{vid, h.lastC, h.pmaxC, h.lastA, h.pmaxA, day})
	}
	s.hmu.RUnlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: chain heads: %w", err)
	}
	defer tx.Rollback()
	for i := 0; i < len(rows); i += 1000 {
		part := rows[i:min(i+1000, len(rows))]
		if _, err := s.st.in(ctx, tx, qSetHeads).ExecContext(ctx, string(mustJSON(part))); err != nil {
			return fmt.Errorf("sqlite: chain heads: %w", err)
		}
	}
	if _, err := s.st.in(ctx, tx, qSetMeta).ExecContext(ctx, s.mem.nextRid, "heads_rid"); err != nil {
		return fmt.Errorf("sqlite: chain heads: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: chain heads: %w", err)
	}
	s.hmu.Lock()
	clear(s.heads)
	s.hmu.Unlock()
	s.committed()
	return nil
}

// reload empties the cache and reads the IDs to hand out next again, after
// a write failed and its transaction rolled back.
func (m *memory) reload(ctx context.Context) error {
	m.reset()
	m.sids = make(map[string]int64)
	for q, p := range map[string]*int64{
		`SELECT value FROM meta WHERE name = 'next_rid'`:   &m.nextRid,
		`SELECT value FROM meta WHERE name = 'next_vid'`:   &m.nextVid,
		`SELECT coalesce(max(iid), 0) + 1 FROM identities`: &m.nextIid,
		`SELECT coalesce(max(ls), 0) + 1 FROM labelsets`:   &m.nextLs,
		`SELECT coalesce(max(lid), 0) + 1 FROM labels`:     &m.nextLid,
		`SELECT coalesce(max(sid), 0) + 1 FROM stores`:     &m.nextSid,
	} {
		if err := m.s.w.QueryRowContext(ctx, q).Scan(p); err != nil {
			return err
		}
	}
	m.nextVid = max(m.nextVid, 1)
	_, err := m.loadStores(ctx)
	return err
}
