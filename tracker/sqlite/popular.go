package sqlite

import (
	"context"
	"time"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Popular returns up to limit products of store that visitors clicked or
// bought since since, most popular first: by clicks plus units bought (of
// the copies of sales that count), then by product ID. It feeds "Trending"
// lists; limit ≤ 0 means no limit.
func (s *Store) Popular(ctx context.Context, store string, since time.Time, limit int) ([]tracker.ProductCount, error) {
	return storekit.Find(s.closed, ErrClosed, "sqlite: popular", []string{store}, func() ([]tracker.ProductCount, error) {
		rows, err := s.r.QueryContext(ctx, `SELECT e.kind, e.item, e.detail FROM events e JOIN stores s USING (sid)
			WHERE s.name = ? AND e.t >= ? AND (e.kind = 2 OR (e.kind = 3 AND e.counted = 1)) AND `+liveSQL,
			store, credit.CeilMicros(since))
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var p credit.Popular
		for rows.Next() {
			var r eventRow
			if err := rows.Scan(&r.kind, &r.item, &r.detail); err != nil {
				return nil, err
			}
			if r.kind == kindClick {
				p.Click(r.item.String)
				continue
			}
			lines, err := decodeLines(r.detail.String)
			if err != nil {
				return nil, err
			}
			p.Sale(lines)
		}
		return p.Top(limit), rows.Err()
	})
}
