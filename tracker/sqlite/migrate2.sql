-- Schema version 2, from version 1 as the first release wrote it:
--   - sale_hours becomes store_hours, which also counts the store's calls,
--     products shown and credited clicks per hour, rebuilt here from the
--     events;
--   - visitor_days, which visitors had an event on which day, rebuilt from
--     the events;
--   - indexes for the dashboard's drill-downs, as schema.sql has them.
-- Hours and days are floor(t / length), also for times before 1970.

ALTER TABLE sale_hours RENAME TO store_hours;
ALTER TABLE store_hours ADD COLUMN calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE store_hours ADD COLUMN impressions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE store_hours ADD COLUMN clicks INTEGER NOT NULL DEFAULT 0;
INSERT INTO store_hours (sid, hour, calls, impressions, clicks, orders, revenue, impacted, impacted_revenue)
	SELECT sid, hour, sum(kind = 1), sum(CASE kind WHEN 1 THEN json_array_length(detail, '$.products') ELSE 0 END),
		sum(kind = 2), 0, 0, 0, 0
	FROM (SELECT sid, kind, detail, t / 3600000000 - (t % 3600000000 < 0) AS hour FROM events
		WHERE (kind = 1 AND detail IS NOT NULL) OR (kind = 2 AND ls IS NOT NULL))
	WHERE true
	GROUP BY sid, hour
	ON CONFLICT (sid, hour) DO UPDATE SET calls = excluded.calls, impressions = excluded.impressions, clicks = excluded.clicks;

CREATE TABLE visitor_days (
	sid INTEGER NOT NULL,
	day INTEGER NOT NULL,
	vid INTEGER NOT NULL,
	PRIMARY KEY (sid, day, vid)
) WITHOUT ROWID;
INSERT OR IGNORE INTO visitor_days (sid, day, vid)
	SELECT sid, t / 86400000000 - (t % 86400000000 < 0), vid FROM events WHERE vid IS NOT NULL;

CREATE INDEX events_ls ON events (sid, t, ls) WHERE ls IS NOT NULL;
CREATE INDEX events_searches ON events (sid, t, item, json_extract(detail, '$.results'))
	WHERE kind = 6 AND item IS NOT NULL;
CREATE INDEX events_queries ON events (sid, t, item, eid, json_array_length(detail, '$.products'))
	WHERE kind = 1 AND item IS NOT NULL;
CREATE INDEX events_clicks ON events (sid, t, json_extract(detail, '$.ft'), json_extract(detail, '$.fid'))
	WHERE kind = 2 AND ls IS NOT NULL;
CREATE INDEX events_sales ON events (sid, t) WHERE kind = 3 AND counted = 1;
