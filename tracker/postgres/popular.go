package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Popular returns up to limit products of store that visitors clicked or
// bought since since, most popular first: by clicks plus units bought (of
// the copies of sales that count), then by product ID; limit ≤ 0 means no
// limit.
func (s *Store) Popular(ctx context.Context, store string, since time.Time, limit int) ([]tracker.ProductCount, error) {
	return storekit.Find(s.closed, ErrClosed, "postgres: popular", []string{store}, func() ([]tracker.ProductCount, error) {
		rows, _ := s.pool.Query(ctx, `SELECT e.kind, e.item, e.lines FROM events e JOIN stores s USING (sid)
			WHERE s.name = $1 AND e.t >= $2 AND (e.kind = 2 OR (e.kind = 3 AND e.counted)) AND `+liveSQL,
			store, credit.CeilMicros(since))
		var p credit.Popular
		var kind int16
		var item *string
		var lines []byte
		_, err := pgx.ForEachRow(rows, []any{&kind, &item, &lines}, func() error {
			if tracker.Kind(kind) == tracker.KindClick {
				p.Click(deref(item))
				return nil
			}
			ls, err := storekit.DecodeLines(lines)
			p.Sale(ls)
			return err
		})
		return p.Top(limit), err
	})
}
