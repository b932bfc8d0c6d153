package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

// Popular returns up to limit products of store that visitors clicked or
// bought since since, most popular first: by clicks plus units bought (of
// the copies of sales that count), then by product ID; limit ≤ 0 means no
// limit.
func (s *Store) Popular(ctx context.Context, store string, since time.Time, limit int) ([]tracker.ProductCount, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	rows, _ := s.pool.Query(ctx, `SELECT e.kind, e.item, e.lines FROM events e JOIN stores s USING (sid)
		WHERE s.name = $1 AND e.t >= $2 AND (e.kind = 2 OR (e.kind = 3 AND e.counted)) AND `+liveSQL,
		store, credit.CeilMicros(since))
	var p credit.Popular
	var kind int16
	var item *string
	var lines []byte
	if _, err := pgx.ForEachRow(rows, []any{&kind, &item, &lines}, func() error {
		if kind == kindClick {
			p.Click(deref(item))
			return nil
		}
		var ls []storedLine
		if err := json.Unmarshal(lines, &ls); err != nil {
			return err
		}
		for _, l := range ls {
			p.Units(l.Product, int(l.Quantity))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: popular: %w", err)
	}
	return p.Top(limit), nil
}

// PurgeEvery runs Purge every interval, deleting events older than keep,
// until ctx ends; failures go to the logger. Run it in a goroutine:
//
//	go pg.PurgeEvery(ctx, time.Hour, 395*24*time.Hour) // keep 13 months
//
// Every instance of a shop may run it: purges wait for each other.
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
