-- The visitrack SQLite store, schema version 3: what a new file gets. A file
-- of an earlier version is brought here by migrate*.sql.
-- Times are microseconds since the Unix epoch; money is integer micro-units.
-- Every table but meta is keyed by store (sid): nothing crosses stores.

-- stores: one row per store name.
CREATE TABLE stores (
	sid  INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

-- visitors: one row per visitor ID of a store, while it has events.
--   gid            the visitor's group of linked visitors: its smallest vid.
--   last_c, pmax_c the head of the visitor's credit chain (impressions,
--                  clicks, sales, email links): its newest row, and the
--                  newest event time on the chain.
--   last_a, pmax_a the same for the activity chain (clicks, product and
--                  category views, searches), which History walks.
--   day            the newest day the visitor has a visitor_days row for
--                  (NULL: none known), so that its further events of the
--                  day add none.
-- The heads are kept in memory by the writer and written in bulk; rows from
-- meta.heads_rid on may be newer than the heads here, and Open reads them.
CREATE TABLE visitors (
	vid    INTEGER PRIMARY KEY,
	sid    INTEGER NOT NULL,
	xid    TEXT NOT NULL,
	gid    INTEGER NOT NULL,
	last_c INTEGER,
	pmax_c INTEGER,
	last_a INTEGER,
	pmax_a INTEGER,
	day    INTEGER,
	UNIQUE (sid, xid)
);
CREATE INDEX visitors_gid ON visitors (gid);

-- events: every event, in the order it arrived (rid), so that a batch
-- appends to a few pages. Each row links to its visitor's previous row of
-- the same chain (prev_c, prev_a) and carries the newest time of the chain
-- up to it (pmax_c, pmax_a): a walk back along a chain stops once pmax is
-- older than what it looks for, however late events arrived.
--   item    the product (click, view), category, query (search; for an
--           impression, the search whose results it showed), email, or sale
--           ID.
--   ls      an impression's labels; the labels a click is credited to (NULL:
--           not tracked). A label set, see labelsets.
--   detail  JSON of what else the kind has: an impression's api and
--           products; a click's api, given labels, position, external flag
--           and the impression it was backtracked to; a sale's lines.
--   credit  a sale's credit: per line, the label set and click that earned it.
--   counted 1 for the copy of a sale that counts.
-- A forgotten or purged event that must still be known leaves a tombstone:
-- vid and everything personal NULL.
CREATE TABLE events (
	rid     INTEGER PRIMARY KEY,
	sid     INTEGER NOT NULL,
	eid     TEXT NOT NULL,
	kind    INTEGER NOT NULL,
	t       INTEGER NOT NULL,
	vid     INTEGER,
	prev_c  INTEGER,
	pmax_c  INTEGER,
	prev_a  INTEGER,
	pmax_a  INTEGER,
	item    TEXT,
	ls      INTEGER,
	detail  TEXT,
	credit  TEXT,
	counted INTEGER,
	UNIQUE (sid, eid)
);
CREATE INDEX events_time ON events (sid, t);
CREATE INDEX events_sale ON events (sid, item) WHERE kind = 3;

-- The dashboard's drill-downs read their events through indexes of their
-- own, each in time order so that a write appends to it, and covering where
-- a count needs nothing else:
--   events_ls        impressions and clicks, by label set;
--   events_searches  searches, with their query and result count;
--   events_queries   impressions showing a search's results, with their
--                    query, event ID (which clicks name) and product count;
--   events_clicks    credited clicks, with the impression each was
--                    backtracked to (its time and event ID);
--   events_sales     the copies of sales that count.
CREATE INDEX events_ls ON events (sid, t, ls) WHERE ls IS NOT NULL;
CREATE INDEX events_searches ON events (sid, t, item, json_extract(detail, '$.results'))
	WHERE kind = 6 AND item IS NOT NULL;
CREATE INDEX events_queries ON events (sid, t, item, eid, json_array_length(detail, '$.products'))
	WHERE kind = 1 AND item IS NOT NULL;
