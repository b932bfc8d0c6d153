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
// Strings that many rows share are stored once and referred to by integer:
// stores (sid) and visitors (vid, unique per store). Events are split by
// what they are used for. Since version 3 everything is kept in the order
// it arrives, so that a batch appends to a few pages instead of touching a
// page per visitor: clicks and sales are rowid tables with a unique index
// on the event ID (writes are idempotent) and one on (sid, time), for
// reports and retention; impressions and activity are packed into blobs
// (blobs.go), with their IDs in ids. Erased clicks have vid
// 0, erased sales a NULL vid. Finding a visitor's events is the job of vix:
// for each visitor and run, the (time, table, rid) of its events packed in
// a blob (vix.go), a run written every 131,072 events; and, for resolving
// credit as events arrive, of an index the writer keeps in memory (mem.go).
// The tables of version 1, and what became of them:
//
//	imps    impressions: labels and products (the call's labels and what
//	        it showed); since version 3 packed into blobs (tbl 0)
//	clicks  product, labels (as given), credit (labels credited: given or
//	        backtracked, NULL under no label)
//	sales   sale, lines, products, total, customer, email, credit (label
//	        and revenue credited; NULL when not impacted); sale is unique
//	        per store
//	acts    activity that never affects attribution: product views (kind
//	        4), category views (5), searches (6) and email links (7), with
//	        the product, category, query or email in value; since version
//	        3 packed into blobs (tbl 3)
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
//
// vix_mark (version 3) holds, per table, the last rid whose vix entry is
// written (the rows after it are indexed in memory and written to vix with
// the next run); as table -1, the number of the last run; as table -2, the
// latest time Purge cut at.
//
// The view events shows clicks and sales as (store, time, kind, product,
// lines), for queries that read both.
var migrations = []string{
	// 1: events and links.
	`CREATE TABLE stores (
		sid  INTEGER PRIMARY KEY,
		name TEXT NOT NULL UNIQUE
	);
	CREATE TABLE visitors (
		vid     INTEGER PRIMARY KEY,
		sid     INTEGER NOT NULL,
		visitor TEXT NOT NULL,
		UNIQUE (sid, visitor)
	);
	CREATE TABLE imps (
		vid      INTEGER NOT NULL,
		time     INTEGER NOT NULL,
		id       TEXT NOT NULL,
		sid      INTEGER NOT NULL,
		api      TEXT,
		labels   TEXT,
		products TEXT,
		PRIMARY KEY (vid, time, id)
	) WITHOUT ROWID;
	CREATE UNIQUE INDEX imps_id ON imps (id);
	CREATE INDEX imps_time ON imps (sid, time);
	CREATE TABLE clicks (
		vid      INTEGER NOT NULL,
		time     INTEGER NOT NULL,
		id       TEXT NOT NULL,
		sid      INTEGER NOT NULL,
		product  TEXT,
		api      TEXT,
		labels   TEXT,
		position INTEGER,
		external INTEGER,
		credit   TEXT,
		PRIMARY KEY (vid, time, id)
	) WITHOUT ROWID;
	CREATE UNIQUE INDEX clicks_id ON clicks (id);
	CREATE INDEX clicks_time ON clicks (sid, time);
	CREATE TABLE sales (
		rid      INTEGER PRIMARY KEY,
		id       TEXT NOT NULL UNIQUE,
		sid      INTEGER NOT NULL,
		vid      INTEGER,
		time     INTEGER NOT NULL,
		sale     TEXT NOT NULL,
		lines    TEXT NOT NULL,
		products TEXT NOT NULL,
		total    INTEGER NOT NULL,
		customer TEXT,
		email    TEXT,
		credit   TEXT
	);
	CREATE UNIQUE INDEX sales_sale ON sales (sid, sale);
	CREATE INDEX sales_vid ON sales (vid, time);
	CREATE INDEX sales_time ON sales (sid, time);
	CREATE TABLE acts (
		rid   INTEGER PRIMARY KEY,
		vid   INTEGER NOT NULL,
		time  INTEGER NOT NULL,
		id    TEXT NOT NULL,
		sid   INTEGER NOT NULL,
		kind  INTEGER NOT NULL,
		value TEXT
	);
	CREATE UNIQUE INDEX acts_id ON acts (id);
	CREATE INDEX acts_vid ON acts (vid, time);
	CREATE INDEX acts_time ON acts (sid, time);
	CREATE TABLE links (
		vid  INTEGER NOT NULL,
		key  TEXT NOT NULL,
		sid  INTEGER NOT NULL,
		time INTEGER NOT NULL,
		PRIMARY KEY (vid, key)
	) WITHOUT ROWID;
	CREATE INDEX links_key ON links (sid, key, vid);
	CREATE TABLE identities (
		vid INTEGER PRIMARY KEY,
		grp INTEGER NOT NULL
	);
	CREATE INDEX identities_grp ON identities (grp, vid);
	CREATE VIEW events (store, time, kind, product, lines) AS
		SELECT s.name, c.time, 2, c.product, NULL FROM clicks c JOIN stores s ON s.sid = c.sid
		UNION ALL
		SELECT s.name, x.time, 3, NULL, x.lines FROM sales x JOIN stores s ON s.sid = x.sid;`,

	// 2: per-hour counters, filled from the events already stored.
	`CREATE TABLE label_counts (
		sid         INTEGER NOT NULL,
		bucket      INTEGER NOT NULL,
		label       TEXT NOT NULL,
		calls       INTEGER NOT NULL DEFAULT 0,
		impressions INTEGER NOT NULL DEFAULT 0,
		clicks      INTEGER NOT NULL DEFAULT 0,
		orders      INTEGER NOT NULL DEFAULT 0,
		revenue     INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (sid, bucket, label)
	) WITHOUT ROWID;
	CREATE TABLE totals (
		sid              INTEGER NOT NULL,
		bucket           INTEGER NOT NULL,
		orders           INTEGER NOT NULL DEFAULT 0,
		revenue          INTEGER NOT NULL DEFAULT 0,
		impacted_orders  INTEGER NOT NULL DEFAULT 0,
		impacted_revenue INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (sid, bucket)
	) WITHOUT ROWID;`,

	// 3: clicks in arrival order (a rowid table), impressions and activity
	// packed into blobs (Go, after the SQL: packRows), all of them found
	// by visitor through vix (indexAll).
	`DROP VIEW events;
	CREATE TABLE clicks_v3 (
		rid      INTEGER PRIMARY KEY,
		vid      INTEGER NOT NULL,
		time     INTEGER NOT NULL,
		id       TEXT NOT NULL,
		sid      INTEGER NOT NULL,
		product  TEXT,
		api      TEXT,
		labels   TEXT,
		position INTEGER,
		external INTEGER,
		credit   TEXT
	);
	INSERT INTO clicks_v3 (vid, time, id, sid, product, api, labels, position, external, credit)
		SELECT vid, time, id, sid, product, api, labels, position, external, credit FROM clicks ORDER BY time, id;
	DROP TABLE clicks;
	ALTER TABLE clicks_v3 RENAME TO clicks;
	CREATE UNIQUE INDEX clicks_id ON clicks (id);
	CREATE INDEX clicks_time ON clicks (sid, time);
	DROP INDEX acts_vid;
	DROP INDEX sales_vid;
	CREATE TABLE vix (
		vid  INTEGER NOT NULL,
		run  INTEGER NOT NULL,
		tmin INTEGER NOT NULL,
		ents BLOB NOT NULL,
		PRIMARY KEY (vid, run)
	) WITHOUT ROWID;
	CREATE TABLE vix_mark (
		tbl INTEGER PRIMARY KEY,
		rid INTEGER NOT NULL
	);
	INSERT INTO vix_mark VALUES (0, 0), (1, 0), (2, 0), (3, 0), (-1, 0);
	CREATE TABLE blobs (
		bid  INTEGER PRIMARY KEY,
		tbl  INTEGER NOT NULL,
		sid  INTEGER NOT NULL,
		tmin INTEGER NOT NULL,
		tmax INTEGER NOT NULL,
		data BLOB NOT NULL
	);
	CREATE INDEX blobs_time ON blobs (sid, tmin);
	CREATE TABLE ids (id TEXT PRIMARY KEY) WITHOUT ROWID;
	CREATE VIEW events (store, time, kind, product, lines) AS
		SELECT s.name, c.time, 2, c.product, NULL FROM clicks c JOIN stores s ON s.sid = c.sid
		UNION ALL
		SELECT s.name, x.time, 3, NULL, x.lines FROM sales x JOIN stores s ON s.sid = x.sid;`,
}

