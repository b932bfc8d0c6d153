package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// The schema is versioned with PRAGMA user_version: migrations[i] takes a
// database from version i to i+1, inside one transaction. Append new
// migrations; never edit one that has shipped.
//
// events holds every event, one row each, keyed by event ID (so writes are
// idempotent). Columns are used by kind:
//
//	impression  labels, products (the call's labels and what it showed)
//	click       product, labels (as given), credit (labels credited: given
//	            or backtracked, NULL under no label)
//	sale        sale, lines, products, total, customer, email, credit (label
//	            and revenue credited; NULL when not impacted)
//	view        product; category: category; search: query
//
// Label and product lists are stored between unit separators (\x1f), so
// that SQL can match one with instr. Times and money are integers:
// microseconds since the epoch, and micro-units.
//
// links holds the identity graph: a visitor and a key ("e:" email, "c:"
// customer ID). Visitors reachable from one another through keys are
// linked; identities keeps those connected components (every visitor with a
// link has a row, with the group's number), merged as links arrive.
//
// label_counts and totals (version 2) keep per-hour counters that Write
// maintains as it resolves credit, so that a Report reads thousands of
// counters rather than millions of events.
var migrations = []string{
	// 1: events and links.
	`CREATE TABLE events (
		id       TEXT PRIMARY KEY,
		store    TEXT NOT NULL,
		kind     INTEGER NOT NULL,
		visitor  TEXT,
		time     INTEGER NOT NULL,
		api      TEXT,
		labels   TEXT,
		products TEXT,
		product  TEXT,
		position INTEGER,
		external INTEGER,
		sale     TEXT,
		lines    TEXT,
		total    INTEGER,
		customer TEXT,
		email    TEXT,
		category TEXT,
		query    TEXT,
		credit   TEXT
	) WITHOUT ROWID;
	CREATE INDEX events_visitor ON events (store, visitor, time);
	CREATE INDEX events_time ON events (store, time) WHERE kind IN (1, 2, 3);
	CREATE UNIQUE INDEX events_sale ON events (store, sale) WHERE kind = 3;
	CREATE TABLE links (
		store   TEXT NOT NULL,
		visitor TEXT NOT NULL,
		key     TEXT NOT NULL,
		time    INTEGER NOT NULL,
		PRIMARY KEY (store, visitor, key)
	) WITHOUT ROWID;
	CREATE INDEX links_key ON links (store, key, visitor);
	CREATE TABLE identities (
		store   TEXT NOT NULL,
		visitor TEXT NOT NULL,
		grp     INTEGER NOT NULL,
		PRIMARY KEY (store, visitor)
	) WITHOUT ROWID;
	CREATE INDEX identities_grp ON identities (grp, visitor);`,

	// 2: per-hour counters, filled from the events already stored.
	`CREATE TABLE label_counts (
		store       TEXT NOT NULL,
		bucket      INTEGER NOT NULL,
		label       TEXT NOT NULL,
		calls       INTEGER NOT NULL DEFAULT 0,
		impressions INTEGER NOT NULL DEFAULT 0,
		clicks      INTEGER NOT NULL DEFAULT 0,
		orders      INTEGER NOT NULL DEFAULT 0,
		revenue     INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (store, bucket, label)
	) WITHOUT ROWID;
	CREATE TABLE totals (
		store            TEXT NOT NULL,
		bucket           INTEGER NOT NULL,
		orders           INTEGER NOT NULL DEFAULT 0,
		revenue          INTEGER NOT NULL DEFAULT 0,
		impacted_orders  INTEGER NOT NULL DEFAULT 0,
		impacted_revenue INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (store, bucket)
	) WITHOUT ROWID;`,
}

// afterMigration runs Go code a migration needs once its SQL has run, in
// the same transaction.
var afterMigration = map[int]func(context.Context, *sql.Tx) error{
	2: rebuildCounters,
}

// migrate brings db to version target (len(migrations) in production).
func migrate(ctx context.Context, db *sql.DB, target int) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("sqlite: schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("sqlite: database schema version %d is newer than this library's %d", v, len(migrations))
	}
	for ; v < target; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlite: migrate to %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migrate to %d: %w", v+1, err)
		}
		if f := afterMigration[v+1]; f != nil {
			if err := f(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("sqlite: migrate to %d: %w", v+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migrate to %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: migrate to %d: %w", v+1, err)
		}
	}
	return nil
}

// rebuildCounters recomputes every counter from the events table.
func rebuildCounters(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM label_counts; DELETE FROM totals"); err != nil {
		return err
	}
	c := newCounters()
	rows, err := tx.QueryContext(ctx, `SELECT store, kind, time, labels, products, credit, total
		FROM events WHERE kind IN (1, 2, 3)`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r contribRow
		if err := rows.Scan(&r.store, &r.kind, &r.time, &r.labels, &r.products, &r.credit, &r.total); err != nil {
			rows.Close()
			return err
		}
		c.contrib(r, +1)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	return c.flush(ctx, tx)
}