CREATE INDEX events_clicks ON events (sid, t, json_extract(detail, '$.ft'), json_extract(detail, '$.fid'))
	WHERE kind = 2 AND ls IS NOT NULL;
CREATE INDEX events_sales ON events (sid, t) WHERE kind = 3 AND counted = 1;

-- labelsets: each distinct list of labels a call or click named, as a JSON
-- array of label IDs.
CREATE TABLE labelsets (
	ls   INTEGER PRIMARY KEY,
	sid  INTEGER NOT NULL,
	lids TEXT NOT NULL,
	UNIQUE (sid, lids)
);

-- labels: label names.
CREATE TABLE labels (
	lid  INTEGER PRIMARY KEY,
	sid  INTEGER NOT NULL,
	name TEXT NOT NULL,
	UNIQUE (sid, name)
);

-- identities: the emails ("e:" + address) and customer IDs ("c:" + ID) that
-- link visitors, and how many visitors use each.
CREATE TABLE identities (
	iid      INTEGER PRIMARY KEY,
	sid      INTEGER NOT NULL,
	key      TEXT NOT NULL,
	visitors INTEGER NOT NULL,
	UNIQUE (sid, key)
);

-- links: a visitor used an identity; last is the newest event that said so.
CREATE TABLE links (
	iid  INTEGER NOT NULL,
	vid  INTEGER NOT NULL,
	last INTEGER NOT NULL,
	PRIMARY KEY (iid, vid)
) WITHOUT ROWID;
CREATE INDEX links_vid ON links (vid);

-- label_hours and store_hours: what Report sums for whole hours, per label
-- and for the store as a whole. An order counts once per label however many
-- of its lines the label earned; a call or click once in store_hours however
-- many labels it has.
CREATE TABLE label_hours (
	sid         INTEGER NOT NULL,
	hour        INTEGER NOT NULL,
	lid         INTEGER NOT NULL,
	calls       INTEGER NOT NULL,
	impressions INTEGER NOT NULL,
	clicks      INTEGER NOT NULL,
	orders      INTEGER NOT NULL,
	revenue     INTEGER NOT NULL,
	PRIMARY KEY (sid, hour, lid)
) WITHOUT ROWID;

CREATE TABLE store_hours (
	sid              INTEGER NOT NULL,
	hour             INTEGER NOT NULL,
	calls            INTEGER NOT NULL,
	impressions      INTEGER NOT NULL,
	clicks           INTEGER NOT NULL,
	orders           INTEGER NOT NULL,
	revenue          INTEGER NOT NULL,
	impacted         INTEGER NOT NULL,
	impacted_revenue INTEGER NOT NULL,
	PRIMARY KEY (sid, hour)
) WITHOUT ROWID;

-- visitor_days: which visitors had an event on which day (UTC, days since
-- the epoch), so that a count of visitors over weeks reads a row per
-- visitor and day rather than every event. A row is keyed by the event that
-- added it (rid), so that a batch appends its rows after the day's rather
-- than among them. A visitor's newest day with a row is kept with its chain
-- heads (visitors.day), and only an event of another day adds a row: one
-- that arrives late for an earlier day adds a second row for that day,
-- which counts once.
CREATE TABLE visitor_days (
	sid INTEGER NOT NULL,
	day INTEGER NOT NULL,
	rid INTEGER NOT NULL,
	vid INTEGER NOT NULL,
	PRIMARY KEY (sid, day, rid)
) WITHOUT ROWID;

-- meta: named values of the store as a whole.
--   next_rid      the rid the next event gets (rids are never reused)
--   next_vid      the vid the next visitor gets (never reused either)
--   heads_rid     chain heads in visitors cover the rows before this rid
--   purged_before the latest Purge's cut: older events are not stored again
CREATE TABLE meta (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('next_rid', 1), ('next_vid', 1), ('heads_rid', 1), ('purged_before', -9223372036854775808);