// afterMigration runs Go code a migration needs once its SQL has run, in
// the same transaction.
var afterMigration = map[int]func(context.Context, *sql.Tx) error{
	2: rebuildCounters,
	3: func(ctx context.Context, tx *sql.Tx) error {
		if err := packRows(ctx, tx); err != nil {
			return err
		}
		return indexAll(ctx, tx)
	},
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

// schemaTables are the tables a file has at each version (index 0:
// version 1); checkSchema wants those of the version the file claims.
var schemaTables = [][]string{
	{"stores", "visitors", "imps", "clicks", "sales", "acts", "links", "identities"},
	{"stores", "visitors", "imps", "clicks", "sales", "acts", "links", "identities", "label_counts", "totals"},
	{"stores", "visitors", "clicks", "sales", "links", "identities", "label_counts", "totals",
		"vix", "vix_mark", "blobs", "ids"},
}

// checkSchema reports ErrSchema, naming the first missing table, when db
// lacks a table that its schema version claims.
func checkSchema(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("sqlite: schema check: %w", err)
	}
	if v == 0 {
		return nil
	}
	for _, name := range schemaTables[min(v, len(schemaTables))-1] {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", name).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: schema check: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%w: no table %q; remove the file or point the store at a new one", ErrSchema, name)
		}
	}
	return nil
}

