package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker"
)

// Events are partitioned by month of their time: events_pYYYYMM holds
// [the month's start, the next month's start) in microseconds, UTC.

// partitionLock serialises the creation of partitions.
const partitionLock = 0x76747261636c

func partitionName(month time.Time) string {
	return fmt.Sprintf("events_p%04d%02d", month.Year(), int(month.Month()))
}

func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ensurePartitions creates the partitions the events' months need, each in
// a short transaction of its own, so that a write never holds the lock
// creating one takes on the events table.
func (s *Store) ensurePartitions(ctx context.Context, events []tracker.Event) error {
	need := make(map[time.Time]bool)
	for i := range events {
		need[monthOf(events[i].Time)] = true
	}
	for month := range need {
		if s.mem.partitions[month] {
			continue
		}
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(partitionLock)); err != nil {
				return err
			}
			next := month.AddDate(0, 1, 0)
			_, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF events FOR VALUES FROM (%d) TO (%d)`,
				partitionName(month), month.UnixMicro(), next.UnixMicro()))
			return err
		})
		if err != nil {
			return fmt.Errorf("partition for %s: %w", month.Format("2006-01"), err)
		}
		s.mem.partitions[month] = true
	}
	return nil
}