// rawCountedV2 selects, for the counters, the impressions, clicks and sales
// of a version 2 file (impressions had a table then), for rebuildCounters.
const rawCountedV2 = `SELECT sid, 1, time, labels, products, NULL, NULL FROM imps
	UNION ALL SELECT sid, 2, time, NULL, NULL, credit, NULL FROM clicks
	UNION ALL SELECT sid, 3, time, NULL, products, credit, total FROM sales`

// rawCounted selects, for the counters, the clicks and sales
// of the stores and times that the WHERE clause appended to it picks (with
// columns sid and time).
const rawCounted = `SELECT sid, 2, time, NULL, NULL, credit, NULL FROM clicks WHERE %[1]s
	UNION ALL SELECT sid, 3, time, NULL, products, credit, total FROM sales WHERE %[1]s`

func scanContrib(rows *sql.Rows, c *counters, sign int64) error {
	for rows.Next() {
		var r contribRow
		if err := rows.Scan(&r.sid, &r.kind, &r.time, &r.labels, &r.products, &r.credit, &r.total); err != nil {
			return err
		}
		c.contrib(r, sign)
	}
	return rows.Err()
}

// rebuildCounters recomputes every counter from the events.
func rebuildCounters(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM label_counts; DELETE FROM totals"); err != nil {
		return err
	}
	c := newCounters()
	rows, err := tx.QueryContext(ctx, rawCountedV2)
	if err != nil {
		return err
	}
	err = scanContrib(rows, c, +1)
	rows.Close()
	if err != nil {
		return err
	}
	return c.flush(txExec(ctx, tx))
}
